using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// Strict checking: acquiring a lock whose (Rank, Id) is not above every lock held by the current
/// thread (sync holds) and flow (async holds, inherited ones included) throws LockOrderException
/// (Kind OrderViolation) before blocking; nothing is held afterwards.
/// </summary>
public sealed class StrictOrderTests
{
    private const LockOrderChecking Strict = LockOrderChecking.Strict;

    public enum Call
    {
        Acquire,
        AcquireWithToken,
        TryAcquireZero,
        TryAcquireTimeout,
        AcquireAsync,
        TryAcquireAsync,
        AcquireAll,
        AcquireAllAsync,
    }

    public static TheoryData<Call> Calls => new(Enum.GetValues<Call>());

    public static TheoryData<Call> SyncCalls => new(Call.Acquire, Call.AcquireWithToken, Call.TryAcquireZero, Call.TryAcquireTimeout, Call.AcquireAll);

    public static TheoryData<Call> AsyncCalls => new(Call.AcquireAsync, Call.TryAcquireAsync, Call.AcquireAllAsync);

    /// <summary>
    /// Runs the acquisition on the current thread and releases at once; waits for an asynchronous
    /// one at most <see cref="TestTimeouts.Hang"/> (a <see cref="TimeoutException"/> means it waited).
    /// </summary>
    private static void AcquireAndRelease(OrderedLock l, Call call, CancellationToken token)
    {
        switch (call)
        {
            case Call.Acquire:
                l.Acquire().Dispose();
                break;
            case Call.AcquireWithToken:
                l.Acquire(token).Dispose();
                break;
            case Call.TryAcquireZero:
                l.TryAcquire(out LockScope zero);
                zero.Dispose();
                break;
            case Call.TryAcquireTimeout:
                l.TryAcquire(TestTimeouts.Hang, out LockScope timed, token);
                timed.Dispose();
                break;
            case Call.AcquireAsync:
                WaitBounded(l.AcquireAsync(token).AsTask()).Dispose();
                break;
            case Call.TryAcquireAsync:
                WaitBounded(l.TryAcquireAsync(TestTimeouts.Hang, token).AsTask()).Dispose();
                break;
            case Call.AcquireAll:
                OrderedLock.AcquireAll(token, l).Dispose();
                break;
            default:
                WaitBounded(OrderedLock.AcquireAllAsync(token, l).AsTask()).Dispose();
                break;
        }

        static T WaitBounded<T>(Task<T> task)
        {
            try
            {
                return task.Wait(TestTimeouts.Hang) ? task.Result : throw new TimeoutException("The acquisition waited.");
            }
            catch (AggregateException ex) when (ex.InnerException is not null)
            {
                throw ex.InnerException;
            }
        }
    }

    [Fact]
    public async Task Acquire_InGlobalOrder_Succeeds()
    {
        var a = new OrderedLock("a", rank: 1, checking: Strict);
        var b = new OrderedLock("b", rank: 2, checking: Strict);
        var c = new OrderedLock("c", rank: 3, checking: Strict);

        using (a.Acquire())
        using (b.Acquire())
        using (c.Acquire())
        {
            Assert.True(c.IsHeldByCurrentFlow);
        }

        using (await a.AcquireAsync())
        using (await b.AcquireAsync())
        using (await c.AcquireAsync())
        {
            Assert.True(c.IsHeldByCurrentFlow);
        }

        Locks.AssertFree(a, b, c);
    }

    // "Before blocking": the lock being acquired is held by someone else, so an acquisition that
    // was not checked first would wait; it must throw at once instead, and leave nothing held.
    [Theory]
    [MemberData(nameof(SyncCalls))]
    public async Task Acquire_BelowHeldLock_ThrowsOrderViolationBeforeBlocking(Call call)
    {
        var a = new OrderedLock("a", rank: 1, checking: Strict);
        var b = new OrderedLock("b", rank: 2, checking: Strict);
        LockScope otherHoldsA = await Locks.HoldElsewhereAsync(a);
        using var giveUp = new CancellationTokenSource(TestTimeouts.Hang);

        // On a dedicated thread that holds b: a missing check blocks that thread, never the runner.
        (Exception? error, bool stillHeldB) = await TestThreads.Run(() =>
        {
            using LockScope heldB = b.Acquire();
            Exception? caught = Record.Exception(() => AcquireAndRelease(a, call, giveUp.Token));
            return (caught, heldB.IsHeld);
        }).WaitAsync(TestTimeouts.Hang);

        Assert.True(stillHeldB);
        LockOrderException thrown = Assert.IsType<LockOrderException>(error);
        Assert.Equal(LockViolationKind.OrderViolation, thrown.Kind);
        Assert.Equal(0, a.QueuedWaiterCount);
        Assert.True(otherHoldsA.IsHeld, "the failed acquisition must not disturb the holder");
        otherHoldsA.Dispose();
        Locks.AssertFree(a, b);
    }

