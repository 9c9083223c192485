using System.Diagnostics;
using System.Runtime.CompilerServices;
using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// The default mode, <see cref="LockOrderChecking.Hybrid"/>: declared ranks are checked strictly
/// where both locks have one (and they differ), every other pair by the learned order. Consistent
/// code never throws, whatever order its locks were created in; an inconsistency is reported on
/// its first occurrence. Locks here are created WITHOUT a mode, so they follow the global default
/// (the tests that change the global policy run alone, in <see cref="GlobalPolicyCollection"/>).
/// </summary>
public sealed class HybridOrderTests
{
    public enum Created
    {
        InnerFirst,
        OuterFirst,
    }

    public static TheoryData<Created> CreationOrders => new(Created.InnerFirst, Created.OuterFirst);

    private static (OrderedLock Outer, OrderedLock Inner) Create(Created created, string outerName = "outer", string innerName = "inner")
    {
        OrderedLock outer, inner;
        if (created == Created.InnerFirst)
        {
            inner = new OrderedLock(innerName);
            outer = new OrderedLock(outerName);
        }
        else
        {
            outer = new OrderedLock(outerName);
            inner = new OrderedLock(innerName);
        }

        Assert.Equal(LockOrderChecking.Hybrid, outer.EffectiveChecking);
        return (outer, inner);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void NestHere(OrderedLockBase outer, OrderedLockBase inner)
    {
        using LockScope o = outer is OrderedLock ol ? ol.Acquire() : ((ReentrantOrderedLock)outer).Acquire();
        using LockScope i = inner is OrderedLock il ? il.Acquire() : ((ReentrantOrderedLock)inner).Acquire();
    }

#pragma warning disable OL0001 // both orders nested on purpose: the learned order under test
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task NestHereAsync(OrderedLock outer, OrderedLock inner)
    {
        using LockScope o = await outer.AcquireAsync();
        await Task.Yield();
        using LockScope i = await inner.AcquireAsync();
        await Task.Yield();
    }
#pragma warning restore OL0001

#pragma warning disable OL0001 // the opposite order on purpose: the runtime check under test reports it
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LockOrderException? OtherOrderHere(OrderedLock outer, OrderedLock inner)
    {
        using LockScope o = outer.Acquire();
        try
        {
            inner.Acquire().Dispose();
            return null;
        }
        catch (LockOrderException ex)
        {
            return ex;
        }
    }
#pragma warning restore OL0001

    private static bool HasFrame(StackTrace? stack, string methodName) =>
        stack is not null && stack.GetFrames().Any(f =>
            f.GetMethod() is { } m && $"{m.DeclaringType?.FullName}.{m.Name}".Contains(methodName, StringComparison.Ordinal));

    [Fact]
    public void NewLock_WithoutMode_FollowsHybridDefault()
    {
        var l = new OrderedLock("plain");
        Assert.Null(l.Checking);
        Assert.Equal(LockOrderChecking.Hybrid, l.EffectiveChecking);
    }

    // Issue 17's report: the inner lock happened to be created first. Strict throws; the default must not.
    [Theory]
    [MemberData(nameof(CreationOrders))]
    public async Task ConsistentNesting_Unranked_EitherCreationOrder_NeverThrows_Sync(Created created)
    {
        // Consistent: innermost, then outer, then inner, in every path (created in another order).
        var innermost = new OrderedLock("innermost");
        (OrderedLock outer, OrderedLock inner) = Create(created);
        var threads = new Task[3];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = TestThreads.Run(() =>
            {
                for (int i = 0; i < 200; i++)
                {
                    NestHere(outer, inner);
                    NestHere(innermost, outer);
                    using (innermost.Acquire())
                    using (outer.Acquire())
                    using (inner.Acquire())
                    {
                    }
                }
            });
        }

        await Task.WhenAll(threads).WaitAsync(TestTimeouts.Hang);
        Locks.AssertFree(innermost, outer, inner);
    }

    [Theory]
    [MemberData(nameof(CreationOrders))]
    public async Task ConsistentNesting_Unranked_EitherCreationOrder_NeverThrows_Async(Created created)
    {
        (OrderedLock outer, OrderedLock inner) = Create(created);
        var flows = new Task[4];
        for (int t = 0; t < flows.Length; t++)
        {
            flows[t] = Task.Run(async () =>
            {
                for (int i = 0; i < 50; i++)
                {
                    await NestHereAsync(outer, inner);
                    using (await outer.AcquireAsync())
                    {
                        // A child forked under the hold nests the inner lock under the inherited outer one.
                        await Task.Run(async () => (await inner.AcquireAsync()).Dispose());
                    }
                }
            });
        }

        await Task.WhenAll(flows).WaitAsync(TestTimeouts.Hang);
        Locks.AssertFree(outer, inner);
    }

