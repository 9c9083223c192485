using System.Runtime.CompilerServices;
using OrderedLocks.Checking;
using OrderedLocks.Internal;

namespace OrderedLocks;

/// <summary>
/// A non-reentrant mutual-exclusion lock with a place in one global order, usable from
/// synchronous and asynchronous code. Acquire several at once with
/// <see cref="AcquireAll(OrderedLockBase[])"/>: they are taken in the global order, so two flows
/// can never deadlock on them.
/// </summary>
/// <remarks>
/// <para>Not thread-affine: an asynchronous holder may resume on another thread and release there.
/// A synchronous hold (<see cref="Acquire()"/>) belongs to the thread, like <c>lock</c>: do not hold
/// it across an <c>await</c>; use <see cref="AcquireAsync(CancellationToken)"/> in async code.</para>
/// <para>Acquiring a lock that the current thread or async flow already holds throws
/// <see cref="LockOrderException"/> (kind <see cref="LockViolationKind.SelfDeadlock"/>) instead of
/// hanging. A synchronous hold counts for synchronous acquisitions on its thread only: an
/// asynchronous acquisition on that thread (for example another task's continuation run inline
/// when the holder completes a <see cref="TaskCompletionSource"/>) waits for it like any contender.
/// With checking on, acquiring out of order raises before blocking: against declared
/// ranks and, for locks without ranks, against the order the program has used so far
/// (<see cref="LockOrderChecking.Hybrid"/>, the default), against rank then creation order
/// (<see cref="LockOrderChecking.Strict"/>), or against the learned order only
/// (<see cref="LockOrderChecking.Learned"/>).</para>
/// <para>Waiters are served first-come first-served, but a running thread may take a lock that was
/// just released before a woken waiter does (which keeps throughput high); a waiter can be
/// bypassed at most once per release before the lock is handed to it directly.</para>
/// </remarks>
public sealed partial class OrderedLock : OrderedLockBase
{
    /// <summary>Initializes a new lock.</summary>
    /// <param name="name">The name used in diagnostics; defaults to "OrderedLock#id".</param>
    /// <param name="rank">
    /// The declared level: lower ranks are acquired first. Without a rank the lock has rank 0
    /// and is ordered among rank-0 locks by creation.
    /// </param>
    /// <param name="checking">
    /// This lock's checking mode; <see langword="null"/> follows <see cref="LockOrderPolicy.Checking"/>.
    /// </param>
    /// <param name="lockClass">
    /// The lock class whose node of the learned order this lock shares (see <see cref="OrderedLocks.LockClass"/>);
    /// <see langword="null"/> gives the lock a node of its own.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="checking"/> is not a defined mode.</exception>
    public OrderedLock(string? name = null, int? rank = null, LockOrderChecking? checking = null, LockClass? lockClass = null)
        : base(name, rank, checking)
    {
        LockClass = lockClass;
    }

    /// <summary>
    /// Gets a value indicating whether the current thread holds the lock synchronously, or the
    /// current async flow holds it (or inherited the hold from the flow that forked it).
    /// </summary>
    /// <remarks>Asynchronous holds are tracked only while checking is on.</remarks>
    public bool IsHeldByCurrentFlow =>
        (_ownerThreadId == Environment.CurrentManagedThreadId && IsLocked) || HeldLocks.FindHold(this).Found;

    private protected override string KindName => nameof(OrderedLock);

    /// <summary>Acquires the lock, blocking until it is free.</summary>
    /// <returns>The scope that holds the lock; dispose it to release.</returns>
    /// <exception cref="LockOrderException">
    /// The acquisition violates the lock order, or the current thread or flow already holds the lock.
    /// Nothing is held.
    /// </exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public LockScope Acquire()
    {
        LockOrderChecking mode = EffectiveChecking;
        if (mode != LockOrderChecking.Off)
        {
            return AcquireTracked(mode, Timeout.Infinite, CancellationToken.None);
        }

        int token = TryLockFast();
        if (token == 0)
        {
            token = LockContended(Timeout.Infinite, CancellationToken.None);
        }

        return HoldOnThread(token, mode);
    }

    // Every synchronous acquisition with checking on (Acquire, Acquire(token), TryAcquire). Same
    // steps as the generic path (check, lock, record the hold on the thread), but the thread's hold
    // list is looked up once and gives the thread id, instead of three thread-static lookups and a
    // managed-thread-id lookup (benchmarks: docs/benchmarks.md). Returns default when the wait
    // timed out: nothing is then held or recorded.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private LockScope AcquireTracked(LockOrderChecking mode, int timeoutMs, CancellationToken cancellationToken)
    {
        HeldLocks.ThreadHolds holds = HeldLocks.CurrentThreadHoldsOrCreate;
        OrderChecker.CheckOnThread(this, mode, holds);
        int token = TryLockFast();
        if (token == 0)
        {
            token = LockContended(timeoutMs, cancellationToken);
            if (token == 0)
            {
                return default;
            }
        }

        _ownerThreadId = holds.ThreadId;
        if (Diagnostics.LockDiagnostics.s_captureStacks) CaptureHold(token);
        holds.Push(this, token);
        return new LockScope(this, token, LockScope.TrackedOnThread, null);
    }

