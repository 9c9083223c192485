using Xunit;

namespace OrderedLocks.Tests.Condition;

/// <summary>
/// OrderedCondition misuse and failure paths (issue 3): bad arguments, Wait/Notify without the
/// lock (the queue stays untouched), the recursion restored after timeout, cancellation and
/// exceptions, re-acquisition after a wait checked against the lock order, and nothing leaking.
/// </summary>
public sealed class ConditionBadInputTests
{
    [Fact]
    public void Constructor_NullLock_Throws()
    {
        ArgumentNullException error = Assert.Throws<ArgumentNullException>(() => new OrderedCondition(null!));
        Assert.Equal("lockObject", error.ParamName);
    }

    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Notify_NegativeCount_ThrowsAndWakesNobody(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        Task<bool> waiter = StartTimedWaiter(lockObject, condition, TestTimeouts.HangGuard);
        Concurrent.WaitUntil(() => condition.WaiterCount == 1, "the waiter waits");

        using (lockObject.Acquire())
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => condition.Notify(-1));
            condition.Notify(0);
            Assert.Equal(1, condition.WaiterCount);
            condition.Notify();
        }

        Assert.True(Concurrent.Join(waiter, "the waiter"));
    }

    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public async Task Wait_TimeoutOutOfRange_ThrowsAndKeepsTheHold(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        using (await lockObject.AcquireAsync())
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => condition.Wait(TimeSpan.FromMilliseconds(-2)));
            Assert.Throws<ArgumentOutOfRangeException>(() => condition.Wait(TimeSpan.FromDays(30)));
            Assert.Throws<ArgumentOutOfRangeException>(() => condition.WaitFor(() => false, TimeSpan.FromMilliseconds(-2)));
            Assert.Throws<ArgumentOutOfRangeException>(() => { _ = condition.WaitAsync(TimeSpan.FromMilliseconds(-2)); });
            Assert.Throws<ArgumentOutOfRangeException>(() => { _ = condition.WaitForAsync(() => false, TimeSpan.FromMilliseconds(-2)); });
            Assert.Equal(0, condition.WaiterCount);
            Assert.True(lockObject.IsHeldByCurrentFlow());
            Assert.False(await condition.WaitAsync(TimeSpan.Zero)); // a zero timeout is valid: times out at once
        }

        Assert.False(lockObject.IsLocked);
    }

    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public async Task WaitFor_NullPredicate_Throws(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        using (await lockObject.AcquireAsync())
        {
            Assert.Throws<ArgumentNullException>(() => condition.WaitFor(null!));
            Assert.Throws<ArgumentNullException>(() => { _ = condition.WaitForAsync(null!); });
            Assert.True(lockObject.IsHeldByCurrentFlow());
        }
    }

    // Wait without the lock while another thread holds it and real waiters are queued: throws,
    // and the queue is exactly as it was.
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void WaitAndNotify_WhileAnotherThreadHoldsTheLock_ThrowAndLeaveTheQueue(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        Task<bool> waiter = StartTimedWaiter(lockObject, condition, TestTimeouts.HangGuard);
        Concurrent.WaitUntil(() => condition.WaiterCount == 1, "the waiter waits");

        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task holder = Concurrent.RunThread(() =>
        {
            using (lockObject.Acquire())
            {
                held.SetResult();
                Assert.True(release.Task.Wait(TestTimeouts.HangGuard));
            }
        }, "holder");
        Concurrent.Join(held.Task, "the holder");

        Assert.Throws<SynchronizationLockException>(() => condition.Wait(TimeSpan.Zero));
        Assert.Throws<SynchronizationLockException>(() => condition.Notify());
        Assert.Throws<SynchronizationLockException>(() => condition.NotifyAll());
        Assert.Equal(1, condition.WaiterCount);
        Assert.False(waiter.IsCompleted);

        release.SetResult();
        Concurrent.Join(holder, "the holder to release");
        using (lockObject.Acquire())
        {
            condition.Notify();
        }

        Assert.True(Concurrent.Join(waiter, "the waiter"));
        Assert.Equal(0, condition.WaiterCount);
    }

    // A task forked from a thread-held reentrant lock's holder is not the holder.
    [Fact]
    public void Wait_FromATaskForkedByAThreadHolder_Throws()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var condition = new OrderedCondition(lockObject);
        using (lockObject.Acquire())
        {
            Task fork = Concurrent.RunThread(() => condition.Wait(TimeSpan.Zero), "fork");
            Assert.Throws<SynchronizationLockException>(() => Concurrent.Join(fork, "the fork"));
            Assert.Equal(1, lockObject.RecursionCount);
            Assert.Equal(0, condition.WaiterCount);
        }
    }

    [Fact]
    public void Wait_Timeout_RestoresTheRecursionAndTheThreadOwnership()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var condition = new OrderedCondition(lockObject);
        LockScope a = lockObject.Acquire();
        LockScope b = lockObject.Acquire();
        LockScope c = lockObject.Acquire();

        Assert.False(condition.Wait(TimeSpan.FromMilliseconds(10)));
        Assert.Equal(3, lockObject.RecursionCount);
        Assert.False(lockObject.IsFreeForOthers());

        // Still a thread hold: another thread may not release a live scope, and the holder's scopes work.
        Assert.Throws<SynchronizationLockException>(() => Concurrent.Join(Concurrent.RunThread(() => b.Dispose(), "foreign"), "the foreign dispose"));
        Assert.Equal(3, lockObject.RecursionCount);
        c.Dispose();
        b.Dispose();
        Assert.Equal(1, lockObject.RecursionCount);
        a.Dispose();
        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, condition.WaiterCount);
    }

    [Fact]
    public void Wait_WhileAnotherThreadTakesTheLock_ReleasesEveryLevelThenRestoresThem()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var condition = new OrderedCondition(lockObject);
        int observedByOther = -1;
        using (lockObject.Acquire())
        using (lockObject.Acquire())
        {
            Task other = Concurrent.RunThread(() =>
            {
                using (lockObject.Acquire())
                {
                    observedByOther = lockObject.RecursionCount;
                    condition.Notify();
                }
            }, "other");

            Assert.True(condition.Wait(TestTimeouts.HangGuard));
            Assert.Equal(2, lockObject.RecursionCount);
            Concurrent.Join(other, "the other thread");
        }

        Assert.Equal(1, observedByOther);
        Assert.False(lockObject.IsLocked);
    }

    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public async Task WaitForAsync_Cancelled_ThrowsWithTheLockHeldAndLeavesNothing(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        using var cancel = new CancellationTokenSource();
        using (await lockObject.AcquireAsync())
        {
            cancel.CancelAfter(TestTimeouts.ExpectedTimeout);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await condition.WaitForAsync(() => false, null, cancel.Token));
            Assert.True(lockObject.IsHeldByCurrentFlow());
            Assert.Equal(0, condition.WaiterCount);
        }

        Assert.False(lockObject.IsLocked);
        Assert.True(lockObject.IsFreeForOthers());
    }

    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public async Task WaitAsync_AlreadyCancelled_ThrowsWithTheLockHeld(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        using (await lockObject.AcquireAsync())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await condition.WaitAsync(null, cancel.Token));
            Assert.True(lockObject.IsHeldByCurrentFlow());
            Assert.Equal(0, condition.WaiterCount);
        }

        Assert.False(lockObject.IsLocked);
    }

    [Fact]
    public void WaitFor_PredicateThrows_LockStaysHeldWithItsRecursion()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var condition = new OrderedCondition(lockObject);
        int calls = 0;
        using (lockObject.Acquire())
        using (lockObject.Acquire())
        {
            Assert.Throws<InvalidTimeZoneException>(() => condition.WaitFor(
                () => ++calls == 2 ? throw new InvalidTimeZoneException("predicate failed") : false,
                TimeSpan.FromMilliseconds(10)));
            Assert.Equal(2, lockObject.RecursionCount);
            Assert.Equal(0, condition.WaiterCount);
        }

        Assert.False(lockObject.IsLocked);
    }

    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public async Task Notify_WithNobodyWaiting_IsNotRemembered(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        using (await lockObject.AcquireAsync())
        {
            condition.Notify();
            condition.NotifyAll();
            Assert.False(await condition.WaitAsync(TestTimeouts.ExpectedTimeout));
        }

        Assert.Equal(0, condition.WaiterCount);
        Assert.False(lockObject.IsLocked);
    }

    private static Task<bool> StartTimedWaiter(OrderedLockBase lockObject, OrderedCondition condition, TimeSpan timeout) =>
        Concurrent.RunThread(() =>
        {
            using (lockObject.Acquire())
            {
                return condition.Wait(timeout);
            }
        }, "waiter");
}