    [Theory]
    [MemberData(nameof(CreationOrders))]
    public void ConsistentNesting_EqualRanks_EitherCreationOrder_NeverThrows(Created created)
    {
        var first = new OrderedLock("first", rank: 3);
        var second = new OrderedLock("second", rank: 3);
        (OrderedLock outer, OrderedLock inner) = created == Created.InnerFirst ? (second, first) : (first, second);

        for (int i = 0; i < 10; i++)
        {
            NestHere(outer, inner);
        }

        // Equal declared ranks declare no order between the two: the learned order decides.
        LockOrderException? error = OtherOrderHere(inner, outer);
        Assert.Equal(LockViolationKind.PotentialDeadlock, error?.Kind);
    }

    // A three-level chain mixing ranked and unranked locks, consistent: nothing throws.
    [Fact]
    public void ConsistentChain_RankedAndUnranked_NeverThrows()
    {
        var late = new OrderedLock("cache");        // no rank, created first
        var index = new OrderedLock("index", rank: 1);
        var page = new OrderedLock("page", rank: 5);

        for (int i = 0; i < 10; i++)
        {
            using (index.Acquire())
            using (page.Acquire())
            using (late.Acquire())
            {
            }

            NestHere(index, late);
        }

        Locks.AssertFree(late, index, page);
    }

    [Fact]
    public async Task Inconsistent_Unranked_ReportedOnFirstOccurrence_WithBothStacks()
    {
        var outer = new OrderedLock("outer");
        var inner = new OrderedLock("inner");
        int firstThread = await TestThreads.Run(() =>
        {
            NestHere(outer, inner);
            return Environment.CurrentManagedThreadId;
        }).WaitAsync(TestTimeouts.Hang);

        // The first time the other order is taken: no deadlock happened, but it is reported.
        LockOrderException? error = OtherOrderHere(inner, outer);

        Assert.NotNull(error);
        Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
        LockOrderViolation v = error.Violation!;
        Assert.Equal(2, v.Cycle.Count);
        Assert.Equal(firstThread, v.Cycle[1].ThreadId);
        Assert.True(HasFrame(v.Cycle[0].StackTrace, nameof(OtherOrderHere)), "this order's stack");
        Assert.True(HasFrame(v.Cycle[1].StackTrace, nameof(NestHere)), "the other order's stack");
        Assert.Contains("learned: first seen at", error.Message);
        Assert.Contains($"{typeof(HybridOrderTests).FullName}.{nameof(NestHere)} in ", error.Message);
        Locks.AssertFree(outer, inner);
    }

    [Fact]
    public async Task Inconsistent_Async_ReportedOnFirstOccurrence_FramesShowSourceMethodNames()
    {
        var outer = new OrderedLock("outer");
        var inner = new OrderedLock("inner");
        await Task.Run(() => NestHereAsync(outer, inner)).WaitAsync(TestTimeouts.Hang);

        Exception? error = await Task.Run(() => Record.ExceptionAsync(() => NestHereAsync(inner, outer))).WaitAsync(TestTimeouts.Hang);

        LockOrderException thrown = Assert.IsType<LockOrderException>(error);
        Assert.Equal(LockViolationKind.PotentialDeadlock, thrown.Kind);
        Assert.True(HasFrame(thrown.Violation!.Cycle[1].StackTrace, nameof(NestHereAsync)));

        // The state machine's "<NestHereAsync>d__N.MoveNext" is printed as the method written.
        Assert.Contains($"{typeof(HybridOrderTests).FullName}.{nameof(NestHereAsync)} (async) in ", thrown.Message);
        Assert.DoesNotContain("MoveNext", thrown.Message);
        Assert.DoesNotContain(">d__", thrown.Message);
        Locks.AssertFree(outer, inner);
    }

    [Fact]
    public async Task Inconsistent_AsyncLambda_FramesShowTheEnclosingMethod()
    {
        var outer = new OrderedLock("outer");
        var inner = new OrderedLock("inner");
        Func<Task> firstOrder = async () =>
        {
            using (await outer.AcquireAsync())
            {
                await Task.Yield();
                (await inner.AcquireAsync()).Dispose();
            }
        };
        await Task.Run(firstOrder).WaitAsync(TestTimeouts.Hang);

        LockOrderException? error = OtherOrderHere(inner, outer);

        Assert.NotNull(error);
        Assert.Contains($"{typeof(HybridOrderTests).FullName}.{nameof(Inconsistent_AsyncLambda_FramesShowTheEnclosingMethod)} (async lambda) in ", error.Message);
        Assert.DoesNotContain("b__", error.Message);
    }

    public enum RankedCall
    {
        Acquire,
        AcquireAsync,
        TryAcquireTimeout,
        AcquireAll,
    }

