using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// Re-acquiring a non-reentrant lock held by the same thread or async flow (or by the flow that
/// forked this task) always throws LockOrderException (Kind SelfDeadlock) instead of hanging, in
/// every checking mode for synchronous holds (owner thread id) and in the checked modes for
/// asynchronous holds. The original hold stays intact and nothing is queued.
/// </summary>
public sealed class SelfDeadlockTests
{
    public static TheoryData<LockOrderChecking> Modes => Locks.Modes;

    public static TheoryData<LockOrderChecking> CheckedModes => Locks.CheckedModes;

    public enum SyncCall
    {
        Acquire,
        AcquireWithToken,
        TryAcquireZero,
        TryAcquireTimeout,
        TryAcquireInfinite,
    }

    public static TheoryData<LockOrderChecking, SyncCall> ModesAndSyncCalls()
    {
        var data = new TheoryData<LockOrderChecking, SyncCall>();
        foreach (LockOrderChecking mode in Locks.AllModes)
        {
            foreach (SyncCall call in Enum.GetValues<SyncCall>())
            {
                data.Add(mode, call);
            }
        }

        return data;
    }

    private static LockScope Call(OrderedLock l, SyncCall call, CancellationToken token)
    {
        switch (call)
        {
            case SyncCall.Acquire:
                return l.Acquire();
            case SyncCall.AcquireWithToken:
                return l.Acquire(token);
            case SyncCall.TryAcquireZero:
                l.TryAcquire(out LockScope zero);
                return zero;
            case SyncCall.TryAcquireTimeout:
                l.TryAcquire(TestTimeouts.Expire, out LockScope timed);
                return timed;
            default:
                l.TryAcquire(Timeout.InfiniteTimeSpan, out LockScope infinite, token);
                return infinite;
        }
    }

    [Theory]
    [MemberData(nameof(ModesAndSyncCalls))]
    public async Task SyncAcquire_HeldBySameThread_ThrowsSelfDeadlock(LockOrderChecking mode, SyncCall call)
    {
        var l = new OrderedLock("self", checking: mode);

        // On a dedicated thread: a hang fails the test (WaitAsync) instead of blocking the runner.
        (LockOrderException? error, bool stillHeld, int queued) = await TestThreads.Run(() =>
        {
            using LockScope held = l.Acquire();
            LockOrderException? caught = null;
            try
            {
                Call(l, call, CancellationToken.None).Dispose();
            }
            catch (LockOrderException ex)
            {
                caught = ex;
            }

            return (caught, held.IsHeld, l.QueuedWaiterCount);
        }).WaitAsync(TestTimeouts.Hang);

        Assert.NotNull(error);
        Assert.Equal(LockViolationKind.SelfDeadlock, error.Kind);
        Assert.Equal(l.Name, error.Violation!.Acquiring.Name);
        Assert.Contains("Self-deadlock", error.Message);
        Assert.Contains(l.ToString(), error.Message);
        Assert.Contains("not reentrant", error.Message);
        Assert.Contains("this thread", error.Message);
        Assert.True(stillHeld, "the original hold must survive the failed re-acquisition");
        Assert.Equal(0, queued);
        Locks.AssertFree(l);
    }

    // Decided: self-deadlock always throws, sync and async, also with checking Off for
    // A synchronous hold is not the hold of an asynchronous acquisition on the same thread: the
    // caller may be another flow's continuation running inline on the holder's thread
    // (HolderIdentityTests), so AcquireAsync waits for it like any contender, in every mode, and
    // completes once the synchronous hold is released. (A holder that awaits such an acquisition
    // under its own synchronous hold waits for itself: OL0005/OL0006 report that at build time.)
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AcquireAsync_HeldSynchronouslyBySameThread_WaitsAsAnOrdinaryContender(LockOrderChecking mode)
    {
        var l = new OrderedLock("self", checking: mode);
        LockScope held = default;
        Task<LockScope> attempt = await TestThreads.Run(() =>
        {
            held = l.Acquire();
            return l.AcquireAsync().AsTask();
        }).WaitAsync(TestTimeouts.Hang);

        await Locks.AssertPendingAsync(attempt, "AcquireAsync behind the thread's synchronous hold");
        Assert.Equal(1, l.QueuedWaiterCount);
        held.Dispose(); // a hand-off: released from another thread
        (await attempt.WaitAsync(TestTimeouts.Hang)).Dispose();
        Locks.AssertFree(l);
    }