    // An asynchronous acquisition is never checked against the thread's synchronous holds: the
    // caller may be another flow's continuation run inline on the holder's thread, and an async
    // wait never blocks the thread, so it cannot close a cycle with them (docs/held-lock-tracking.md).
    // It waits for the lock like any contender and nothing is reported.
    [Theory]
    [MemberData(nameof(AsyncCalls))]
    public async Task AsyncAcquire_BelowLockHeldSynchronouslyByThread_IsAnOrdinaryContender(Call call)
    {
        var a = new OrderedLock("a", rank: 1, checking: Strict);
        var b = new OrderedLock("b", rank: 2, checking: Strict);
        LockScope otherHoldsA = await Locks.HoldElsewhereAsync(a);

        Task pending = await TestThreads.Run(() =>
        {
            using LockScope heldB = b.Acquire();
            return call switch
            {
                Call.AcquireAsync => a.AcquireAsync().AsTask().ContinueWith(t => t.Result.Dispose(), TaskScheduler.Default),
                Call.TryAcquireAsync => a.TryAcquireAsync(TestTimeouts.Hang).AsTask().ContinueWith(t => { Assert.True(t.Result.IsAcquired, "acquired"); t.Result.Dispose(); }, TaskScheduler.Default),
                _ => OrderedLock.AcquireAllAsync(a).AsTask().ContinueWith(t => t.Result.Dispose(), TaskScheduler.Default),
            };
        }).WaitAsync(TestTimeouts.Hang);

        await Locks.AssertPendingAsync(pending, "the asynchronous acquisition of a");
        otherHoldsA.Dispose();
        await pending.WaitAsync(TestTimeouts.Hang); // faults if a violation was thrown
        Locks.AssertFree(a, b);
    }

    [Fact]
    public void Violation_Message_NamesBothLocksRanksAndBothOrders()
    {
        var accounts = new OrderedLock("accounts", rank: 10, checking: Strict);
        var ledger = new OrderedLock("ledger", rank: 20, checking: Strict);

        LockOrderException error;
        using (ledger.Acquire())
        {
            error = Assert.Throws<LockOrderException>(() => accounts.Acquire());
        }

        LockOrderViolation violation = error.Violation!;
        Assert.Equal(LockViolationKind.OrderViolation, violation.Kind);
        Assert.Equal(accounts.Id, violation.Acquiring.Id);
        Assert.Equal(10, violation.Acquiring.Rank);
        HeldLockDescription held = Assert.Single(violation.Held);
        Assert.Equal(ledger.Id, held.Lock.Id);
        Assert.Contains("this thread", held.HeldBy);
        Assert.Empty(violation.Cycle);
        Assert.Equal(violation.Message, error.Message);
        Assert.Contains(accounts.ToString(), error.Message);
        Assert.Contains(ledger.ToString(), error.Message);
        Assert.Contains("Order from declared ranks 10 < 20: 'accounts' before 'ledger'", error.Message);
        Assert.Contains("takes them as 'ledger' then 'accounts'", error.Message);
        Assert.Contains("AcquireAll(accounts, ledger)", error.Message);
        Locks.AssertFree(accounts, ledger);
    }

    [Fact]
    public void Acquire_LowerRankCreatedLater_IsAcquiredFirstByRank()
    {
        var high = new OrderedLock("high", rank: 5, checking: Strict);
        var low = new OrderedLock("low", rank: 1, checking: Strict); // larger id, lower rank

        using (low.Acquire())
        using (high.Acquire())
        {
            Assert.True(high.IsHeldByCurrentFlow);
        }

        using (high.Acquire())
        {
            LockOrderException error = Assert.Throws<LockOrderException>(() => low.Acquire());
            Assert.Equal(LockViolationKind.OrderViolation, error.Kind);
        }

        Locks.AssertFree(low, high);
    }

