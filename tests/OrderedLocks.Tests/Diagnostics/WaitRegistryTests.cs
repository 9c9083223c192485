using OrderedLocks.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests.Diagnostics;

/// <summary>
/// The process-wide wait registry without a monitor: every snapshot is one consistent table (oldest
/// first, no record twice, only records still waiting), a reset forgets what was linked before it
/// however its waits end, and nothing is left when every wait is over.
/// </summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class WaitRegistryTests
{
    [Fact]
    public async Task ConcurrentLinksUnlinksAndSnapshots_StayConsistent_AndLeaveNothing()
    {
        using var scope = new DiagnosticsScope();
        var locks = Enumerable.Range(0, 4).Select(i => new OrderedLock($"registry-{i}")).ToArray();
        const int perThread = 20_000;
        int snapshots = 0;
        int nonEmpty = 0;
        string? broken = null;
        using var stop = new CancellationTokenSource();

        Task reader = Task.Factory.StartNew(
            () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    List<WaitRecord> live = WaitRegistry.Live();
                    snapshots++;
                    nonEmpty += live.Count > 0 ? 1 : 0;
                    for (int i = 1; i < live.Count; i++)
                    {
                        if (live[i - 1].LinkNumber >= live[i].LinkNumber)
                        {
                            broken ??= $"snapshot out of link order: {live[i - 1].LinkNumber} before {live[i].LinkNumber}";
                        }
                    }

                    foreach (WaitRecord r in live)
                    {
                        // A record in a snapshot was published with its number and table generation.
                        if (r.LinkNumber == 0)
                        {
                            broken ??= $"record {r.Id} listed without its link number";
                        }
                    }
                }
            },
            TaskCreationOptions.LongRunning);

        Task[] writers = locks.Select(l => Task.Factory.StartNew(
            () =>
            {
                for (int i = 0; i < perThread; i++)
                {
                    WaitRecord record = WaitRegistry.Enter(l, isAsync: (i & 1) == 0, CancellationToken.None);
                    if (!WaitRegistry.IsLive(record))
                    {
                        broken ??= $"record {record.Id} not live right after it was linked";
                    }

                    WaitRegistry.Exit(record, WaitOutcome.Acquired);
                    if (WaitRegistry.IsLive(record))
                    {
                        broken ??= $"record {record.Id} still live after it was unlinked";
                    }
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();

        await Task.WhenAll(writers).WaitAsync(TestTimeouts.Hang);
        stop.Cancel();
        await reader.WaitAsync(TestTimeouts.Hang);

        Assert.Null(broken);
        Assert.True(snapshots > 0);
        Assert.True(nonEmpty > 0, "no snapshot ever saw a wait: the test did not race anything");
        Assert.DoesNotContain(WaitRegistry.Live(), r => locks.Contains(r.Lock));
    }

    [Fact]
    public void Reset_ForgetsEarlierWaits_AndTheirEndsDoNotTouchLaterOnes()
    {
        using var scope = new DiagnosticsScope();
        var l = new OrderedLock("registry-reset");
        WaitRecord before = WaitRegistry.Enter(l, isAsync: false, CancellationToken.None);
        Assert.True(WaitRegistry.IsLive(before));

        LockDiagnostics.ResetWaits();
        Assert.False(WaitRegistry.IsLive(before));
        Assert.DoesNotContain(before, WaitRegistry.Live());

        WaitRecord after = WaitRegistry.Enter(l, isAsync: true, CancellationToken.None);
        Assert.True(after.LinkNumber > before.LinkNumber, "link numbers start over after a reset");
        Assert.Equal(1, after.FlowNumber); // flows are numbered from 1 again after a reset

        // The earlier wait ends after the reset: the later record stays listed.
        WaitRegistry.Exit(before, WaitOutcome.Acquired);
        Assert.True(WaitRegistry.IsLive(after));
        Assert.Contains(after, WaitRegistry.Live());

        WaitRegistry.Exit(after, WaitOutcome.Acquired);
        Assert.DoesNotContain(after, WaitRegistry.Live());
    }

    [Fact]
    public void TryFail_OnlyOnce_AndNeverAfterTheWaitEnded()
    {
        using var scope = new DiagnosticsScope();
        bool previous = LockDiagnostics.s_failWaiters;
        LockDiagnostics.s_failWaiters = true; // as a failing watchdog sets it
        try
        {
            var l = new OrderedLock("registry-fail");
            WaitRecord record = WaitRegistry.Enter(l, isAsync: false, CancellationToken.None);
            Assert.NotNull(record.FailSource);
            var first = new InvalidOperationException("first");
            Assert.True(WaitRegistry.TryFail(record, first));
            Assert.False(WaitRegistry.TryFail(record, new InvalidOperationException("second")));
            Assert.Same(first, record.Failure);
            Assert.True(record.WaitToken.IsCancellationRequested);
            WaitRegistry.Exit(record, WaitOutcome.FailedByWatchdog);

            WaitRecord ended = WaitRegistry.Enter(l, isAsync: false, CancellationToken.None);
            WaitRegistry.Exit(ended, WaitOutcome.Acquired);
            Assert.False(WaitRegistry.TryFail(ended, new InvalidOperationException("late")));
            Assert.Null(ended.Failure);
        }
        finally
        {
            LockDiagnostics.s_failWaiters = previous;
        }
    }
}
