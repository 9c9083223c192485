using OrderedLocks.Scenarios;

namespace OrderedLocks.Coyote.Tests.Mutants;

/// <summary>
/// A small FIFO condition variable on <see cref="MiniLock"/> with Python Condition semantics (a
/// notify with no waiter is not remembered), with an optional seeded bug.
/// </summary>
public sealed class MiniCondition : ICampaignCondition
{
    private readonly Mutation _mutation;
    private readonly MiniLock _lock;
    private readonly LinkedList<TaskCompletionSource<bool>> _waiters = new(); // guarded by the lock

    public MiniCondition(Mutation mutation = Mutation.None)
    {
        _mutation = mutation;
        _lock = new MiniLock();
    }

    public ICampaignLock Lock => _lock;

    public void Wait()
    {
        TaskCompletionSource<bool> waiter = ReleaseAndQueue();
        waiter.Task.Wait();
        _ = _lock.Enter(); // re-held; the caller's scope releases it
    }

    public void WaitFor(Func<bool> predicate)
    {
        while (!predicate())
        {
            Wait();
        }
    }

    public async ValueTask WaitForAsync(Func<bool> predicate)
    {
        while (!predicate())
        {
            TaskCompletionSource<bool> waiter = ReleaseAndQueue();
            await waiter.Task;
            _ = await _lock.EnterAsync();
        }
    }

    public void Notify(int count = 1)
    {
        for (int i = 0; i < count && _waiters.Count > 0; i++)
        {
            TaskCompletionSource<bool> next;
            if (_mutation == Mutation.LifoWakeUp)
            {
                next = _waiters.Last!.Value; // BUG: newest first
                _waiters.RemoveLast();
            }
            else
            {
                next = _waiters.First!.Value;
                _waiters.RemoveFirst();
            }

            next.TrySetResult(true);
        }
    }

    public void NotifyAll() => Notify(_mutation == Mutation.NotifyAllWakesOne ? 1 : int.MaxValue); // BUG when mutated: wakes one

    // The caller holds the lock. Queue first, then release, so a notify after the release sees us.
    private TaskCompletionSource<bool> ReleaseAndQueue()
    {
        var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_mutation == Mutation.NotifyBeforeEnqueue)
        {
            // BUG: released before queued; a notifier can run in between and find nobody to wake.
            _lock.Release();
            Microsoft.Coyote.Runtime.SchedulingPoint.Interleave();
            using (_lock.Enter())
            {
                _waiters.AddLast(waiter); // the queue is guarded by the lock: take it briefly to enqueue
            }

            return waiter;
        }

        _waiters.AddLast(waiter);
        _lock.Release();
        return waiter;
    }
}
