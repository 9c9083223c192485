using System.Diagnostics;
using System.Runtime.CompilerServices;
using OrderedLocks.Internal;

namespace OrderedLocks;

// The mutual-exclusion core shared by every ordered lock: a packed state word taken with one
// compare-and-swap when free, and a FIFO queue of waiters for the contended path.
//
// Design notes (maintainers):
// - Only Interlocked/Volatile, Monitor and TaskCompletionSource are used, so Microsoft Coyote can
//   explore every interleaving of the library in users' test campaigns (not .NET 9's Lock type,
//   not the slim manual-reset event, not spin locks: Coyote cannot see those).
// - Not thread-affine: a hold is identified by a token (the generation), not by a thread, so an
//   async holder may release on another thread and a stale scope can never release a later hold.
// - Releasing wakes the first waiter, which then competes for the lock again ("wake and retry"):
//   a running thread may barge in, which keeps throughput high under contention (no convoys).
//   A woken waiter that loses re-queues at the head with Handoff set, and the next release hands
//   the lock to it directly, so a waiter is bypassed at most once per wake-up (no starvation).
//   Asynchronous waiters are always handed the lock: they resume only after a thread-pool hop,
//   during which running threads would otherwise keep taking the lock.
// - Internal lock order: _gate is a leaf lock; nothing else is acquired while holding it, and
//   waiters' completions are run after leaving it.
public abstract partial class OrderedLockBase
{
    // Packed state word, bit by bit:
    //   bit 0      LockedBit: a holder owns the lock.
    //   bit 1      WaitersBit: the waiter queue is not empty. Set and cleared only under _gate.
    //   bits 2..31 generation: advanced by every acquisition (wraps around). The state without
    //              WaitersBit, taken at acquisition, is the hold's token (never 0: LockedBit is set).
    private const int LockedBit = 1;
    private const int WaitersBit = 2;
    private const int FlagBits = LockedBit | WaitersBit;
    private const int GenerationUnit = 4;

    // How many times a contended acquisition re-checks the lock before queueing.
    private const int SpinCount = 12;

    private int _state;

    // Protects _waiters, every waiter's Status, and changes of WaitersBit. Leaf lock.
    private readonly object _gate = new();
    private WaitList<Waiter> _waiters;

    // Managed thread id of a synchronous holder; 0 when free or held by an async holder. Used to
    // turn a synchronous self-deadlock into an exception even when checking is off.
    private protected int _ownerThreadId;

    /// <summary>Gets the number of queued waiters (a snapshot for diagnostics and tests).</summary>
    internal int QueuedWaiterCount
    {
        get
        {
            lock (_gate)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>
    /// Gets whether the current thread holds the lock synchronously (known by owner thread id in
    /// every checking mode, including Off) and the caller is synchronous code: inside an
    /// asynchronous acquisition's checks (<see cref="HeldLocks.InAsyncCaller"/>) a synchronous
    /// hold is never the caller's own (see docs/held-lock-tracking.md, "Who holds a synchronous hold").
    /// </summary>
    internal bool IsOwnedByCurrentThread => _ownerThreadId == Environment.CurrentManagedThreadId && IsLocked && !HeldLocks.InAsyncCaller;

    // IsOwnedByCurrentThread for a synchronous caller that already knows its thread id.
    internal bool IsOwnedByThread(int threadId) => _ownerThreadId == threadId && IsLocked;

    /// <summary>Returns whether <paramref name="token"/> identifies the current hold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsHeldWithToken(int token) => (Volatile.Read(ref _state) & ~WaitersBit) == token;

    /// <summary>Takes the lock when it is free and nobody is queued; returns the hold's token or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected int TryLockFast()
    {
        int state = Volatile.Read(ref _state);
        if ((state & FlagBits) == 0)
        {
            int locked = (state + GenerationUnit) | LockedBit;
            if (Interlocked.CompareExchange(ref _state, locked, state) == state)
            {
                return locked;
            }
        }

        return 0;
    }

    /// <summary>Takes the lock whenever it is free, even past queued waiters; returns the token or 0.</summary>
    private int TryLockBarging()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if ((state & LockedBit) != 0)
            {
                return 0;
            }

            int locked = ((state & ~FlagBits) + GenerationUnit) | LockedBit | (state & WaitersBit);
            if (Interlocked.CompareExchange(ref _state, locked, state) == state)
            {
                return locked & ~WaitersBit;
            }
        }
    }

