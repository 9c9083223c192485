namespace OrderedLocks.Scenarios;

/// <summary>
/// The lock operations the self-verification campaigns exercise. The real primitives implement it
/// through <see cref="CampaignLocks"/>; the Coyote test project adds seeded buggy copies (mutants)
/// that the same campaigns must catch.
/// </summary>
public interface ICampaignLock
{
    /// <summary>Acquires synchronously.</summary>
    /// <returns>The hold; dispose to release.</returns>
    IDisposable Enter();

    /// <summary>Acquires asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The hold; dispose to release.</returns>
    ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken = default);

    /// <summary>Gets a value indicating whether anybody holds the lock.</summary>
    bool IsLocked { get; }
}

/// <summary>A condition variable as the self-verification campaigns use it.</summary>
public interface ICampaignCondition
{
    /// <summary>Gets the lock the condition is bound to.</summary>
    ICampaignLock Lock { get; }

    /// <summary>Waits (the lock held) for a notification, Mesa style.</summary>
    void Wait();

    /// <summary>Waits (the lock held) until <paramref name="predicate"/> holds.</summary>
    /// <param name="predicate">The state to wait for.</param>
    void WaitFor(Func<bool> predicate);

    /// <summary>Waits asynchronously (the lock held by the flow) until <paramref name="predicate"/> holds.</summary>
    /// <param name="predicate">The state to wait for.</param>
    /// <returns>A task completing when the predicate holds and the lock is held again.</returns>
    ValueTask WaitForAsync(Func<bool> predicate);

    /// <summary>Wakes up to <paramref name="count"/> waiters.</summary>
    /// <param name="count">How many.</param>
    void Notify(int count = 1);

    /// <summary>Wakes every waiter.</summary>
    void NotifyAll();
}

/// <summary>Adapters from the real OrderedLocks primitives to the campaign interfaces.</summary>
public static class CampaignLocks
{
    /// <summary>Wraps a new <see cref="OrderedLock"/>.</summary>
    /// <param name="name">The lock's name.</param>
    /// <returns>The adapter.</returns>
    public static ICampaignLock Ordered(string name = "under-test") => new OrderedAdapter(new OrderedLock(name));

    /// <summary>Wraps an existing ordered lock.</summary>
    /// <param name="lockObject">The lock.</param>
    /// <returns>The adapter.</returns>
    public static ICampaignLock Wrap(OrderedLockBase lockObject) => new OrderedAdapter(lockObject);

    /// <summary>Wraps a new <see cref="ReentrantOrderedLock"/>.</summary>
    /// <param name="name">The lock's name.</param>
    /// <returns>The adapter.</returns>
    public static ICampaignLock Reentrant(string name = "under-test") => new OrderedAdapter(new ReentrantOrderedLock(name));

    /// <summary>Wraps a new <see cref="OrderedCondition"/> on a new <see cref="OrderedLock"/>.</summary>
    /// <returns>The adapter.</returns>
    public static ICampaignCondition Condition()
    {
        var l = new OrderedLock("condition-lock");
        return new ConditionAdapter(new OrderedAdapter(l), new OrderedCondition(l));
    }

    private sealed class OrderedAdapter : ICampaignLock
    {
        private readonly OrderedLockBase _lock;

        internal OrderedAdapter(OrderedLockBase l) => _lock = l;

        public bool IsLocked => _lock.IsLocked;

        public IDisposable Enter() => _lock switch
        {
            OrderedLock o => o.Acquire(),
            ReentrantOrderedLock r => r.Acquire(),
            _ => throw new InvalidOperationException(),
        };

        // Not an async method: AcquireAsync records the hold in the caller's flow synchronously,
        // and an async wrapper would confine that record to its own flow.
        public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken = default)
        {
            ValueTask<LockScope> pending = _lock switch
            {
                OrderedLock o => o.AcquireAsync(cancellationToken),
                ReentrantOrderedLock r => r.AcquireAsync(cancellationToken),
                _ => throw new InvalidOperationException(),
            };
            return pending.IsCompletedSuccessfully ? new ValueTask<IDisposable>(pending.Result) : Box(pending);

            static async ValueTask<IDisposable> Box(ValueTask<LockScope> pending) => await pending;
        }
    }

    private sealed class ConditionAdapter : ICampaignCondition
    {
        private readonly OrderedCondition _condition;

        internal ConditionAdapter(ICampaignLock l, OrderedCondition condition)
        {
            Lock = l;
            _condition = condition;
        }

        public ICampaignLock Lock { get; }

#pragma warning disable OL0101 // the adapter forwards a bare Wait; the FIFO campaign needs the notification itself
        public void Wait() => _condition.Wait();
#pragma warning restore OL0101

        public void WaitFor(Func<bool> predicate) => _condition.WaitFor(predicate);

        public ValueTask WaitForAsync(Func<bool> predicate)
        {
            ValueTask<bool> pending = _condition.WaitForAsync(predicate);
            return pending.IsCompletedSuccessfully ? default : Discard(pending);

            static async ValueTask Discard(ValueTask<bool> pending) => await pending;
        }

        public void Notify(int count = 1) => _condition.Notify(count);

        public void NotifyAll() => _condition.NotifyAll();
    }
}
