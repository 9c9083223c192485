using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// AcquireAll / TryAcquireAll / AcquireAllAsync / TryAcquireAllAsync: sort by (Rank, Id), drop
/// duplicates, check the whole set before acquiring anything, acquire in order, release all; on
/// timeout, cancellation or an exception part-way, release what was taken and leave no waiter.
/// </summary>
public sealed class AcquireAllTests
{
    public enum Variant
    {
        Sync,
        SyncWithToken,
        TrySync,
        Async,
        AsyncWithToken,
        AsyncList,
        TryAsync,
    }

    public static TheoryData<Variant> Variants => new(Enum.GetValues<Variant>());

    public static TheoryData<Variant, LockOrderChecking> VariantsAndModes()
    {
        var data = new TheoryData<Variant, LockOrderChecking>();
        foreach (Variant v in Enum.GetValues<Variant>())
        {
            foreach (LockOrderChecking mode in Locks.AllModes)
            {
                data.Add(v, mode);
            }
        }

        return data;
    }

    private static async Task<LockSetScope> AcquireAllAsync(Variant variant, CancellationToken token, TimeSpan timeout, params OrderedLockBase[] locks)
    {
        switch (variant)
        {
            case Variant.Sync:
                return OrderedLock.AcquireAll(locks);
            case Variant.SyncWithToken:
                return OrderedLock.AcquireAll(token, locks);
            case Variant.TrySync:
                return OrderedLock.TryAcquireAll(timeout, out LockSetScope scope, locks) ? scope : default;
            case Variant.Async:
                return await OrderedLock.AcquireAllAsync(locks);
            case Variant.AsyncWithToken:
                return await OrderedLock.AcquireAllAsync(token, locks);
            case Variant.AsyncList:
                return await OrderedLock.AcquireAllAsync((IReadOnlyList<OrderedLockBase>)locks, token);
            default:
                return await OrderedLock.TryAcquireAllAsync(locks, timeout, token);
        }
    }

    private static Task<LockSetScope> AcquireAllAsync(Variant variant, params OrderedLockBase[] locks) =>
        AcquireAllAsync(variant, CancellationToken.None, Timeout.InfiniteTimeSpan, locks);

    private static bool IsSync(Variant v) => v is Variant.Sync or Variant.SyncWithToken or Variant.TrySync;