    [Theory]
    [MemberData(nameof(CheckedModes))]
    public async Task AcquireAsync_HeldBySameFlow_ThrowsSynchronously(LockOrderChecking mode)
    {
        var l = new OrderedLock("self", checking: mode);
        using LockScope held = await l.AcquireAsync();
        await Task.Yield(); // the hold survives awaits

        LockOrderException error = Assert.Throws<LockOrderException>(() => { _ = l.AcquireAsync(); });
        LockOrderException errorTry = Assert.Throws<LockOrderException>(() => { _ = l.TryAcquireAsync(TestTimeouts.Expire); });

        Assert.Equal(LockViolationKind.SelfDeadlock, error.Kind);
        Assert.Equal(LockViolationKind.SelfDeadlock, errorTry.Kind);
        Assert.Contains("async flow", error.Message);
        Assert.True(held.IsHeld);
        Assert.Equal(0, l.QueuedWaiterCount);
    }

    [Theory]
    [MemberData(nameof(CheckedModes))]
    public async Task SyncAcquire_HeldAsynchronouslyBySameFlow_ThrowsSelfDeadlock(LockOrderChecking mode)
    {
        var l = new OrderedLock("self", checking: mode);
        using LockScope held = await l.AcquireAsync();
        using var giveUp = new CancellationTokenSource(TestTimeouts.Hang); // a miss fails, never hangs

        LockOrderException blocking = Assert.Throws<LockOrderException>(() => l.Acquire(giveUp.Token));
        LockOrderException trying = Assert.Throws<LockOrderException>(() => l.TryAcquire(TestTimeouts.Expire, out _));

        Assert.Equal(LockViolationKind.SelfDeadlock, blocking.Kind);
        Assert.Equal(LockViolationKind.SelfDeadlock, trying.Kind);
        Assert.True(held.IsHeld);
        Assert.Equal(0, l.QueuedWaiterCount);
    }

    public enum ChildCall
    {
        AcquireAsync,
        TryAcquireAsync,
        Acquire,
        AcquireAll,
    }

    public static TheoryData<LockOrderChecking, ChildCall> CheckedModesAndChildCalls()
    {
        var data = new TheoryData<LockOrderChecking, ChildCall>();
        foreach (LockOrderChecking mode in new[] { LockOrderChecking.Strict, LockOrderChecking.Learned })
        {
            foreach (ChildCall call in Enum.GetValues<ChildCall>())
            {
                data.Add(mode, call);
            }
        }

        return data;
    }