/// <summary>
/// Re-acquisition after a wait takes part in order checking. These depend on the process-wide
/// violation action (Throw), so they run alone.
/// </summary>
[Collection("ReentrantConditionGlobalPolicy")]
public sealed class ConditionOrderCheckingTests
{
    // Holding 'high' (rank 2) while waiting on low's condition: taking 'low' back under 'high'
    // violates the order. The wait's re-acquisition raises, and nothing is left held.
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Wait_ReacquireUnderAHigherRankedLock_ThrowsAndHoldsNothing(LockKind kind)
    {
        Assert.Equal(LockViolationAction.Throw, LockOrderPolicy.OnViolation);
        OrderedLockBase low = LockKinds.Create(kind, "low", rank: 1);
        var high = new OrderedLock("high", rank: 2, checking: LockOrderChecking.Strict);
        var condition = new OrderedCondition(low);

        LockScope lowScope = low.Acquire();
        LockScope highScope = high.Acquire();
        LockOrderException error = Assert.Throws<LockOrderException>(() => condition.Wait(TimeSpan.FromMilliseconds(10)));
        Assert.Equal(LockViolationKind.OrderViolation, error.Kind);

        Assert.False(low.IsLocked);
        Assert.False(low.IsHeldByCurrentFlow());
        Assert.Equal(0, condition.WaiterCount);
        Assert.True(high.IsHeldByCurrentFlow);

        lowScope.Dispose(); // stale now: harmless
        highScope.Dispose();
        Assert.False(high.IsLocked);
        Assert.False(low.IsLocked);
        Assert.True(low.IsFreeForOthers());
    }