    [Fact]
    public void Acquire_EqualRanks_OrderedByCreationId()
    {
        var first = new OrderedLock("first", rank: 3, checking: Strict);
        var second = new OrderedLock("second", rank: 3, checking: Strict);
        var noRankFirst = new OrderedLock("n1", checking: Strict);
        var noRankSecond = new OrderedLock("n2", checking: Strict);

        using (first.Acquire())
        using (second.Acquire())
        {
        }

        using (noRankFirst.Acquire())
        using (noRankSecond.Acquire())
        {
        }

        using (second.Acquire())
        {
            Assert.Throws<LockOrderException>(() => first.Acquire());
        }

        using (noRankSecond.Acquire())
        {
            Assert.Throws<LockOrderException>(() => noRankFirst.Acquire());
        }

        Locks.AssertFree(first, second, noRankFirst, noRankSecond);
    }

    // Only the highest held lock matters, and the report names it.
    [Fact]
    public void Acquire_BelowSeveralHeld_ReportsHighestHeld()
    {
        var a = new OrderedLock("a", rank: 1, checking: Strict);
        var b = new OrderedLock("b", rank: 2, checking: Strict);
        var c = new OrderedLock("c", rank: 3, checking: Strict);
        var d = new OrderedLock("d", rank: 4, checking: Strict);

        using (a.Acquire())
        using (c.Acquire())
        using (d.Acquire())
        {
            LockOrderException error = Assert.Throws<LockOrderException>(() => b.Acquire());
            Assert.Contains("while holding 'd'", error.Message);
            Assert.Equal(3, error.Violation!.Held.Count);
        }

        Locks.AssertFree(a, b, c, d);
    }

    [Fact]
    public async Task AsyncHold_AcrossAwaits_StillCountsForOrder()
    {
        var a = new OrderedLock("a", rank: 1, checking: Strict);
        var b = new OrderedLock("b", rank: 2, checking: Strict);

        using (LockScope heldB = await b.AcquireAsync())
        {
            await Task.Yield();
            await Task.Delay(1);

            LockOrderException error = Assert.Throws<LockOrderException>(() => { _ = a.AcquireAsync(); });
            LockOrderException sync = Assert.Throws<LockOrderException>(() => a.TryAcquire(out _));
            Assert.Equal(LockViolationKind.OrderViolation, error.Kind);
            Assert.Equal(LockViolationKind.OrderViolation, sync.Kind);
            Assert.Contains("async flow", Assert.Single(error.Violation!.Held).HeldBy);
        }

        Locks.AssertFree(a, b);
    }

    // A Task.Run child started while the parent holds b (async) checks its acquisitions against b.
    [Fact]
    public async Task ForkedChild_ParentHoldsHigherLock_ChildLowerAcquisitionThrows()
    {
        var a = new OrderedLock("a", rank: 1, checking: Strict);
        var b = new OrderedLock("b", rank: 2, checking: Strict);
        var c = new OrderedLock("c", rank: 3, checking: Strict);

        using (LockScope heldB = await b.AcquireAsync())
        {
            Exception? below = await Task.Run(() => Record.Exception(() => a.Acquire().Dispose())).WaitAsync(TestTimeouts.Hang);
            Exception? belowAsync = await Task.Run(() => Record.ExceptionAsync(async () => (await a.AcquireAsync()).Dispose())).WaitAsync(TestTimeouts.Hang);
            bool aboveOk = await Task.Run(async () =>
            {
                using LockScope scope = await c.AcquireAsync();
                return scope.IsHeld;
            }).WaitAsync(TestTimeouts.Hang);

            Assert.Equal(LockViolationKind.OrderViolation, Assert.IsType<LockOrderException>(below).Kind);
            Assert.Equal(LockViolationKind.OrderViolation, Assert.IsType<LockOrderException>(belowAsync).Kind);
            Assert.True(aboveOk);
            Assert.True(heldB.IsHeld);
        }

        Locks.AssertFree(a, b, c);
    }

