using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Calls, delegates and declarations: call sites, what delegates, fields and locals are bound to, ranks and semaphore counts.</summary>
internal sealed partial class MethodWalker
{
    // ----------------------------------------------------------------------------------------
    // Calls, delegates, declarations
    // ----------------------------------------------------------------------------------------
    private void AddCall(IMethodSymbol? target, ISymbol? delegateSymbol, bool receiverIsThis, ImmutableArray<Hold> state, Location location, CallReceiver receiver = CallReceiver.Other,
        IOperation? instance = null, ImmutableArray<IArgumentOperation> arguments = default, bool constructor = false, bool nonVirtual = false)
    {
        if (target is not null)
        {
            target = target.ReducedFrom ?? target;
            target = target.OriginalDefinition;

            // Only calls the model can follow: methods of this compilation. (Asked of the containing
            // assembly, not of Locations: a source symbol's Locations allocates a new array per
            // call, which was the largest allocation of a walk.)
            if (!_model.IsInCompilation(target))
            {
                return;
            }
        }

        // Where the callee's `this` and parameters are in this method's frame (lock identity through calls).
        AccessPath receiverPath = constructor ? AccessPath.Fresh
            : target is { IsStatic: true } ? AccessPath.Static
            : target is null && delegateSymbol is not null ? AccessPath.Of(PathRoot.Local, delegateSymbol) // a delegate's target object: named, not known
            : target is null ? AccessPath.Unknown
            : PathOf(instance, 0);
        if (constructor)
        {
            receiver = CallReceiver.Fresh;
        }
        else if (receiverPath.Root == PathRoot.Fresh)
        {
            receiver = CallReceiver.Fresh;
        }

        ITypeSymbol? receiverType = instance is null ? _current.Method.ContainingType : Unwrap(instance).Type;
        ImmutableArray<AccessPath> argumentPaths = ImmutableArray<AccessPath>.Empty;
        ImmutableArray<BoundLock?> argumentLocks = ImmutableArray<BoundLock?>.Empty;
        if (target is not null && !arguments.IsDefaultOrEmpty)
        {
            // Built in place and handed over without a copy; none at all when no argument has a
            // known path (an unknown path per parameter translates as no entry does: CallSite.Translate).
            int count = target.Parameters.Length;
            ImmutableArray<AccessPath>.Builder? paths = null;
            BoundLock?[]? locks = null;
            foreach (IArgumentOperation argument in arguments)
            {
                if (argument.Parameter is { } parameter && parameter.Ordinal < count && argument.ArgumentKind == ArgumentKind.Explicit)
                {
                    AccessPath path = PathOf(argument.Value, 0);
                    if (!ReferenceEquals(path, AccessPath.Unknown))
                    {
                        if (paths is null)
                        {
                            paths = ImmutableArray.CreateBuilder<AccessPath>(count);
                            for (int i = 0; i < count; i++)
                            {
                                paths.Add(AccessPath.Unknown);
                            }
                        }

                        paths[parameter.Ordinal] = path;
                    }

                    if (argument.Value.Type is { IsReferenceType: true, SpecialType: not SpecialType.System_String }
                        && TryResolveLock(argument.Value, 0, out LockKey? key, out string argumentText, out _, out AccessPath lockPath))
                    {
                        // A fresh object handed to a call escapes into it: name it by the caller's local.
                        if (lockPath.Root == PathRoot.Fresh && Unwrap(argument.Value) is ILocalReferenceOperation local)
                        {
                            lockPath = AccessPath.Of(PathRoot.Local, local.Local);
                        }

                        locks ??= new BoundLock?[count];
                        locks[parameter.Ordinal] = new BoundLock(key!, lockPath, argumentText);
                    }
                }
            }

            argumentPaths = paths is null ? argumentPaths : paths.MoveToImmutable();
            argumentLocks = locks is null ? argumentLocks : locks.ToImmutableArray();
        }

        _current.Add(new CallSite(target, delegateSymbol, receiverIsThis, state, location, receiverIsThis && !constructor ? CallReceiver.This : receiver)
        {
            ReceiverPath = receiverPath,
            ArgumentPaths = argumentPaths,
            ArgumentLocks = argumentLocks,
            ReceiverType = receiverType,
            InConstructor = _current.Method.MethodKind == MethodKind.Constructor,
            NonVirtual = nonVirtual || IsBaseReceiver(instance),
        });
    }

