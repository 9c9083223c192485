using System.Diagnostics;
using System.Runtime.CompilerServices;
using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// Learned (lockdep-style) checking: held→acquired edges go into one process-wide graph; an
/// acquisition closing a cycle of any length throws LockOrderException (Kind PotentialDeadlock)
/// although no deadlock happened; Violation.Cycle lists the edges with where each was first seen.
/// Every test uses fresh locks, so the shared graph does not couple tests.
/// </summary>
public sealed class LearnedOrderTests
{
    private const LockOrderChecking Learned = LockOrderChecking.Learned;

#pragma warning disable OL0001 // the tests nest their locks in both orders on purpose: the learned order under test
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FirstOrderSeenHere(OrderedLock outer, OrderedLock inner)
    {
        using LockScope o = outer.Acquire();
        using LockScope i = inner.Acquire();
    }
#pragma warning restore OL0001

#pragma warning disable OL0001 // the tests nest their locks in both orders on purpose: the learned order under test
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task FirstOrderSeenHereAsync(OrderedLock outer, OrderedLock inner)
    {
        using LockScope o = await outer.AcquireAsync();
        await Task.Yield();
        using LockScope i = await inner.AcquireAsync();
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

    /// <summary>Each edge ends where the next begins, and the last closes the cycle.</summary>
    private static void AssertClosedCycle(IReadOnlyList<LockOrderEdge> cycle, params OrderedLock[] expectedOrder)
    {
        Assert.Equal(expectedOrder.Length, cycle.Count);
        for (int i = 0; i < cycle.Count; i++)
        {
            Assert.Equal(expectedOrder[i].Id, cycle[i].From.Id);
            Assert.Equal(cycle[(i + 1) % cycle.Count].From.Id, cycle[i].To.Id);
            Assert.NotNull(cycle[i].StackTrace);
        }
    }

    [Fact]
    public async Task TwoLockCycle_OtherOrderSeenOnAnotherThread_ThrowsPotentialDeadlock()
    {
        var a = new OrderedLock("a", checking: Learned);
        var b = new OrderedLock("b", checking: Learned);
        int firstThread = await TestThreads.Run(() =>
        {
            FirstOrderSeenHere(a, b);
            return Environment.CurrentManagedThreadId;
        }).WaitAsync(TestTimeouts.Hang);

        // No deadlock happened (the other thread is done), but b -> a closes a -> b.
        LockOrderException? error = SecondOrderHere(b, a);

        Assert.NotNull(error);
        Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
        LockOrderViolation v = error.Violation!;
        Assert.Equal(a.Id, v.Acquiring.Id);
        AssertClosedCycle(v.Cycle, b, a);
        Assert.Equal(Environment.CurrentManagedThreadId, v.Cycle[0].ThreadId);
        Assert.Equal(firstThread, v.Cycle[1].ThreadId);
        Assert.True(HasFrame(v.Cycle[1].StackTrace, nameof(FirstOrderSeenHere)), "the other order's edge must say where it was first seen");
        Assert.True(HasFrame(v.Cycle[0].StackTrace, nameof(SecondOrderHere)), "the new edge must carry the current stack");
        Assert.Equal(b.Id, Assert.Single(v.Held).Lock.Id);
        Locks.AssertFree(a, b);
    }

    [Fact]
    public async Task Violation_Message_ShowsBothOrdersAndFramesOfTheTestMethods()
    {
        var accounts = new OrderedLock("accounts", checking: Learned);
        var ledger = new OrderedLock("ledger", checking: Learned);
        int firstThread = await TestThreads.Run(() =>
        {
            FirstOrderSeenHere(accounts, ledger);
            return Environment.CurrentManagedThreadId;
        }).WaitAsync(TestTimeouts.Hang);

        string message = SecondOrderHere(ledger, accounts)!.Message;

        Assert.Contains("Potential deadlock", message);
        Assert.Contains($"acquiring {accounts} while holding {ledger}", message);
        Assert.Contains("'ledger' -> 'accounts' -> 'ledger'", message);
        Assert.Contains($"This order, now: 'ledger' held while acquiring 'accounts' on thread {Environment.CurrentManagedThreadId}", message);
        Assert.Contains($"The other order (learned: first seen at the frames below): 'accounts' held while acquiring 'ledger' on thread {firstThread}", message);
        Assert.Contains($"{typeof(LearnedOrderTests).FullName}.{nameof(FirstOrderSeenHere)}", message);
        Assert.Contains($"{typeof(LearnedOrderTests).FullName}.{nameof(SecondOrderHere)}", message);
        Assert.Contains(nameof(LearnedOrderTests) + ".cs:", message); // file and line of the frames
        Assert.Contains("AcquireAll", message); // how to fix
        Assert.DoesNotContain("OrderedLocks.Checking", message); // library frames are left out
    }

    [Fact]
    public async Task ThreeLockCycle_AcrossThreadAndFlows_ThrowsWithThreeEdges()
    {
        var a = new OrderedLock("a", checking: Learned);
        var b = new OrderedLock("b", checking: Learned);
        var c = new OrderedLock("c", checking: Learned);
        await TestThreads.Run(() => FirstOrderSeenHere(a, b)).WaitAsync(TestTimeouts.Hang);
        await Task.Run(() => FirstOrderSeenHereAsync(b, c)).WaitAsync(TestTimeouts.Hang);

        LockOrderException error;
        using (LockScope heldC = await c.AcquireAsync())
        {
            error = Assert.Throws<LockOrderException>(() => { _ = a.AcquireAsync(); });
            Assert.True(heldC.IsHeld);
        }

        Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
        AssertClosedCycle(error.Violation!.Cycle, c, a, b);
        Assert.True(HasFrame(error.Violation.Cycle[1].StackTrace, nameof(FirstOrderSeenHere)));
        Assert.True(HasFrame(error.Violation.Cycle[2].StackTrace, nameof(FirstOrderSeenHereAsync)));
        Assert.Contains("'c' -> 'a' -> 'b' -> 'c'", error.Message);
        Locks.AssertFree(a, b, c);
    }

    [Fact]
    public async Task FourLockCycle_EdgesFromFourPlaces_ThrowsWithFourEdges()
    {
        var a = new OrderedLock("a", checking: Learned);
        var b = new OrderedLock("b", checking: Learned);
        var c = new OrderedLock("c", checking: Learned);
        var d = new OrderedLock("d", checking: Learned);
        await TestThreads.Run(() => FirstOrderSeenHere(a, b)).WaitAsync(TestTimeouts.Hang);
        await Task.Run(() => FirstOrderSeenHereAsync(b, c)).WaitAsync(TestTimeouts.Hang);
        FirstOrderSeenHere(c, d);

        LockOrderException? error = await TestThreads.Run(() => SecondOrderHere(d, a)).WaitAsync(TestTimeouts.Hang);

        Assert.NotNull(error);
        Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
        AssertClosedCycle(error.Violation!.Cycle, d, a, b, c);
        Assert.Contains("'d' -> 'a' -> 'b' -> 'c' -> 'd'", error.Message);
        Locks.AssertFree(a, b, c, d);
    }

    [Fact]
    public async Task TwoLockCycle_AsyncFlows_ThrowsPotentialDeadlock()
    {
        var a = new OrderedLock("a", checking: Learned);
        var b = new OrderedLock("b", checking: Learned);
        await Task.Run(() => FirstOrderSeenHereAsync(a, b)).WaitAsync(TestTimeouts.Hang);

        Exception? error = await Task.Run(() => Record.ExceptionAsync(() => FirstOrderSeenHereAsync(b, a))).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(LockViolationKind.PotentialDeadlock, Assert.IsType<LockOrderException>(error).Kind);
        Locks.AssertFree(a, b);
    }

    // A child forked under the parent's async hold nests its locks under it: the edge is learned.
    [Fact]
    public async Task InheritedHold_ChildAcquisition_LearnsEdgeFromParentsLock()
    {
        var a = new OrderedLock("a", checking: Learned);
        var b = new OrderedLock("b", checking: Learned);
        using (await a.AcquireAsync())
        {
            await Task.Run(async () => (await b.AcquireAsync()).Dispose()).WaitAsync(TestTimeouts.Hang);
        }

        LockOrderException? error = SecondOrderHere(b, a);

        Assert.NotNull(error);
        Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
        AssertClosedCycle(error.Violation!.Cycle, b, a);
    }

    [Fact]
    public void AcquireAll_LearnsEdgesBetweenMembers()
    {
        var a = new OrderedLock("a", checking: Learned);
        var b = new OrderedLock("b", checking: Learned);
        OrderedLock.AcquireAll(b, a).Dispose(); // taken as a, b

        LockOrderException? error = SecondOrderHere(b, a);

        Assert.NotNull(error);
        Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
    }

    [Fact]
    public void ConsistentOrder_Repeated_NeverThrowsAndIgnoresRanks()
    {
        // Ranks say b before a; Learned ignores ranks and only wants one consistent order.
        var a = new OrderedLock("a", rank: 9, checking: Learned);
        var b = new OrderedLock("b", rank: 1, checking: Learned);
        var c = new OrderedLock("c", checking: Learned);

        for (int i = 0; i < 100; i++)
        {
            FirstOrderSeenHere(a, b);
            FirstOrderSeenHere(b, c);
            FirstOrderSeenHere(a, c); // a -> c next to a -> b -> c is no cycle
        }

        using (a.Acquire())
        using (b.Acquire())
        using (LockScope scope = c.Acquire())
        {
            Assert.True(scope.IsHeld);
        }

        Locks.AssertFree(a, b, c);
    }

    // With Throw the closing edge is not learned, so the same bad acquisition fails every time.
    [Fact]
    public void ThrowMode_SameInconsistentAcquisition_ThrowsEveryTimeAndHoldsNothing()
    {
        var a = new OrderedLock("a", checking: Learned);
        var b = new OrderedLock("b", checking: Learned);
        FirstOrderSeenHere(a, b);

        for (int i = 0; i < 3; i++)
        {
            LockOrderException? error = SecondOrderHere(b, a);
            Assert.NotNull(error);
            Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
            Locks.AssertFree(a, b);
        }

        FirstOrderSeenHere(a, b); // the learned order itself still works
        Locks.AssertFree(a, b);
    }

    [Fact]
    public void ReleasedHold_DoesNotLearnEdge()
    {
        var a = new OrderedLock("a", checking: Learned);
        var b = new OrderedLock("b", checking: Learned);

        a.Acquire().Dispose();
        b.Acquire().Dispose(); // a was released: no a -> b edge

        Assert.Null(SecondOrderHere(b, a));
        Locks.AssertFree(a, b);
    }
}

/// <summary>Learned checking under global policy changes: Report mode, reset, edge counting.</summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class LearnedOrderPolicyTests
{
    private const LockOrderChecking Learned = LockOrderChecking.Learned;

#pragma warning disable OL0001 // the tests nest their locks in both orders on purpose: the learned order under test
    private static void Nest(OrderedLock outer, OrderedLock inner)
    {
        using LockScope o = outer.Acquire();
        using LockScope i = inner.Acquire();
    }
#pragma warning restore OL0001

    [Fact]
    public async Task ReportMode_Cycle_ReportedOnceAndAcquisitionProceeds()
    {
        var a = new OrderedLock("a", checking: Learned);
        var b = new OrderedLock("b", checking: Learned);
        var reported = new List<LockOrderViolation>();
        using var policy = new PolicyScope(onViolation: LockViolationAction.Report);
        policy.OnReported(v =>
        {
            if (v.Acquiring.Id == a.Id || v.Acquiring.Id == b.Id)
            {
                lock (reported)
                {
                    reported.Add(v);
                }
            }
        });
        Nest(a, b);

        Nest(b, a); // reported, goes on
        Nest(b, a); // the same learned edge: not reported again
        using (await b.AcquireAsync())
        using (LockScope scope = await a.AcquireAsync())
        {
            Assert.True(scope.IsHeld);
        }

        LockOrderViolation v = Assert.Single(reported);
        Assert.Equal(LockViolationKind.PotentialDeadlock, v.Kind);
        Assert.Equal(2, v.Cycle.Count);
        Locks.AssertFree(a, b);
    }

    [Fact]
    public void ResetLearnedOrder_ForgetsEdges_AndEdgesAreCountedOnceWhenNew()
    {
        var a = new OrderedLock("a", checking: Learned);
        var b = new OrderedLock("b", checking: Learned);
        using var policy = new PolicyScope();
        LockOrderPolicy.ResetLearnedOrder();
        Assert.Equal(0, LockOrderPolicy.LearnedEdgeCount);

        Nest(a, b);
        Nest(a, b);
        Nest(a, b);
        Assert.Equal(1, LockOrderPolicy.LearnedEdgeCount);

        LockOrderPolicy.ResetLearnedOrder();
        Assert.Equal(0, LockOrderPolicy.LearnedEdgeCount);
        Nest(b, a); // no cycle any more: a -> b was forgotten

        Assert.Equal(1, LockOrderPolicy.LearnedEdgeCount);
        Assert.Throws<LockOrderException>(() => Nest(a, b));
        Locks.AssertFree(a, b);
    }

    [Fact]
    public void GlobalLearned_AppliesToLocksWithoutOwnMode()
    {
        using var policy = new PolicyScope(checking: Learned);
        var a = new OrderedLock("a", rank: 5);
        var b = new OrderedLock("b", rank: 1);

        Nest(a, b); // out of rank order: fine for Learned

        LockOrderException error = Assert.Throws<LockOrderException>(() => Nest(b, a));
        Assert.Equal(LockViolationKind.PotentialDeadlock, error.Kind);
        Locks.AssertFree(a, b);
    }
}