    /// <summary>
    /// Releases the hold identified by <paramref name="token"/>. Returns false, changing nothing,
    /// when the token is stale (the scope was already disposed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected bool Unlock(int token)
    {
        if (Interlocked.CompareExchange(ref _state, token & ~LockedBit, token) == token)
        {
            return true;
        }

        return UnlockSlow(token);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool UnlockSlow(int token)
    {
        Waiter? toComplete;
        lock (_gate)
        {
            int state = _state;
            if ((state & ~WaitersBit) != token)
            {
                return false; // stale token: already released
            }

            // We hold the lock and _gate: nobody else can change the state word now.
            Waiter? first = _waiters.Head;
            if (first is null)
            {
                Volatile.Write(ref _state, token & ~FlagBits);
                return true;
            }

            Dequeue(first);
            int waitersBit = _waiters.IsEmpty ? 0 : WaitersBit;
            if (first.Handoff)
            {
                int next = ((token & ~FlagBits) + GenerationUnit) | LockedBit;
                first.GrantedToken = next;
                first.Status = WaiterStatus.Granted;
                Volatile.Write(ref _state, next | waitersBit);
            }
            else
            {
                first.Status = WaiterStatus.Woken;
                Volatile.Write(ref _state, (token & ~FlagBits) | waitersBit);
            }

            toComplete = first;
        }

        toComplete.Completion.TrySetResult(true);
        return true;
    }

    /// <summary>Points of the contended synchronous wait at which <see cref="SyncWaitTestHook"/> runs.</summary>
    internal enum SyncWaitPoint
    {
        /// <summary>The wait returned (granted or woken), before the waiter claims the lock.</summary>
        Woken,

        /// <summary>The wait threw <see cref="OperationCanceledException"/>, before the waiter is abandoned.</summary>
        CancelObserved,
    }

    /// <summary>
    /// Test seam: when set, called on the waiting thread at the <see cref="SyncWaitPoint"/>s of the
    /// contended synchronous wait, so a unit test can force an ordering (e.g. "cancelled, then
    /// granted") that real threads hit only by chance. Always null in production; it is read only
    /// after a wait has returned, never on the uncontended path.
    /// </summary>
    internal static Action<OrderedLockBase, SyncWaitPoint>? SyncWaitTestHook;

    /// <summary>
    /// Contended synchronous acquisition: spins briefly, then queues and blocks. Returns the hold's
    /// token, or 0 when <paramref name="timeoutMs"/> elapsed. Never leaves a waiter queued.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before the lock was taken.</exception>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int LockSlowCore(int timeoutMs, CancellationToken cancellationToken)
    {
        int token = SpinForLock(timeoutMs);
        if (token != 0 || timeoutMs == 0)
        {
            return token;
        }

        long deadline = Timeouts.Deadline(timeoutMs);
        bool handoff = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Waiter? waiter = EnqueueOrLock(handoff, out token, atHead: handoff);
            if (waiter is null)
            {
                return token;
            }

            bool completed;
            try
            {
                int remaining = Timeouts.Remaining(deadline);
                completed = remaining == Timeout.Infinite && !cancellationToken.CanBeCanceled
                    ? WaitInfinite(waiter.Completion.Task)
                    : waiter.Completion.Task.Wait(remaining, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                SyncWaitTestHook?.Invoke(this, SyncWaitPoint.CancelObserved);
                if (AbandonWaiter(waiter, out token))
                {
                    throw;
                }

                return token; // granted while being cancelled: the acquisition completed
            }

            if (!completed)
            {
                return AbandonWaiter(waiter, out token) ? 0 : token;
            }

            SyncWaitTestHook?.Invoke(this, SyncWaitPoint.Woken);
            token = ClaimAfterWake(waiter);
            if (token != 0)
            {
                return token;
            }

            handoff = true; // lost to a barging thread: next time the lock is handed to us
        }

        static bool WaitInfinite(Task task)
        {
            task.Wait();
            return true;
        }
    }

    /// <summary>Contended asynchronous acquisition; returns the token, or 0 on timeout.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before the lock was taken.</exception>
    private async ValueTask<int> LockSlowAsyncCore(int timeoutMs, CancellationToken cancellationToken)
    {
        long deadline = Timeouts.Deadline(timeoutMs);
        bool handoff = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int remaining = Timeouts.Remaining(deadline);
            if (remaining == 0 && handoff)
            {
                return 0;
            }

            // Asynchronous waiters are always handed the lock (queued in FIFO order): a woken async
            // waiter resumes only after a thread-pool hop, and running threads would take the lock
            // in that gap again and again (starvation under load).
            Waiter? waiter = EnqueueOrLock(handoff: true, out int token, atHead: handoff);
            if (waiter is null)
            {
                return token;
            }

            using (WaitAbandonment.Arm(remaining, cancellationToken, s_abandonWaiter, waiter))
            {
                await waiter.Completion.Task.ConfigureAwait(false);
            }

            switch (waiter.Status)
            {
                case WaiterStatus.Granted:
                    return waiter.GrantedToken;
                case WaiterStatus.Abandoned:
                    cancellationToken.ThrowIfCancellationRequested();
                    return 0; // timed out; the waiter left the queue
                default:
                    // Woken to compete: take the lock if it is free. If a barging thread holds it,
                    // its release wakes the next waiter, so giving up here loses no wake-up.
                    token = TryLockBarging();
                    if (token != 0)
                    {
                        return token;
                    }

                    handoff = true;
                    break;
            }
        }
    }

