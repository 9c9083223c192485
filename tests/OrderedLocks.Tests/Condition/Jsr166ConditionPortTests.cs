using System.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests.Condition;

// Ports of the JSR-166 TCK ReentrantLockTest (openjdk test/jdk/java/util/concurrent/tck), lock
// and condition parts, against ReentrantOrderedLock (and OrderedLock where the test applies to
// any lock) with OrderedCondition. Our own tests. Java's lock()/unlock() is Acquire() and disposing
// the scope; await/signal/signalAll is Wait/Notify/NotifyAll; getHoldCount is RecursionCount;
// hasWaiters/getWaitQueueLength/getWaitingThreads are WaiterCount; interrupt is cancellation.
//
// | JSR-166 ReentrantLockTest test                  | Our test                                              |
// |-------------------------------------------------|-------------------------------------------------------|
// | testGetHoldCount                                | GetHoldCount_CountsEveryLevel                         |
// | testTryLock                                     | TryLock_ReentersAndCounts                             |
// | testIsLocked                                    | IsLocked_TracksOwnHoldsAndAnotherThreads              |
// | testTryLockWhenLocked, testTryLock_Timeout      | (CPythonRLockPortTests.TryAcquire_* cover them)       |
// | testAwait_IMSE (await, awaitTimed, awaitNanos, awaitUntil) | Await_WithoutTheLock_ThrowsAtOnce          |
// | testSignal_IMSE                                 | Signal_WithoutTheLock_Throws                          |
// | testAwait_Timeout, testAwaitUntil_Timeout       | Await_Timeout_ReturnsFalse (+ _Async)                 |
// | testAwaitNanos_Timeout                          | AwaitNanos_Timeout_WaitForReturnsFalse                |
// | testAwait                                       | Await_ReturnsWhenSignalled                            |
// | testHasWaiters, testGetWaitQueueLength, testGetWaitingThreads | WaiterCount_CountsQueuedWaiters         |
// | testInterruptible_* (await forms)               | Await_Cancelled_RestoresTheHoldAndLeavesTheQueue      |
// | testSignalAll_* (await forms)                   | SignalAll_WakesEveryWaiter                            |
// | testSignalWakesFifo                             | Signal_WakesFifo (+ _Async), Signal_OneAtATime_ServesFifo |
// | testAwaitLockCount                              | Await_RestoresTheHoldCount (+ _Async)                 |
// | testBug8187408 (rogue await without the lock)   | RogueAwait_DoesNotCorruptTheWaitQueue                 |
public sealed class Jsr166ConditionPortTests
{
    private const int Size = 20;

    // testGetHoldCount
    [Fact]
    public void GetHoldCount_CountsEveryLevel()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var scopes = new Stack<LockScope>();
        for (int i = 1; i <= Size; i++)
        {
            scopes.Push(lockObject.Acquire());
            Assert.Equal(i, lockObject.RecursionCount);
        }

        for (int i = Size; i > 0; i--)
        {
            scopes.Pop().Dispose();
            Assert.Equal(i - 1, lockObject.RecursionCount);
        }