    [Fact]
    public async Task ReleasedHold_NoLongerCounts()
    {
        var a = new OrderedLock("a", rank: 1, checking: Strict);
        var b = new OrderedLock("b", rank: 2, checking: Strict);

        b.Acquire().Dispose();
        (await b.AcquireAsync()).Dispose();

        using (a.Acquire())
        {
            Assert.True(a.IsHeldByCurrentFlow);
        }

        using (await a.AcquireAsync())
        {
            Assert.True(a.IsHeldByCurrentFlow);
        }

        Locks.AssertFree(a, b);
    }

    [Fact]
    public async Task OtherThreadsHolds_DoNotCount()
    {
        var a = new OrderedLock("a", rank: 1, checking: Strict);
        var b = new OrderedLock("b", rank: 2, checking: Strict);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task holder = TestThreads.Run(() =>
        {
            using LockScope scope = b.Acquire();
            holding.SetResult();
            release.Task.Wait(TestTimeouts.Hang);
        });
        await holding.Task.WaitAsync(TestTimeouts.Hang);

        using (a.Acquire())
        {
            Assert.True(a.IsHeldByCurrentFlow);
        }

        release.SetResult();
        await holder.WaitAsync(TestTimeouts.Hang);
        Locks.AssertFree(a, b);
    }

    // The mode of the lock being acquired decides: an Off lock is never checked.
    [Fact]
    public void Acquire_TargetWithCheckingOff_IsNotChecked()
    {
        var unchecked_ = new OrderedLock("unchecked", rank: 1, checking: LockOrderChecking.Off);
        var b = new OrderedLock("b", rank: 2, checking: Strict);

        using (b.Acquire())
        using (LockScope scope = unchecked_.Acquire())
        {
            Assert.True(scope.IsHeld);
        }

        Locks.AssertFree(unchecked_, b);
    }

    [Fact]
    public void Acquire_NegativeRank_ComesBeforeRankZero()
    {
        var zero = new OrderedLock("zero", checking: Strict);
        var negative = new OrderedLock("negative", rank: -1, checking: Strict);

        using (negative.Acquire())
        using (zero.Acquire())
        {
        }

        using (zero.Acquire())
        {
            Assert.Throws<LockOrderException>(() => negative.Acquire());
        }

        Locks.AssertFree(zero, negative);
    }
}

