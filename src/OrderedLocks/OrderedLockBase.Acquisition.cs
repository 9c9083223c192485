using System.Runtime.CompilerServices;
using OrderedLocks.Checking;

namespace OrderedLocks;

// Acquisition helpers shared by the lock kinds: recording a hold on the thread or in the flow,
// the contended synchronous path with its self-deadlock check, and the contended async path.
public abstract partial class OrderedLockBase
{
    // A condition wait releases and re-takes the lock, which gives the hold a new token while the
    // holder's scope still carries the original one. The alias maps that original token to the
    // current hold's token; it is written by the holder only and goes stale with the hold.
    private int _aliasFrom;
    private int _aliasTo;

    /// <summary>Maps a scope's token to the current hold's token, following a condition wait's alias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected int ResolveToken(int token)
    {
        if (IsHeldWithToken(token))
        {
            return token;
        }

        int aliasTo = Volatile.Read(ref _aliasTo);
        return aliasTo != 0 && Volatile.Read(ref _aliasFrom) == token && IsHeldWithToken(aliasTo) ? aliasTo : 0;
    }

    private protected void SetAlias(int originalToken, int currentToken)
    {
        Volatile.Write(ref _aliasFrom, originalToken);
        Volatile.Write(ref _aliasTo, currentToken);
    }

    // The token of the current hold (the state word without the waiters bit), or 0 when free.
    private protected int CurrentToken()
    {
        int token = Volatile.Read(ref _state) & ~WaitersBit;
        return (token & LockedBit) != 0 ? token : 0;
    }

    // The token the holder's scope carries for the current hold (undoing a condition wait's alias).
    private protected int ScopeTokenOf(int currentToken) =>
        Volatile.Read(ref _aliasTo) == currentToken ? Volatile.Read(ref _aliasFrom) : currentToken;

    private protected static SynchronizationLockException NotHeld(OrderedLockBase lockObject, string operation) =>
        new($"{operation} requires the lock {lockObject} to be held by the current thread or async flow, and it is not. Acquire the lock first (for example `using (lock.Acquire()) {{ ... }}`), and call {operation} inside that scope.");
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected LockScope HoldOnThread(int token, LockOrderChecking mode)
    {
        _ownerThreadId = Environment.CurrentManagedThreadId;
        if (Diagnostics.LockDiagnostics.s_captureStacks) CaptureHold(token);
        if (mode == LockOrderChecking.Off && !Diagnostics.LockDiagnostics.s_trackHolds)
        {
            return new LockScope(this, token, LockScope.NotTracked, null);
        }

        HeldLocks.PushThread(this, token);
        return new LockScope(this, token, LockScope.TrackedOnThread, null);
    }

    // HoldOnThread for a caller that already has the thread's list (a synchronous AcquireAll).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected LockScope HoldOnThread(int token, LockOrderChecking mode, HeldLocks.ThreadHolds holds)
    {
        _ownerThreadId = holds.ThreadId;
        if (Diagnostics.LockDiagnostics.s_captureStacks) CaptureHold(token);
        if (mode == LockOrderChecking.Off && !Diagnostics.LockDiagnostics.s_trackHolds)
        {
            return new LockScope(this, token, LockScope.NotTracked, null);
        }

        holds.Push(this, token);
        return new LockScope(this, token, LockScope.TrackedOnThread, null);
    }

    // HoldOnThread's bookkeeping without the scope (the same steps; HoldOnThread keeps its own
    // copy because the pair path of AcquireAll, which inlines it, measured slower calling this):
    // records the hold taken with `token` on the thread that owns `holds`; returns how the
    // scope must be marked.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected byte RecordOnThread(int token, LockOrderChecking mode, HeldLocks.ThreadHolds holds)
    {
        _ownerThreadId = holds.ThreadId;
        if (Diagnostics.LockDiagnostics.s_captureStacks) CaptureHold(token);
        if (mode == LockOrderChecking.Off && !Diagnostics.LockDiagnostics.s_trackHolds)
        {
            return LockScope.NotTracked;
        }

        holds.Push(this, token);
        return LockScope.TrackedOnThread;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected LockScope HoldInFlow(int token, HoldNode? node)
    {
        if (Diagnostics.LockDiagnostics.s_captureStacks) CaptureHold(token);
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

    private protected LockOrderViolation SelfDeadlockOnThread() => new(
        LockViolationKind.SelfDeadlock,
        LockDescription.Of(this),
        OrderChecker.Describe(ReadOnlySpan<OrderedLockBase>.Empty),
        Array.Empty<LockOrderEdge>(),
        $"Self-deadlock: {this} is not reentrant and this thread (id {Environment.CurrentManagedThreadId}) already holds it; waiting for it would never end.{Environment.NewLine}To fix: do not acquire a lock you hold, or use a ReentrantOrderedLock if re-entry is intended. If this thread passed its scope to another thread that will release it, call scope.HandOff() before passing it on: this thread then waits for the release.");

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
