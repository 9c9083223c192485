using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Recognising lock APIs: which calls acquire which locks, in which shape, and which calls release them.</summary>
internal sealed partial class MethodWalker
{
    // ----------------------------------------------------------------------------------------
    // Acquisition classification
    // ----------------------------------------------------------------------------------------
    private enum AcquireShape
    {
        /// <summary>Held until an explicit release call (Monitor.Enter, SemaphoreSlim.Wait, EnterWriteLock).</summary>
        Flow,

        /// <summary>Returns a bool (or Task&lt;bool&gt;): held on the branch where it succeeded.</summary>
        Conditional,

        /// <summary>Returns a scope released by Dispose (using, or a local).</summary>
        Scoped,
    }

    private sealed class AcquisitionInfo
    {
        public AcquisitionInfo(IInvocationOperation invocation, AcquireShape shape, HoldKind kind, bool isTry, ImmutableArray<IOperation> locks, ISymbol? scopeLocal)
        {
            Invocation = invocation;
            Shape = shape;
            Kind = kind;
            IsTry = isTry;
            Locks = locks;
            ScopeLocal = scopeLocal;
        }

        public IInvocationOperation Invocation { get; }

        public AcquireShape Shape { get; }

        public HoldKind Kind { get; }

        public bool IsTry { get; }

        public ImmutableArray<IOperation> Locks { get; }

        public ISymbol? ScopeLocal { get; }

        public Location Location(IOperation lockExpression)
            => Locks.Length > 1 ? lockExpression.Syntax.GetLocation() : Invocation.Syntax.GetLocation();
    }

    private AcquisitionInfo? ClassifyAcquisition(IOperation expression)
    {
        expression = Unwrap(expression);
        bool awaited = false;
        if (expression is IAwaitOperation awaitOperation)
        {
            awaited = true;
            expression = Unwrap(awaitOperation.Operation);
        }

        return expression is IInvocationOperation invocation ? ClassifyInvocation(invocation, awaited) : null;
    }

    private AcquisitionInfo? ClassifyInvocation(IInvocationOperation invocation, bool awaited)
    {
        IMethodSymbol method = invocation.TargetMethod;
        INamedTypeSymbol? type = method.ContainingType;
        if (type is null)
        {
            return null;
        }

        string name = method.Name;
        if (KnownTypes.Is(type, _types.Monitor))
        {
            if (invocation.Arguments.Length == 0)
            {
                return null;
            }

            bool hasRef = method.Parameters.Any(p => p.RefKind == RefKind.Ref);
            IOperation target = invocation.Arguments[0].Value;
            return name switch
            {
                "Enter" => new AcquisitionInfo(invocation, AcquireShape.Flow, HoldKind.Monitor, false, ImmutableArray.Create(target), null),
                "TryEnter" => new AcquisitionInfo(invocation, hasRef ? AcquireShape.Flow : AcquireShape.Conditional, HoldKind.Monitor, true, ImmutableArray.Create(target), null),
                _ => null,
            };
        }

        if (invocation.Instance is null && !IsOrderedStaticSet(method))
        {
            return ScopeReturningHelper(invocation, awaited) ?? LibraryLock(invocation, awaited) ?? ConfiguredOrHeuristicLock(invocation, awaited);
        }

        if (KnownTypes.Is(invocation.Instance?.Type, _types.Mutex))
        {
            // WaitOne is declared on WaitHandle: the receiver's type says it is a Mutex.
            return name switch
            {
                "WaitOne" when method.Parameters.Length == 0 => new AcquisitionInfo(invocation, AcquireShape.Flow, HoldKind.Mutex, false, ImmutableArray.Create(invocation.Instance!), null),
                "WaitOne" => new AcquisitionInfo(invocation, AcquireShape.Conditional, HoldKind.Mutex, true, ImmutableArray.Create(invocation.Instance!), null),
                _ => null,
            };
        }

        if (KnownTypes.Is(type, _types.ThreadingLock))
        {
            IOperation target = invocation.Instance!;
            return name switch
            {
                "Enter" => new AcquisitionInfo(invocation, AcquireShape.Flow, HoldKind.ThreadingLock, false, ImmutableArray.Create(target), null),
                "TryEnter" => new AcquisitionInfo(invocation, AcquireShape.Conditional, HoldKind.ThreadingLock, true, ImmutableArray.Create(target), null),
                "EnterScope" => new AcquisitionInfo(invocation, AcquireShape.Scoped, HoldKind.ThreadingLock, false, ImmutableArray.Create(target), null),
                _ => null,
            };
        }

        if (KnownTypes.Is(type, _types.SemaphoreSlim))
        {
            if (name is not ("Wait" or "WaitAsync") || (name == "WaitAsync" && !awaited))
            {
                return null;
            }

            bool timed = method.Parameters.Any(p => p.Type.SpecialType == SpecialType.System_Int32 || p.Type.Name == "TimeSpan");
            return new AcquisitionInfo(invocation, timed ? AcquireShape.Conditional : AcquireShape.Flow, HoldKind.Semaphore, timed, ImmutableArray.Create(invocation.Instance!), null);
        }

        if (KnownTypes.Is(type, _types.ReaderWriterLockSlim))
        {
            return name switch
            {
                "EnterWriteLock" or "EnterUpgradeableReadLock" => new AcquisitionInfo(invocation, AcquireShape.Flow, HoldKind.ReaderWriterWrite, false, ImmutableArray.Create(invocation.Instance!), null),
                "TryEnterWriteLock" or "TryEnterUpgradeableReadLock" => new AcquisitionInfo(invocation, AcquireShape.Conditional, HoldKind.ReaderWriterWrite, true, ImmutableArray.Create(invocation.Instance!), null),
                _ => null,
            };
        }

        if (_types.IsOrderedLockType(type))
        {
            if (IsOrderedStaticSet(method))
            {
                if (name == "AcquireAllAsync" && !awaited)
                {
                    return null;
                }

                ImmutableArray<IOperation> locks = SetArguments(invocation);
                return locks.IsEmpty ? null : new AcquisitionInfo(invocation, AcquireShape.Scoped, name == "AcquireAll" ? HoldKind.OrderedSync : HoldKind.OrderedAsync, false, locks, null);
            }

            bool reentrant = KnownTypes.Is(invocation.Instance?.Type, _types.ReentrantOrderedLock);
            switch (name)
            {
                case "Acquire":
                    return new AcquisitionInfo(invocation, AcquireShape.Scoped, reentrant ? HoldKind.ReentrantSync : HoldKind.OrderedSync, false, ImmutableArray.Create(invocation.Instance!), null);
                case "AcquireAsync" when awaited:
                    return new AcquisitionInfo(invocation, AcquireShape.Scoped, reentrant ? HoldKind.ReentrantAsync : HoldKind.OrderedAsync, false, ImmutableArray.Create(invocation.Instance!), null);
                case "TryAcquire":
                    ISymbol? outLocal = invocation.Arguments
                        .Where(a => a.Parameter?.RefKind == RefKind.Out)
                        .Select(a => Unwrap(a.Value) switch
                        {
                            ILocalReferenceOperation l => (ISymbol)l.Local,
                            IDeclarationExpressionOperation { Expression: ILocalReferenceOperation l2 } => l2.Local,
                            _ => null,
                        })
                        .FirstOrDefault(s => s is not null);
                    return new AcquisitionInfo(invocation, AcquireShape.Conditional, reentrant ? HoldKind.ReentrantSync : HoldKind.OrderedSync, true, ImmutableArray.Create(invocation.Instance!), outLocal);
                default:
                    return null;
            }
        }

        if (KnownTypes.Is(type, _types.OrderedCondition))
        {
            return null;
        }

        return ScopeReturningHelper(invocation, awaited) ?? LibraryLock(invocation, awaited) ?? ConfiguredOrHeuristicLock(invocation, awaited);
    }

