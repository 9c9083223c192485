using OrderedLocks.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests.Diagnostics;

/// <summary>
/// FindDeadlocks and the snapshot on real deadlocks: every test deadlocks on purpose, finds the
/// cycle, then breaks it by cancelling the waits, and finishes in bounded time.
/// </summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class DeadlockDetectionTests
{
    [Theory]
    [InlineData(LockOrderChecking.Off)]
    [InlineData(LockOrderChecking.Learned)]
    public void FindDeadlocks_AbbaAmongThreads_ReportsBothWithTheirLocks(LockOrderChecking checking)
    {
        using var scope = new DiagnosticsScope(checking, LockViolationAction.Report);
        var x = new OrderedLock("abba-x");
        var y = new OrderedLock("abba-y");
        using var cts = new CancellationTokenSource();
        using var bothHold = new Barrier(2);
        int t1 = 0, t2 = 0;
        Task a = Waits.Thread(() =>
        {
            t1 = Environment.CurrentManagedThreadId;
            using (x.Acquire())
            {
                bothHold.SignalAndWait();
                Waits.AcquireOrCancel(y, cts.Token);
            }
        });
        Task b = Waits.Thread(() =>
        {
            t2 = Environment.CurrentManagedThreadId;
            using (y.Acquire())
            {
                bothHold.SignalAndWait();
                Waits.AcquireOrCancel(x, cts.Token);
            }
        });

        try
        {
            LockWaitCycle cycle = Waits.UntilDeadlocked(x, y);
            Assert.Equal(2, cycle.Participants.Count);
            Assert.All(cycle.Participants, p => Assert.Equal(LockWaiterKind.Thread, p.Kind));
            LockWaiter first = cycle.Participants[0];
            LockWaiter second = cycle.Participants[1];
            Assert.Equal(first.WaitingFor.Name == "abba-y" ? "abba-x" : "abba-y", second.WaitingFor.Name);
            Assert.Equal(new[] { first.WaitingFor.Name == "abba-y" ? "abba-x" : "abba-y" }, first.Holds.Select(h => h.Name));
            Assert.Equal(second.Name, first.HeldBy);
            Assert.Equal(first.Name, second.HeldBy);
            Assert.Contains(new[] { $"thread {t1}", $"thread {t2}" }, n => n == first.Name);
            Assert.Contains($"{first.Name} holds '{second.WaitingFor.Name}', waits for '{first.WaitingFor.Name}'", cycle.Summary, StringComparison.Ordinal);
            Assert.Contains($"{second.Name} holds '{first.WaitingFor.Name}', waits for '{second.WaitingFor.Name}'", cycle.Summary, StringComparison.Ordinal);
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(a, b);
        }

        Assert.Empty(Waits.CyclesAmong(LockDiagnostics.FindDeadlocks(), x, y));
        Assert.Empty(Waits.Of(LockDiagnostics.GetWaitSnapshot(), x, y));
        Assert.False(x.IsLocked || y.IsLocked);
        Assert.True(a.IsCompletedSuccessfully && b.IsCompletedSuccessfully, a.Exception?.ToString() + b.Exception);
    }

    [Theory]
    [InlineData(LockOrderChecking.Off, true)]      // async holds tracked because capture is on
    [InlineData(LockOrderChecking.Learned, false)] // async holds tracked because checking is on
    [InlineData(LockOrderChecking.Strict, false)]
    public async Task FindDeadlocks_AbbaAmongAsyncFlows_ReportsFlows(LockOrderChecking checking, bool capture)
    {
        using var scope = new DiagnosticsScope(checking, LockViolationAction.Report, capture);
        var x = new OrderedLock("flow-x", rank: 1);
        var y = new OrderedLock("flow-y", rank: 2);
        using var cts = new CancellationTokenSource();
        var xHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var yHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task FlowAsync(OrderedLock first, OrderedLock second, TaskCompletionSource mine, TaskCompletionSource other)
        {
            using (await first.AcquireAsync())
            {
                mine.SetResult();
                await other.Task;
                await Waits.AcquireOrCancelAsync(second, cts.Token);
            }
        }

        Task a = Task.Run(() => FlowAsync(x, y, xHeld, yHeld));
        Task b = Task.Run(() => FlowAsync(y, x, yHeld, xHeld));
        try
        {
            LockWaitCycle cycle = Waits.UntilDeadlocked(x, y);
            Assert.Equal(2, cycle.Participants.Count);
            Assert.All(cycle.Participants, p => Assert.Equal(LockWaiterKind.AsyncFlow, p.Kind));
            Assert.All(cycle.Participants, p => Assert.StartsWith("flow ", p.Name, StringComparison.Ordinal));
            Assert.Equal(new[] { "flow-x", "flow-y" }, cycle.Participants.Select(p => p.WaitingFor.Name).Order());
            foreach (LockWaiter p in cycle.Participants)
            {
                Assert.Equal(new[] { p.WaitingFor.Name == "flow-x" ? "flow-y" : "flow-x" }, p.Holds.Select(h => h.Name));
            }
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(a, b);
        }

        await Task.WhenAll(new[] { a, b });
        Assert.False(x.IsLocked || y.IsLocked);
    }

    [Fact]
    public async Task FindDeadlocks_ThreadAndAsyncFlow_ReportsMixedCycle()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off, capture: true);
        var x = new OrderedLock("mixed-x");
        var y = new OrderedLock("mixed-y");
        using var cts = new CancellationTokenSource();
        using var threadHolds = new ManualResetEventSlim();
        var flowHolds = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task thread = Waits.Thread(() =>
        {
            using (x.Acquire())
            {
                threadHolds.Set();
                flowHolds.Task.Wait(TestTimeouts.Hang);
                Waits.AcquireOrCancel(y, cts.Token);
            }
        });
        Task flow = Task.Run(async () =>
        {
            using (await y.AcquireAsync())
            {
                flowHolds.SetResult();
                Assert.True(threadHolds.Wait(TestTimeouts.Hang));
                await Waits.AcquireOrCancelAsync(x, cts.Token);
            }
        });

        try
        {
            LockWaitCycle cycle = Waits.UntilDeadlocked(x, y);
            Assert.Equal(
                new[] { LockWaiterKind.Thread, LockWaiterKind.AsyncFlow },
                cycle.Participants.Select(p => p.Kind).Order());
            LockWaiter t = cycle.Participants.Single(p => p.Kind == LockWaiterKind.Thread);
            LockWaiter f = cycle.Participants.Single(p => p.Kind == LockWaiterKind.AsyncFlow);
            Assert.Equal("mixed-y", t.WaitingFor.Name);
            Assert.Equal(f.Name, t.HeldBy);
            Assert.Equal("mixed-x", f.WaitingFor.Name);
            Assert.Equal(t.Name, f.HeldBy);
            Assert.Equal(new[] { "mixed-y" }, f.Holds.Select(h => h.Name));
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(thread, flow);
        }

        await Task.WhenAll(new[] { thread, flow });
    }

    [Fact]
    public void FindDeadlocks_AbbaAmongManyBystanders_ReportsOnlyTheCycleAndNamesEveryHolder()
    {
        // The wait-for edges come from an index of who holds what: with two dozen threads queued on
        // a third lock, the ABBA pair must still be the one cycle, and every bystander must name the
        // thread that holds what it waits for.
        using var scope = new DiagnosticsScope(LockOrderChecking.Off, LockViolationAction.Report);
        var x = new OrderedLock("crowd-x");
        var y = new OrderedLock("crowd-y");
        var gate = new OrderedLock("crowd-gate");
        const int Bystanders = 24;
        using var cts = new CancellationTokenSource();
        using var bothHold = new Barrier(2);
        using var gateHeld = new ManualResetEventSlim();
        int gateHolder = 0;
        var tasks = new List<Task>
        {
            Waits.Thread(() =>
            {
                using (x.Acquire())
                {
                    bothHold.SignalAndWait();
                    Waits.AcquireOrCancel(y, cts.Token);
                }
            }),
            Waits.Thread(() =>
            {
                using (y.Acquire())
                {
                    bothHold.SignalAndWait();
                    Waits.AcquireOrCancel(x, cts.Token);
                }
            }),
            Waits.Thread(() =>
            {
                using (gate.Acquire())
                {
                    gateHolder = Environment.CurrentManagedThreadId;
                    gateHeld.Set();
                    cts.Token.WaitHandle.WaitOne();
                }
            }),
        };
        gateHeld.Wait();
        for (int i = 0; i < Bystanders; i++)
        {
            tasks.Add(Waits.Thread(() => Waits.AcquireOrCancel(gate, cts.Token)));
        }

        try
        {
            LockWaitCycle cycle = Waits.UntilDeadlocked(x, y);
            Assert.Equal(2, cycle.Participants.Count);
            IReadOnlyList<LockWaiter> queued = Waits.UntilWaiting(Bystanders, gate);
            Assert.All(queued, waiter => Assert.Equal($"thread {gateHolder}", waiter.HeldBy));
            Assert.Single(Waits.CyclesAmong(LockDiagnostics.FindDeadlocks(), x, y, gate));
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(tasks.ToArray());
        }

        Assert.False(x.IsLocked || y.IsLocked || gate.IsLocked);
    }

    [Fact]
    public void FindDeadlocks_ThreeThreadsInARing_ReportsOneThreeCycle()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        OrderedLock[] locks = { new("ring-0"), new("ring-1"), new("ring-2") };
        using var cts = new CancellationTokenSource();
        using var allHold = new Barrier(3);
        Task[] threads = Enumerable.Range(0, 3).Select(i => Waits.Thread(() =>
        {
            using (locks[i].Acquire())
            {
                allHold.SignalAndWait();
                Waits.AcquireOrCancel(locks[(i + 1) % 3], cts.Token);
            }
        })).ToArray();

        try
        {
            LockWaitCycle cycle = Waits.UntilDeadlocked(locks);
            Assert.Equal(3, cycle.Participants.Count);
            for (int k = 0; k < 3; k++)
            {
                LockWaiter p = cycle.Participants[k];
                LockWaiter next = cycle.Participants[(k + 1) % 3];
                Assert.Equal(next.Name, p.HeldBy);
                Assert.Contains(next.Holds, h => h.Id == p.WaitingFor.Id);
            }

            Assert.Single(Waits.CyclesAmong(LockDiagnostics.FindDeadlocks(), locks));
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(threads);
        }
    }

    [Fact]
    public void FindDeadlocks_WaitersInAChainWithoutCycle_ReportsNone()
    {
        // a holds x and waits for y; b holds y and waits for z; the main thread holds z and is not
        // waiting: a chain, not a cycle.
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        var x = new OrderedLock("chain-x");
        var y = new OrderedLock("chain-y");
        var z = new OrderedLock("chain-z");
        using var cts = new CancellationTokenSource();
        using var ready = new Barrier(3);
        LockScope zHold = z.Acquire();
        Task a = Waits.Thread(() =>
        {
            using (x.Acquire())
            {
                ready.SignalAndWait();
                Waits.AcquireOrCancel(y, cts.Token);
            }
        });
        Task b = Waits.Thread(() =>
        {
            using (y.Acquire())
            {
                ready.SignalAndWait();
                Waits.AcquireOrCancel(z, cts.Token);
            }
        });
        try
        {
            ready.SignalAndWait();
            IReadOnlyList<LockWaiter> waiting = Waits.UntilWaiting(2, y, z);
            Assert.Empty(Waits.CyclesAmong(LockDiagnostics.FindDeadlocks(), x, y, z));
            LockWaiter onZ = waiting.Single(w => w.WaitingFor.Name == "chain-z");
            Assert.Equal($"thread {Environment.CurrentManagedThreadId}", onZ.HeldBy);
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(a, b);
            zHold.Dispose();
        }
    }

    [Fact]
    public async Task DetectDeadlocksOnWait_LastWaitOfTheCycle_KeepsTheCycle()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        LockDiagnostics.ResetWaits();
        LockDiagnostics.DetectDeadlocksOnWait = true;
        var x = new OrderedLock("onwait-x");
        var y = new OrderedLock("onwait-y");
        var detected = new TaskCompletionSource<LockWaitCycle>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<LockWaitCycle> handler = c => detected.TrySetResult(c);
        LockDiagnostics.DeadlockDetectedOnWait += handler;
        using var cts = new CancellationTokenSource();
        using var bothHold = new Barrier(2);
        try
        {
            Task a = Waits.Thread(() =>
            {
                using (x.Acquire())
                {
                    bothHold.SignalAndWait();
                    Waits.AcquireOrCancel(y, cts.Token);
                }
            });
            Task b = Waits.Thread(() =>
            {
                using (y.Acquire())
                {
                    bothHold.SignalAndWait();
                    Waits.AcquireOrCancel(x, cts.Token);
                }
            });

            LockWaitCycle cycle = await detected.Task.WaitAsync(TestTimeouts.Hang);
            Assert.Equal(new[] { "onwait-x", "onwait-y" }, cycle.Participants.Select(p => p.WaitingFor.Name).Order());
            Assert.Same(cycle, LockDiagnostics.LastDetectedDeadlock);
            cts.Cancel();
            Waits.Finish(a, b);
        }
        finally
        {
            cts.Cancel();
            LockDiagnostics.DeadlockDetectedOnWait -= handler;
            LockDiagnostics.ResetWaits();
        }
    }
}
