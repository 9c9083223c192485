using OrderedLocks.Tests.Condition;
using Xunit;

namespace OrderedLocks.Tests.Reentrant;

// Ports of CPython Lib/test/lock_tests.py, LockTests (the non-recursive lock), against OrderedLock.
// (BaseLockTests run against OrderedLock too, in CPythonRLockPortTests.)
//
// | CPython test                        | Our test                                                          |
// |-------------------------------------|-------------------------------------------------------------------|
// | LockTests.test_reacquire            | Reacquire_BySameThread_IsASelfDeadlockError (+ _Async)  (*)       |
// |                                     | Reacquire_ByAnotherThread_WaitsForTheRelease                      |
// | LockTests.test_different_thread     | DifferentThread_MayReleaseTheScope (documented hand-off)          |
// | LockTests.test_state_after_timeout  | StateAfterTimeout_LockIsUsable                                    |
// (*) CPython's second acquire() by the holder blocks until another thread releases. Ours is a
//     LockOrderException of kind SelfDeadlock, by design, instead of a hang; the lock stays held
//     once, by the holder, and nothing else is left behind.
public sealed class CPythonLockPortTests
{
    // LockTests.test_reacquire (the holder itself)
    [Theory]
    [InlineData(LockOrderChecking.Strict)]
    [InlineData(LockOrderChecking.Learned)]
    [InlineData(LockOrderChecking.Off)]
    public void Reacquire_BySameThread_IsASelfDeadlockError(LockOrderChecking checking)
    {
        var lockObject = new OrderedLock(checking: checking);
        LockScope scope = lockObject.Acquire();

        LockOrderException error = Assert.Throws<LockOrderException>(() => lockObject.Acquire());
        Assert.Equal(LockViolationKind.SelfDeadlock, error.Kind);
        Assert.Throws<LockOrderException>(() => lockObject.TryAcquire(TestTimeouts.ExpectedTimeout, out _));

        Assert.True(scope.IsHeld);
        Assert.Equal(0, lockObject.QueuedWaiterCount);
        scope.Dispose();
        Assert.False(lockObject.IsLocked);
    }

    // LockTests.test_reacquire (the holder's async flow)
    [Fact]
    public async Task Reacquire_BySameFlow_Async_IsASelfDeadlockError()
    {
        var lockObject = new OrderedLock(checking: LockOrderChecking.Strict);
        LockScope scope = await lockObject.AcquireAsync();

        LockOrderException error = await Assert.ThrowsAsync<LockOrderException>(async () => await lockObject.AcquireAsync());
        Assert.Equal(LockViolationKind.SelfDeadlock, error.Kind);

        Assert.True(scope.IsHeld);
        scope.Dispose();
        Assert.False(lockObject.IsLocked);
    }

    // LockTests.test_reacquire (the phases: a second acquirer proceeds only after the release)
    [Fact]
    public void Reacquire_ByAnotherThread_WaitsForTheRelease()
    {
        var lockObject = new OrderedLock(checking: LockOrderChecking.Strict);
        int phase = 0;
        LockScope first = lockObject.Acquire();
        Task second = Concurrent.RunThread(() =>
        {
            Interlocked.Exchange(ref phase, 1);
            using (lockObject.Acquire())
            {
                Interlocked.Exchange(ref phase, 2);
            }
        }, "second acquirer");

        Concurrent.WaitUntil(() => lockObject.QueuedWaiterCount == 1, "the second acquirer blocks");
        Assert.Equal(1, Volatile.Read(ref phase));
        first.Dispose();
        Concurrent.Join(second, "the second acquirer");
        Assert.Equal(2, Volatile.Read(ref phase));
        Assert.False(lockObject.IsLocked);
    }

    // LockTests.test_different_thread
    [Fact]
    public void DifferentThread_MayReleaseTheScope()
    {
        var lockObject = new OrderedLock(checking: LockOrderChecking.Strict);
        LockScope scope = lockObject.Acquire();
        Concurrent.Join(Concurrent.RunThread(() => scope.Dispose(), "releasing thread"), "the releasing thread");
        Assert.False(lockObject.IsLocked);
        Assert.False(lockObject.IsHeldByCurrentFlow);

        using (lockObject.Acquire())
        {
            Assert.True(lockObject.IsHeldByCurrentFlow);
        }

        Assert.False(lockObject.IsLocked);
    }

    // LockTests.test_state_after_timeout
    [Fact]
    public void StateAfterTimeout_LockIsUsable()
    {
        var lockObject = new OrderedLock(checking: LockOrderChecking.Strict);
        LockScope scope = lockObject.Acquire();
        bool got = Concurrent.Join(Concurrent.RunThread(() => lockObject.TryAcquire(TimeSpan.FromMilliseconds(10), out _)), "the timed contender");
        Assert.False(got);
        scope.Dispose();

        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, lockObject.QueuedWaiterCount);
        Assert.True(lockObject.TryAcquire(out LockScope again));
        again.Dispose();
    }
}