        Assert.False(lockObject.IsLocked);
    }

    // testTryLock
    [Fact]
    public void TryLock_ReentersAndCounts()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        Assert.True(lockObject.TryAcquire(out LockScope first));
        Assert.True(lockObject.IsHeldByCurrentFlow);
        Assert.True(lockObject.TryAcquire(out LockScope second));
        Assert.Equal(2, lockObject.RecursionCount);
        second.Dispose();
        first.Dispose();
        Assert.False(lockObject.IsLocked);
        Assert.False(lockObject.IsHeldByCurrentFlow);
    }

    // testIsLocked
    [Fact]
    public void IsLocked_TracksOwnHoldsAndAnotherThreads()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        Assert.False(lockObject.IsLocked);
        LockScope a = lockObject.Acquire();
        LockScope b = lockObject.Acquire();
        b.Dispose();
        Assert.True(lockObject.IsLocked);
        a.Dispose();
        Assert.False(lockObject.IsLocked);

        using var barrier = new Barrier(2);
        Task other = Concurrent.RunThread(() =>
        {
            using (lockObject.Acquire())
            {
                Assert.True(lockObject.IsLocked);
                Assert.True(barrier.SignalAndWait(TestTimeouts.HangGuard));
                Assert.True(barrier.SignalAndWait(TestTimeouts.HangGuard));
            }
        }, "holder");

        Assert.True(barrier.SignalAndWait(TestTimeouts.HangGuard));
        Assert.True(lockObject.IsLocked);
        Assert.True(barrier.SignalAndWait(TestTimeouts.HangGuard));
        Concurrent.Join(other, "the holder");
        Assert.False(lockObject.IsLocked);
    }

    // testAwait_IMSE: every await form throws at once without the lock (and queues nothing).
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public async Task Await_WithoutTheLock_ThrowsAtOnce(LockKind kind)
    {
        var condition = new OrderedCondition(LockKinds.Create(kind));
        var clock = Stopwatch.StartNew();
        Assert.Throws<SynchronizationLockException>(() => condition.Wait());
        Assert.Throws<SynchronizationLockException>(() => condition.Wait(TestTimeouts.HangGuard * 2));
        Assert.Throws<SynchronizationLockException>(() => condition.WaitFor(() => false, TestTimeouts.HangGuard * 2));
        await Assert.ThrowsAsync<SynchronizationLockException>(async () => await condition.WaitAsync(TestTimeouts.HangGuard * 2));
        Assert.True(clock.Elapsed < TestTimeouts.HangGuard);
        Assert.Equal(0, condition.WaiterCount);
    }

    // testSignal_IMSE
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Signal_WithoutTheLock_Throws(LockKind kind)
    {
        var condition = new OrderedCondition(LockKinds.Create(kind));
        Assert.Throws<SynchronizationLockException>(() => condition.Notify());
        Assert.Throws<SynchronizationLockException>(() => condition.NotifyAll());
    }

    // testAwait_Timeout, testAwaitUntil_Timeout
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Await_Timeout_ReturnsFalse(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        using (lockObject.Acquire())
        {
            var clock = Stopwatch.StartNew();
            Assert.False(condition.Wait(TestTimeouts.ExpectedTimeout));
            Concurrent.AssertWaitedAbout(clock.Elapsed, TestTimeouts.ExpectedTimeout);
            Assert.True(lockObject.IsHeldByCurrentFlow());
        }

        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, condition.WaiterCount);
    }

    // testAwait_Timeout (async)
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public async Task Await_Timeout_ReturnsFalse_Async(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        using (await lockObject.AcquireAsync())
        {
            var clock = Stopwatch.StartNew();
            Assert.False(await condition.WaitAsync(TestTimeouts.ExpectedTimeout));
            Concurrent.AssertWaitedAbout(clock.Elapsed, TestTimeouts.ExpectedTimeout);
            Assert.True(lockObject.IsHeldByCurrentFlow());
        }

        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, condition.WaiterCount);
    }

    // testAwaitNanos_Timeout: a timed wait "in all" that reports it ran out.
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void AwaitNanos_Timeout_WaitForReturnsFalse(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        using (lockObject.Acquire())
        {
            var clock = Stopwatch.StartNew();
            Assert.False(condition.WaitFor(() => false, TestTimeouts.ExpectedTimeout));
            Concurrent.AssertWaitedAbout(clock.Elapsed, TestTimeouts.ExpectedTimeout);
        }

        Assert.False(lockObject.IsLocked);
    }

    // testAwait
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Await_ReturnsWhenSignalled(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        Task<bool> waiter = Concurrent.RunThread(() =>
        {
            using (lockObject.Acquire())
            {
                return condition.Wait();
            }
        }, "waiter");

        Concurrent.WaitUntil(() => condition.WaiterCount == 1, "the waiter waits");
        using (lockObject.Acquire())
        {
            Assert.Equal(1, condition.WaiterCount);
            condition.Notify();
            Assert.Equal(0, condition.WaiterCount);
            Concurrent.WaitUntil(() => lockObject.QueuedWaiterCount == 1, "the woken waiter queues for the lock");
            Assert.False(waiter.IsCompleted); // woken, but it needs the lock we hold
        }

        Assert.True(Concurrent.Join(waiter, "the waiter"));
        Assert.False(lockObject.IsLocked);
    }

    // testHasWaiters, testGetWaitQueueLength, testGetWaitingThreads
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void WaiterCount_CountsQueuedWaiters(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        Assert.Equal(0, condition.WaiterCount);

        Task<(int Before, bool Result, int After)> StartWaiter(string name) => Concurrent.RunThread(() =>
        {
            using (lockObject.Acquire())
            {
                int before = condition.WaiterCount;
                bool result = condition.Wait();
                return (before, result, condition.WaiterCount);
            }
        }, name);

        Task<(int Before, bool Result, int After)> first = StartWaiter("waiter 1");
        Concurrent.WaitUntil(() => condition.WaiterCount == 1, "one waiter");
        Task<(int Before, bool Result, int After)> second = StartWaiter("waiter 2");
        Concurrent.WaitUntil(() => condition.WaiterCount == 2, "two waiters");

        using (lockObject.Acquire())
        {
            Assert.Equal(2, condition.WaiterCount);
            condition.NotifyAll();
            Assert.Equal(0, condition.WaiterCount);
        }

        Assert.Equal((0, true, 0), Concurrent.Join(first, "waiter 1"));
        Assert.Equal((1, true, 0), Concurrent.Join(second, "waiter 2"));
        Assert.Equal(0, condition.WaiterCount);
    }

    // testInterruptible_await / _awaitTimed / _awaitNanos / _awaitUntil: cancellation is our interrupt.
    [Theory]
    [InlineData(LockKind.Plain, false)]
    [InlineData(LockKind.Plain, true)]
    [InlineData(LockKind.Reentrant, false)]
    [InlineData(LockKind.Reentrant, true)]
    public async Task Await_Cancelled_RestoresTheHoldAndLeavesTheQueue(LockKind kind, bool timed)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        using var cancel = new CancellationTokenSource();
        TimeSpan? timeout = timed ? TestTimeouts.HangGuard * 2 : null;

        Task<(bool Held, int Depth, int Waiters)> waiter = Task.Run(async () =>
        {
            var reentrant = lockObject as ReentrantOrderedLock;
            using (await lockObject.AcquireAsync())
            using (reentrant is null ? default : await reentrant.AcquireAsync())
            {
                try
                {
                    await condition.WaitAsync(timeout, cancel.Token);
                    return (false, -1, -1);
                }
                catch (OperationCanceledException)
                {
                    return (lockObject.IsHeldByCurrentFlow(), reentrant?.RecursionCount ?? 1, condition.WaiterCount);
                }
            }
        });

        await Concurrent.WaitUntilAsync(() => condition.WaiterCount == 1, "the waiter waits");
        cancel.Cancel();
        (bool held, int depth, int waiters) = await Concurrent.Within(waiter, "the cancelled waiter");
        Assert.True(held);
        Assert.Equal(kind == LockKind.Reentrant ? 2 : 1, depth);
        Assert.Equal(0, waiters);
        Assert.False(lockObject.IsLocked);
    }

    // testSignalAll_await / _awaitTimed / _awaitNanos / _awaitUntil
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void SignalAll_WakesEveryWaiter(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        bool go = false;
        var forms = new Func<bool>[]
        {
            () => condition.Wait(),
            () => condition.Wait(TestTimeouts.HangGuard * 2),
            () => condition.WaitFor(() => go, TestTimeouts.HangGuard * 2),
            () => condition.WaitFor(() => go),
        };

        var waiters = forms.Select((form, i) => Concurrent.RunThread(() =>
        {
            using (lockObject.Acquire())
            {
                return form();
            }
        }, $"waiter {i}")).ToArray();

        Concurrent.WaitUntil(() => condition.WaiterCount == forms.Length, "every waiter waits");
        using (lockObject.Acquire())
        {
            go = true;
            condition.NotifyAll();
            Assert.Equal(0, condition.WaiterCount);
        }

        foreach (Task<bool> waiter in waiters)
        {
            Assert.True(Concurrent.Join(waiter, "a waiter"));
        }

        Assert.False(lockObject.IsLocked);
    }

    // testSignalWakesFifo
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Signal_WakesFifo(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        var order = new List<int>();

        Task StartWaiter(int id) => Concurrent.RunThread(() =>
        {
            using (lockObject.Acquire())
            {
                Assert.True(condition.Wait());
                order.Add(id); // under the lock
            }
        }, $"waiter {id}");

        Task first = StartWaiter(1);
        Concurrent.WaitUntil(() => condition.WaiterCount == 1, "waiter 1 waits");
        Task second = StartWaiter(2);
        Concurrent.WaitUntil(() => condition.WaiterCount == 2, "waiter 2 waits");

        using (lockObject.Acquire())
        {
            condition.Notify();
            Assert.Equal(1, condition.WaiterCount);
            Concurrent.WaitUntil(() => lockObject.QueuedWaiterCount == 1, "the first woken waiter queues for the lock");
            condition.Notify();
            Assert.Equal(0, condition.WaiterCount);
            Concurrent.WaitUntil(() => lockObject.QueuedWaiterCount == 2, "the second woken waiter queues for the lock");
        }

        Concurrent.Join(Task.WhenAll(new[] { first, second }), "the waiters");
        Assert.Equal(new[] { 1, 2 }, order);
    }

    // testSignalWakesFifo (async)
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public async Task Signal_WakesFifo_Async(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        var order = new List<int>();

        Task StartWaiter(int id) => Task.Run(async () =>
        {
            using (await lockObject.AcquireAsync())
            {
                Assert.True(await condition.WaitAsync());
                order.Add(id);
            }
        });

        Task first = StartWaiter(1);
        await Concurrent.WaitUntilAsync(() => condition.WaiterCount == 1, "waiter 1 waits");
        Task second = StartWaiter(2);
        await Concurrent.WaitUntilAsync(() => condition.WaiterCount == 2, "waiter 2 waits");

        using (await lockObject.AcquireAsync())
        {
            condition.Notify();
            await Concurrent.WaitUntilAsync(() => lockObject.QueuedWaiterCount == 1, "the first woken waiter queues for the lock");
            condition.Notify();
            await Concurrent.WaitUntilAsync(() => lockObject.QueuedWaiterCount == 2, "the second woken waiter queues for the lock");
        }

        await Concurrent.Within(Task.WhenAll(new[] { first, second }), "the waiters");
        Assert.Equal(new[] { 1, 2 }, order);
    }

    // testSignalWakesFifo, extended: five waiters, one Notify() at a time, served oldest first.
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Signal_OneAtATime_ServesFifo(LockKind kind)
    {
        const int waiters = 5;
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        var order = new List<int>();
        var tasks = new List<Task>();
        for (int id = 0; id < waiters; id++)
        {
            int me = id;
            tasks.Add(Concurrent.RunThread(() =>
            {
                using (lockObject.Acquire())
                {
                    Assert.True(condition.Wait());
                    order.Add(me);
                }
            }, $"waiter {me}"));
            Concurrent.WaitUntil(() => condition.WaiterCount == me + 1, $"waiter {me} waits");
        }

        for (int served = 1; served <= waiters; served++)
        {
            using (lockObject.Acquire())
            {
                condition.Notify();
            }

            Concurrent.WaitUntil(() => ReadCount(lockObject, order) == served, $"{served} waiters served");
        }

        Concurrent.Join(Task.WhenAll(tasks), "the waiters");
        Assert.Equal(Enumerable.Range(0, waiters), order);
    }

    // testAwaitLockCount
    [Fact]
    public void Await_RestoresTheHoldCount()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var condition = new OrderedCondition(lockObject);

        Task<(int Before, int After, bool Held)> StartWaiter(int depth) => Concurrent.RunThread(() =>
        {
            var scopes = new Stack<LockScope>();
            for (int i = 0; i < depth; i++)
            {
                scopes.Push(lockObject.Acquire());
            }

            int before = lockObject.RecursionCount;
            condition.Wait();
            (int, int, bool) seen = (before, lockObject.RecursionCount, lockObject.IsHeldByCurrentFlow);
            while (scopes.Count > 0)
            {
                scopes.Pop().Dispose();
            }

            return seen;
        }, $"waiter holding {depth}");

        Task<(int Before, int After, bool Held)> once = StartWaiter(1);
        Task<(int Before, int After, bool Held)> twice = StartWaiter(2);
        Concurrent.WaitUntil(() => condition.WaiterCount == 2, "both waiters wait");

        using (lockObject.Acquire())
        {
            Assert.Equal(1, lockObject.RecursionCount);
            condition.NotifyAll();
            Assert.Equal(0, condition.WaiterCount);
        }

        Assert.Equal((1, 1, true), Concurrent.Join(once, "the single holder"));
        Assert.Equal((2, 2, true), Concurrent.Join(twice, "the double holder"));
        Assert.False(lockObject.IsLocked);
    }

    // testAwaitLockCount (async)
    [Fact]
    public async Task Await_RestoresTheHoldCount_Async()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var condition = new OrderedCondition(lockObject);

        Task<(int Before, int After, bool Held)> StartWaiter(int depth) => Task.Run(async () =>
        {
            var scopes = new Stack<LockScope>();
            for (int i = 0; i < depth; i++)
            {
                scopes.Push(await lockObject.AcquireAsync());
            }

            int before = lockObject.RecursionCount;
            await condition.WaitAsync();
            (int, int, bool) seen = (before, lockObject.RecursionCount, lockObject.IsHeldByCurrentFlow);
            while (scopes.Count > 0)
            {
                scopes.Pop().Dispose();
            }

            return seen;
        });

        Task<(int Before, int After, bool Held)> once = StartWaiter(1);
        Task<(int Before, int After, bool Held)> thrice = StartWaiter(3);
        await Concurrent.WaitUntilAsync(() => condition.WaiterCount == 2, "both waiters wait");

        using (await lockObject.AcquireAsync())
        {
            Assert.Equal(1, lockObject.RecursionCount);
            condition.NotifyAll();
        }

        Assert.Equal((1, 1, true), await Concurrent.Within(once, "the single holder"));
        Assert.Equal((3, 3, true), await Concurrent.Within(thrice, "the triple holder"));
        Assert.False(lockObject.IsLocked);
    }

    // testBug8187408: a rogue thread awaiting without the lock, in a loop, while real waiters queue.
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void RogueAwait_DoesNotCorruptTheWaitQueue(LockKind kind)
    {
        const int waiters = 4;
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        int stop = 0;
        int rogueAttempts = 0;

        Task rogue = Concurrent.RunThread(() =>
        {
            var clock = Stopwatch.StartNew();
            while (Volatile.Read(ref stop) == 0 && clock.Elapsed < TestTimeouts.HangGuard)
            {
                int form = rogueAttempts++ % 4;
                Assert.Throws<SynchronizationLockException>(() =>
                {
                    switch (form)
                    {
                        case 0: condition.Wait(); break;
                        case 1: condition.Wait(TestTimeouts.HangGuard); break;
                        case 2: condition.WaitFor(() => false, TestTimeouts.HangGuard); break;
                        default: _ = condition.WaitAsync(TestTimeouts.HangGuard); break;
                    }
                });
            }
        }, "rogue");

        var tasks = Enumerable.Range(0, waiters).Select(i => Concurrent.RunThread(() =>
        {
            using (lockObject.Acquire())
            {
                Assert.True(condition.Wait());
            }
        }, $"waiter {i}")).ToArray();

        Concurrent.WaitUntil(() => condition.WaiterCount == waiters, "every waiter waits");
        using (lockObject.Acquire())
        {
            Assert.Equal(waiters, condition.WaiterCount);
            condition.NotifyAll();
        }

        Concurrent.Join(Task.WhenAll(tasks), "the waiters");
        Volatile.Write(ref stop, 1);
        Concurrent.Join(rogue, "the rogue");
        Assert.True(rogueAttempts > 0);
        Assert.Equal(0, condition.WaiterCount);
        Assert.False(lockObject.IsLocked);
    }

    private static int ReadCount(OrderedLockBase lockObject, List<int> order)
    {
        using (lockObject.Acquire())
        {
            return order.Count;
        }
    }
}