    // The NeoSmart.AsyncLock 3.2.1 hang: a holder forks four Task.Run children that take the same
    // lock and awaits them. Decided: every child gets an immediate, clear SelfDeadlock exception;
    // no child ever enters (exclusion is never broken) and nothing hangs.
    [Theory]
    [MemberData(nameof(CheckedModesAndChildCalls))]
    public async Task ParentHoldsAsync_FourForkedChildrenTakeSameLock_EachThrowsSelfDeadlock(LockOrderChecking mode, ChildCall call)
    {
        const int Children = 4;
        var l = new OrderedLock("neo", checking: mode);
        var other = new OrderedLock("other", checking: mode);
        int entered = 0;

        using LockScope held = await l.AcquireAsync();
        Task[] children = Enumerable.Range(0, Children).Select(_ => Task.Run(async () =>
        {
            LockScope scope = call switch
            {
                ChildCall.AcquireAsync => await l.AcquireAsync(),
                ChildCall.TryAcquireAsync => await l.TryAcquireAsync(Timeout.InfiniteTimeSpan),
                ChildCall.Acquire => l.Acquire(),
                _ => default,
            };
            using LockSetScope set = call == ChildCall.AcquireAll ? OrderedLock.AcquireAll(other, l) : default;
            using (scope)
            {
                Interlocked.Increment(ref entered);
            }
        })).ToArray();

        Task all = Task.WhenAll(children);
        await Task.WhenAny(new[] { all, Task.Delay(TestTimeouts.Hang) });

        Assert.True(all.IsCompleted, "a forked child waiting for its parent's lock hangs (NeoSmart case)");
        foreach (Task child in children)
        {
            LockOrderException error = Assert.IsType<LockOrderException>(child.Exception?.InnerException);
            Assert.Equal(LockViolationKind.SelfDeadlock, error.Kind);
            Assert.Contains("SuppressInheritance", error.Message);
        }

        Assert.Equal(0, entered);
        Assert.True(held.IsHeld);
        Assert.Equal(0, l.QueuedWaiterCount);
        Locks.AssertFree(other);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AcquireAll_MemberHeldBySameThread_ThrowsAndTakesNothing(LockOrderChecking mode)
    {
        var low = new OrderedLock("low", rank: 1, checking: mode);
        var held = new OrderedLock("held", rank: 2, checking: mode);
        var high = new OrderedLock("high", rank: 3, checking: mode);

        (Exception? error, bool stillHeld) = await TestThreads.Run(() =>
        {
            using LockScope scope = held.Acquire();
            Exception? caught = Record.Exception(() => OrderedLock.AcquireAll(high, held, low).Dispose());
            return (caught, scope.IsHeld);
        }).WaitAsync(TestTimeouts.Hang);

        LockOrderException thrown = Assert.IsType<LockOrderException>(error);
        Assert.Equal(LockViolationKind.SelfDeadlock, thrown.Kind);
        Assert.True(stillHeld);
        Locks.AssertFree(low, held, high);
    }

    // Same as above for the async set acquisition: it waits for the thread's synchronous hold.
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AcquireAllAsync_MemberHeldSynchronouslyBySameThread_WaitsAsAnOrdinaryContender(LockOrderChecking mode)
    {
        var low = new OrderedLock("low", rank: 1, checking: mode);
        var held = new OrderedLock("held", rank: 2, checking: mode);
        LockScope scope = default;
        Task<LockSetScope> attempt = await TestThreads.Run(() =>
        {
            scope = held.Acquire();
            return OrderedLock.AcquireAllAsync(held, low).AsTask();
        }).WaitAsync(TestTimeouts.Hang);

        await Locks.AssertPendingAsync(attempt, "AcquireAllAsync behind the thread's synchronous hold");
        scope.Dispose();
        (await attempt.WaitAsync(TestTimeouts.Hang)).Dispose();
        Locks.AssertFree(low, held);
    }

    [Theory]
    [MemberData(nameof(CheckedModes))]
    public async Task AcquireAllAsync_MemberHeldBySameFlow_ThrowsBeforeTakingAnything(LockOrderChecking mode)
    {
        var low = new OrderedLock("low", rank: 1, checking: mode);
        var held = new OrderedLock("held", rank: 2, checking: mode);
        using LockScope scope = await held.AcquireAsync();

        LockOrderException error = Assert.Throws<LockOrderException>(() => { _ = OrderedLock.AcquireAllAsync(low, held); });

        Assert.Equal(LockViolationKind.SelfDeadlock, error.Kind);
        Assert.True(scope.IsHeld);
        Locks.AssertFree(low);
        Assert.Equal(0, held.QueuedWaiterCount);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Acquire_AfterSelfDeadlockAndRelease_Succeeds(LockOrderChecking mode)
    {
        var l = new OrderedLock("self", checking: mode);
        LockScope held = l.Acquire();
        Assert.Throws<LockOrderException>(() => l.TryAcquire(TestTimeouts.Expire, out _));

        held.Dispose();

        Locks.AssertFree(l);
        using LockScope again = l.Acquire();
        Assert.True(again.IsHeld);
    }
}

/// <summary>Self-deadlock under global policy changes: Report mode never turns a self-deadlock into a hang.</summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class SelfDeadlockPolicyTests
{
    [Theory]
    [MemberData(nameof(SelfDeadlockTests.CheckedModes), MemberType = typeof(SelfDeadlockTests))]
    public async Task ReportMode_SelfDeadlock_StillThrowsAndIsReported(LockOrderChecking mode)
    {
        var l = new OrderedLock("self", checking: mode);
        var reported = new List<LockOrderViolation>();
        using var policy = new PolicyScope(onViolation: LockViolationAction.Report);
        policy.OnReported(v =>
        {
            if (v.Acquiring.Id == l.Id)
            {
                lock (reported)
                {
                    reported.Add(v);
                }
            }
        });

        using LockScope held = await l.AcquireAsync();
        LockOrderException flow = Assert.Throws<LockOrderException>(() => { _ = l.AcquireAsync(); });
        LockOrderException thread = await TestThreads.Run(() =>
        {
            using LockScope local = new OrderedLock("local", checking: mode).Acquire();
            return Assert.Throws<LockOrderException>(() => local.Lock is OrderedLock o ? o.Acquire() : default);
        }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(LockViolationKind.SelfDeadlock, flow.Kind);
        Assert.Equal(LockViolationKind.SelfDeadlock, thread.Kind);
        Assert.Single(reported);
        Assert.Equal(LockViolationKind.SelfDeadlock, reported[0].Kind);
        Assert.True(held.IsHeld);
    }

    [Fact]
    public async Task GlobalOff_SyncSelfDeadlock_StillThrows()
    {
        using var policy = new PolicyScope(checking: LockOrderChecking.Off);
        var l = new OrderedLock("self"); // follows the global mode

        LockOrderException error = await TestThreads.Run(() =>
        {
            using LockScope held = l.Acquire();
            return Assert.Throws<LockOrderException>(() => l.Acquire());
        }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(LockOrderChecking.Off, l.EffectiveChecking);
        Assert.Equal(LockViolationKind.SelfDeadlock, error.Kind);
        Locks.AssertFree(l);
    }
}
