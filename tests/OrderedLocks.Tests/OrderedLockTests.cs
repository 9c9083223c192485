using System.Collections.Concurrent;
using Xunit;

namespace OrderedLocks.Tests;

/// <summary>OrderedLock basics: identity and order, Acquire/TryAcquire/AcquireAsync, scopes, exclusion, fairness.</summary>
public sealed class OrderedLockTests
{
    public static TheoryData<LockOrderChecking> Modes => Locks.Modes;

    [Fact]
    public void Constructor_NameRankAndChecking_AreExposed()
    {
        var l = new OrderedLock("accounts", rank: 10, checking: LockOrderChecking.Learned);

        Assert.Equal("accounts", l.Name);
        Assert.Equal(10, l.Rank);
        Assert.True(l.HasRank);
        Assert.Equal(LockOrderChecking.Learned, l.Checking);
        Assert.Equal(LockOrderChecking.Learned, l.EffectiveChecking);
        Assert.False(l.IsLocked);
        Assert.Contains("'accounts'", l.ToString());
        Assert.Contains("rank 10", l.ToString());
        Assert.Contains($"id {l.Id}", l.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Constructor_NoName_UsesKindAndId(string? name)
    {
        var l = new OrderedLock(name);

        Assert.Equal($"OrderedLock#{l.Id}", l.Name);
        Assert.False(l.HasRank);
        Assert.Equal(0, l.Rank);
        Assert.Null(l.Checking);
        Assert.Contains("no rank", l.ToString());
    }

    [Fact]
    public void Id_LaterLock_HasLargerUniqueId()
    {
        var first = new OrderedLock("first");
        var second = new OrderedLock("second");
        var third = new OrderedLock("third");

        Assert.True(second.Id > first.Id);
        Assert.True(third.Id > second.Id);
    }

    [Fact]
    public void CompareTo_RankFirstThenId_GivesGlobalOrder()
    {
        var highRankEarly = new OrderedLock("high", rank: 20);
        var lowRankLate = new OrderedLock("low", rank: 10);
        var sameRankLater = new OrderedLock("low2", rank: 10);
        var negativeRank = new OrderedLock("negative", rank: -5);
        var noRank = new OrderedLock("none");

        Assert.True(lowRankLate.CompareTo(highRankEarly) < 0, "rank decides before id");
        Assert.True(highRankEarly.CompareTo(lowRankLate) > 0);
        Assert.True(lowRankLate.CompareTo(sameRankLater) < 0, "equal ranks: the earlier lock first");
        Assert.True(negativeRank.CompareTo(noRank) < 0, "negative ranks come before rank 0");
        Assert.True(noRank.CompareTo(lowRankLate) < 0, "no rank is rank 0");
        Assert.Equal(0, noRank.CompareTo(noRank));
        Assert.True(noRank.CompareTo(null) > 0);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Acquire_FreeLock_HoldsUntilScopeDisposed(LockOrderChecking mode)
    {
        var l = new OrderedLock("a", checking: mode);

        LockScope scope = l.Acquire();
        try
        {
            Assert.True(l.IsLocked);
            Assert.True(scope.IsAcquired);
            Assert.True(scope.IsHeld);
            Assert.Same(l, scope.Lock);
            Assert.True(l.IsHeldByCurrentFlow);
        }
        finally
        {
            scope.Dispose();
        }

        Assert.False(scope.IsHeld);
        Assert.True(scope.IsAcquired, "IsAcquired describes the acquisition, not the current state");
        Assert.False(l.IsHeldByCurrentFlow);
        Locks.AssertFree(l);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void TryAcquire_FreeLock_ReturnsTrueAndHolds(LockOrderChecking mode)
    {
        var l = new OrderedLock("a", checking: mode);

        Assert.True(l.TryAcquire(out LockScope scope));
        Assert.True(scope.IsHeld);
        scope.Dispose();

        Assert.True(l.TryAcquire(TestTimeouts.Expire, out scope));
        Assert.True(scope.IsHeld);
        scope.Dispose();

        Assert.True(l.TryAcquire(Timeout.InfiniteTimeSpan, out scope));
        Assert.True(scope.IsHeld);
        scope.Dispose();
        Locks.AssertFree(l);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task TryAcquire_HeldElsewhere_ReturnsFalseWithDefaultScope(LockOrderChecking mode)
    {
        var l = new OrderedLock("a", checking: mode);
        LockScope other = await Locks.HoldElsewhereAsync(l);

        (bool zero, LockScope zeroScope, bool timed, LockScope timedScope) = await TestThreads.Run(() =>
        {
            bool z = l.TryAcquire(out LockScope zs);
            bool t = l.TryAcquire(TestTimeouts.Expire, out LockScope ts);
            return (z, zs, t, ts);
        }).WaitAsync(TestTimeouts.Hang);

        Assert.False(zero);
        Assert.False(zeroScope.IsAcquired);
        Assert.False(timed);
        Assert.False(timedScope.IsAcquired);
        Assert.True(other.IsHeld, "a failed TryAcquire must not disturb the holder");
        Assert.Equal(0, l.QueuedWaiterCount);
        other.Dispose();
        Locks.AssertFree(l);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AcquireAsync_FreeLock_CompletesSynchronously(LockOrderChecking mode)
    {
        var l = new OrderedLock("a", checking: mode);

        ValueTask<LockScope> pending = l.AcquireAsync();

        Assert.True(pending.IsCompletedSuccessfully);
        using (LockScope scope = await pending)
        {
            Assert.True(scope.IsHeld);
            Assert.True(l.IsLocked);
        }

        Locks.AssertFree(l);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task TryAcquireAsync_HeldElsewhere_ReturnsUnacquiredScopeAfterTimeout(LockOrderChecking mode)
    {
        var l = new OrderedLock("a", checking: mode);
        LockScope other = await Locks.HoldElsewhereAsync(l);

        LockScope zero = await l.TryAcquireAsync(TimeSpan.Zero);
        LockScope timed = await l.TryAcquireAsync(TestTimeouts.Expire).AsTask().WaitAsync(TestTimeouts.Hang);

        Assert.False(zero.IsAcquired);
        Assert.False(timed.IsAcquired);
        Assert.False(timed.IsHeld);
        Assert.True(other.IsHeld);
        Assert.Equal(0, l.QueuedWaiterCount);
        other.Dispose();
        Locks.AssertFree(l);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Acquire_Contended_BlocksUntilHolderReleases(LockOrderChecking mode)
    {
        var l = new OrderedLock("a", checking: mode);
        LockScope other = await Locks.HoldElsewhereAsync(l);

        Task<bool> waiter = TestThreads.Run(() =>
        {
            using LockScope scope = l.Acquire();
            return scope.IsHeld;
        });
        await Poll.WaitersAsync(l, 1);
        await Locks.AssertPendingAsync(waiter, "Acquire of a held lock");

        other.Dispose();

        Assert.True(await waiter.WaitAsync(TestTimeouts.Hang));
        Locks.AssertFree(l);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AcquireAsync_Contended_CompletesAfterHolderReleases(LockOrderChecking mode)
    {
        var l = new OrderedLock("a", checking: mode);
        LockScope other = await Locks.HoldElsewhereAsync(l);

        ValueTask<LockScope> pending = l.AcquireAsync();
        Assert.False(pending.IsCompleted);
        Task<LockScope> waiter = pending.AsTask();
        await Poll.WaitersAsync(l, 1);
        await Locks.AssertPendingAsync(waiter, "AcquireAsync of a held lock");

        other.Dispose();

        LockScope scope = await waiter.WaitAsync(TestTimeouts.Hang);
        Assert.True(scope.IsHeld);
        scope.Dispose();
        Locks.AssertFree(l);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Dispose_Twice_IsHarmlessAndKeepsLaterHold(LockOrderChecking mode)
    {
        var l = new OrderedLock("a", checking: mode);
        LockScope first = l.Acquire();
        LockScope copy = first; // a stale copy of the same scope

        first.Dispose();
        first.Dispose();
        Locks.AssertFree(l);

        LockScope second = l.Acquire();
        copy.Dispose(); // token per hold: the stale copy cannot release the later hold
        first.Dispose();

        Assert.True(second.IsHeld);
        Assert.True(l.IsLocked);
        Assert.False(first.IsHeld);
        second.Dispose();
        Locks.AssertFree(l);
    }

    [Fact]
    public void DefaultScope_Dispose_DoesNothing()
    {
        LockScope scope = default;
        LockSetScope set = default;

        scope.Dispose();
        set.Dispose();

        Assert.False(scope.IsAcquired);
        Assert.False(scope.IsHeld);
        Assert.Null(scope.Lock);
        Assert.Equal(0, set.Count);
        Assert.Empty(set.Locks);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ExceptionInsideScope_ReleasesLock(LockOrderChecking mode)
    {
        var l = new OrderedLock("a", checking: mode);

        void UseAndThrow()
        {
            using LockScope scope = l.Acquire();
            throw new InvalidTimeZoneException("boom");
        }

        Assert.Throws<InvalidTimeZoneException>(UseAndThrow);

        Locks.AssertFree(l);
        Assert.False(l.IsHeldByCurrentFlow);
        using LockScope again = l.Acquire(); // not a self-deadlock: the hold really ended
        Assert.True(again.IsHeld);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ExceptionInsideAsyncScope_ReleasesLock(LockOrderChecking mode)
    {
        var l = new OrderedLock("a", checking: mode);

        await Assert.ThrowsAsync<InvalidTimeZoneException>(async () =>
        {
            using LockScope scope = await l.AcquireAsync();
            await Task.Yield();
            throw new InvalidTimeZoneException("boom");
        });

        Locks.AssertFree(l);
        using LockScope again = await l.AcquireAsync();
        Assert.True(again.IsHeld);
    }

    // Two sync threads and two async flows increment a plain (non-atomic) counter under the lock;
    // any overlap shows as an "inside" count above 1 or a lost increment.
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Acquire_ManyThreadsAndFlows_ExcludeEachOther(LockOrderChecking mode)
    {
        const int Iterations = 2_000;
        var l = new OrderedLock("counter", checking: mode);
        int inside = 0;
        int maxInside = 0;
        long counter = 0;

        void Enter()
        {
            int now = Interlocked.Increment(ref inside);
            if (now > 1)
            {
                Volatile.Write(ref maxInside, now);
            }

            counter++;
            Interlocked.Decrement(ref inside);
        }

        Task Sync() => TestThreads.Run(() =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                using LockScope scope = l.Acquire();
                Enter();
            }
        });

        async Task Async()
        {
            for (int i = 0; i < Iterations; i++)
            {
                using LockScope scope = await l.AcquireAsync().ConfigureAwait(false);
                Enter();
                if (i % 16 == 0)
                {
                    await Task.Yield();
                }
            }
        }

        await Task.WhenAll(new[] { Sync(), Sync(), Task.Run(Async), Task.Run(Async) }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(0, maxInside);
        Assert.Equal(4L * Iterations, counter);
        Locks.AssertFree(l);
    }

    // FIFO-ish fairness: with no running thread barging in, the waiter queued first gets the lock
    // first. The release wakes the head of the queue; later waiters stay asleep.
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Release_TwoQueuedWaiters_FirstQueuedGetsLockFirst(bool firstIsAsync, bool secondIsAsync)
    {
        var l = new OrderedLock("fair", checking: LockOrderChecking.Strict);
        LockScope holder = await Locks.HoldElsewhereAsync(l);
        var order = new ConcurrentQueue<string>();

        Task Waiter(string name, bool isAsync) => isAsync
            ? Task.Run(async () =>
            {
                using LockScope scope = await l.AcquireAsync();
                order.Enqueue(name);
            })
            : TestThreads.Run(() =>
            {
                using LockScope scope = l.Acquire();
                order.Enqueue(name);
            });

        Task first = Waiter("first", firstIsAsync);
        await Poll.WaitersAsync(l, 1);
        Task second = Waiter("second", secondIsAsync);
        await Poll.WaitersAsync(l, 2);

        holder.Dispose();
        await Task.WhenAll(new[] { first, second }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(new[] { "first", "second" }, order.ToArray());
        Locks.AssertFree(l);
    }

    [Fact]
    public async Task Release_ManyQueuedWaiters_ServedInQueueOrder()
    {
        const int Waiters = 5;
        var l = new OrderedLock("fifo", checking: LockOrderChecking.Strict);
        LockScope holder = await Locks.HoldElsewhereAsync(l);
        var order = new ConcurrentQueue<int>();
        var tasks = new List<Task>();

        for (int i = 0; i < Waiters; i++)
        {
            int id = i;
            tasks.Add(Task.Run(async () =>
            {
                using LockScope scope = await l.AcquireAsync();
                order.Enqueue(id);
            }));
            await Poll.WaitersAsync(l, i + 1);
        }

        holder.Dispose();
        await Task.WhenAll(tasks).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(Enumerable.Range(0, Waiters), order.ToArray());
        Locks.AssertFree(l);
    }
}
