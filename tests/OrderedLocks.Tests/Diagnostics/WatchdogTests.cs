using OrderedLocks.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests.Diagnostics;

/// <summary>The watchdog: a real hang found within two checks, reported once, and failing a waiter on request.</summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class WatchdogTests
{
    [Fact]
    public async Task Start_RealHangWithCheckingOff_FoundWithinTwoIntervalsWithBothStacks()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off, capture: true);
        LockDiagnostics.DetectDeadlocksOnWait = true; // marks the moment the hang forms
        var x = new OrderedLock("dog-x");
        var y = new OrderedLock("dog-y");
        int formedAtCheck = -1;
        var found = new TaskCompletionSource<(LockDeadlockEventArgs Args, int Check)>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watchdog = LockWatchdog.Start(new LockWatchdogOptions { Interval = TimeSpan.FromMilliseconds(100), LongWaitThreshold = null });
        Action<LockWaitCycle> formed = c =>
        {
            if (c.Participants.Any(p => p.WaitingFor.Id == x.Id))
            {
                Interlocked.CompareExchange(ref formedAtCheck, watchdog.CheckCount, -1);
            }
        };
        LockDiagnostics.DeadlockDetectedOnWait += formed;
        watchdog.DeadlockDetected += (_, e) =>
        {
            if (e.Cycle.Participants.Any(p => p.WaitingFor.Id == x.Id))
            {
                found.TrySetResult((e, watchdog.CheckCount));
            }
        };

        using var cts = new CancellationTokenSource();
        (Task a, Task b) = Abba.Start(x, y, cts.Token);
        try
        {
            (LockDeadlockEventArgs args, int check) = await found.Task.WaitAsync(TestTimeouts.Hang);
            Assert.True(formedAtCheck >= 0, "The on-wait check saw the cycle form.");
            Assert.InRange(check - formedAtCheck, 0, 2); // counted in checks, not in wall time
            Assert.Null(args.FailedWaiter);
            Assert.All(args.Cycle.Participants, p =>
            {
                Assert.Contains($"{nameof(Abba)}.Side", p.WaitStack, StringComparison.Ordinal);
                Assert.Contains($"{nameof(Abba)}.Side", p.HolderStack, StringComparison.Ordinal);
            });
            string report = args.Cycle.ToReport();
            Assert.Contains("began waiting at:", report, StringComparison.Ordinal);
            Assert.Contains("was acquired by its holder at:", report, StringComparison.Ordinal);
        }
        finally
        {
            LockDiagnostics.DeadlockDetectedOnWait -= formed;
            cts.Cancel();
            Waits.Finish(a, b);
        }
    }

    [Fact]
    public void Check_SameDeadlockTwice_ReportsItOnce()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        using var watchdog = new LockWatchdog();
        int raised = 0;
        var x = new OrderedLock("once-x");
        var y = new OrderedLock("once-y");
        watchdog.DeadlockDetected += (_, e) =>
        {
            if (e.Cycle.Participants.Any(p => p.WaitingFor.Id == x.Id))
            {
                Interlocked.Increment(ref raised);
            }
        };
        using var cts = new CancellationTokenSource();
        (Task a, Task b) = Abba.Start(x, y, cts.Token);
        try
        {
            Waits.UntilDeadlocked(x, y);
            watchdog.Check();
            watchdog.Check();
            watchdog.Check();
            Assert.Equal(1, raised);
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(a, b);
        }
    }

    [Fact]
    public void Check_FailWaiter_BreaksTheDeadlockWithALockDeadlockException()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        using var watchdog = new LockWatchdog(new LockWatchdogOptions { OnDeadlock = LockWatchdogAction.FailWaiter, LongWaitThreshold = null });
        var x = new OrderedLock("fail-x");
        var y = new OrderedLock("fail-y");
        using var safety = new CancellationTokenSource(TestTimeouts.Hang); // only if the watchdog failed to act
        using var bothHold = new Barrier(2);
        var failures = new List<LockDeadlockException>();
        int entered = 0;