    /// <summary>
    /// A helper that returns an OrderedLocks scope (<c>LockScope</c> / <c>LockSetScope</c>, possibly
    /// awaited) and takes ordered locks as arguments — <c>using (await Enter(lockObject, async))</c> —
    /// acquires those locks.
    /// </summary>
    private AcquisitionInfo? ScopeReturningHelper(IInvocationOperation invocation, bool awaited)
    {
        ITypeSymbol? result = invocation.TargetMethod.ReturnType;
        if (awaited && result is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } awaitable)
        {
            result = awaitable.TypeArguments[0];
        }

        if (!KnownTypes.Is(result, _types.LockScope) && !KnownTypes.Is(result, _types.LockSetScope))
        {
            return null;
        }

        ImmutableArray<IOperation> locks = invocation.Arguments
            .Where(a => _types.IsOrderedLockType(a.Value.Type) || _types.IsOrderedLockType(Unwrap(a.Value).Type))
            .Select(a => a.Value)
            .ToImmutableArray();
        if (locks.IsEmpty && invocation.Instance is not null && _types.IsOrderedLockType(invocation.Instance.Type))
        {
            locks = ImmutableArray.Create(invocation.Instance);
        }

        return locks.IsEmpty ? null : new AcquisitionInfo(invocation, AcquireShape.Scoped, awaited ? HoldKind.OrderedAsync : HoldKind.OrderedSync, false, locks, null);
    }

    private bool IsOrderedStaticSet(IMethodSymbol method)
        => method.IsStatic && method.Name is "AcquireAll" or "AcquireAllAsync" && _types.IsOrderedLockType(method.ContainingType);

    private static bool IsCollectionExpressionArgument(IArgumentOperation argument)
    {
        if (argument.Parameter?.Type is not (IArrayTypeSymbol or INamedTypeSymbol { Name: "ReadOnlySpan" or "Span" }))
        {
            return false;
        }

        OperationKind kind = Unwrap(argument.Value).Kind;
        return kind == OperationKind.None || kind.ToString() == "CollectionExpression";
    }

    private static ImmutableArray<IOperation> SetArguments(IInvocationOperation invocation)
    {
        ImmutableArray<IOperation>.Builder builder = ImmutableArray.CreateBuilder<IOperation>();
        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.ParamArray && Unwrap(argument.Value) is IArrayCreationOperation { Initializer: { } initializer })
            {
                builder.AddRange(initializer.ElementValues);
            }
            else if (IsCollectionExpressionArgument(argument))
            {
                // `params ReadOnlySpan<OrderedLockBase>` (C# 13) and an explicit `[a, b]`: the
                // locks arrive as a collection expression, whose children are the elements. Its
                // operation interface is newer than the Roslyn this analyzer is built against
                // (it shows as OperationKind.None there), hence ChildOperations.
                foreach (IOperation element in Unwrap(argument.Value).ChildOperations)
                {
                    builder.Add(element);
                }
            }
            else if (argument.Parameter?.Type.TypeKind != TypeKind.Array && argument.Value.Type?.Name != "CancellationToken")
            {
                builder.Add(argument.Value);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>
    /// Locks of well-known libraries, recognised by type and method (never by a method name alone):
    /// Nito.AsyncEx, NeoSmart.AsyncLock, DotNext.Threading, Microsoft.VisualStudio.Threading.
    /// </summary>
    private AcquisitionInfo? LibraryLock(IInvocationOperation invocation, bool awaited)
    {
        IMethodSymbol method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        LibraryLockApi? api = LibraryLocks.Find(method, invocation.Instance?.Type);
        if (api is null || (api.MustBeAwaited && !awaited))
        {
            return null;
        }

        IOperation? target = api.LockIsFirstArgument
            ? (invocation.Arguments.Length > 0 ? invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).First().Value : null)
            : invocation.Instance;
        if (target is null)
        {
            return null;
        }

        // DotNext: AsyncLock.Exclusive(existingLock).AcquireAsync() locks existingLock.
        if (Unwrap(target) is IInvocationOperation { TargetMethod.Name: "Exclusive", Arguments.Length: 1 } wrap && LibraryLocks.IsDotNextAsyncLock(wrap.TargetMethod.ContainingType))
        {
            target = wrap.Arguments[0].Value;
        }

        bool timed = api.TimedOverloadIsTry && method.Parameters.Any(p => p.Type.Name == "TimeSpan" || p.Type.SpecialType == SpecialType.System_Int32);
        AcquireShape shape = api.Scoped ? AcquireShape.Scoped : (api.IsTry || timed ? AcquireShape.Conditional : AcquireShape.Flow);
        return new AcquisitionInfo(invocation, shape, api.Reentrant ? HoldKind.ReentrantAsyncLock : HoldKind.AsyncLock, api.IsTry || timed, ImmutableArray.Create(target), null);
    }

    /// <summary>
    /// A user lock type named in .editorconfig (<c>orderedlocks.lock_types</c>): any method of it
    /// returning a disposable (possibly awaited) acquires it, scoped. With the opt-in
    /// <c>orderedlocks.lock_name_heuristic = true</c>, also the old name shape on any type
    /// (<c>using (await x.LockAsync())</c>, <c>Acquire</c>, <c>Enter</c>, ...).
    /// </summary>
    private AcquisitionInfo? ConfiguredOrHeuristicLock(IInvocationOperation invocation, bool awaited)
    {
        if (invocation.Instance is null && !invocation.TargetMethod.IsExtensionMethod)
        {
            return null;
        }

        IOperation? receiver = invocation.Instance ?? (invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
        if (receiver is null)
        {
            return null;
        }

        AnalyzerSettings settings = _model.Settings;
        bool configured = settings.IsLockType(receiver.Type, out bool reentrant);
        if (!configured && !settings.NameHeuristic)
        {
            return null;
        }

        string name = invocation.TargetMethod.Name;
        if (name.EndsWith("Async", StringComparison.Ordinal))
        {
            name = name.Substring(0, name.Length - "Async".Length);
        }

        if (!configured && name is not ("Lock" or "Acquire" or "AcquireLock" or "Enter" or "WriterLock" or "WriteLock" or "AcquireWriterLock" or "AcquireWriteLock" or "LockWrite"))
        {
            return null;
        }

        ITypeSymbol? result = invocation.TargetMethod.ReturnType;
        if (awaited && result is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } awaitable)
        {
            result = awaitable.TypeArguments[0];
        }
        else if (!awaited && result is INamedTypeSymbol { Name: "Task" or "ValueTask" })
        {
            return null;
        }

        if (!_types.IsDisposable(result))
        {
            return null;
        }

        return new AcquisitionInfo(invocation, AcquireShape.Scoped, reentrant ? HoldKind.ReentrantAsyncLock : HoldKind.AsyncLock, false, ImmutableArray.Create(receiver), null);
    }

    private ImmutableArray<Hold> VisitAcquisitionOperands(AcquisitionInfo acquisition, ImmutableArray<Hold> state)
    {
        // Receivers and arguments are evaluated before the lock is taken.
        state = Visit(acquisition.Invocation.Instance, state);
        foreach (IArgumentOperation argument in acquisition.Invocation.Arguments)
        {
            state = Visit(argument.Value, state);
        }

        return state;
    }

}