    /// <summary>Acquires the lock, blocking until it is free or the token is cancelled.</summary>
    /// <param name="cancellationToken">Cancels the wait; the lock is then not held.</param>
    /// <returns>The scope that holds the lock.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">The acquisition violates the lock order. Nothing is held.</exception>
    public LockScope Acquire(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        LockOrderChecking mode = EffectiveChecking;
        if (mode != LockOrderChecking.Off)
        {
            return AcquireTracked(mode, Timeout.Infinite, cancellationToken);
        }

        int token = TryLockFast();
        if (token == 0)
        {
            token = LockContended(Timeout.Infinite, cancellationToken);
        }

        return HoldOnThread(token, mode);
    }

    /// <summary>Tries to acquire the lock without waiting.</summary>
    /// <param name="scope">The scope that holds the lock, or <see langword="default"/> when it was not free.</param>
    /// <returns>Whether the lock was acquired.</returns>
    /// <exception cref="LockOrderException">The acquisition violates the lock order. Nothing is held.</exception>
    public bool TryAcquire(out LockScope scope) => TryAcquire(TimeSpan.Zero, out scope);

    /// <summary>Tries to acquire the lock, waiting at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait: <see cref="TimeSpan.Zero"/> to try once, <see cref="Timeout.InfiniteTimeSpan"/> to wait without a limit.</param>
    /// <param name="scope">The scope that holds the lock, or <see langword="default"/> on timeout.</param>
    /// <returns>Whether the lock was acquired. On timeout nothing is held and no waiter stays queued.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite) or too large.</exception>
    /// <exception cref="LockOrderException">The acquisition violates the lock order. Nothing is held.</exception>
    public bool TryAcquire(TimeSpan timeout, out LockScope scope) => TryAcquire(timeout, out scope, CancellationToken.None);

    /// <summary>Tries to acquire the lock, waiting at most <paramref name="timeout"/> or until cancelled.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="scope">The scope that holds the lock, or <see langword="default"/> on timeout.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether the lock was acquired.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">The acquisition violates the lock order. Nothing is held.</exception>
    public bool TryAcquire(TimeSpan timeout, out LockScope scope, CancellationToken cancellationToken)
    {
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        cancellationToken.ThrowIfCancellationRequested();
        LockOrderChecking mode = EffectiveChecking;
        if (mode != LockOrderChecking.Off)
        {
            scope = AcquireTracked(mode, timeoutMs, cancellationToken);
            return scope.IsAcquired;
        }

        int token = TryLockFast();
        if (token == 0)
        {
            token = LockContended(timeoutMs, cancellationToken);
            if (token == 0)
            {
                scope = default;
                return false;
            }
        }

        scope = HoldOnThread(token, mode);
        return true;
    }