#pragma warning disable OL0001 // the ABBA deadlock on purpose: the watchdog under test breaks it
        void Side(OrderedLock first, OrderedLock second)
        {
            using (first.Acquire())
            {
                bothHold.SignalAndWait();
                try
                {
                    using (second.Acquire(safety.Token))
                    {
                        Interlocked.Increment(ref entered);
                    }
                }
                catch (LockDeadlockException ex)
                {
                    lock (failures)
                    {
                        failures.Add(ex);
                    }
                }
            }
        }
#pragma warning restore OL0001

        Task a = Waits.Thread(() => Side(x, y));
        Task b = Waits.Thread(() => Side(y, x));
        Waits.UntilDeadlocked(x, y);
        LockWatchdogReport report = watchdog.Check();
        Waits.Finish(a, b);

        Assert.False(safety.IsCancellationRequested, "The watchdog did not break the deadlock.");
        Assert.True(a.IsCompletedSuccessfully && b.IsCompletedSuccessfully);
        LockDeadlockException failure = Assert.Single(failures);
        Assert.Equal(1, entered);
        Assert.NotNull(failure.Cycle);
        Assert.Contains("Deadlock broken by the lock watchdog", failure.Message, StringComparison.Ordinal);
        Assert.Contains("holds 'fail-x', waits for 'fail-y'", failure.Message, StringComparison.Ordinal);
        Assert.Single(Waits.CyclesAmong(report.NewDeadlocks, x, y));
        Assert.False(x.IsLocked || y.IsLocked);
    }

    [Fact]
    public async Task Check_LongWait_ReportedOnceWithBothStacks()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off, capture: true);
        using var watchdog = new LockWatchdog(new LockWatchdogOptions { LongWaitThreshold = TimeSpan.FromMilliseconds(30) });
        var gate = new OrderedLock("long-wait");
        var reports = new List<LockLongWaitEventArgs>();
        watchdog.LongWaitDetected += (_, e) =>
        {
            if (e.Waiter.WaitingFor.Id == gate.Id)
            {
                reports.Add(e);
            }
        };
        LockScope held = await gate.AcquireAsync();
        Task waiter = Waits.Thread(() => gate.Acquire().Dispose());
        try
        {
            LockWaiter w = Waits.UntilWaiting(1, gate).Single();
            Assert.True(SpinWait.SpinUntil(() => watchdog.Check().NewLongWaits.Any(l => l.WaitId == w.WaitId), TestTimeouts.Hang));
            watchdog.Check();
        }
        finally
        {
            held.Dispose();
            Waits.Finish(waiter);
        }

        LockLongWaitEventArgs report = Assert.Single(reports);
        Assert.False(report.Failed);
        Assert.NotNull(report.Waiter.WaitStack);
        Assert.NotNull(report.Waiter.HolderStack);
        Assert.True(report.Waiter.Elapsed >= TimeSpan.FromMilliseconds(30));
    }

    [Fact]
    public async Task Check_LongWaitFailWaiter_FailsOnlyTheWaiter()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        using var watchdog = new LockWatchdog(new LockWatchdogOptions { LongWaitThreshold = TimeSpan.Zero, OnLongWait = LockWatchdogAction.FailWaiter });
        var gate = new OrderedLock("long-fail");
        LockScope held = await gate.AcquireAsync();
        Task<LockScope> waiter = Task.Run(async () => await gate.AcquireAsync());
        try
        {
            Waits.UntilWaiting(1, gate);
            watchdog.Check();
            LockDeadlockException ex = await Assert.ThrowsAsync<LockDeadlockException>(() => waiter.WaitAsync(TestTimeouts.Hang));
            Assert.Contains("Long wait failed by the lock watchdog", ex.Message, StringComparison.Ordinal);
            Assert.Null(ex.Cycle);
            Assert.True(gate.IsLocked); // the holder keeps its lock
        }
        finally
        {
            held.Dispose();
        }

        Assert.False(gate.IsLocked);
        Assert.Equal(0, gate.QueuedWaiterCount);
    }

    [Fact]
    public void Options_BadValues_ThrowWithTheRule()
    {
        var options = new LockWatchdogOptions();
        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => options.Interval = TimeSpan.Zero);
        Assert.Contains("positive", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.LongWaitThreshold = TimeSpan.FromSeconds(-1));
        var disposed = new LockWatchdog();
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => disposed.Check());
    }
}
