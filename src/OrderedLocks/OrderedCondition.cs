using System.Diagnostics;
using OrderedLocks.Internal;

namespace OrderedLocks;

/// <summary>
/// A condition variable bound to an ordered lock, with Python <c>threading.Condition</c> semantics
/// and Mesa wake-ups: <see cref="Wait(TimeSpan?)"/> releases the lock completely (whatever its
/// recursion), waits for a notification, and takes the lock back with the same recursion before
/// it returns — also after a timeout, a cancellation or an exception.
/// </summary>
/// <remarks>
/// <para>Waiters are woken in FIFO order. A notification with nobody waiting is <b>not remembered</b>:
/// a thread that starts waiting after it misses it. That is why the article's poem hangs when the
/// threads start in the wrong order, and why waiting for a <em>state</em> with
/// <see cref="WaitFor(Func{bool}, TimeSpan?)"/> instead of for a <em>notification</em> fixes it.
/// A woken waiter re-checks nothing by itself (Mesa semantics): the state may have changed again
/// before it re-acquired the lock, so wait in a predicate loop, or use WaitFor.</para>
/// <para>Wait, Notify and NotifyAll require the lock to be held by the current thread or async
/// flow, and throw <see cref="SynchronizationLockException"/> otherwise (without touching the wait
/// queue). Re-acquiring the lock after a wait takes part in order checking like any acquisition.</para>
/// </remarks>
[DebuggerDisplay("Condition on {Lock.Name,nq}, {WaiterCount} waiting")]
public sealed class OrderedCondition
{
    // Leaf lock protecting the waiter queue (_waiters). Lock order: the condition's lock (held by callers) is
    // taken before _gate; nothing is acquired under _gate, and waiters are completed after leaving it.
    private readonly object _gate = new();
    private WaitList<Waiter> _waiters;

    /// <summary>Initializes a new condition bound to <paramref name="lockObject"/>.</summary>
    /// <param name="lockObject">The lock that protects the state this condition is about.</param>
    /// <exception cref="ArgumentNullException"><paramref name="lockObject"/> is null.</exception>
    public OrderedCondition(OrderedLockBase lockObject)
    {
        Lock = lockObject ?? throw new ArgumentNullException(nameof(lockObject), "A condition needs the lock that protects its state.");
    }

    /// <summary>Gets the lock this condition is bound to.</summary>
    public OrderedLockBase Lock { get; }

    /// <summary>Gets the number of queued waiters (a snapshot for diagnostics and tests).</summary>
    public int WaiterCount
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
    /// Releases the lock, waits for a notification or the timeout, and re-acquires the lock.
    /// The lock MUST be held by the current thread or flow.
    /// </summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> or <see cref="Timeout.InfiniteTimeSpan"/> waits without a limit.</param>
    /// <returns>True when notified; false when the timeout elapsed first. The lock is held again either way.</returns>
    /// <exception cref="SynchronizationLockException">The current thread or flow does not hold the lock.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="LockOrderException">Re-acquiring the lock violates the lock order (other locks are held); the lock is then not held.</exception>
    public bool Wait(TimeSpan? timeout = null)
    {
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        Waiter waiter = Enqueue(nameof(Wait));
        WaitHold hold = Lock.ReleaseForWait(nameof(Wait));
        bool notified = false;
        try
        {
            Task wake = waiter.Completion.Task;
            if (timeoutMs == Timeout.Infinite)
            {
                wake.Wait();
                notified = true;
            }
            else
            {
                notified = wake.Wait(timeoutMs);
            }
        }
        finally
        {
            notified = notified || !Dequeue(waiter);
            Lock.ReacquireAfterWait(hold);
        }

        return notified;
    }

    /// <summary>
    /// Asynchronously releases the lock, waits for a notification, the timeout or cancellation,
    /// and re-acquires the lock. The lock MUST be held by the current thread or flow.
    /// </summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits without a limit.</param>
    /// <param name="cancellationToken">Cancels the wait; the lock is re-acquired before the cancellation is thrown.</param>
    /// <returns>True when notified; false on timeout. The lock is held again either way.</returns>
    /// <exception cref="SynchronizationLockException">The current thread or flow does not hold the lock.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before a notification; the lock is held again.</exception>
    public ValueTask<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        Waiter waiter;
        WaitHold hold;
        using (HeldLocks.AsyncCaller())
        {
            // An asynchronous wait is not the thread's synchronous code: it needs a hold of its
            // own flow, never the synchronous hold of whoever runs on this thread (that may be
            // another task whose continuation runs inline here).
            waiter = Enqueue(nameof(WaitAsync));
            hold = Lock.ReleaseForWait(nameof(WaitAsync));
        }