    public static TheoryData<RankedCall> RankedCalls => new(Enum.GetValues<RankedCall>());

    // Declared ranks are an order of their own: the first inversion throws, before it waits for
    // the lock (another flow holds it), without any learned history. (The asynchronous case holds
    // the outer lock asynchronously: an asynchronous acquisition is never checked against the
    // thread's synchronous holds, see HolderIdentityTests and docs/held-lock-tracking.md.)
    [Theory]
    [MemberData(nameof(RankedCalls))]
    public async Task RankedInversion_ThrowsOnFirstOccurrence_BeforeBlocking(RankedCall call)
    {
        var index = new OrderedLock("index", rank: 1);
        var page = new OrderedLock("page", rank: 5);
        LockScope otherHoldsIndex = await Locks.HoldElsewhereAsync(index);

        // Async: the outer hold is the flow's own (a thread's synchronous holds do not belong to
        // an asynchronous acquisition made on it).
        Exception? error = call == RankedCall.AcquireAsync
            ? await Task.Run(async () =>
            {
                using (await page.AcquireAsync())
                {
                    return await Record.ExceptionAsync(async () => (await index.AcquireAsync()).Dispose());
                }
            }).WaitAsync(TestTimeouts.Hang)
            : await TestThreads.Run(() =>
        {
            // AcquireAsync is not an async method: an uncontended one records the hold in this
            // flow at once, so the synchronous code below holds `page` asynchronously.
            using (call == RankedCall.AcquireAsync ? page.AcquireAsync().AsTask().GetAwaiter().GetResult() : page.Acquire())
            {
                return Record.Exception(() =>
                {
                    switch (call)
                    {
                        case RankedCall.Acquire:
                            index.Acquire().Dispose();
                            break;
                        case RankedCall.TryAcquireTimeout:
                            index.TryAcquire(TestTimeouts.Hang, out LockScope s);
                            s.Dispose();
                            break;
                        default:
                            OrderedLock.AcquireAll(index).Dispose();
                            break;
                    }
                });
            }
        }).WaitAsync(TestTimeouts.Hang);

        LockOrderException thrown = Assert.IsType<LockOrderException>(error);
        Assert.Equal(LockViolationKind.OrderViolation, thrown.Kind);
        Assert.Contains("Order from declared ranks 1 < 5: 'index' before 'page'", thrown.Message);
        Assert.Equal(0, index.QueuedWaiterCount);
        Assert.True(otherHoldsIndex.IsHeld);
        otherHoldsIndex.Dispose();
        Locks.AssertFree(index, page);
    }

    // Edges between ranked locks are learned too: a cycle through a ranked pair and an unranked
    // lock is a deadlock that neither the ranks nor the unranked pairs alone show.
    [Fact]
    public void Cycle_ThroughRankedPairAndUnrankedLock_IsReported()
    {
        var index = new OrderedLock("index", rank: 1);
        var page = new OrderedLock("page", rank: 5);
        var cache = new OrderedLock("cache");
        NestHere(index, page);  // by rank
        NestHere(page, cache);  // learned

        LockOrderException? error = OtherOrderHere(cache, index); // cache -> index closes index -> page -> cache

        Assert.NotNull(error);
        Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
        Assert.Equal(3, error.Violation!.Cycle.Count);
        Assert.Contains("'cache' -> 'index' -> 'page' -> 'cache'", error.Message);

        // Keeps 'page' alive up to here. Otherwise, with optimised code (DOTNET_TieredCompilation=0),
        // 'page' is dead after the second NestHere; a collection in between (other tests allocate
        // in parallel) takes its node and both of its edges with it, and the cycle rightly no
        // longer exists (a lock nobody can reach can never be held again). Seen once in CI.
        Locks.AssertFree(index, page, cache);
    }

    // A rank inversion never even reaches the learned graph: the same pair in the right order later is fine.
    [Fact]
    public void RankedInversion_LearnsNothing()
    {
        var index = new OrderedLock("index", rank: 1);
        var page = new OrderedLock("page", rank: 5);
        Assert.Equal(LockViolationKind.OrderViolation, OtherOrderHere(page, index)?.Kind);

        NestHere(index, page);
        Assert.Equal(LockViolationKind.OrderViolation, OtherOrderHere(page, index)?.Kind);
    }

    // AcquireAll takes unranked locks in creation order; nesting them by hand the other way is a
    // real ABBA (a flow in AcquireAll holds the first and waits for the second): reported.
    [Fact]
    public void HandNestingAgainstAcquireAllsOrder_IsReported()
    {
        var inner = new OrderedLock("inner");
        var outer = new OrderedLock("outer");
        NestHere(outer, inner);

        LockOrderException error = Assert.Throws<LockOrderException>(() => OrderedLock.AcquireAll(outer, inner));
        Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
        Locks.AssertFree(inner, outer);
    }

