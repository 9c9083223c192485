using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// Who is the holder of a synchronous hold (issue 12). A synchronous hold belongs to its thread's
/// synchronous code: an asynchronous acquisition that happens to run on the holder's thread (an
/// unrelated task's continuation run inline when the holder completes a TaskCompletionSource or
/// cancels a token inside the lock) is an ordinary contender. It must never be granted a
/// re-entry (two sections would overlap and the release from another thread would be refused),
/// never get a false SelfDeadlock, and never see the thread's holds in order checks.
/// </summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class HolderIdentityTests
{
    public static TheoryData<LockOrderChecking> Modes => Locks.Modes;

    public enum Completer
    {
        /// <summary>The holder completes a TaskCompletionSource (default options: continuations run inline).</summary>
        TaskCompletionSource,

        /// <summary>The holder cancels a token that the other task awaits (callbacks run inline).</summary>
        Cancellation,
    }

    public static TheoryData<LockOrderChecking, Completer> ModesAndCompleters()
    {
        var data = new TheoryData<LockOrderChecking, Completer>();
        foreach (LockOrderChecking mode in Locks.AllModes)
        {
            data.Add(mode, Completer.TaskCompletionSource);
            data.Add(mode, Completer.Cancellation);
        }

        return data;
    }

    // A trigger the holder fires inside its section; the awaiting task's continuation runs inline
    // on the holder's thread (no RunContinuationsAsynchronously, no synchronization context).
    private sealed class InlineTrigger
    {
        private readonly Completer _kind;
        private readonly TaskCompletionSource _tcs = new();
        private readonly CancellationTokenSource _cts = new();

        internal InlineTrigger(Completer kind) => _kind = kind;

        internal async Task Awaited()
        {
            if (_kind == Completer.TaskCompletionSource)
            {
                await _tcs.Task;
            }
            else
            {
                // A callback registered on the token runs inline in Cancel(); so does the
                // continuation of the task it completes.
                var cancelled = new TaskCompletionSource();
                _cts.Token.Register(static state => ((TaskCompletionSource)state!).SetResult(), cancelled);
                await cancelled.Task;
            }
        }

        internal void Fire()
        {
            if (_kind == Completer.TaskCompletionSource)
            {
                _tcs.SetResult();
            }
            else
            {
                _cts.Cancel();
            }
        }
    }

    // The repro, made deterministic: the other task is started (and awaits) before the
    // holder takes the lock, so its continuation runs inline inside the holder's section.
    [Theory]
    [MemberData(nameof(ModesAndCompleters))]
    public async Task Reentrant_InlineContinuationOnHolderThread_IsAContenderNotAReentry(LockOrderChecking mode, Completer completer)
    {
        var r = new ReentrantOrderedLock("r", checking: mode);
        var trigger = new InlineTrigger(completer);
        int inside = 0;
        int maxInside = 0;
        int continuationThread = 0;

        void Enter()
        {
            int now = Interlocked.Increment(ref inside);
            InterlockedMax(ref maxInside, now);
        }

        async Task Other()
        {
            await trigger.Awaited();
            continuationThread = Environment.CurrentManagedThreadId;
            using (await r.AcquireAsync())
            {
                Enter();
                await Task.Delay(20).ConfigureAwait(false); // resumes on another thread, still inside
                Interlocked.Decrement(ref inside);
            }
        }

        Task other = null!;
        int holderThread = await TestThreads.Run(() =>
        {
            other = Other();
            using (r.Acquire())
            {
                Enter();
                trigger.Fire();
                Thread.Sleep(60); // the other section, if wrongly entered, runs now
                Interlocked.Decrement(ref inside);
            }

            return Environment.CurrentManagedThreadId;
        }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(holderThread, continuationThread); // the continuation really ran inline
        await other.WaitAsync(TestTimeouts.Hang); // no fault: the release was accepted
        Assert.Equal(1, maxInside);
        Assert.False(r.IsLocked, "The lock must not stay stuck.");
        using (LockScope later = await r.AcquireAsync().AsTask().WaitAsync(TestTimeouts.Hang))
        {
            Assert.True(later.IsHeld);
        }
    }

    [Theory]
    [MemberData(nameof(ModesAndCompleters))]
    public async Task OrderedLock_InlineContinuationAcquireAsync_WaitsInsteadOfFalseSelfDeadlock(LockOrderChecking mode, Completer completer)
    {
        var l = new OrderedLock("l", checking: mode);
        var trigger = new InlineTrigger(completer);
        int continuationThread = 0;
        bool gotItWhileHolderInside = false;
        bool holderInside = false;

        async Task Other()
        {
            await trigger.Awaited();
            continuationThread = Environment.CurrentManagedThreadId;
            using (await l.AcquireAsync())
            {
                gotItWhileHolderInside = Volatile.Read(ref holderInside);
            }
        }

        Task other = null!;
        int holderThread = await TestThreads.Run(() =>
        {
            other = Other();
            using (l.Acquire())
            {
                Volatile.Write(ref holderInside, true);
                trigger.Fire();
                Volatile.Write(ref holderInside, false);
            }

            return Environment.CurrentManagedThreadId;
        }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(holderThread, continuationThread);
        await other.WaitAsync(TestTimeouts.Hang); // a false SelfDeadlock would fault it
        Assert.False(gotItWhileHolderInside);
        Locks.AssertFree(l);
    }

    // Order checks of an asynchronous acquisition do not count the holder thread's synchronous
    // holds: the inline continuation holds nothing of its own.
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task InlineContinuation_AcquiresEarlierLockAsync_NoFalseOrderViolation(LockOrderChecking mode)
    {
        using var policy = new PolicyScope(onViolation: LockViolationAction.Throw);
        var reported = new List<LockOrderViolation>();
        policy.OnReported(v => { lock (reported) { reported.Add(v); } });
        var early = new OrderedLock("early", rank: 1, checking: mode);
        var late = new OrderedLock("late", rank: 2, checking: mode);
        var trigger = new InlineTrigger(Completer.TaskCompletionSource);

        async Task Other()
        {
            await trigger.Awaited();
            using (await early.AcquireAsync())
            {
            }
        }

        Task other = null!;
        await TestThreads.Run(() =>
        {
            other = Other();
            using (late.Acquire())
            {
                trigger.Fire();
            }
        }).WaitAsync(TestTimeouts.Hang);

        await other.WaitAsync(TestTimeouts.Hang);
        lock (reported)
        {
            Assert.DoesNotContain(reported, v => v.Acquiring.Name == "early" || v.Acquiring.Name == "late");
        }

        Locks.AssertFree(early, late);
    }

    // The same flow taking the lock synchronously on the holder's thread is nested in the holder's
    // stack: the thread would block on itself, so it is still a SelfDeadlock at once (non-reentrant)
    // or a re-entry released before the holder continues (reentrant).
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task InlineContinuation_SyncAcquire_OfHeldLock_IsSelfDeadlock(LockOrderChecking mode)
    {
        var l = new OrderedLock("l", checking: mode);
        var trigger = new InlineTrigger(Completer.TaskCompletionSource);
        Exception? seen = null;

        async Task Other()
        {
            await trigger.Awaited();
            try
            {
                l.Acquire().Dispose();
            }
            catch (Exception ex)
            {
                seen = ex;
            }
        }

        await TestThreads.Run(() =>
        {
            Task other = Other();
            using (l.Acquire())
            {
                trigger.Fire();
            }

            other.Wait(TestTimeouts.Hang);
        }).WaitAsync(TestTimeouts.Hang);

        LockOrderException thrown = Assert.IsType<LockOrderException>(seen);
        Assert.Equal(LockViolationKind.SelfDeadlock, thrown.Kind);
        Locks.AssertFree(l);
    }

    // A scope from Acquire() handed to another thread: the receiving thread releases it, and the
    // handing thread's asynchronous acquisition meanwhile waits like any contender.
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task HandedSyncScope_HandingThreadAcquiresAsync_WaitsForTheReceiver(LockOrderChecking mode)
    {
        var l = new OrderedLock("l", checking: mode);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task receiver = null!;

        Task<LockScope> second = await TestThreads.Run(() =>
        {
            LockScope scope = l.Acquire();
            receiver = TestThreads.Run(() =>
            {
                release.Task.Wait(TestTimeouts.Hang);
                scope.Dispose();
            });
            return l.AcquireAsync().AsTask(); // no SelfDeadlock: queued behind the receiver's hold
        }).WaitAsync(TestTimeouts.Hang);

        await Locks.AssertPendingAsync(second, "the handing thread's AcquireAsync");
        release.SetResult();
        await receiver.WaitAsync(TestTimeouts.Hang);
        (await second.WaitAsync(TestTimeouts.Hang)).Dispose();
        Locks.AssertFree(l);
    }

    // ...while its synchronous re-acquisition before the release stays a SelfDeadlock at once: it
    // cannot be told from re-acquiring a scope still in the thread's hands, and waiting would hang.
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task HandedSyncScope_HandingThreadAcquiresSync_IsSelfDeadlockAndKeepsTheHold(LockOrderChecking mode)
    {
        var l = new OrderedLock("l", checking: mode);
        Exception? error = await TestThreads.Run(() =>
        {
            LockScope scope = l.Acquire();
            Task receiver = TestThreads.Run(() => { });
            try
            {
                l.Acquire().Dispose();
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
            finally
            {
                receiver.Wait(TestTimeouts.Hang);
                TestThreads.Run(scope.Dispose).Wait(TestTimeouts.Hang); // released by another thread
            }
        }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(LockViolationKind.SelfDeadlock, Assert.IsType<LockOrderException>(error).Kind);
        Locks.AssertFree(l);
    }

    // The repro with the hand-off said out loud: after scope.HandOff() the handing thread's
    // synchronous re-acquisition waits for the receiver's release (no false SelfDeadlock), gets the
    // lock once the receiver disposes, and nothing stays held.
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task HandedOffSyncScope_HandingThreadAcquiresSync_WaitsForTheReceiver(LockOrderChecking mode)
    {
        var l = new OrderedLock("l", checking: mode);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reacquiring = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task receiver = null!;

        Task<bool> handing = TestThreads.Run(() =>
        {
            LockScope handed = l.Acquire().HandOff();
            receiver = TestThreads.Run(() =>
            {
                release.Task.Wait(TestTimeouts.Hang);
                Assert.True(l.IsLocked);
                handed.Dispose();
            });
            reacquiring.SetResult();
            using (l.Acquire())
            {
                return l.IsLocked && l.IsHeldByCurrentFlow;
            }
        });

        await reacquiring.Task.WaitAsync(TestTimeouts.Hang);
        await Locks.AssertPendingAsync(handing, "the handing thread's second Acquire");
        Assert.True(l.IsLocked);
        release.SetResult();
        Assert.True(await handing.WaitAsync(TestTimeouts.Hang));
        await receiver.WaitAsync(TestTimeouts.Hang);
        Locks.AssertFree(l);
    }

    // After a hand-off the handing thread no longer counts the hold in its order checks: taking a
    // lower-ranked lock is not an order violation for it (the receiver holds the higher one).
    [Theory]
    [InlineData(LockOrderChecking.Strict)]
    [InlineData(LockOrderChecking.Hybrid)]
    public async Task HandedOffSyncScope_IsNotInTheHandingThreadsOrderChecks(LockOrderChecking mode)
    {
        var low = new OrderedLock("low", rank: 1, checking: mode);
        var high = new OrderedLock("high", rank: 2, checking: mode);
        LockScope handed = await TestThreads.Run(() =>
        {
            LockScope scope = high.Acquire().HandOff();
            low.Acquire().Dispose(); // would be an order violation (or a learned edge) without the hand-off
            return scope;
        }).WaitAsync(TestTimeouts.Hang);

        Assert.True(high.IsLocked);
        await TestThreads.Run(handed.Dispose).WaitAsync(TestTimeouts.Hang);
        Locks.AssertFree(low, high);
    }

    // An asynchronous hold handed to another flow: the handing flow's next AcquireAsync queues
    // behind it instead of reporting a SelfDeadlock, and its forks no longer inherit the hold.
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task HandedOffAsyncScope_HandingFlowReacquires_WaitsForTheReceiver(LockOrderChecking mode)
    {
        var l = new OrderedLock("l", checking: mode);
        LockScope handed = (await l.AcquireAsync()).HandOff();
        Assert.False(l.IsHeldByCurrentFlow);
        ValueTask<LockScope> again = l.AcquireAsync();
        Task<LockScope> pending = again.AsTask();
        await Locks.AssertPendingAsync(pending, "the handing flow's second AcquireAsync");
        await Task.Run(handed.Dispose).WaitAsync(TestTimeouts.Hang);
        (await pending.WaitAsync(TestTimeouts.Hang)).Dispose();
        Locks.AssertFree(l);
    }

    // Bad input: handing off a released, a default or a reentrant scope, or one held by another
    // thread, is a clear error and changes nothing.
    [Fact]
    public async Task HandOff_BadInput_ThrowsAndChangesNothing()
    {
        var l = new OrderedLock("plain");
        LockScope released = l.Acquire();
        released.Dispose();
        Assert.Contains("released", Assert.Throws<InvalidOperationException>(() => released.HandOff()).Message);
        Assert.Contains("no lock", Assert.Throws<InvalidOperationException>(() => default(LockScope).HandOff()).Message);

        var r = new ReentrantOrderedLock("reentrant");
        using (LockScope scope = r.Acquire())
        {
            var error = Assert.Throws<InvalidOperationException>(() => scope.HandOff());
            Assert.Contains("'reentrant'", error.Message);
            Assert.True(r.IsHeldByCurrentFlow);
        }

        LockScope foreign = l.Acquire();
#pragma warning disable OL0005 // held across the await on purpose: another thread's HandOff of this thread's scope must be refused
        var otherThread = await TestThreads.Run(() => Record.Exception(() => foreign.HandOff())).WaitAsync(TestTimeouts.Hang);
#pragma warning restore OL0005
        Assert.Contains("only that thread", Assert.IsType<InvalidOperationException>(otherThread).Message);
        Assert.True(l.IsHeldByCurrentFlow);
        foreign.Dispose();
        Locks.AssertFree(l, r);
    }

    // The SelfDeadlock that stays (no hand-off) says what to do about a scope that was passed on.
    [Fact]
    public void SelfDeadlockMessage_NamesHandOff()
    {
        var l = new OrderedLock("named");
        using (l.Acquire())
        {
            var error = Assert.Throws<LockOrderException>(() => l.Acquire());
            Assert.Contains("'named'", error.Message);
            Assert.Contains("HandOff()", error.Message);
        }

        Locks.AssertFree(l);
    }

    // A condition's asynchronous wait from an inline continuation must not release the holder's
    // synchronous hold (that would let a third party in while the holder is inside).
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task InlineContinuation_ConditionWaitAsync_DoesNotReleaseTheHoldersLock(LockOrderChecking mode)
    {
        var l = new OrderedLock("l", checking: mode);
        var condition = new OrderedCondition(l);
        var trigger = new InlineTrigger(Completer.TaskCompletionSource);
        Exception? seen = null;
        bool stillHeld = false;

        async Task Other()
        {
            await trigger.Awaited();
            try
            {
#pragma warning disable OL0101, OL0102 // on purpose: a wait without the lock must throw, not release the holder's lock
                await condition.WaitAsync(TimeSpan.Zero);
#pragma warning restore OL0101, OL0102
            }
            catch (Exception ex)
            {
                seen = ex;
            }
        }

        await TestThreads.Run(() =>
        {
            Task other = Other();
            using (LockScope scope = l.Acquire())
            {
                trigger.Fire();
                stillHeld = scope.IsHeld;
            }

            other.Wait(TestTimeouts.Hang);
        }).WaitAsync(TestTimeouts.Hang);

        Assert.IsType<SynchronizationLockException>(seen);
        Assert.True(stillHeld);
        Locks.AssertFree(l);
    }

    // A real self-deadlock of the same flow stays an immediate error: synchronous re-acquire on the
    // holding thread, and asynchronous re-acquire by the flow that holds the lock asynchronously.
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task SameThreadSyncReacquire_StillThrowsAtOnce(LockOrderChecking mode)
    {
        var l = new OrderedLock("l", checking: mode);
        Exception? error = await TestThreads.Run(() =>
        {
            using (l.Acquire())
            {
                try
                {
                    l.Acquire().Dispose();
                    return null;
                }
                catch (Exception ex)
                {
                    return ex;
                }
            }
        }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(LockViolationKind.SelfDeadlock, Assert.IsType<LockOrderException>(error).Kind);
        Locks.AssertFree(l);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