    // Timeout or cancellation of an asynchronous waiter: leaves the queue if still waiting.
    private static readonly Action<object?> s_abandonWaiter = static state =>
    {
        var waiter = (Waiter)state!;
        if (waiter.Owner.TryAbandon(waiter))
        {
            waiter.Completion.TrySetResult(false);
        }
    };

    private bool TryAbandon(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Status != WaiterStatus.Waiting)
            {
                return false;
            }

            Remove(waiter);
            waiter.Status = WaiterStatus.Abandoned;
            return true;
        }
    }

    private int SpinForLock(int timeoutMs)
    {
        for (int i = 0; i < SpinCount; i++)
        {
            int token = TryLockBarging();
            if (token != 0 || timeoutMs == 0)
            {
                return token;
            }

            Thread.SpinWait(1 << Math.Min(i, 6));
        }

        return 0;
    }

    // Under _gate: either takes the lock (returns null and the token) or queues a waiter.
    private Waiter? EnqueueOrLock(bool handoff, out int token, bool atHead)
    {
        lock (_gate)
        {
            while (true)
            {
                int state = Volatile.Read(ref _state);
                if ((state & LockedBit) == 0)
                {
                    int locked = ((state & ~FlagBits) + GenerationUnit) | LockedBit | (state & WaitersBit);
                    if (Interlocked.CompareExchange(ref _state, locked, state) == state)
                    {
                        token = locked & ~WaitersBit;
                        return null;
                    }
                }
                else if ((state & WaitersBit) != 0 || Interlocked.CompareExchange(ref _state, state | WaitersBit, state) == state)
                {
                    break;
                }
            }

            var waiter = new Waiter(this, handoff);
            if (atHead)
            {
                EnqueueFirst(waiter);
            }
            else
            {
                EnqueueLast(waiter);
            }

            token = 0;
            return waiter;
        }
    }

    // After the waiter's completion fired: the lock was handed to it, or it was woken to retry.
    private int ClaimAfterWake(Waiter waiter)
    {
        Debug.Assert(waiter.Status is WaiterStatus.Granted or WaiterStatus.Woken, "Completed waiters are granted or woken.");
        return waiter.Status == WaiterStatus.Granted ? waiter.GrantedToken : TryLockBarging();
    }

    /// <summary>
    /// Gives up a wait (timeout or cancellation). Returns true when the waiter was still queued and
    /// is now gone. Returns false, with <paramref name="token"/> set, when the lock was granted to
    /// it meanwhile: the caller then holds the lock. A woken waiter passes its wake-up on.
    /// </summary>
    private bool AbandonWaiter(Waiter waiter, out int token)
    {
        lock (_gate)
        {
            if (waiter.Status == WaiterStatus.Waiting)
            {
                Remove(waiter);
                waiter.Status = WaiterStatus.Abandoned;
                token = 0;
                return true;
            }
        }

        if (waiter.Status == WaiterStatus.Granted)
        {
            token = waiter.GrantedToken;
            return false;
        }

        // Woken but giving up: take the lock and release it at once, so that the wake-up we were
        // given reaches the next waiter (otherwise it could sleep with the lock free).
        int taken = TryLockBarging();
        if (taken != 0)
        {
            Unlock(taken);
        }

        token = 0;
        return true;
    }

    private void EnqueueLast(Waiter waiter)
    {
        Debug.Assert(Monitor.IsEntered(_gate), "The queue is changed under _gate.");
        _waiters.AddLast(waiter);
    }

    private void EnqueueFirst(Waiter waiter)
    {
        Debug.Assert(Monitor.IsEntered(_gate), "The queue is changed under _gate.");
        _waiters.AddFirst(waiter);
    }

    private void Dequeue(Waiter waiter) => Remove(waiter);

    private void Remove(Waiter waiter)
    {
        Debug.Assert(Monitor.IsEntered(_gate), "The queue is changed under _gate.");
        _waiters.Remove(waiter);
        if (_waiters.IsEmpty)
        {
            // Clear WaitersBit; only LockedBit can change concurrently (fast paths), so loop.
            int state;
            do
            {
                state = Volatile.Read(ref _state);
            }
            while (Interlocked.CompareExchange(ref _state, state & ~WaitersBit, state) != state);
        }
    }

    private enum WaiterStatus
    {
        Waiting,
        Granted,
        Woken,
        Abandoned,
    }

    // A queued acquisition. Completion is set (outside _gate) once Status leaves Waiting.
    private sealed class Waiter : WaitNode<Waiter>
    {
        internal readonly TaskCompletionSource<bool> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        internal readonly bool Handoff;
        internal readonly OrderedLockBase Owner;
        internal WaiterStatus Status;
        internal int GrantedToken;

        internal Waiter(OrderedLockBase owner, bool handoff)
        {
            Owner = owner;
            Handoff = handoff;
        }
    }
}