    /// <summary><c>base.M()</c>, <c>base.P</c>, <c>base[i]</c>: the base member runs, never an override of it.</summary>
    private static bool IsBaseReceiver(IOperation? instance)
        => instance is IInstanceReferenceOperation { Syntax: Microsoft.CodeAnalysis.CSharp.Syntax.BaseExpressionSyntax };

    private void RecordPropertyAccess(IPropertyReferenceOperation property, ImmutableArray<Hold> state)
    {
        bool isWrite = property.Parent is IAssignmentOperation assignment && ReferenceEquals(assignment.Target, property);
        bool isRead = !isWrite || property.Parent is ICompoundAssignmentOperation or ICoalesceAssignmentOperation;
        bool receiverIsThis = IsThisReceiver(property.Instance);
        Location location = property.Syntax.GetLocation();
        if (isRead && property.Property.GetMethod is { } getter)
        {
            AddCall(getter, null, receiverIsThis, state, location, ReceiverKindOf(property.Instance), property.Instance);
        }

        if (isWrite && property.Property.SetMethod is { } setter)
        {
            AddCall(setter, null, receiverIsThis, state, location, ReceiverKindOf(property.Instance), property.Instance);
        }
    }

    private void RecordInitializer(IOperation initializer, ISymbol owner)
    {
        IOperation? value = initializer switch
        {
            IFieldInitializerOperation field => field.Value,
            IPropertyInitializerOperation property => property.Value,
            _ => null,
        };

        if (value is null)
        {
            return;
        }

        IEnumerable<ISymbol> targets = initializer switch
        {
            IFieldInitializerOperation field => field.InitializedFields,
            IPropertyInitializerOperation property => property.InitializedProperties,
            _ => Enumerable.Empty<ISymbol>(),
        };

        foreach (ISymbol target in targets.DefaultIfEmpty(owner))
        {
            RecordDeclaration(target, value);
        }
    }

    private void RecordAssignment(IOperation target, IOperation value)
    {
        switch (Unwrap(target))
        {
            case IFieldReferenceOperation field:
                RecordDeclaration(field.Field, value);
                break;
            case IPropertyReferenceOperation property:
                RecordDeclaration(property.Property, value);
                break;
            case IEventReferenceOperation eventReference:
                Bind(eventReference.Event, value);
                break;
            case ILocalReferenceOperation local:
                _aliases.Remove(local.Local);
                _freshLocals.Remove(local.Local);
                Bind(local.Local, value);
                RecordContainerTake(local.Local, value);
                break;
            case IParameterReferenceOperation parameter:
                Bind(parameter.Parameter, value);
                break;
        }
    }

    private void RecordLocal(ILocalSymbol local, IOperation value)
    {
        IOperation unwrapped = Unwrap(value);
        _freshLocals.Remove(local);
        if (unwrapped is IFieldReferenceOperation or IPropertyReferenceOperation { Arguments.Length: 0 } or IArrayElementReferenceOperation or ILocalReferenceOperation
            or IInvocationOperation { Arguments.Length: 0 })
        {
            _aliases[local] = unwrapped;
        }
        else if (unwrapped is IInvocationOperation call && ExchangedMember(call) is { } exchanged)
        {
            // `var box = Interlocked.Exchange(ref _box, null);`: the object that was in the field.
            _aliases[local] = exchanged;
        }
        else if (unwrapped is IObjectCreationOperation)
        {
            _freshLocals.Add(local);
        }

        Bind(local, value);
    }

