using OrderedLocks.Scenarios;

namespace OrderedLocks.Coyote.Tests.Mutants;

/// <summary>Which bug is seeded into a mutant copy.</summary>
public enum Mutation
{
    /// <summary>No bug: the control, which must pass the same campaigns.</summary>
    None,

    /// <summary>Lock fast path reads "free" then writes "taken" (no compare-and-swap).</summary>
    CheckThenActFastPath,

    /// <summary>Release frees the lock but never wakes a queued waiter.</summary>
    ReleaseWithoutWake,

    /// <summary>Condition wait releases the lock before putting itself on the queue.</summary>
    NotifyBeforeEnqueue,

    /// <summary>Condition NotifyAll wakes only the first waiter.</summary>
    NotifyAllWakesOne,

    /// <summary>Condition wakes the newest waiter first (LIFO).</summary>
    LifoWakeUp,

    /// <summary>Reentrant lock whose ownership flows (AsyncLocal) into forked tasks.</summary>
    ForkInheritsOwnership,
}

/// <summary>
/// A small queue-based lock in the style of OrderedLock's internals (state word, a gate, waiters
/// completed through TaskCompletionSource, direct hand-off), with an optional seeded bug.
/// </summary>
public sealed class MiniLock : ICampaignLock
{
    private readonly Mutation _mutation;
    private readonly object _gate = new();
    private readonly Queue<TaskCompletionSource<bool>> _waiters = new();
    private int _state; // 0 free, 1 held

    public MiniLock(Mutation mutation = Mutation.None) => _mutation = mutation;

    public bool IsLocked => Volatile.Read(ref _state) != 0;

    public IDisposable Enter()
    {
        TaskCompletionSource<bool>? waiter = TryTakeOrQueue();
        waiter?.Task.Wait(); // handed off: we hold the lock
        return new Releaser(this);
    }

    public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource<bool>? waiter = TryTakeOrQueue();
        return waiter is null ? new ValueTask<IDisposable>(new Releaser(this)) : WaitAsync(waiter);
    }

    internal void Release()
    {
        if (_mutation == Mutation.ReleaseWithoutWake)
        {
            Volatile.Write(ref _state, 0); // BUG: a queued waiter is never woken
            return;
        }

        TaskCompletionSource<bool>? next = null;
        lock (_gate)
        {
            if (_waiters.Count == 0)
            {
                Volatile.Write(ref _state, 0);
            }
            else
            {
                next = _waiters.Dequeue(); // hand the lock over: the state stays "held"
            }
        }

        next?.TrySetResult(true);
    }

    private async ValueTask<IDisposable> WaitAsync(TaskCompletionSource<bool> waiter)
    {
        await waiter.Task;
        return new Releaser(this);
    }

    private TaskCompletionSource<bool>? TryTakeOrQueue()
    {
        if (_mutation == Mutation.CheckThenActFastPath)
        {
            if (Volatile.Read(ref _state) == 0)
            {
                Volatile.Write(ref _state, 1); // BUG: another thread may have taken it in between
                return null;
            }
        }
        else if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            return null;
        }

        lock (_gate)
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
            {
                return null;
            }

            var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
            return waiter;
        }
    }

    private sealed class Releaser : IDisposable
    {
        private MiniLock? _owner;

        internal Releaser(MiniLock owner) => _owner = owner;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release();
    }
}
