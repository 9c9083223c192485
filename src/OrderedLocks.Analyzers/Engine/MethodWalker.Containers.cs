using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// Delegates that travel through a collection held in a field or property: put in
/// (<c>_work.Enqueue((item, callback))</c>, <c>_handlers.Add(h)</c>) and taken back out into a local
/// (<c>Dequeue()</c>, <c>TryDequeue(out var w)</c>, an indexer, <c>foreach</c>, deconstruction), then
/// invoked. The collection member is the holder: everything put in binds to it, every local taken
/// out reads from it, and a tuple's element (<c>w.Item2()</c>, <c>w.callback()</c>) is its tuple's.
/// </summary>
internal sealed partial class MethodWalker
{
    private static readonly HashSet<string> s_puts = new(System.StringComparer.Ordinal)
    {
        "Add", "Enqueue", "Push", "TryAdd", "Insert", "AddLast", "AddFirst", "TryWrite", "WriteAsync", "Post", "SendAsync", "AddOrUpdate", "GetOrAdd",
    };

    private static readonly HashSet<string> s_takes = new(System.StringComparer.Ordinal)
    {
        "Dequeue", "TryDequeue", "Pop", "TryPop", "Peek", "TryPeek", "Take", "TryTake", "TryRead", "ReadAsync", "TryGetValue", "GetValueOrDefault",
        "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault", "ElementAt", "ElementAtOrDefault", "Find",
    };