        return WaitCoreAsync(waiter, hold, timeoutMs, cancellationToken);
    }

    /// <summary>
    /// Waits until <paramref name="predicate"/> is true (checked first, then after every wake-up),
    /// or the timeout elapses. The lock MUST be held; the predicate runs with the lock held.
    /// </summary>
    /// <param name="predicate">The state to wait for.</param>
    /// <param name="timeout">How long to wait in all; <see langword="null"/> waits without a limit.</param>
    /// <returns>The last value of the predicate: false only when the timeout elapsed first.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="predicate"/> is null.</exception>
    /// <exception cref="SynchronizationLockException">The current thread or flow does not hold the lock.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    public bool WaitFor(Func<bool> predicate, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        RequireHeld(nameof(WaitFor));
        long deadline = Timeouts.Deadline(timeoutMs);
        bool result = predicate();
        while (!result)
        {
            int remaining = Timeouts.Remaining(deadline);
            if (remaining == 0)
            {
                break;
            }

            bool notified = Wait(remaining == Timeout.Infinite ? null : TimeSpan.FromMilliseconds(remaining));
            result = predicate();
            if (!notified)
            {
                // The wait used up the time left: this evaluation is the last. (Looping would wait
                // again for the millisecond a timer can fire early by this clock, and evaluate the
                // predicate once more than a timed-out wait_for does.)
                break;
            }
        }

        return result;
    }

    /// <summary>
    /// Asynchronously waits until <paramref name="predicate"/> is true, the timeout elapses, or the
    /// token is cancelled. The lock MUST be held; the predicate runs with the lock held.
    /// </summary>
    /// <param name="predicate">The state to wait for.</param>
    /// <param name="timeout">How long to wait in all; <see langword="null"/> waits without a limit.</param>
    /// <param name="cancellationToken">Cancels the wait; the lock is held again when it is thrown.</param>
    /// <returns>The last value of the predicate: false only when the timeout elapsed first.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="predicate"/> is null.</exception>
    /// <exception cref="SynchronizationLockException">The current thread or flow does not hold the lock.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">Cancelled first; the lock is held again.</exception>
    public ValueTask<bool> WaitForAsync(Func<bool> predicate, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        using (HeldLocks.AsyncCaller())
        {
            RequireHeld(nameof(WaitForAsync)); // a hold of this flow, not of the thread (see WaitAsync)
        }

        if (predicate())
        {
            return new ValueTask<bool>(true);
        }

        return WaitForCoreAsync(predicate, timeoutMs, cancellationToken);
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters, oldest first. The lock MUST be held.</summary>
    /// <param name="count">How many waiters to wake; 0 wakes none.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="SynchronizationLockException">The current thread or flow does not hold the lock.</exception>
    public void Notify(int count = 1)
    {
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "The number of waiters to wake cannot be negative.");
        }

        RequireHeld(nameof(Notify));
        Wake(count);
    }

    /// <summary>Wakes every waiter. The lock MUST be held.</summary>
    /// <exception cref="SynchronizationLockException">The current thread or flow does not hold the lock.</exception>
    public void NotifyAll()
    {
        RequireHeld(nameof(NotifyAll));
        Wake(int.MaxValue);
    }

    private async ValueTask<bool> WaitCoreAsync(Waiter waiter, WaitHold hold, int timeoutMs, CancellationToken cancellationToken)
    {
        // The waiter is awaited directly: a notification completes it with true; a timeout or a
        // cancellation dequeues it and completes it with false (see WaitAbandonment for why not
        // Task.WhenAny). Whatever happens, the lock is re-acquired before returning or throwing.
        bool notified = false;
        try
        {
            using (WaitAbandonment.Arm(timeoutMs, cancellationToken, s_abandonWaiter, waiter))
            {
                notified = await waiter.Completion.Task.ConfigureAwait(false);
            }
        }
        finally
        {
            Dequeue(waiter); // no-op unless the await itself failed
            await Lock.ReacquireAfterWaitAsync(hold).ConfigureAwait(false);
        }

        if (!notified)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        return notified;
    }

    private async ValueTask<bool> WaitForCoreAsync(Func<bool> predicate, int timeoutMs, CancellationToken cancellationToken)
    {
        long deadline = Timeouts.Deadline(timeoutMs);
        bool result = false;
        while (!result)
        {
            int remaining = Timeouts.Remaining(deadline);
            if (remaining == 0)
            {
                break;
            }

            bool notified = await WaitAsync(remaining == Timeout.Infinite ? null : TimeSpan.FromMilliseconds(remaining), cancellationToken).ConfigureAwait(false);
            result = predicate();
            if (!notified)
            {
                break; // the time left is used up (see WaitFor)
            }
        }

        return result;
    }

    private static readonly Action<object?> s_abandonWaiter = static state =>
    {
        var waiter = (Waiter)state!;
        if (waiter.Owner.Dequeue(waiter))
        {
            waiter.Completion.TrySetResult(false);
        }
    };

    private void RequireHeld(string operation)
    {
        if (!Lock.IsHeldForCondition())
        {
            throw new SynchronizationLockException(
                $"OrderedCondition.{operation} requires its lock {Lock} to be held by the current thread or async flow, and it is not. Acquire the lock first (for example `using (lockObject.Acquire()) {{ condition.{operation}(...); }}`).");
        }
    }

    // Checks the lock is held, then queues a waiter. A rogue call without the lock leaves the
    // queue untouched.
    private Waiter Enqueue(string operation)
    {
        RequireHeld(operation);
        var waiter = new Waiter(this);
        lock (_gate)
        {
            _waiters.AddLast(waiter);
        }

        return waiter;
    }

    // Removes a waiter that gave up; false when it was already dequeued by a notification.
    private bool Dequeue(Waiter waiter)
    {
        lock (_gate)
        {
            if (!waiter.IsQueued)
            {
                return false;
            }

            _waiters.Remove(waiter);
            return true;
        }
    }

    private void Wake(int count)
    {
        Waiter? woken = null;
        lock (_gate)
        {
            Waiter? last = null;
            while (count > 0 && _waiters.Head is { } first)
            {
                _waiters.Remove(first);
                if (last is null)
                {
                    woken = first;
                }
                else
                {
                    last.Next = first;
                }

                last = first;
                count--;
            }
        }

        // Complete outside the gate, oldest first.
        while (woken is not null)
        {
            Waiter? next = woken.Next;
            woken.Next = null;
            woken.Completion.TrySetResult(true);
            woken = next;
        }
    }

    private sealed class Waiter : WaitNode<Waiter>
    {
        internal readonly TaskCompletionSource<bool> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        internal readonly OrderedCondition Owner;

        internal Waiter(OrderedCondition owner) => Owner = owner;
    }
}