/// <summary>Strict checking under global policy changes (Report mode, global Checking).</summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class StrictOrderPolicyTests
{
    [Fact]
    public void ThrowMode_Violation_IsReportedThenThrown()
    {
        var a = new OrderedLock("a", rank: 1, checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", rank: 2, checking: LockOrderChecking.Strict);
        var seen = new List<LockOrderViolation>();
        using var policy = new PolicyScope(onViolation: LockViolationAction.Throw);
        policy.OnReported(v =>
        {
            if (v.Acquiring.Id == a.Id)
            {
                seen.Add(v);
            }
        });

        using (b.Acquire())
        {
            LockOrderException error = Assert.Throws<LockOrderException>(() => a.Acquire());
            Assert.Same(error.Violation, Assert.Single(seen));
        }

        Locks.AssertFree(a, b);
    }

    [Fact]
    public async Task ReportMode_Violation_ReportedAndAcquisitionProceeds()
    {
        var a = new OrderedLock("a", rank: 1, checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", rank: 2, checking: LockOrderChecking.Strict);
        var seen = new List<LockOrderViolation>();
        using var policy = new PolicyScope(onViolation: LockViolationAction.Report);
        policy.OnReported(v =>
        {
            if (v.Acquiring.Id == a.Id)
            {
                lock (seen)
                {
                    seen.Add(v);
                }
            }
        });

        using (b.Acquire())
        using (LockScope scope = a.Acquire())
        {
            Assert.True(scope.IsHeld);
        }

        using (await b.AcquireAsync())
        using (LockScope scope = await a.AcquireAsync())
        {
            Assert.True(scope.IsHeld);
        }

        Assert.Equal(2, seen.Count);
        Assert.All(seen, v => Assert.Equal(LockViolationKind.OrderViolation, v.Kind));
        Locks.AssertFree(a, b);
    }

    [Fact]
    public void ReportMode_ThrowingHandler_DoesNotChangeOutcome()
    {
        var a = new OrderedLock("a", rank: 1, checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", rank: 2, checking: LockOrderChecking.Strict);
        int calls = 0;
        using var policy = new PolicyScope(onViolation: LockViolationAction.Report);
        policy.OnReported(_ => throw new InvalidTimeZoneException("faulty handler"));
        policy.OnReported(v =>
        {
            if (v.Acquiring.Id == a.Id)
            {
                calls++;
            }
        });

        using (b.Acquire())
        using (LockScope scope = a.Acquire())
        {
            Assert.True(scope.IsHeld);
        }

        Assert.Equal(1, calls);
        Locks.AssertFree(a, b);
    }

    [Fact]
    public void GlobalChecking_AppliesToLocksWithoutOwnMode_PerLockModeWins()
    {
        using var policy = new PolicyScope(checking: LockOrderChecking.Off);
        var a = new OrderedLock("a", rank: 1);
        var b = new OrderedLock("b", rank: 2);
        var strictA = new OrderedLock("strictA", rank: 1, checking: LockOrderChecking.Strict);
        var strictB = new OrderedLock("strictB", rank: 2, checking: LockOrderChecking.Strict);

        using (b.Acquire())
        using (a.Acquire())
        {
            Assert.Equal(LockOrderChecking.Off, a.EffectiveChecking);
        }

        using (strictB.Acquire())
        {
            Assert.Throws<LockOrderException>(() => strictA.Acquire());
        }

        LockOrderPolicy.Checking = LockOrderChecking.Strict;
        using (b.Acquire())
        {
            Assert.Equal(LockOrderChecking.Strict, a.EffectiveChecking);
            Assert.Throws<LockOrderException>(() => a.Acquire());
        }

        Locks.AssertFree(a, b, strictA, strictB);
    }

    [Fact]
    public void Policy_UndefinedValues_AreRejectedAndNothingChanges()
    {
        LockOrderChecking checking = LockOrderPolicy.Checking;
        LockViolationAction action = LockOrderPolicy.OnViolation;

        Assert.Throws<ArgumentOutOfRangeException>(() => LockOrderPolicy.Checking = (LockOrderChecking)42);
        Assert.Throws<ArgumentOutOfRangeException>(() => LockOrderPolicy.OnViolation = (LockViolationAction)42);

        Assert.Equal(checking, LockOrderPolicy.Checking);
        Assert.Equal(action, LockOrderPolicy.OnViolation);
    }

    /// <summary>
    /// A synchronous wait that ends without the lock (timed out, or cancelled while queued) records
    /// nothing on the thread, in every checking mode: had it left the lock among the thread's holds,
    /// taking a lower-ranked lock next would be an order violation (Strict, Hybrid), and nesting the
    /// two in rank order would close a learned cycle (Learned).
    /// </summary>
    [Theory]
    [InlineData(LockOrderChecking.Strict, false)]
    [InlineData(LockOrderChecking.Strict, true)]
    [InlineData(LockOrderChecking.Hybrid, false)]
    [InlineData(LockOrderChecking.Hybrid, true)]
    [InlineData(LockOrderChecking.Learned, false)]
    [InlineData(LockOrderChecking.Learned, true)]
    public void FailedSyncWait_RecordsNothingOnTheThread(LockOrderChecking mode, bool cancelled)
    {
        var low = new OrderedLock($"failed-wait-low-{mode}-{cancelled}", rank: 1, checking: mode);
        var high = new OrderedLock($"failed-wait-high-{mode}-{cancelled}", rank: 2, checking: mode);
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using (high.Acquire())
            {
                held.Set();
                release.Wait(TestTimeouts.Hang);
            }
        })
        { IsBackground = true };
        holder.Start();
        Assert.True(held.Wait(TestTimeouts.Hang));
        try
        {
            if (cancelled)
            {
                using var cts = new CancellationTokenSource(TestTimeouts.Expire);
                Assert.ThrowsAny<OperationCanceledException>(() => high.Acquire(cts.Token));
            }
            else
            {
                Assert.False(high.TryAcquire(TestTimeouts.Expire, out LockScope scope));
                Assert.False(scope.IsAcquired);
            }

            Assert.False(high.IsHeldByCurrentFlow);
        }
        finally
        {
            release.Set();
            Assert.True(holder.Join(TestTimeouts.Hang));
        }

        using (low.Acquire())
        {
            using (high.Acquire(CancellationToken.None))
            {
                Assert.True(high.IsHeldByCurrentFlow);
            }
        }

        Assert.True(high.TryAcquire(TimeSpan.Zero, out LockScope again));
        again.Dispose();
    }
}
