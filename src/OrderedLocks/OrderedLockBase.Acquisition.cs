using System.Runtime.CompilerServices;
using OrderedLocks.Checking;

namespace OrderedLocks;

// Acquisition helpers shared by the lock kinds: recording a hold on the thread or in the flow,
// the contended synchronous path with its self-deadlock check, and the contended async path.
public abstract partial class OrderedLockBase
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected LockScope HoldOnThread(int token, LockOrderChecking mode)
    {
        _ownerThreadId = Environment.CurrentManagedThreadId;
        if (mode == LockOrderChecking.Off)
        {
            return new LockScope(this, token, LockScope.NotTracked, null);
        }

        HeldLocks.PushThread(this, token);
        return new LockScope(this, token, LockScope.TrackedOnThread, null);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected LockScope HoldInFlow(int token, HoldNode? node)
    {
        if (node is null)
        {
            return new LockScope(this, token, LockScope.NotTracked, null);
        }

        node.Grant(token);
        return new LockScope(this, token, LockScope.TrackedOnFlow, node);
    }

    // Contended synchronous path: a synchronous self-deadlock is caught here even with checking off.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private protected int LockContended(int timeoutMs, CancellationToken cancellationToken)
    {
        if (_ownerThreadId == Environment.CurrentManagedThreadId && IsLocked)
        {
            OrderChecker.Raise(SelfDeadlockOnThread(), alwaysThrow: true);
        }

        return LockSlow(timeoutMs, cancellationToken);
    }

    private LockOrderViolation SelfDeadlockOnThread() => new(
        LockViolationKind.SelfDeadlock,
        LockDescription.Of(this),
        OrderChecker.Describe(ReadOnlySpan<OrderedLockBase>.Empty),
        Array.Empty<LockOrderEdge>(),
        $"Self-deadlock: {this} is not reentrant and this thread (id {Environment.CurrentManagedThreadId}) already holds it; waiting for it would never end.{Environment.NewLine}To fix: do not acquire a lock you hold, or use a ReentrantOrderedLock if re-entry is intended.");

    private protected async ValueTask<LockScope> AcquireSlowAsync(HoldNode? node, int timeoutMs, CancellationToken cancellationToken)
    {
        int token;
        try
        {
            token = await LockSlowAsync(timeoutMs, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            node?.Fail();
            throw;
        }

        if (token == 0)
        {
            node?.Fail();
            return default;
        }

        return HoldInFlow(token, node);
    }
}
