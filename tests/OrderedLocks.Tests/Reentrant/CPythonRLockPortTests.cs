using System.Diagnostics;
using OrderedLocks.Tests.Condition;
using Xunit;

namespace OrderedLocks.Tests.Reentrant;

// Ports of CPython Lib/test/lock_tests.py, BaseLockTests (run against both OrderedLock and
// ReentrantOrderedLock) and RLockTests (ReentrantOrderedLock). Our own tests, written against
// our API; Python's acquire()/release() pair is Acquire() and disposing the returned scope.
//
// | CPython test                           | Our test                                                        |
// |----------------------------------------|-----------------------------------------------------------------|
// | BaseLockTests.test_constructor         | Constructor_NewLockIsFreeAndNamed                               |
// | BaseLockTests.test_repr                | Constructor_NewLockIsFreeAndNamed (ToString)                    |
// | BaseLockTests.test_acquire_destroy     | AcquireRelease_LeavesTheLockFree (acquire, drop the scope: GC-safe, no finalizer) |
// | BaseLockTests.test_acquire_release     | AcquireRelease_LeavesTheLockFree                                |
// | BaseLockTests.test_try_acquire         | TryAcquire_FreeLock_Succeeds                                    |
// | BaseLockTests.test_try_acquire_contended | TryAcquire_HeldByAnotherThread_Fails                          |
// | BaseLockTests.test_acquire_contended   | Acquire_Contended_WaitersProceedOnlyAfterRelease                |
// | BaseLockTests.test_with                | Using_ReleasesOnNormalExitAndOnException                        |
// | BaseLockTests.test_thread_leak         | ManyThreads_LeaveNothingHeldOrQueued                            |
// | BaseLockTests.test_timeout             | TryAcquire_TimeoutValidationAndContendedTimeout                 |
// | RLockTests.test_reacquire              | Reacquire_NestedAndInterleaved                                  |
// | RLockTests.test_release_unacquired     | ReleaseUnacquired_IsImpossibleAndStaleScopesAreHarmless (*)     |
// | RLockTests.test_release_save_unacquired| ReleaseSaveUnacquired_ConditionWaitWithoutTheLockThrows         |
// | RLockTests.test_recursion_count        | RecursionCount_CountsLevelsAndIsZeroForOtherThreads             |
// | RLockTests.test_different_thread       | DifferentThread_CannotReleaseTheHoldersScope                    |
// | RLockTests.test__is_owned              | IsHeldByCurrentFlow_FollowsOwnership                            |
// | RLockTests.test_locked_with_2threads   | IsLocked_SeesAnotherThreadsHold                                 |
// (*) Python raises RuntimeError on release() without a hold. Our API has no release without a
//     scope: a default scope and an already-disposed scope release nothing (asserted), and a live
//     scope disposed by a non-holder thread throws SynchronizationLockException (DifferentThread_...).
public sealed class CPythonRLockPortTests
{
    // BaseLockTests.test_constructor, test_repr
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Constructor_NewLockIsFreeAndNamed(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind, "kitchen", rank: 7);
        Assert.False(lockObject.IsLocked);
        Assert.False(lockObject.IsHeldByCurrentFlow());
        Assert.Contains("kitchen", lockObject.ToString());
        Assert.Contains("rank 7", lockObject.ToString());
    }

    // BaseLockTests.test_acquire_destroy, test_acquire_release
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void AcquireRelease_LeavesTheLockFree(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        LockScope scope = lockObject.Acquire();
        Assert.True(lockObject.IsLocked);
        Assert.True(scope.IsHeld);
        scope.Dispose();
        Assert.False(lockObject.IsLocked);
        Assert.False(scope.IsHeld);
        Assert.True(lockObject.IsFreeForOthers());
    }

    // BaseLockTests.test_try_acquire
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void TryAcquire_FreeLock_Succeeds(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        Assert.True(lockObject.TryAcquire(TimeSpan.Zero, out LockScope scope));
        Assert.True(lockObject.IsLocked);
        scope.Dispose();
        Assert.False(lockObject.IsLocked);
    }

    // BaseLockTests.test_try_acquire_contended
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void TryAcquire_HeldByAnotherThread_Fails(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        using (lockObject.Acquire())
        {
            bool got = Concurrent.Join(Concurrent.RunThread(() => lockObject.TryAcquire(TimeSpan.Zero, out _)), "the trying thread");
            Assert.False(got);
        }

        Assert.False(lockObject.IsLocked);
    }

    // BaseLockTests.test_acquire_contended
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Acquire_Contended_WaitersProceedOnlyAfterRelease(LockKind kind)
    {
        const int threads = 5;
        OrderedLockBase lockObject = LockKinds.Create(kind);
        int finished = 0;
        LockScope held = lockObject.Acquire();

        var workers = new Task[threads];
        for (int i = 0; i < threads; i++)
        {
            workers[i] = Concurrent.RunThread(() =>
            {
                lockObject.Acquire().Dispose();
                Interlocked.Increment(ref finished);
            }, $"contender {i}");
        }

        Concurrent.WaitUntil(() => lockObject.QueuedWaiterCount == threads, "every contender is blocked");
        Assert.Equal(0, Volatile.Read(ref finished));

        held.Dispose();
        Concurrent.Join(Task.WhenAll(workers), "the contenders");
        Assert.Equal(threads, Volatile.Read(ref finished));
        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, lockObject.QueuedWaiterCount);
    }

    // BaseLockTests.test_with
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void Using_ReleasesOnNormalExitAndOnException(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        using (lockObject.Acquire())
        {
            Assert.True(lockObject.IsLocked);
        }

        Assert.True(lockObject.IsFreeForOthers());

        Assert.Throws<FormatException>(UseAndThrow);
        Assert.False(lockObject.IsLocked);
        Assert.True(lockObject.IsFreeForOthers());

        void UseAndThrow()
        {
            using (lockObject.Acquire())
            {
                throw new FormatException("inside the lock");
            }
        }
    }

    // BaseLockTests.test_thread_leak: Python checks no Thread object leaks; our equivalent is that
    // 15 threads acquiring and releasing leave no hold, no queued waiter and no tracking behind.
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void ManyThreads_LeaveNothingHeldOrQueued(LockKind kind)
    {
        const int threads = 15;
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var workers = new Task[threads];
        for (int i = 0; i < threads; i++)
        {
            workers[i] = Concurrent.RunThread(() =>
            {
                lockObject.Acquire().Dispose();
                Assert.False(lockObject.IsHeldByCurrentFlow());
            }, $"worker {i}");
        }

        Concurrent.Join(Task.WhenAll(workers), "the workers");
        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, lockObject.QueuedWaiterCount);
        Assert.False(lockObject.IsHeldByCurrentFlow());
    }

    // BaseLockTests.test_timeout
    [Theory]
    [InlineData(LockKind.Plain)]
    [InlineData(LockKind.Reentrant)]
    public void TryAcquire_TimeoutValidationAndContendedTimeout(LockKind kind)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);

        // Invalid timeouts (Python: ValueError for negative, OverflowError above TIMEOUT_MAX).
        Assert.Throws<ArgumentOutOfRangeException>(() => lockObject.TryAcquire(TimeSpan.FromMilliseconds(-100), out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => lockObject.TryAcquire(TimeSpan.FromDays(1e5), out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => lockObject.TryAcquire(TimeSpan.FromMilliseconds((double)int.MaxValue + 1), out _));
        Assert.False(lockObject.IsLocked);

        // The maximum timeout is fine, and a free lock does not wait for it.
        var clock = Stopwatch.StartNew();
        Assert.True(lockObject.TryAcquire(TimeSpan.FromMilliseconds(int.MaxValue), out LockScope scope));
        Assert.True(clock.Elapsed < TestTimeouts.HangGuard);

        (bool got, TimeSpan elapsed) = Concurrent.Join(Concurrent.RunThread(() =>
        {
            var started = Stopwatch.StartNew();
            bool acquired = lockObject.TryAcquire(TestTimeouts.ExpectedTimeout, out _);
            return (acquired, started.Elapsed);
        }), "the timed contender");
        Assert.False(got);
        Concurrent.AssertWaitedAbout(elapsed, TestTimeouts.ExpectedTimeout);

        scope.Dispose();
        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, lockObject.QueuedWaiterCount);
    }

    // RLockTests.test_reacquire
    [Fact]
    public void Reacquire_NestedAndInterleaved()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        LockScope first = lockObject.Acquire();
        LockScope second = lockObject.Acquire();
        second.Dispose();
        LockScope third = lockObject.Acquire();
        Assert.Equal(2, lockObject.RecursionCount);
        third.Dispose();
        Assert.False(lockObject.IsFreeForOthers());
        first.Dispose();
        Assert.True(lockObject.IsFreeForOthers());
    }

    // RLockTests.test_release_unacquired (see the table: no release without a scope)
    [Fact]
    public void ReleaseUnacquired_IsImpossibleAndStaleScopesAreHarmless()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        default(LockScope).Dispose();
        Assert.False(lockObject.IsLocked);

        LockScope outer = lockObject.Acquire();
        LockScope inner = lockObject.Acquire();
        inner.Dispose();
        LockScope again = lockObject.Acquire();
        again.Dispose();
        inner.Dispose(); // released already: must not take the outer level
        Assert.Equal(1, lockObject.RecursionCount);
        outer.Dispose();
        outer.Dispose();
        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, lockObject.RecursionCount);
    }

    // RLockTests.test_release_save_unacquired: _release_save is what Condition.wait calls.
    [Fact]
    public void ReleaseSaveUnacquired_ConditionWaitWithoutTheLockThrows()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var condition = new OrderedCondition(lockObject);
        Assert.Throws<SynchronizationLockException>(() => condition.Wait(TimeSpan.Zero));

        LockScope outer = lockObject.Acquire();
        LockScope inner = lockObject.Acquire();
        inner.Dispose();
        lockObject.Acquire().Dispose();
        outer.Dispose();

        Assert.Throws<SynchronizationLockException>(() => condition.Wait(TimeSpan.Zero));
        Assert.Equal(0, condition.WaiterCount);
        Assert.False(lockObject.IsLocked);
    }

    // RLockTests.test_recursion_count
    [Fact]
    public void RecursionCount_CountsLevelsAndIsZeroForOtherThreads()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        Assert.Equal(0, lockObject.RecursionCount);
        LockScope a = lockObject.Acquire();
        Assert.Equal(1, lockObject.RecursionCount);
        LockScope b = lockObject.Acquire();
        LockScope c = lockObject.Acquire();
        Assert.Equal(3, lockObject.RecursionCount);
        c.Dispose();
        Assert.Equal(2, lockObject.RecursionCount);
        b.Dispose();
        a.Dispose();
        Assert.Equal(0, lockObject.RecursionCount);

        var acquired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task other = Concurrent.RunThread(() =>
        {
            using (lockObject.Acquire())
            {
                acquired.SetResult();
                Assert.True(release.Task.Wait(TestTimeouts.HangGuard));
            }
        }, "other holder");

        Concurrent.Join(acquired.Task, "the other thread to acquire");
        Assert.Equal(0, lockObject.RecursionCount);
        release.SetResult();
        Concurrent.Join(other, "the other thread to release");
        Assert.Equal(0, lockObject.RecursionCount);
        Assert.False(lockObject.IsLocked);
    }

    // RLockTests.test_different_thread
    [Fact]
    public void DifferentThread_CannotReleaseTheHoldersScope()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var handedOver = new TaskCompletionSource<LockScope>(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task holder = Concurrent.RunThread(() =>
        {
            LockScope scope = lockObject.Acquire();
            handedOver.SetResult(scope);
            Assert.True(finish.Task.Wait(TestTimeouts.HangGuard));
            scope.Dispose();
        }, "holder");

        try
        {
            LockScope foreign = Concurrent.Join(handedOver.Task, "the holder's scope");
            Assert.Throws<SynchronizationLockException>(() => foreign.Dispose());
            Assert.True(lockObject.IsLocked);
            Assert.True(foreign.IsHeld);
        }
        finally
        {
            finish.SetResult();
        }

        Concurrent.Join(holder, "the holder");
        Assert.False(lockObject.IsLocked);
    }

    // RLockTests.test__is_owned
    [Fact]
    public void IsHeldByCurrentFlow_FollowsOwnership()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        Assert.False(lockObject.IsHeldByCurrentFlow);
        LockScope a = lockObject.Acquire();
        Assert.True(lockObject.IsHeldByCurrentFlow);
        LockScope b = lockObject.Acquire();
        Assert.True(lockObject.IsHeldByCurrentFlow);
        bool seenByOther = Concurrent.Join(Concurrent.RunThread(() => lockObject.IsHeldByCurrentFlow), "the other thread");
        Assert.False(seenByOther);
        b.Dispose();
        Assert.True(lockObject.IsHeldByCurrentFlow);
        a.Dispose();
        Assert.False(lockObject.IsHeldByCurrentFlow);
    }

    // RLockTests.test_locked_with_2threads
    [Fact]
    public void IsLocked_SeesAnotherThreadsHold()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var acquired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task other = Concurrent.RunThread(() =>
        {
            Assert.False(lockObject.IsLocked);
            using (lockObject.Acquire())
            {
                Assert.True(lockObject.IsLocked);
                acquired.SetResult();
                Assert.True(release.Task.Wait(TestTimeouts.HangGuard));
            }
        }, "holder");

        Concurrent.Join(acquired.Task, "the other thread to acquire");
        Assert.True(lockObject.IsLocked);
        Assert.False(lockObject.IsHeldByCurrentFlow);
        release.SetResult();
        Concurrent.Join(other, "the holder");
        Assert.False(lockObject.IsLocked);
    }
}
