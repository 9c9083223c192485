using System.Runtime.CompilerServices;
using OrderedLocks.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests.Diagnostics;

/// <summary>The snapshot API: who waits, for what, holding what, since when, and the two stacks.</summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class SnapshotTests
{
    [Fact]
    public void GetWaitSnapshot_BlockedThread_ListsLockHoldsHolderAndStacks()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off, capture: true);
        var outer = new OrderedLock("snap-outer");
        var inner = new OrderedLock("snap-inner");
        using var cts = new CancellationTokenSource();
        DateTimeOffset before = DateTimeOffset.UtcNow;
        LockScope held = HolderTakesInner(inner);
        Task waiter = Waits.Thread(() => WaiterHoldsOuterAndWaitsForInner(outer, inner, cts.Token));
        try
        {
            LockWaiter w = Waits.UntilWaiting(1, inner).Single();
            Assert.Equal(LockWaiterKind.Thread, w.Kind);
            Assert.Equal("snap-inner", w.WaitingFor.Name);
            Assert.Equal(inner.Id, w.WaitingFor.Id);
            Assert.Equal(nameof(OrderedLock), w.LockKind);
            Assert.Equal(new[] { "snap-outer" }, w.Holds.Select(h => h.Name));
            Assert.Equal($"thread {Environment.CurrentManagedThreadId}", w.HeldBy);
            Assert.InRange(w.Since, before, DateTimeOffset.UtcNow);
            Assert.True(w.Elapsed >= TimeSpan.Zero);
            Assert.Contains($"{nameof(SnapshotTests)}.{nameof(WaiterHoldsOuterAndWaitsForInner)}", w.WaitStack, StringComparison.Ordinal);
            Assert.Contains($"{nameof(SnapshotTests)}.{nameof(HolderTakesInner)}", w.HolderStack, StringComparison.Ordinal);
            Assert.DoesNotContain("OrderedLocks.OrderedLock", w.WaitStack, StringComparison.Ordinal); // library frames left out
            Assert.Contains("snap-inner", LockDiagnostics.GetWaitSnapshot().ToString(), StringComparison.Ordinal);
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(waiter);
            held.Dispose();
        }

        Assert.Empty(Waits.Of(LockDiagnostics.GetWaitSnapshot(), inner));
    }

    [Fact]
    public async Task GetWaitSnapshot_AsyncWaiter_ShowsSourceMethodNamesNotStateMachines()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off, capture: true);
        var gate = new OrderedLock("snap-async");
        using var cts = new CancellationTokenSource();
        LockScope held = await HolderTakesAsync(gate);
        Task waiter = Task.Run(() => AsyncWaiterAsync(gate, cts.Token));
        try
        {
            LockWaiter w = Waits.UntilWaiting(1, gate).Single();
            Assert.Equal(LockWaiterKind.AsyncFlow, w.Kind);
            Assert.Contains($"{nameof(SnapshotTests)}.{nameof(AsyncWaiterAsync)}", w.WaitStack, StringComparison.Ordinal);
            Assert.Contains($"{nameof(SnapshotTests)}.{nameof(HolderTakesAsync)}", w.HolderStack, StringComparison.Ordinal);
            Assert.DoesNotContain("MoveNext", w.WaitStack + w.HolderStack, StringComparison.Ordinal);
            Assert.DoesNotContain("d__", w.WaitStack + w.HolderStack, StringComparison.Ordinal);
            Assert.StartsWith("an async flow", w.HeldBy, StringComparison.Ordinal);
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(waiter);
            held.Dispose();
        }
    }

    [Fact]
    public void GetWaitSnapshot_CaptureOff_HasNoStacks()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off, capture: false);
        var gate = new OrderedLock("snap-nocapture");
        using var cts = new CancellationTokenSource();
        LockScope held = gate.Acquire();
        Task waiter = Waits.Thread(() => Waits.AcquireOrCancel(gate, cts.Token));
        try
        {
            LockWaiter w = Waits.UntilWaiting(1, gate).Single();
            Assert.Null(w.WaitStack);
            Assert.Null(w.HolderStack);
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(waiter);
            held.Dispose();
        }
    }

    [Fact]
    public void GetWaitSnapshot_ConditionReacquisitionAndReentrantLock_AreListed()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Strict);
        var reentrant = new ReentrantOrderedLock("snap-reentrant", rank: 1);
        var monitor = new OrderedLock("snap-monitor", rank: 2);
        var condition = new OrderedCondition(monitor);
        using var cts = new CancellationTokenSource();
        var notified = new ManualResetEventSlim();

        LockScope r = reentrant.Acquire();
        Task onReentrant = Waits.Thread(() =>
        {
            try
            {
                reentrant.Acquire(cts.Token).Dispose();
            }
            catch (OperationCanceledException)
            {
            }
        });

        // The condition waiter is notified while the notifier keeps the lock: its re-acquisition waits.
        Task conditionWaiter = Waits.Thread(() =>
        {
            using (monitor.Acquire())
            {
#pragma warning disable OL0101 // on purpose: one bounded wait, the test only needs it queued for the snapshot
                condition.Wait(TestTimeouts.Hang);
#pragma warning restore OL0101
            }
        });
        try
        {
            Assert.True(SpinWait.SpinUntil(() => condition.WaiterCount == 1, TestTimeouts.Hang));
            LockScope m = monitor.Acquire();
            condition.NotifyAll();
            IReadOnlyList<LockWaiter> waiting = Waits.UntilWaiting(2, reentrant, monitor);
            Assert.Contains(waiting, w => w.WaitingFor.Name == "snap-reentrant" && w.LockKind == nameof(ReentrantOrderedLock));
            Assert.Contains(waiting, w => w.WaitingFor.Name == "snap-monitor" && w.HeldBy == $"thread {Environment.CurrentManagedThreadId}");
            m.Dispose();
        }
        finally
        {
            cts.Cancel();
            r.Dispose();
            Waits.Finish(onReentrant, conditionWaiter);
        }
    }

    [Fact]
    public void TrackWaits_Off_RecordsNothing()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        LockDiagnostics.TrackWaits = false;
        var gate = new OrderedLock("snap-untracked");
        using var cts = new CancellationTokenSource();
        LockScope held = gate.Acquire();
        Task waiter = Waits.Thread(() => Waits.AcquireOrCancel(gate, cts.Token));
        try
        {
            Assert.True(SpinWait.SpinUntil(() => gate.QueuedWaiterCount == 1, TestTimeouts.Hang));
            Assert.Empty(Waits.Of(LockDiagnostics.GetWaitSnapshot(), gate));
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(waiter);
            held.Dispose();
        }
    }

    // The helpers whose names the stacks must show are never inlined: an inlined method has no
    // frame of its own in any stack trace (the runtime's, not the library's, doing).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LockScope HolderTakesInner(OrderedLock inner) => inner.Acquire();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WaiterHoldsOuterAndWaitsForInner(OrderedLock outer, OrderedLock inner, CancellationToken token)
    {
        using (outer.Acquire())
        {
            Waits.AcquireOrCancel(inner, token);
        }
    }

    private static async Task<LockScope> HolderTakesAsync(OrderedLock gate)
    {
        await Task.Yield();
        return await gate.AcquireAsync();
    }

    private static async Task AsyncWaiterAsync(OrderedLock gate, CancellationToken token)
    {
        await Task.Yield();
        try
        {
            using (await gate.AcquireAsync(token))
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