    /// <summary>Records what a field or property is created as: semaphore counts, ranks, condition locks, delegates.</summary>
    private void RecordDeclaration(ISymbol member, IOperation value)
    {
        IOperation unwrapped = Unwrap(value);
        if (unwrapped is IObjectCreationOperation creation)
        {
            ITypeSymbol? type = creation.Type;
            if (KnownTypes.Is(type, _types.SemaphoreSlim))
            {
                int count = creation.Arguments.Length > 0 && creation.Arguments[0].Value.ConstantValue is { HasValue: true, Value: int initial } ? initial : -1;
                _model.SemaphoreCounts.GetOrAdd(member.OriginalDefinition, static _ => new System.Collections.Concurrent.ConcurrentBag<int>()).Add(count);
            }
            else if (_types.IsOrderedLockType(type))
            {
                foreach (IArgumentOperation argument in creation.Arguments)
                {
                    if (argument.Parameter?.Name == "rank" && argument.ArgumentKind == ArgumentKind.Explicit
                        && RankConstants.ValueOf(argument.Value) is int rank && rank != 0)
                    {
                        _model.CreationRanks[member.OriginalDefinition] = rank;
                    }
                }
            }
            else if (KnownTypes.Is(type, _types.OrderedCondition) && creation.Arguments.Length > 0
                && TryResolveLock(creation.Arguments[0].Value, 0, out LockKey? key, out _, out _))
            {
                _model.ConditionLocks[member.OriginalDefinition] = key!;
            }
        }

        Bind(member, value);
    }

    private void Bind(ISymbol holder, IOperation? value)
    {
        if (value is null || holder is not (IFieldSymbol or IPropertySymbol or IEventSymbol or ILocalSymbol or IParameterSymbol))
        {
            return;
        }

        if (MayGiveDelegateTargets(value))
        {
            foreach (IMethodSymbol target in DelegateTargets(value, 0))
            {
                _model.AddBinding(holder, target);
            }
        }

        // The holders the value is read from: the graph follows them once every body is walked
        // (a setter's parameter may be bound by a caller walked after the setter). Only holders
        // that can carry a callback: a copy of any other value records nothing.
        if (!MayHoldDelegate(HolderType(holder)))
        {
            return;
        }

        foreach (ISymbol source in DelegateSources(value, 0))
        {
            _model.AddHolderSource(holder, source);
        }
    }

    /// <summary>The holders a delegate value is read from (<c>_a</c>, <c>cb ?? _b</c>, <c>x ? _a : _b</c>, <c>_a + _b</c>).</summary>
    private IEnumerable<ISymbol> DelegateSources(IOperation value, int depth)
    {
        foreach ((IOperation leaf, _) in DelegateLeaves(value, depth, throughChoices: true))
        {
            if (leaf is ILocalReferenceOperation or IFieldReferenceOperation or IParameterReferenceOperation or IPropertyReferenceOperation
                && DelegateHolder(leaf) is { } holder)
            {
                yield return holder;
            }
        }
    }

    // Whether DelegateTargets can yield anything for the value, without its iterators: most values
    // bound (a local's initial call, a literal, a new object) are none of the leaves it names.
    private static bool MayGiveDelegateTargets(IOperation value)
        => Unwrap(value) is IAnonymousFunctionOperation or IMethodReferenceOperation or IDelegateCreationOperation
            or IBinaryOperation { OperatorKind: BinaryOperatorKind.Add }
            or ILocalReferenceOperation or IFieldReferenceOperation or IParameterReferenceOperation or IPropertyReferenceOperation;

