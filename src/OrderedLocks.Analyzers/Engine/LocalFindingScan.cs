using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// Decides, before a body is walked, whether the walk could give a method-local finding (OL0003,
/// OL0004, OL0005, OL0101), which must be reported while the body's block is analysed. Every such
/// finding starts at a hold taken in the body (a <c>lock</c> statement or an acquiring call) or at
/// a condition call (<c>Monitor.Wait/Pulse</c>, <c>OrderedCondition</c>); without the OrderedLocks
/// API it also needs a second hold or an await. A body that cannot have one is walked later, when
/// the lock graph is built (see <see cref="LockModel.Summarize"/>).
/// </summary>
/// <remarks>
/// A superset of what <c>MethodWalker.ClassifyInvocation</c> and <c>MethodWalker.TryConditionUse</c>
/// accept: any call on a BCL lock type, a <c>Mutex</c> or an OrderedLocks lock or condition, any call
/// returning an OrderedLocks scope (the walker's scope-returning helpers), any recognised library
/// lock API, and any call on a lock type named in .editorconfig; with the name heuristic on, every
/// body is walked at once. Saying yes too often only costs time; saying no to a body with a
/// finding would lose the finding (<c>DeferredWalkTests</c> checks every body of a corpus both ways).
/// </remarks>
internal static class LocalFindingScan
{
    public static bool MayFindLocally(ImmutableArray<IOperation> blocks, LockModel model)
    {
        KnownTypes types = model.Types;
        AnalyzerSettings settings = model.Settings;
        if (settings.NameHeuristic)
        {
            return true;
        }

        if (types.OrderedLockBase is null && !settings.HasLockTypes && !NamesALockWord(blocks, model))
        {
            // Without the OrderedLocks API and user lock types, every acquisition and condition
            // call the walker recognises names one of the lock words.
            return false;
        }

        // A finding needs two holds (OL0003: one taken while the other is held), a hold and an
        // await (OL0005), or a condition call (OL0101, Monitor.Wait or Pulse); with the OrderedLocks
        // API one hold may already be one (OL0004, nested ordered acquisitions through its scopes).
        // So without the API a body with one lock and no await (most bodies with a lock) is walked
        // later, with the graph. Counted generously: every call on a lock type is a hold, and one in
        // a loop counts twice (taken again while still held from the iteration before).
        int enough = types.OrderedLockBase is null ? 2 : 1;
        int holds = 0;
        bool awaits = false;
        foreach (IOperation block in blocks)
        {
            foreach (IOperation operation in OperationTree.DescendantsAndSelf(block))
            {
                switch (operation)
                {
                    case ILockOperation:
                        holds += InLoop(operation, block) ? 2 : 1;
                        break;
                    case IInvocationOperation invocation when MayAcquireOrSignal(invocation, types, settings):
                        if (KnownTypes.Is(invocation.TargetMethod.ContainingType, types.Monitor) && invocation.TargetMethod.Name is "Wait" or "Pulse" or "PulseAll")
                        {
                            return true;
                        }

                        holds += InLoop(operation, block) ? 2 : 1;
                        break;
                    case IAwaitOperation:
                        awaits = true;
                        break;
                }

                if (holds >= enough || (holds == 1 && awaits))
                {
                    return true;
                }
            }
        }

        return false;
    }

    // The operation runs in a loop of the body (its parents up to the body's root).
    private static bool InLoop(IOperation operation, IOperation root)
    {
        for (IOperation? parent = operation.Parent; parent is not null && parent != root; parent = parent.Parent)
        {
            if (parent is ILoopOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static bool NamesALockWord(ImmutableArray<IOperation> blocks, LockModel model)
    {
        foreach (IOperation block in blocks)
        {
            if (LockWords.AnyWithin(model.LockWordPositions(block.Syntax.SyntaxTree), block.Syntax.Span))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MayAcquireOrSignal(IInvocationOperation invocation, KnownTypes types, AnalyzerSettings settings)
    {
        IMethodSymbol method = invocation.TargetMethod;
        INamedTypeSymbol? type = method.ContainingType;
        if (KnownTypes.Is(type, types.Monitor) || KnownTypes.Is(type, types.ThreadingLock)
            || KnownTypes.Is(type, types.SemaphoreSlim) || KnownTypes.Is(type, types.ReaderWriterLockSlim)
            || KnownTypes.Is(invocation.Instance?.Type, types.Mutex))
        {
            return true;
        }

        if (types.OrderedLockBase is not null)
        {
            if (types.IsOrderedLockType(type) || KnownTypes.Is(type, types.OrderedCondition) || ReturnsScope(method.ReturnType, types))
            {
                return true;
            }
        }

        if (LibraryLocks.Find(method, invocation.Instance?.Type) is not null)
        {
            return true;
        }

        IOperation? receiver = invocation.Instance ?? (invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
        return receiver is not null && settings.IsLockType(receiver.Type, out _);
    }

    // LockScope or LockSetScope, or an awaitable of one (Task<LockScope>, ValueTask<LockSetScope>).
    private static bool ReturnsScope(ITypeSymbol result, KnownTypes types)
    {
        if (result is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic)
        {
            result = generic.TypeArguments[0];
        }

        return KnownTypes.Is(result, types.LockScope) || KnownTypes.Is(result, types.LockSetScope);
    }
}