    // Same, notified by another thread rather than timed out, asynchronously.
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public async Task WaitAsync_ReacquireUnderAHigherRankedLock_ThrowsAndHoldsNothing(LockKind kind)
    {
        Assert.Equal(LockViolationAction.Throw, LockOrderPolicy.OnViolation);
        OrderedLockBase low = LockKinds.Create(kind, "low", rank: 1);
        var high = new OrderedLock("high", rank: 2, checking: LockOrderChecking.Strict);
        var condition = new OrderedCondition(low);

        LockScope lowScope = await low.AcquireAsync();
        LockScope highScope = await high.AcquireAsync();
        Task notifier;
        using (LockOrderPolicy.SuppressInheritance())
        {
            notifier = Task.Run(async () =>
            {
                await Concurrent.WaitUntilAsync(() => condition.WaiterCount == 1, "the waiter waits");
                using (await low.AcquireAsync())
                {
                    condition.Notify();
                }
            });
        }

        LockOrderException error = await Assert.ThrowsAsync<LockOrderException>(async () => await condition.WaitAsync(TestTimeouts.HangGuard));
        Assert.Equal(LockViolationKind.OrderViolation, error.Kind);
        await Concurrent.Within(notifier, "the notifier");

        Assert.False(low.IsHeldByCurrentFlow());
        Assert.Equal(0, condition.WaiterCount);
        lowScope.Dispose();
        highScope.Dispose();
        Assert.False(high.IsLocked);
        Assert.False(low.IsLocked);
    }

    // The condition of a higher-ranked lock waited on while holding a lower-ranked one is fine.
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Wait_ReacquireInOrder_Succeeds(LockKind kind)
    {
        var low = new OrderedLock("low", rank: 1, checking: LockOrderChecking.Strict);
        OrderedLockBase high = LockKinds.Create(kind, "high", rank: 2);
        var condition = new OrderedCondition(high);
        using (low.Acquire())
        using (high.Acquire())
        {
            Assert.False(condition.Wait(TimeSpan.FromMilliseconds(10)));
            Assert.True(high.IsHeldByCurrentFlow());
        }

        Assert.False(low.IsLocked);
        Assert.False(high.IsLocked);
    }
}