    /// <summary>The methods and lambdas a delegate value holds as far as the walk has seen (the graph adds the rest through <see cref="DelegateSources"/>).</summary>
    private IEnumerable<IMethodSymbol> DelegateTargets(IOperation value, int depth)
    {
        foreach ((IOperation leaf, int leafDepth) in DelegateLeaves(value, depth, throughChoices: false))
        {
            switch (leaf)
            {
                case IAnonymousFunctionOperation lambda:
                    yield return lambda.Symbol;
                    break;
                case IMethodReferenceOperation methodReference:
                    yield return methodReference.Method.OriginalDefinition;
                    break;
                case ILocalReferenceOperation or IFieldReferenceOperation or IParameterReferenceOperation or IPropertyReferenceOperation when leafDepth < MaxAliasDepth:
                    if (DelegateHolder(leaf) is { } holder)
                    {
                        foreach (IMethodSymbol target in _model.GetBindings(holder))
                        {
                            yield return target;
                        }
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// The parts of a delegate value, with the depth each was found at: the value itself (through
    /// conversions and <c>new Action(...)</c>), or the operands of a combination (<c>+</c>), and with
    /// <paramref name="throughChoices"/> also both sides of <c>??</c> and <c>?:</c>.
    /// </summary>
    private static IEnumerable<(IOperation Leaf, int Depth)> DelegateLeaves(IOperation value, int depth, bool throughChoices)
    {
        IOperation unwrapped = Unwrap(value);
        if (unwrapped is IDelegateCreationOperation delegateCreation)
        {
            unwrapped = Unwrap(delegateCreation.Target);
        }

        (IOperation, IOperation)? parts = depth >= MaxAliasDepth ? null : unwrapped switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } combine => (combine.LeftOperand, combine.RightOperand),
            ICoalesceOperation coalesce when throughChoices => (coalesce.Value, coalesce.WhenNull),
            IConditionalOperation { WhenFalse: { } whenFalse } conditional when throughChoices => (conditional.WhenTrue, whenFalse),
            _ => null,
        };

        if (parts is not { } pair)
        {
            yield return (unwrapped, depth);
            yield break;
        }

        foreach ((IOperation, int) leaf in DelegateLeaves(pair.Item1, depth + 1, throughChoices))
        {
            yield return leaf;
        }

        foreach ((IOperation, int) leaf in DelegateLeaves(pair.Item2, depth + 1, throughChoices))
        {
            yield return leaf;
        }
    }

    private void RecordDelegateArguments(IInvocationOperation invocation)
    {
        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            // A delegate parameter, or an object-typed one handed a delegate (a user token cast back
            // to the delegate type before it is invoked).
            if (argument.Parameter is { } parameter && _model.IsInCompilation(parameter)
                && (parameter.Type.TypeKind == TypeKind.Delegate || (parameter.Type.SpecialType == SpecialType.System_Object && IsDelegateValue(argument.Value))))
            {
                Bind(parameter.OriginalDefinition, argument.Value);
            }
        }
    }

    private static ITypeSymbol? HolderType(ISymbol holder) => holder switch
    {
        IFieldSymbol field => field.Type,
        IPropertySymbol property => property.Type,
        IEventSymbol @event => @event.Type,
        ILocalSymbol local => local.Type,
        IParameterSymbol parameter => parameter.Type,
        _ => null,
    };

    private static bool IsDelegateValue(IOperation value)
        => Unwrap(value) is IAnonymousFunctionOperation or IMethodReferenceOperation or IDelegateCreationOperation
            || Unwrap(value).Type?.TypeKind == TypeKind.Delegate;

    private ISymbol? DelegateHolder(IOperation? receiver)
    {
        if (receiver is null)
        {
            return null;
        }

        receiver = Unwrap(receiver);
        if (receiver is IConditionalAccessInstanceOperation && _conditionalAccesses.Count > 0)
        {
            receiver = Unwrap(_conditionalAccesses.Peek().Operation);
        }

        if (receiver is IFieldReferenceOperation { Field.ContainingType.IsTupleType: true, Instance: { } tuple })
        {
            // `work.Item2()` / `work.callback()`: the tuple's element is held by whatever holds the tuple.
            return DelegateHolder(tuple);
        }

        return receiver switch
        {
            IEventReferenceOperation e => e.Event.OriginalDefinition,
            IFieldReferenceOperation f => f.Field.OriginalDefinition,
            IPropertyReferenceOperation p => p.Property.OriginalDefinition,
            ILocalReferenceOperation l => l.Local,
            IParameterReferenceOperation p => p.Parameter.OriginalDefinition,
            _ => null,
        };
    }

    private static ISymbol? DeclaredLocalOf(IOperation invocation)
    {
        IOperation? parent = invocation.Parent;
        while (parent is IConversionOperation or IAwaitOperation or IParenthesizedOperation)
        {
            parent = parent.Parent;
        }

        return parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            _ => null,
        };
    }
}