    [Theory]
    [MemberData(nameof(VariantsAndModes))]
    public async Task AcquireAll_AnyArgumentOrder_TakesAllInGlobalOrder(Variant variant, LockOrderChecking mode)
    {
        var high = new OrderedLock("high", rank: 30, checking: mode);
        var low = new OrderedLock("low", rank: 10, checking: mode);
        var midEarly = new OrderedLock("midEarly", rank: 20, checking: mode);
        var midLate = new OrderedLock("midLate", rank: 20, checking: mode);

        LockSetScope set = await AcquireAllAsync(variant, midLate, high, low, midEarly);

        Assert.Equal(4, set.Count);
        Assert.Equal(new OrderedLockBase[] { low, midEarly, midLate, high }, set.Locks);
        Assert.All(new[] { high, low, midEarly, midLate }, l => Assert.True(l.IsLocked));
        if (IsSync(variant))
        {
            Assert.True(high.IsHeldByCurrentFlow, "sync sets belong to the thread (known by owner id in every mode)");
        }

        set.Dispose();
        Locks.AssertFree(high, low, midEarly, midLate);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task AcquireAll_Duplicates_AcquiredOnce(Variant variant)
    {
        var a = new OrderedLock("a", checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", checking: LockOrderChecking.Strict);

        using (LockSetScope set = await AcquireAllAsync(variant, b, a, b, a, a))
        {
            Assert.Equal(2, set.Count);
            Assert.Equal(new OrderedLockBase[] { a, b }, set.Locks);
        }

        using (LockSetScope single = await AcquireAllAsync(variant, a, a))
        {
            Assert.Equal(1, single.Count);
            Assert.True(a.IsLocked);
        }

        Locks.AssertFree(a, b);
    }

    // Each sort of small sets on its own (the networks for one to four and for five to eight
    // locks, and the counting sort the second falls back to when a key is at the maximum, which
    // no test can create through the public API), against a plain sort of the distinct locks:
    // every size from 1 to 8, distinct and repeated locks, every order the generator gives.
    [Theory]
    [InlineData("tiny", 1, 4)]
    [InlineData("eight", 5, 8)]
    [InlineData("counting", 1, 8)]
    public void SmallSetSorts_MatchAPlainSortOfTheDistinctLocks(string sort, int smallest, int largest)
    {
        var random = new Random(20261202);
        var pool = new OrderedLock[10];
        for (int i = 0; i < pool.Length; i++)
        {
            pool[i] = new OrderedLock($"s{i}", rank: random.Next(-2, 3));
        }

        for (int round = 0; round < 4_000; round++)
        {
            int length = smallest + (round % (largest - smallest + 1));
            int distinct = round % 3 == 0 ? pool.Length : Math.Max(1, length / 2); // every third round: mostly distinct
            var passed = new OrderedLockBase[length];
            for (int i = 0; i < length; i++)
            {
                passed[i] = pool[random.Next(distinct)];
            }

            var work = new OrderedLockBase?[8];
            OrderedLockBase[] sorted = (sort switch
            {
                "tiny" => OrderedLock.SortDistinctTiny(passed, work, "locks"),
                "eight" => OrderedLock.SortDistinctEight(passed, work, "locks"),
                _ => OrderedLock.SortDistinctSmall(passed, work, "locks"),
            }).ToArray();
            OrderedLockBase[] expected = passed.Distinct().OrderBy(l => l.Rank).ThenBy(l => l.Id).ToArray();
            Assert.True(expected.SequenceEqual(sorted), $"{sort} of [{string.Join(", ", passed.Select(l => l.Name))}] gave [{string.Join(", ", sorted.Select(l => l.Name))}]");
        }
    }

    // The sort of small sets places each lock without a branch on the input order; duplicates
    // must land next to each other and be dropped, whatever their positions. Checked against a
    // plain sort for every set size on both sides of the small-set limit (8), with equal and
    // negative ranks and locks passed up to four times.
    [Theory]
    [InlineData(LockOrderChecking.Strict)]
    [InlineData(LockOrderChecking.Off)]
    [InlineData(LockOrderChecking.Learned)]
    public void AcquireAll_RandomSetsWithDuplicates_MatchAPlainSortOfTheDistinctLocks(LockOrderChecking mode)
    {
        var random = new Random(20261201);
        var pool = new OrderedLock[12];
        for (int i = 0; i < pool.Length; i++)
        {
            pool[i] = new OrderedLock($"p{i}", rank: random.Next(-2, 3), checking: mode);
        }

        for (int round = 0; round < 2_000; round++)
        {
            int length = 1 + (round % 12);
            var passed = new OrderedLockBase[length];
            for (int i = 0; i < length; i++)
            {
                passed[i] = pool[random.Next(Math.Max(1, length / 2 + 1))]; // a small pool: many duplicates
            }

            OrderedLockBase[] expected = passed.Distinct().OrderBy(l => l.Rank).ThenBy(l => l.Id).ToArray();
            using (LockSetScope set = OrderedLock.AcquireAll(passed))
            {
                Assert.Equal(expected.Length, set.Count);
                Assert.Equal(expected, set.Locks);
                Assert.All(expected, l => Assert.True(l.IsLocked));
            }

            Locks.AssertFree(pool);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task LockSetScope_DisposeTwice_IsHarmless(Variant variant)
    {
        var a = new OrderedLock("a", checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", checking: LockOrderChecking.Strict);
        LockSetScope set = await AcquireAllAsync(variant, a, b);

        set.Dispose();
        set.Dispose();
        Locks.AssertFree(a, b);

        using LockScope later = a.Acquire();
        set.Dispose(); // a stale set never releases a later hold
        Assert.True(later.IsHeld);
    }

    // The whole set is checked against the current holds before anything is taken: holding c,
    // a set {a, d} fails on a, and d (above c, acquirable) is not taken either.
    [Theory]
    [MemberData(nameof(Variants))]
    public async Task AcquireAll_SetBelowHeldLock_ThrowsBeforeTakingAnything(Variant variant)
    {
        var a = new OrderedLock("a", rank: 1, checking: LockOrderChecking.Strict);
        var c = new OrderedLock("c", rank: 3, checking: LockOrderChecking.Strict);
        var d = new OrderedLock("d", rank: 4, checking: LockOrderChecking.Strict);

        Exception? error;
        if (IsSync(variant))
        {
            // A synchronous hold belongs to the thread: observe the (synchronous) failure without
            // awaiting while holding it.
            using LockScope held = c.Acquire();
            error = Record.Exception(() => AcquireAllAsync(variant, d, a).GetAwaiter().GetResult());
        }
        else
        {
            using LockScope held = await c.AcquireAsync();
            error = Record.Exception(() => AcquireAllAsync(variant, d, a).GetAwaiter().GetResult());
        }

        LockOrderException thrown = Assert.IsType<LockOrderException>(error);
        Assert.Equal(LockViolationKind.OrderViolation, thrown.Kind);
        Assert.Contains("'c'", thrown.Message);
        Locks.AssertFree(a, c, d);
    }

    // Sets are acquired in the global order, so flows asking for the same locks in opposite
    // orders never deadlock.
    [Fact]
    public async Task AcquireAll_OppositeArgumentOrdersConcurrently_NeverDeadlock()
    {
        const int Iterations = 500;
        var a = new OrderedLock("a", checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", checking: LockOrderChecking.Strict);
        var c = new OrderedLock("c", checking: LockOrderChecking.Strict);
        int inside = 0;
        int overlaps = 0;

        void Critical()
        {
            if (Interlocked.Increment(ref inside) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            Interlocked.Decrement(ref inside);
        }

        Task forward = TestThreads.Run(() =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                using LockSetScope set = OrderedLock.AcquireAll(a, b, c);
                Critical();
            }
        });
        Task backward = Task.Run(async () =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                using LockSetScope set = await OrderedLock.AcquireAllAsync(c, b, a);
                Critical();
            }
        });
        Task mixed = TestThreads.Run(() =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                using LockSetScope set = OrderedLock.AcquireAll(b, c, a);
                Critical();
            }
        });

        await Task.WhenAll(new[] { forward, backward, mixed }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(0, overlaps);
        Locks.AssertFree(a, b, c);
    }

    // Holds taken by a set are tracked like single holds: in the thread for sync sets, in the
    // caller's flow for async sets (the pending holds are recorded before the first await).
    [Theory]
    [MemberData(nameof(Variants))]
    public async Task AcquireAll_HoldsAreTracked_LowerLockThenFailsStrictCheck(Variant variant)
    {
        var lower = new OrderedLock("lower", rank: 1, checking: LockOrderChecking.Strict);
        var a = new OrderedLock("a", rank: 2, checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", rank: 3, checking: LockOrderChecking.Strict);

        using (LockSetScope set = IsSync(variant)
            ? await AcquireAllAsync(variant, b, a)
            : await AcquireAllInCallerFlow(variant, b, a))
        {
            Assert.True(a.IsHeldByCurrentFlow);
            Assert.True(b.IsHeldByCurrentFlow);
            LockOrderException error = Assert.Throws<LockOrderException>(() => lower.TryAcquire(out _));
            Assert.Equal(LockViolationKind.OrderViolation, error.Kind);
        }

        Assert.False(a.IsHeldByCurrentFlow);
        Locks.AssertFree(lower, a, b);

        // Not an async method: the ValueTask is created in the caller's flow.
        static Task<LockSetScope> AcquireAllInCallerFlow(Variant variant, params OrderedLockBase[] locks) => variant switch
        {
            Variant.Async => OrderedLock.AcquireAllAsync(locks).AsTask(),
            Variant.AsyncWithToken => OrderedLock.AcquireAllAsync(CancellationToken.None, locks).AsTask(),
            Variant.AsyncList => OrderedLock.AcquireAllAsync((IReadOnlyList<OrderedLockBase>)locks).AsTask(),
            _ => OrderedLock.TryAcquireAllAsync(locks, Timeout.InfiniteTimeSpan).AsTask(),
        };
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task AcquireAll_MemberContended_WaitsThenTakesAll(Variant variant)
    {
        var a = new OrderedLock("a", rank: 1, checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", rank: 2, checking: LockOrderChecking.Strict);
        LockScope other = await Locks.HoldElsewhereAsync(b);

        Task<(int, bool, bool)> acquiring = (IsSync(variant) ? TestThreads.Run(() => AcquireAllAsync(variant, b, a)).Unwrap() : AcquireAllAsync(variant, b, a))
            .ContinueWith(t =>
            {
                using LockSetScope set = t.Result;
                return (set.Count, a.IsLocked, b.IsLocked);
            }, TaskScheduler.Default);
        await Poll.WaitersAsync(b, 1);
        Assert.True(a.IsLocked, "the lower lock is taken first, then the set waits for b");
        await Locks.AssertPendingAsync(acquiring, "AcquireAll with a held member");

        other.Dispose();

        (int count, bool aLocked, bool bLocked) = await acquiring.WaitAsync(TestTimeouts.Hang);
        Assert.Equal(2, count);
        Assert.True(aLocked && bLocked);
        Locks.AssertFree(a, b);
    }

    [Theory]
    [InlineData(Variant.TrySync)]
    [InlineData(Variant.TryAsync)]
    public async Task TryAcquireAll_TimeoutPartWay_ReleasesTakenAndLeavesNoWaiter(Variant variant)
    {
        var a = new OrderedLock("a", rank: 1, checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", rank: 2, checking: LockOrderChecking.Strict);
        var c = new OrderedLock("c", rank: 3, checking: LockOrderChecking.Strict);
        LockScope other = await Locks.HoldElsewhereAsync(b);

        LockSetScope set = await (variant == Variant.TrySync
            ? TestThreads.Run(() => OrderedLock.TryAcquireAll(TestTimeouts.Expire, out LockSetScope s, c, b, a) ? s : default)
            : OrderedLock.TryAcquireAllAsync(new[] { c, b, a }, TestTimeouts.Expire).AsTask()).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(0, set.Count);
        Assert.True(other.IsHeld);
        Assert.Equal(0, b.QueuedWaiterCount);
        Locks.AssertFree(a, c);
        Assert.False(a.IsHeldByCurrentFlow);
        other.Dispose();
        Locks.AssertFree(b);
    }

    [Fact]
    public async Task TryAcquireAll_AllFree_ReturnsTrue()
    {
        var a = new OrderedLock("a", checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", checking: LockOrderChecking.Strict);

        Assert.True(OrderedLock.TryAcquireAll(TimeSpan.Zero, out LockSetScope zero, a, b));
        Assert.Equal(2, zero.Count);
        zero.Dispose();
        using (LockSetScope set = await OrderedLock.TryAcquireAllAsync(new[] { b, a }, TimeSpan.Zero))
        {
            Assert.Equal(2, set.Count);
        }

        Locks.AssertFree(a, b);
    }

    [Theory]
    [InlineData(Variant.SyncWithToken)]
    [InlineData(Variant.AsyncWithToken)]
    [InlineData(Variant.AsyncList)]
    [InlineData(Variant.TryAsync)]
    public async Task AcquireAll_CancelledPartWay_ThrowsReleasesTakenAndLeavesNoWaiter(Variant variant)
    {
        var a = new OrderedLock("a", rank: 1, checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", rank: 2, checking: LockOrderChecking.Strict);
        var c = new OrderedLock("c", rank: 3, checking: LockOrderChecking.Strict);
        LockScope other = await Locks.HoldElsewhereAsync(b);
        using var cancel = new CancellationTokenSource();

        Task<LockSetScope> acquiring = IsSync(variant)
            ? TestThreads.Run(() => AcquireAllAsync(variant, cancel.Token, Timeout.InfiniteTimeSpan, c, b, a)).Unwrap()
            : AcquireAllAsync(variant, cancel.Token, Timeout.InfiniteTimeSpan, c, b, a);
        await Poll.WaitersAsync(b, 1);
        Assert.True(a.IsLocked);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => acquiring.WaitAsync(TestTimeouts.Hang));
        Assert.True(other.IsHeld);
        Assert.Equal(0, b.QueuedWaiterCount);
        Locks.AssertFree(a, c);
        other.Dispose();
        Locks.AssertFree(b);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task AcquireAll_ExceptionInsideSetScope_ReleasesAll(Variant variant)
    {
        var a = new OrderedLock("a", checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", checking: LockOrderChecking.Strict);

        await Assert.ThrowsAsync<InvalidTimeZoneException>(async () =>
        {
            using LockSetScope set = await AcquireAllAsync(variant, a, b);
            Assert.Equal(2, set.Count);
            throw new InvalidTimeZoneException("boom");
        });

        Locks.AssertFree(a, b);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task LockSetScope_DisposedOnAnotherThread_ReleasesAll(Variant variant)
    {
        var a = new OrderedLock("a", checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", checking: LockOrderChecking.Strict);
        LockSetScope set = await AcquireAllAsync(variant, a, b);

        await TestThreads.Run(set.Dispose).WaitAsync(TestTimeouts.Hang);

        Locks.AssertFree(a, b);
        Assert.False(a.IsHeldByCurrentFlow);
        using LockSetScope again = await AcquireAllAsync(variant, a, b); // no stale self-deadlock
        Assert.Equal(2, again.Count);
    }

    [Fact]
    public void AcquireAll_MixedCheckingModes_AllTaken()
    {
        var off = new OrderedLock("off", checking: LockOrderChecking.Off);
        var strict = new OrderedLock("strict", checking: LockOrderChecking.Strict);
        var learned = new OrderedLock("learned", checking: LockOrderChecking.Learned);

        using (LockSetScope set = OrderedLock.AcquireAll(learned, off, strict))
        {
            Assert.Equal(new OrderedLockBase[] { off, strict, learned }, set.Locks);
        }

        Locks.AssertFree(off, strict, learned);
    }

    // A synchronous set of three to eight locks keeps its scopes in the thread's reusable frame.
    // A copy of a released set's scope must never release the set that reuses the frame next,
    // however often it is disposed, on whichever thread.
    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    public async Task StaleCopyOfAReleasedSet_NeverReleasesTheSetThatReusesItsFrame(int n)
    {
        OrderedLock[] locks = Enumerable.Range(0, n).Select(i => new OrderedLock($"f{i}", rank: i + 1)).ToArray();
        LockSetScope first = OrderedLock.AcquireAll(locks);
        LockSetScope copy = first;
        first.Dispose();
        Locks.AssertFree(locks);
        Assert.Empty(copy.Locks);

        using (LockSetScope second = OrderedLock.AcquireAll(locks)) // reuses the frame the first set gave back
        {
            copy.Dispose();
            first.Dispose();
            await TestThreads.Run(copy.Dispose).WaitAsync(TestTimeouts.Hang);
            Assert.All(locks, l => Assert.True(l.IsLocked, $"{l.Name} was released by a stale copy"));
            Assert.Equal(locks, second.Locks);
        }

        Locks.AssertFree(locks);
    }

    // Two copies of one frame-backed set disposed at the same moment on two threads, while the
    // home thread goes straight on to take another set (which may reuse the frame as soon as it
    // is given back): exactly one release of each member, and the next set is never touched by
    // the losing copy. The last member decides which kind of release arbitrates (a plain lock's
    // own token, or the frame's generation for the other kinds), so both are raced.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CopiesOfOneSetDisposedConcurrently_ReleaseOnce_AndNeverTouchTheNextSet(bool fileLockLast)
    {
        const int Rounds = 2_000;
        string path = Path.Combine(Path.GetTempPath(), $"ol-set-race-{Guid.NewGuid():N}");
        OrderedLockBase[] first = Enumerable.Range(0, 4)
            .Select(i => i == 3 && fileLockLast
                ? (OrderedLockBase)new OrderedFileLock(path, $"a{i}", rank: i + 1)
                : new OrderedLock($"a{i}", rank: i + 1))
            .ToArray();
        OrderedLock[] next = Enumerable.Range(0, 4).Select(i => new OrderedLock($"b{i}", rank: i + 10)).ToArray();
        using var start = new Barrier(2);
        LockSetScope shared = default;
        var disposedElsewhere = new SemaphoreSlim(0);
        var go = new SemaphoreSlim(0);
        bool stop = false;

        Task other = TestThreads.Run(() =>
        {
            while (true)
            {
                go.Wait();
                if (Volatile.Read(ref stop))
                {
                    return;
                }

                LockSetScope copy = shared;
                start.SignalAndWait();
                copy.Dispose();
                disposedElsewhere.Release();
            }
        });

        for (int round = 0; round < Rounds; round++)
        {
            shared = OrderedLock.AcquireAll(first);
            go.Release();
            start.SignalAndWait();
            shared.Dispose();
            using (LockSetScope second = OrderedLock.AcquireAll(next))
            {
                Assert.True(await disposedElsewhere.WaitAsync(TestTimeouts.Hang), "the other thread's dispose hung");
                Assert.All(next, l => Assert.True(l.IsLocked, $"round {round}: {l.Name} was released by a copy of the previous set"));
                Assert.Equal(next, second.Locks);
            }

            Locks.AssertFree(first);
            Locks.AssertFree(next);
        }

        Volatile.Write(ref stop, true);
        go.Release();
        await other.WaitAsync(TestTimeouts.Hang);
        File.Delete(path + ".lock");
    }

    // Set scopes disposed on another thread give their frame to that thread; both threads then go
    // on taking sets correctly (no frame shared by two live sets).
    [Fact]
    public async Task SetsReleasedOnOtherThreads_KeepEveryLiveSetIntact()
    {
        OrderedLock[] a = Enumerable.Range(0, 4).Select(i => new OrderedLock($"a{i}", rank: i + 1)).ToArray();
        OrderedLock[] b = Enumerable.Range(0, 4).Select(i => new OrderedLock($"b{i}", rank: i + 10)).ToArray();
        for (int round = 0; round < 50; round++)
        {
            LockSetScope mine = OrderedLock.AcquireAll(a);
            LockSetScope theirs = await TestThreads.Run(() =>
            {
                mine.Dispose(); // this thread now has the frame of `mine`
                return OrderedLock.AcquireAll(b);
            }).WaitAsync(TestTimeouts.Hang);
            Locks.AssertFree(a);
            using (LockSetScope again = OrderedLock.AcquireAll(a))
            {
                Assert.All(b, l => Assert.True(l.IsLocked));
                Assert.Equal(a, again.Locks);
            }

            theirs.Dispose();
            Locks.AssertFree(a);
            Locks.AssertFree(b);
        }
    }

    // 0 B per synchronous AcquireAll of up to eight locks once the thread has its frame: counted
    // by the runtime's per-thread allocation counter (exact, not timed).
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public async Task SyncAcquireAll_UpToEightLocks_AllocatesNothing(int n)
    {
        long allocated = await TestThreads.Run(() =>
        {
            OrderedLock[] locks = Enumerable.Range(0, n).Select(i => new OrderedLock($"z{i}", rank: i + 1, checking: LockOrderChecking.Strict)).ToArray();
            OrderedLock[] reversed = locks.Reverse().ToArray();
            for (int i = 0; i < 10; i++)
            {
                OrderedLock.AcquireAll(reversed).Dispose(); // warm up: JIT, the thread's list and frame
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000; i++)
            {
                using (OrderedLock.AcquireAll(reversed))
                {
                }
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(0, allocated);
    }

    // A set taken inside a set on the same thread cannot use the thread's frame (the outer set's
    // scopes are in it): it gets a frame of its own, and neither set's release touches the other.
    [Fact]
    public void SetInsideSet_SameThread_KeepsBothIntact()
    {
        OrderedLock[] outer = Enumerable.Range(0, 3).Select(i => new OrderedLock($"o{i}", rank: i + 1)).ToArray();
        OrderedLock[] inner = Enumerable.Range(0, 4).Select(i => new OrderedLock($"i{i}", rank: i + 10)).ToArray();
        using (LockSetScope outerSet = OrderedLock.AcquireAll(outer))
        {
            for (int round = 0; round < 3; round++)
            {
                using (LockSetScope innerSet = OrderedLock.AcquireAll(inner))
                {
                    Assert.Equal(outer, outerSet.Locks);
                    Assert.Equal(inner, innerSet.Locks);
                }

                Locks.AssertFree(inner);
                Assert.All(outer, l => Assert.True(l.IsLocked, $"{l.Name} was released by the inner set"));
                Assert.Equal(outer, outerSet.Locks);
            }
        }

        Locks.AssertFree(outer);
    }

    // A set whose acquisition gives up part-way (a member held elsewhere, the timeout runs out)
    // gives the thread's frame back: the next sets still reuse it and allocate nothing.
    [Fact]
    public async Task TimedOutSet_GivesTheFrameBack()
    {
        OrderedLock[] locks = Enumerable.Range(0, 4).Select(i => new OrderedLock($"t{i}", rank: i + 1, checking: LockOrderChecking.Strict)).ToArray();
        using LockScope heldElsewhere = await TestThreads.Run(() => locks[2].Acquire().HandOff()).WaitAsync(TestTimeouts.Hang);
        long allocated = await TestThreads.Run(() =>
        {
            OrderedLock[] free = Enumerable.Range(0, 4).Select(i => new OrderedLock($"f{i}", rank: i + 10, checking: LockOrderChecking.Strict)).ToArray();
            for (int i = 0; i < 10; i++)
            {
                OrderedLock.AcquireAll(free).Dispose(); // warm up: JIT, the thread's list and frame
            }

            Assert.False(OrderedLock.TryAcquireAll(TimeSpan.FromMilliseconds(20), out LockSetScope failed, locks));
            Assert.Equal(0, failed.Count);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                using (OrderedLock.AcquireAll(free))
                {
                }
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(0, allocated);
        Assert.False(locks[0].IsLocked);
        Assert.False(locks[1].IsLocked);
        Assert.False(locks[3].IsLocked);
    }

    // A set that is never disposed keeps its frame for good: the thread's later sets get a frame
    // of their own once, then reuse it (0 B again), not a new one per set.
    [Fact]
    public async Task SetNeverDisposed_LaterSetsStillAllocateNothing()
    {
        long allocated = await TestThreads.Run(() =>
        {
            OrderedLock[] leaked = Enumerable.Range(0, 3).Select(i => new OrderedLock($"leak{i}", rank: i + 1, checking: LockOrderChecking.Strict)).ToArray();
            OrderedLock[] later = Enumerable.Range(0, 3).Select(i => new OrderedLock($"later{i}", rank: i + 10, checking: LockOrderChecking.Strict)).ToArray();
            OrderedLock.AcquireAll(leaked).Dispose(); // the thread's frame
            LockSetScope neverDisposed = OrderedLock.AcquireAll(leaked);
            for (int i = 0; i < 10; i++)
            {
                OrderedLock.AcquireAll(later).Dispose();
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                using (OrderedLock.AcquireAll(later))
                {
                }
            }

            long used = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(leaked, neverDisposed.Locks);
            GC.KeepAlive(neverDisposed);
            return used;
        }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(0, allocated);
    }
}