    /// <summary>Acquires the lock asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the wait; the lock is then not held.</param>
    /// <returns>The scope that holds the lock; dispose it to release (on any thread).</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">
    /// Thrown synchronously, before anything waits: the acquisition violates the lock order, or the
    /// current flow (or the flow that forked it) already holds the lock.
    /// </exception>
    public ValueTask<LockScope> AcquireAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LockScope>(cancellationToken);
        }

        HoldNode? node = PrepareExclusiveAsyncHold(check: true);
        int token = TryLockFast();
        if (token != 0)
        {
            return new ValueTask<LockScope>(HoldInFlow(token, node));
        }

        return AcquireSlowAsync(node, Timeout.Infinite, cancellationToken);
    }

    /// <summary>Tries to acquire the lock asynchronously, waiting at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>
    /// The scope that holds the lock, or a scope whose <see cref="LockScope.IsAcquired"/> is false on
    /// timeout (nothing held, no waiter queued).
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">The acquisition violates the lock order. Nothing is held.</exception>
    public ValueTask<LockScope> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LockScope>(cancellationToken);
        }

        HoldNode? node = PrepareExclusiveAsyncHold(check: true);
        int token = TryLockFast();
        if (token != 0)
        {
            return new ValueTask<LockScope>(HoldInFlow(token, node));
        }

        if (timeoutMs == 0)
        {
            node?.Fail();
            return default;
        }

        return AcquireSlowAsync(node, timeoutMs, cancellationToken);
    }

    internal override HoldNode? PrepareAsyncHold(bool check) => PrepareExclusiveAsyncHold(check);

    internal override LockScope AcquireForSet(int timeoutMs, CancellationToken cancellationToken, bool checkedByCaller)
    {
        LockOrderChecking mode = EffectiveChecking;
        int token = TryLockFast();
        if (token == 0)
        {
            token = LockContended(timeoutMs, cancellationToken);
            if (token == 0)
            {
                return default;
            }
        }

        return HoldOnThread(token, mode);
    }

    // AcquireForSet for the common kind, called directly (no virtual call) by a synchronous
    // AcquireAll that has already checked the set and looked up the thread's list.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal LockScope AcquireInSet(HeldLocks.ThreadHolds holds, int timeoutMs, CancellationToken cancellationToken)
    {
        int token = TryLockFast();
        if (token == 0)
        {
            token = LockContended(timeoutMs, cancellationToken);
            if (token == 0)
            {
                return default;
            }
        }

        return HoldOnThread(token, EffectiveChecking, holds);
    }

    // AcquireInSet for a caller that builds the scope itself (in a frame's slot): returns the
    // hold's token, or 0 when the wait timed out (nothing is then held or recorded).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int AcquireTokenInSet(HeldLocks.ThreadHolds holds, int timeoutMs, CancellationToken cancellationToken, out byte tracking)
    {
        int token = TryLockFast();
        if (token == 0)
        {
            token = LockContended(timeoutMs, cancellationToken);
            if (token == 0)
            {
                tracking = LockScope.NotTracked;
                return 0;
            }
        }

        tracking = RecordOnThread(token, EffectiveChecking, holds);
        return token;
    }

    internal override ValueTask<LockScope> AcquireForSetAsync(HoldNode? node, int timeoutMs, CancellationToken cancellationToken)
    {
        int token = TryLockFast();
        if (token != 0)
        {
            return new ValueTask<LockScope>(HoldInFlow(token, node));
        }

        return AcquireSlowAsync(node, timeoutMs, cancellationToken);
    }

    internal override bool IsScopeHeld(in LockScope scope) => ResolveToken(scope.Token) != 0;

    internal override void ReleaseScope(in LockScope scope) => Release(scope);

    // Called directly (not virtually) by LockScope.Dispose, so the common release inlines.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Release(in LockScope scope)
    {
        int token = UnlockScope(scope);
        if (token != 0)
        {
            HeldLocks.PopThread(this, token);
        }
    }

    // Release for a set's member: the releasing thread's hold list (`holds`, from
    // HeldLocks.ThreadHoldsOrNull on this thread) is looked up once for the whole set.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ReleaseInSet(in LockScope scope, HeldLocks.ThreadHolds? holds)
    {
        int token = UnlockScope(scope);
        if (token != 0)
        {
            holds?.Remove(this, token);
        }
    }

    // ReleaseInSet that says whether this call released the hold: false when the scope's hold had
    // already ended (another copy of the scope, or of its set, released it). At most one caller
    // gets true for a hold, however many copies race.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryReleaseInSet(int scopeToken, byte tracking, HeldLocks.ThreadHolds? holds)
    {
        int token = ReleaseHold(scopeToken);
        if (token == 0)
        {
            return false;
        }

        if (tracking == LockScope.TrackedOnThread)
        {
            holds?.Remove(this, token);
        }

        return true;
    }

    // Releases the scope's hold if the scope still holds it. Returns the token when the hold was
    // recorded on a thread's list (the caller removes it there), else 0. A flow hold needs no
    // bookkeeping: its node is now stale in every copy of the chain.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int UnlockScope(in LockScope scope)
    {
        int token = ReleaseHold(scope.Token);
        return token != 0 && scope.Tracking == LockScope.TrackedOnThread ? token : 0;
    }

    // Releases the hold a scope's token names, if it is still the current one (following a
    // condition wait's alias). Returns the released hold's token, or 0 when this call released
    // nothing: the hold had ended already (disposing twice is harmless), or a racing copy won.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ReleaseHold(int scopeToken)
    {
        int token = scopeToken;
        if (!IsHeldWithToken(token))
        {
            token = ResolveToken(token);
            if (token == 0)
            {
                return 0;
            }
        }

        _ownerThreadId = 0;
        if (Diagnostics.LockDiagnostics.s_captureStacks) Diagnostics.LockDiagnostics.OnRelease(this, token);
        return Unlock(token) ? token : 0;
    }

    internal override bool IsHeldForCondition() => IsHeldExclusivelyForCondition();

    // Condition waits: the shared exclusive-hold bookkeeping, with no outer resource.
    internal override WaitHold ReleaseForWait(string operation) => ReleaseExclusiveForWait(operation, out _);

    internal override void ReacquireAfterWait(WaitHold hold) => ReacquireExclusiveAfterWait(hold);

    internal override ValueTask ReacquireAfterWaitAsync(WaitHold hold) => ReacquireExclusiveAfterWaitAsync(hold);
}