    [Fact]
    public void AcquireAll_ThenOtherOrderByHand_IsReported()
    {
        var a = new OrderedLock("a");
        var b = new OrderedLock("b");
        OrderedLock.AcquireAll(b, a).Dispose(); // taken as a, b (creation order)

        Assert.Equal(LockViolationKind.PotentialDeadlock, OtherOrderHere(b, a)?.Kind);
        Assert.Null(OtherOrderHere(a, b));
    }

    [Fact]
    public void Reentrant_ConsistentNestingEitherCreationOrder_NeverThrows_AndInversionIsReported()
    {
        var inner = new ReentrantOrderedLock("inner");
        var outer = new ReentrantOrderedLock("outer");
        for (int i = 0; i < 5; i++)
        {
            NestHere(outer, inner);
        }

        using (inner.Acquire())
        {
            LockOrderException error = Assert.Throws<LockOrderException>(() => outer.Acquire());
            Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
        }
    }

    // Two threads take two fresh locks in opposite orders at the same moment, many times. A
    // missed report would be a real deadlock (the test would hang); two reports would fail a
    // flow that could have gone on. Exactly one of them must be told, and neither may hang.
    [Fact]
    public async Task ConcurrentOppositeOrders_ExactlyOneReported_NeverHangs()
    {
        for (int round = 0; round < 100; round++)
        {
            var a = new OrderedLock($"a{round}");
            var b = new OrderedLock($"b{round}");
            using var start = new Barrier(2);
            Task<LockOrderException?> first = TestThreads.Run(() => Race(a, b, start));
            Task<LockOrderException?> second = TestThreads.Run(() => Race(b, a, start));
            LockOrderException?[] errors = await Task.WhenAll(new[] { first, second }).WaitAsync(TestTimeouts.Hang);

            // Exactly one: the other flow goes on once the reported one has released its lock.
            LockOrderException reported = Assert.Single(errors, e => e is not null)!;
            Assert.Equal(LockViolationKind.PotentialDeadlock, reported.Kind);
            Locks.AssertFree(a, b);
        }

#pragma warning disable OL0001 // two flows in opposite orders on purpose: exactly one is reported at run time
        static LockOrderException? Race(OrderedLock outer, OrderedLock inner, Barrier start)
        {
            using LockScope o = outer.Acquire();
            start.SignalAndWait();
            try
            {
                inner.Acquire().Dispose();
                return null;
            }
            catch (LockOrderException ex)
            {
                return ex;
            }
        }
#pragma warning restore OL0001
    }
}

/// <summary>The default, and Strict kept as an explicit choice with today's behaviour.</summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class DefaultModePolicyTests
{
    [Fact]
    public void DefaultChecking_IsHybrid()
    {
        Assert.Equal(LockOrderChecking.Hybrid, LockOrderPolicy.Checking);
    }

    [Fact]
    public void GlobalStrict_UnrankedInnerCreatedFirst_ThrowsCreationOrderViolation()
    {
        using var policy = new PolicyScope(checking: LockOrderChecking.Strict);
        var inner = new OrderedLock("inner");
        var outer = new OrderedLock("outer");

        LockOrderException error;
        using (outer.Acquire())
        {
            error = Assert.Throws<LockOrderException>(() => inner.Acquire());
        }

        Assert.Equal(LockViolationKind.OrderViolation, error.Kind);
        Assert.Contains($"Order from creation order (no ranks declared; id {inner.Id} < {outer.Id}): 'inner' before 'outer'", error.Message);
        Assert.Contains("LockOrderChecking.Hybrid", error.Message); // the way out when no order was chosen
        Assert.DoesNotContain("Declared order", error.Message);
        Locks.AssertFree(inner, outer);
    }

    [Fact]
    public void GlobalHybrid_ReportMode_RankInversionAndCycleBothReported_AcquisitionProceeds()
    {
        var reported = new List<LockOrderViolation>();
        var index = new OrderedLock("index", rank: 1);
        var page = new OrderedLock("page", rank: 5);
        using var policy = new PolicyScope(checking: LockOrderChecking.Hybrid, onViolation: LockViolationAction.Report);
        policy.OnReported(v =>
        {
            if (v.Acquiring.Id == index.Id || v.Acquiring.Id == page.Id)
            {
                lock (reported)
                {
                    reported.Add(v);
                }
            }
        });

        using (index.Acquire())
        using (page.Acquire())
        {
        }

        using (page.Acquire())
        using (LockScope scope = index.Acquire())
        {
            Assert.True(scope.IsHeld);
        }

        Assert.Equal(new[] { LockViolationKind.OrderViolation, LockViolationKind.PotentialDeadlock }, reported.Select(v => v.Kind));
        Locks.AssertFree(index, page);
    }
}
