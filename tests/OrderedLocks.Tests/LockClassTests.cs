using System.Diagnostics;
using System.Runtime.CompilerServices;
using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// Learned checking at scale (issue 16): lock classes share one node of the learned graph;
/// members of one class are ordered per instance; a collected lock's node and edges leave the
/// graph. Run under both learned modes.
/// </summary>
public sealed class LockClassTests
{
    public static TheoryData<LockOrderChecking> LearnedModes => new(LockOrderChecking.Learned, LockOrderChecking.Hybrid);

#pragma warning disable OL0001 // the tests nest their locks in both orders on purpose: lock classes under test
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FirstOrderSeenHere(OrderedLock outer, OrderedLock inner)
    {
        using LockScope o = outer.Acquire();
        using LockScope i = inner.Acquire();
    }
#pragma warning restore OL0001

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LockOrderException? SecondOrderHere(OrderedLock outer, OrderedLock inner)
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

    private static bool HasFrame(StackTrace? stack, string methodName) =>
        stack is not null && stack.GetFrames().Any(f =>
            f.GetMethod() is { } m && $"{m.DeclaringType?.FullName}.{m.Name}".Contains(methodName, StringComparison.Ordinal));

    [Fact]
    public void LockClass_WithoutName_IsRejected()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new LockClass(""));
        Assert.Equal("name", error.ParamName);
        Assert.Throws<ArgumentException>(() => new LockClass(null!));
    }

    [Fact]
    public void Constructors_KeepTheClass_AndDescriptionsNameIt()
    {
        var rows = new LockClass("row");
        var row = new OrderedLock("r", lockClass: rows);
        Assert.Same(rows, row.LockClass);
        Assert.Same(rows, new ReentrantOrderedLock("r", lockClass: rows).LockClass);
        Assert.Null(new OrderedLock("plain").LockClass);
        Assert.Equal("class 'row'", rows.ToString());

        var probe = new OrderedLock("probe", checking: LockOrderChecking.Learned);
        FirstOrderSeenHere(probe, row);
        LockOrderException? error = SecondOrderHere(row, probe);
        Assert.Equal($"'r' (no rank, id {row.Id}, class 'row')", error?.Violation?.Held.Single().Lock.ToString());
    }

    // An order learned with one member holds for every member: a different member in the other
    // order is reported, naming the instances involved now and the class, with both stacks.
    [Theory]
    [MemberData(nameof(LearnedModes))]
    public async Task CycleAcrossClasses_OtherMembers_ReportedWithBothStacksAndNames(LockOrderChecking mode)
    {
        var accounts = new LockClass("account");
        var ledgers = new LockClass("ledger");
        var account1 = new OrderedLock("account 1", checking: mode, lockClass: accounts);
        var ledger1 = new OrderedLock("ledger 1", checking: mode, lockClass: ledgers);
        int firstThread = await TestThreads.Run(() =>
        {
            FirstOrderSeenHere(account1, ledger1);
            return Environment.CurrentManagedThreadId;
        }).WaitAsync(TestTimeouts.Hang);

        var account2 = new OrderedLock("account 2", checking: mode, lockClass: accounts);
        var ledger2 = new OrderedLock("ledger 2", checking: mode, lockClass: ledgers);
        LockOrderException? error = SecondOrderHere(ledger2, account2);

        Assert.NotNull(error);
        Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
        LockOrderViolation v = error.Violation!;
        Assert.Equal(2, v.Cycle.Count);
        Assert.Equal((ledger2.Id, account2.Id), (v.Cycle[0].From.Id, v.Cycle[0].To.Id)); // the instances now
        Assert.Equal((account1.Id, ledger1.Id), (v.Cycle[1].From.Id, v.Cycle[1].To.Id)); // first seen with
        Assert.Equal(("ledger", "account"), (v.Cycle[0].From.ClassName, v.Cycle[0].To.ClassName));
        Assert.Equal(firstThread, v.Cycle[1].ThreadId);
        Assert.True(HasFrame(v.Cycle[0].StackTrace, nameof(SecondOrderHere)));
        Assert.True(HasFrame(v.Cycle[1].StackTrace, nameof(FirstOrderSeenHere)));
        Assert.Contains("acquiring 'account 2' (no rank, id", error.Message);
        Assert.Contains("class 'ledger' -> class 'account' -> class 'ledger'", error.Message);
        Assert.Contains("This order, now: 'ledger 2' (class 'ledger') held while acquiring 'account 2' (class 'account')", error.Message);
        Assert.Contains("'account 1' (class 'account') held while acquiring 'ledger 1' (class 'ledger')", error.Message);
        Locks.AssertFree(account1, ledger1, account2, ledger2);
    }

    [Theory]
    [MemberData(nameof(LearnedModes))]
    public async Task ThreeClassCycle_AcrossThreadAndFlow_Reported(LockOrderChecking mode)
    {
        var classes = new[] { new LockClass("a"), new LockClass("b"), new LockClass("c") };
        OrderedLock Member(int c, int n) => new($"{classes[c].Name}{n}", checking: mode, lockClass: classes[c]);
        await TestThreads.Run(() => FirstOrderSeenHere(Member(0, 1), Member(1, 1))).WaitAsync(TestTimeouts.Hang);
        await Task.Run(async () =>
        {
            OrderedLock b = Member(1, 2), c = Member(2, 2);
            using (await b.AcquireAsync())
            {
                await Task.Yield();
                (await c.AcquireAsync()).Dispose();
            }
        }).WaitAsync(TestTimeouts.Hang);

        LockOrderException? error = SecondOrderHere(Member(2, 3), Member(0, 3));

        Assert.Equal(LockViolationKind.PotentialDeadlock, error?.Kind);
        Assert.Equal(3, error!.Violation!.Cycle.Count);
        Assert.Contains("class 'c' -> class 'a' -> class 'b' -> class 'c'", error.Message);
    }

    // AcquireAll over members of one class, in any passing order and overlapping subsets: always
    // the global order, so no intra-class cycle, ever.
    [Theory]
    [MemberData(nameof(LearnedModes))]
    public void AcquireAll_MembersOfOneClass_NeverReported(LockOrderChecking mode)
    {
        var accounts = new LockClass("account");
        var members = Enumerable.Range(0, 6).Select(i => new OrderedLock($"account {i}", checking: mode, lockClass: accounts)).ToArray();
        var random = new Random(17);
        for (int round = 0; round < 200; round++)
        {
            OrderedLock[] subset = members.OrderBy(_ => random.Next()).Take(random.Next(2, members.Length + 1)).ToArray();
            using (OrderedLock.AcquireAll(subset))
            {
            }
        }

        Locks.AssertFree(members);
    }

    // lockdep's AA on a class: two members nested by hand in both orders is still reported.
    [Theory]
    [MemberData(nameof(LearnedModes))]
    public void TwoMembersOfOneClass_NestedByHandInBothOrders_Reported(LockOrderChecking mode)
    {
        var accounts = new LockClass("account");
        var first = new OrderedLock("account 1", checking: mode, lockClass: accounts);
        var second = new OrderedLock("account 2", checking: mode, lockClass: accounts);
        FirstOrderSeenHere(second, first);
        FirstOrderSeenHere(second, first); // one order, consistently: fine

        LockOrderException? error = SecondOrderHere(first, second);

        Assert.Equal(LockViolationKind.PotentialDeadlock, error?.Kind);
        Assert.Equal((first.Id, second.Id), (error!.Violation!.Cycle[0].From.Id, error.Violation.Cycle[0].To.Id));
        Assert.Contains("'account 1' -> 'account 2' -> 'account 1'", error.Message);
    }

    [Theory]
    [MemberData(nameof(LearnedModes))]
    public void AcquireAllOfMembers_ThenOtherOrderByHand_Reported(LockOrderChecking mode)
    {
        var accounts = new LockClass("account");
        var first = new OrderedLock("account 1", checking: mode, lockClass: accounts);
        var second = new OrderedLock("account 2", checking: mode, lockClass: accounts);
        OrderedLock.AcquireAll(second, first).Dispose(); // first, second

        Assert.Equal(LockViolationKind.PotentialDeadlock, SecondOrderHere(second, first)?.Kind);
    }

    // Classes do not merge unrelated locks: an unclassed lock keeps its own node next to a class.
    [Theory]
    [MemberData(nameof(LearnedModes))]
    public void ClassAndUnclassedLock_OrdersAreLearnedPerNode(LockOrderChecking mode)
    {
        var rows = new LockClass("row");
        var table = new OrderedLock("table", checking: mode);
        var other = new OrderedLock("other", checking: mode);
        FirstOrderSeenHere(table, new OrderedLock("row 1", checking: mode, lockClass: rows));

        Assert.Null(SecondOrderHere(new OrderedLock("row 2", checking: mode, lockClass: rows), other)); // row -> other: no cycle
        Assert.Equal(LockViolationKind.PotentialDeadlock, SecondOrderHere(new OrderedLock("row 3", checking: mode, lockClass: rows), table)?.Kind);
    }

    // The graph must not keep locks alive, nor report a path through a lock that is gone.
    [Theory]
    [MemberData(nameof(LearnedModes))]
    public void CollectedLock_ItsEdgesNoLongerProduceReports(LockOrderChecking mode)
    {
        var a = new OrderedLock("a", checking: mode);
        var b = new OrderedLock("b", checking: mode);
        WeakReference middle = LearnPathThroughShortLivedLock(a, b, mode);

        Collect(middle);

        // a -> x -> b was learned; with x gone, b -> a closes no cycle.
        Assert.Null(SecondOrderHere(b, a));

        // Control: the same with a lock that stays alive is reported, naming it.
        var c = new OrderedLock("c", checking: mode);
        var d = new OrderedLock("d", checking: mode);
        var kept = new OrderedLock("kept", checking: mode);
        FirstOrderSeenHere(c, kept);
        FirstOrderSeenHere(kept, d);
        LockOrderException? error = SecondOrderHere(d, c);
        Assert.Equal(LockViolationKind.PotentialDeadlock, error?.Kind);
        Assert.Contains("'d' -> 'c' -> 'kept' -> 'd'", error!.Message);
        GC.KeepAlive(kept);
    }

    // Per-entity locks under one long-lived lock: none of them is kept alive by the graph, with
    // or without a class.
    [Theory]
    [InlineData(LockOrderChecking.Learned, false)]
    [InlineData(LockOrderChecking.Hybrid, false)]
    [InlineData(LockOrderChecking.Hybrid, true)]
    public void ShortLivedLocksUnderLongLivedLock_AreCollected(LockOrderChecking mode, bool withClass)
    {
        var table = new OrderedLock("table", checking: mode);
        LockClass? rows = withClass ? new LockClass("row") : null;
        WeakReference[] gone = CreateAndNest(table, rows, mode, 200);

        Collect(gone);

        Assert.All(gone, w => Assert.False(w.IsAlive));
        GC.KeepAlive(rows);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference[] CreateAndNest(OrderedLock table, LockClass? rows, LockOrderChecking mode, int count)
    {
        var result = new WeakReference[count];
        for (int i = 0; i < count; i++)
        {
            var row = new OrderedLock($"row {i}", checking: mode, lockClass: rows);
            FirstOrderSeenHere(table, row);
            result[i] = new WeakReference(row);
        }

        return result;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LearnPathThroughShortLivedLock(OrderedLock a, OrderedLock b, LockOrderChecking mode)
    {
        var x = new OrderedLock("x", checking: mode);
        FirstOrderSeenHere(a, x);
        FirstOrderSeenHere(x, b);
        return new WeakReference(x);
    }

    private static void Collect(params WeakReference[] references)
    {
        for (int attempt = 0; attempt < 10 && references.Any(r => r.IsAlive); attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.All(references, r => Assert.False(r.IsAlive, "the test needs the lock collected"));
    }
}