    /// <summary><c>_queue.Enqueue((item, callback))</c>: every delegate in the arguments (tuple elements included) binds to the collection member.</summary>
    private void RecordContainerPut(IInvocationOperation invocation)
    {
        if (!s_puts.Contains(invocation.TargetMethod.Name) || ContainerHolder(invocation.Instance) is not { } container)
        {
            return;
        }

        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            foreach (IOperation element in Elements(argument.Value, 0))
            {
                if (IsDelegateValue(element))
                {
                    Bind(container, element);
                }
            }
        }
    }

    /// <summary><c>_queue.TryDequeue(out var work)</c>: the out locals read from the collection member.</summary>
    private void RecordContainerTakeOut(IInvocationOperation invocation)
    {
        if (!s_takes.Contains(invocation.TargetMethod.Name) || ContainerHolder(invocation.Instance) is not { } container)
        {
            return;
        }

        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (argument.Parameter?.RefKind == RefKind.Out && OutLocal(argument.Value) is { } local && MayHoldDelegate(local.Type))
            {
                _model.AddHolderSource(local, container);
            }
        }
    }

    /// <summary>A local initialised or assigned from a collection member: <c>var work = _queue.Dequeue();</c>, <c>var h = _handlers[i];</c>.</summary>
    private void RecordContainerTake(ILocalSymbol local, IOperation value)
    {
        if (MayHoldDelegate(local.Type) && TakenFrom(value) is { } container)
        {
            _model.AddHolderSource(local, container);
        }
    }

    /// <summary><c>foreach (var h in _handlers)</c> and <c>foreach (var (item, done) in _pending)</c>.</summary>
    private void RecordContainerLoop(IForEachLoopOperation forEach)
    {
        if (ContainerHolder(forEach.Collection) is not { } container)
        {
            return;
        }

        foreach (ILocalSymbol local in forEach.Locals)
        {
            if (MayHoldDelegate(local.Type))
            {
                _model.AddHolderSource(local, container);
            }
        }
    }

    /// <summary><c>var (item, done) = _queue.Dequeue();</c> or <c>(item, done) = work;</c>: each local reads from the value's holder.</summary>
    private void RecordDeconstruction(IDeconstructionAssignmentOperation deconstruction)
    {
        ISymbol? source = TakenFrom(deconstruction.Value) ?? DelegateHolder(deconstruction.Value);
        var targets = new List<ILocalSymbol>();
        CollectLocals(deconstruction.Target, targets, 0);
        if (Unwrap(deconstruction.Value) is ITupleOperation tuple && Unwrap(deconstruction.Target) is ITupleOperation { Elements.Length: var count } && count == tuple.Elements.Length)
        {
            // (a, b) = (x, y): element by element.
            ITupleOperation target = (ITupleOperation)Unwrap(deconstruction.Target);
            for (int i = 0; i < count; i++)
            {
                if (Unwrap(target.Elements[i]) is ILocalReferenceOperation local)
                {
                    Bind(local.Local, tuple.Elements[i]);
                }
            }

            return;
        }

        if (source is null)
        {
            return;
        }

        foreach (ILocalSymbol local in targets)
        {
            if (MayHoldDelegate(local.Type))
            {
                _model.AddHolderSource(local, source);
            }
        }
    }

    private ISymbol? TakenFrom(IOperation value) => Unwrap(value) switch
    {
        IInvocationOperation call when s_takes.Contains(call.TargetMethod.Name)
            => ContainerHolder(call.Instance) ?? (call.TargetMethod.IsExtensionMethod && call.Arguments.Length > 0 ? ContainerHolder(call.Arguments[0].Value) : null),
        IPropertyReferenceOperation { Property.IsIndexer: true } indexer => ContainerHolder(indexer.Instance),
        IArrayElementReferenceOperation element => ContainerHolder(element.ArrayReference),
        _ => null,
    };

    /// <summary>A field or property of this compilation holding a collection (a generic type or an array).</summary>
    private ISymbol? ContainerHolder(IOperation? instance)
    {
        if (instance is null)
        {
            return null;
        }

        return Unwrap(instance) switch
        {
            IFieldReferenceOperation field when IsCollection(field.Field.Type) && _model.IsInCompilation(field.Field) => field.Field.OriginalDefinition,
            IPropertyReferenceOperation { Arguments.IsEmpty: true } property when IsCollection(property.Property.Type) && _model.IsInCompilation(property.Property) => property.Property.OriginalDefinition,
            _ => null,
        };
    }

    private static bool IsCollection(ITypeSymbol type) => type is IArrayTypeSymbol or INamedTypeSymbol { IsGenericType: true, IsTupleType: false };

    /// <summary>Delegates, <c>object</c>, type parameters, and tuples or collections with such an element can carry a callback.</summary>
    private static bool MayHoldDelegate(ITypeSymbol? type)
    {
        // Loops, not Enumerable.Any: this is asked of every holder a walk binds, and Any over an
        // ImmutableArray allocated a boxed enumerator (and a delegate) each time.
        switch (type)
        {
            case null:
                return false;
            case { TypeKind: TypeKind.Delegate or TypeKind.TypeParameter }:
            case { SpecialType: SpecialType.System_Object }:
                return true;
            case INamedTypeSymbol { IsTupleType: true } tuple:
                foreach (IFieldSymbol element in tuple.TupleElements)
                {
                    if (MayHoldDelegate(element.Type))
                    {
                        return true;
                    }
                }

                return false;
            case INamedTypeSymbol { IsGenericType: true } generic:
                // A collection of them (the holder of everything put in it).
                foreach (ITypeSymbol argument in generic.TypeArguments)
                {
                    if (MayHoldDelegate(argument))
                    {
                        return true;
                    }
                }

                return false;
            case IArrayTypeSymbol array:
                return MayHoldDelegate(array.ElementType);
            default:
                return false;
        }
    }

    private static IEnumerable<IOperation> Elements(IOperation value, int depth)
    {
        IOperation unwrapped = Unwrap(value);
        if (unwrapped is ITupleOperation tuple && depth < MaxAliasDepth)
        {
            foreach (IOperation element in tuple.Elements)
            {
                foreach (IOperation inner in Elements(element, depth + 1))
                {
                    yield return inner;
                }
            }
        }
        else
        {
            yield return unwrapped;
        }
    }

    private static ILocalSymbol? OutLocal(IOperation value) => Unwrap(value) switch
    {
        IDeclarationExpressionOperation { Expression: ILocalReferenceOperation local } => local.Local,
        ILocalReferenceOperation local => local.Local,
        _ => null,
    };

    private static void CollectLocals(IOperation target, List<ILocalSymbol> locals, int depth)
    {
        switch (Unwrap(target))
        {
            case IDeclarationExpressionOperation declaration:
                CollectLocals(declaration.Expression, locals, depth);
                break;
            case ITupleOperation tuple when depth < MaxAliasDepth:
                foreach (IOperation element in tuple.Elements)
                {
                    CollectLocals(element, locals, depth + 1);
                }

                break;
            case ILocalReferenceOperation local:
                locals.Add(local.Local);
                break;
        }
    }
}
