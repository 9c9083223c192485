using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using OrderedLocks.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests.Diagnostics;

/// <summary>Each instrument of the OrderedLocks Meter and each event of the EventSource, on scripted scenarios.</summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class TelemetryTests
{
    [Fact]
    public void Meter_ContendedAcquisition_CountsOneContentionAndRecordsItsWait()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        using var metrics = new Metrics();
        var gate = new OrderedLock("metric-contended");
        LockScope held = gate.Acquire();
        Task waiter = Waits.Thread(() => gate.Acquire().Dispose());
        Waits.UntilWaiting(1, gate);
        Thread.Sleep(20); // the wait lasts at least this long (a lower bound, not a speed claim)
        held.Dispose();
        Waits.Finish(waiter);

        Assert.Equal(1, metrics.Sum("orderedlocks.lock.contentions", gate.Name));
        double[] waits = metrics.Values("orderedlocks.lock.wait.duration", gate.Name);
        Assert.Single(waits);
        Assert.InRange(waits[0], 0.015, TestTimeouts.Hang.TotalSeconds);
        Assert.Equal("sync", metrics.Tag("orderedlocks.lock.contentions", gate.Name, "orderedlocks.wait.kind"));
        Assert.Equal(0, metrics.Sum("orderedlocks.lock.timeouts", gate.Name));
        Assert.Equal(0, metrics.Sum("orderedlocks.lock.cancellations", gate.Name));
    }

    [Fact]
    public async Task Meter_UncontendedAcquisitions_RecordNothing()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        using var metrics = new Metrics();
        var gate = new OrderedLock("metric-free");
        for (int i = 0; i < 10; i++)
        {
            gate.Acquire().Dispose();
            (await gate.AcquireAsync()).Dispose();
        }

        Assert.Equal(0, metrics.Count(gate.Name));
    }

    [Fact]
    public async Task Meter_TimeoutAndCancellation_AreCountedApart()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        using var metrics = new Metrics();
        var gate = new OrderedLock("metric-timeouts");
        LockScope held = await gate.AcquireAsync(); // an async hold: any thread may wait for it
        try
        {
            await Waits.Thread(() => Assert.False(gate.TryAcquire(TestTimeouts.Expire, out _)));
            await Task.Run(async () => Assert.False((await gate.TryAcquireAsync(TestTimeouts.Expire)).IsAcquired));
            using var cts = new CancellationTokenSource(TestTimeouts.Expire);
            await Task.Run(() => Assert.ThrowsAnyAsync<OperationCanceledException>(async () => (await gate.AcquireAsync(cts.Token)).Dispose()));
        }
        finally
        {
            held.Dispose();
        }

        Assert.Equal(2, metrics.Sum("orderedlocks.lock.timeouts", gate.Name));
        Assert.Equal(1, metrics.Sum("orderedlocks.lock.cancellations", gate.Name));
        Assert.Equal(3, metrics.Sum("orderedlocks.lock.contentions", gate.Name));
        Assert.Equal(3, metrics.Values("orderedlocks.lock.wait.duration", gate.Name).Length);
    }

    [Fact]
    public void Meter_Violations_AreCountedByKind()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Strict, LockViolationAction.Report);
        using var metrics = new Metrics();
        var low = new OrderedLock("metric-low", rank: 1);
        var high = new OrderedLock("metric-high", rank: 2);
        using (high.Acquire())
        using (low.Acquire())
        {
        }

        Assert.Equal(1, metrics.Sum("orderedlocks.lock.order_violations", "metric-low"));
        Assert.Equal(nameof(LockViolationKind.OrderViolation), metrics.Tag("orderedlocks.lock.order_violations", "metric-low", "orderedlocks.violation.kind"));
    }

    [Fact]
    public void Meter_HoldTimeWithCapture_RecordsEachHold()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off, capture: true);
        using var metrics = new Metrics();
        var gate = new OrderedLock("metric-hold");
        using (gate.Acquire())
        {
            Thread.Sleep(10);
        }

        gate.Acquire().Dispose();
        double[] holds = metrics.Values("orderedlocks.lock.hold.duration", gate.Name);
        Assert.Equal(2, holds.Length);
        Assert.True(holds[0] >= 0.005, $"The first hold lasted at least 10 ms, recorded {holds[0]} s.");
    }

    [Fact]
    public void Meter_WatchdogDeadlockAndLongWait_CountedOnceEach()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        using var metrics = new Metrics();
        using var watchdog = new LockWatchdog(new LockWatchdogOptions { LongWaitThreshold = TimeSpan.Zero });
        var x = new OrderedLock("metric-dl-x");
        var y = new OrderedLock("metric-dl-y");
        using var cts = new CancellationTokenSource();
        (Task a, Task b) = Abba.Start(x, y, cts.Token);
        try
        {
            Waits.UntilDeadlocked(x, y);
            Assert.Single(Waits.CyclesAmong(watchdog.Check().NewDeadlocks, x, y));
            Assert.Empty(Waits.CyclesAmong(watchdog.Check().NewDeadlocks, x, y)); // once
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(a, b);
        }

        Assert.Equal(1, metrics.Sum("orderedlocks.lock.deadlocks", null));
        Assert.Equal(1, metrics.Sum("orderedlocks.lock.long_waits", "metric-dl-x"));
        Assert.Equal(1, metrics.Sum("orderedlocks.lock.long_waits", "metric-dl-y"));
    }

    [Fact]
    public void EventSource_ContentionStartAndStop_HaveTheLockAndDuration()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        using var events = new Events(EventLevel.Verbose);
        var gate = new OrderedLock("event-contended");
        LockScope held = gate.Acquire();
        Task waiter = Waits.Thread(() => gate.Acquire().Dispose());
        Waits.UntilWaiting(1, gate);
        held.Dispose();
        Waits.Finish(waiter);

        EventWrittenEventArgs start = events.Single("ContentionStart", gate.Name);
        EventWrittenEventArgs stop = events.Single("ContentionStop", gate.Name);
        Assert.Equal(gate.Id, (int)start.Payload![1]!);
        Assert.Equal((byte)0, (byte)start.Payload[0]!);
        Assert.Equal(Environment.CurrentManagedThreadId, (int)start.Payload[3]!);
        Assert.True((double)stop.Payload![3]! > 0);
        Assert.Equal("Acquired", (string)stop.Payload[4]!);
        Assert.Equal(EventLevel.Verbose, start.Level);
    }

    [Fact]
    public void EventSource_WarningLevel_HasNoContentionEvents()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Off);
        using var events = new Events(EventLevel.Warning);
        var gate = new OrderedLock("event-quiet");
        LockScope held = gate.Acquire();
        Task waiter = Waits.Thread(() => gate.Acquire().Dispose());
        Waits.UntilWaiting(1, gate);
        held.Dispose();
        Waits.Finish(waiter);
        Assert.Empty(events.Named("ContentionStart", gate.Name));
    }

    [Fact]
    public void EventSource_ViolationDeadlockAndLongWait_AreWritten()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Learned, LockViolationAction.Report, capture: true);
        using var events = new Events(EventLevel.Warning);
        using var watchdog = new LockWatchdog(new LockWatchdogOptions { LongWaitThreshold = TimeSpan.Zero });
        var x = new OrderedLock("event-dl-x");
        var y = new OrderedLock("event-dl-y");
        using var cts = new CancellationTokenSource();
        (Task a, Task b) = Abba.Start(x, y, cts.Token);
        try
        {
            Waits.UntilDeadlocked(x, y);
            watchdog.Check();
        }
        finally
        {
            cts.Cancel();
            Waits.Finish(a, b);
        }

        EventWrittenEventArgs violation = events.All.Single(e => e.EventName == "LockOrderViolation" && ((string)e.Payload![1]!).StartsWith("event-dl-", StringComparison.Ordinal));
        Assert.Equal(nameof(LockViolationKind.PotentialDeadlock), (string)violation.Payload![0]!);
        EventWrittenEventArgs deadlock = events.All.Single(e => e.EventName == "DeadlockDetected" && ((string)e.Payload![1]!).Contains("event-dl-x", StringComparison.Ordinal));
        Assert.Equal(2, (int)deadlock.Payload![0]!);
        Assert.Contains("waits for 'event-dl-y'", (string)deadlock.Payload[1]!, StringComparison.Ordinal);
        Assert.Contains(nameof(Abba), (string)deadlock.Payload[2]!, StringComparison.Ordinal); // stacks in the report
        Assert.Equal(EventLevel.Error, deadlock.Level);
        Assert.Equal(2, events.All.Count(e => e.EventName == "LongWait" && ((string)e.Payload![1]!).StartsWith("event-dl-", StringComparison.Ordinal)));
    }

    /// <summary>Collects the OrderedLocks Meter's measurements, with their tags.</summary>
    private sealed class Metrics : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();

        public Metrics()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == LockDiagnostics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        public long Sum(string instrument, string? lockName) => (long)Matching(instrument, lockName).Sum(m => m.Value);

        public double[] Values(string instrument, string lockName) => Matching(instrument, lockName).Select(m => m.Value).ToArray();

        public int Count(string lockName) => _measurements.Count(m => Equals(m.Tags.GetValueOrDefault("orderedlocks.lock.name"), lockName));

        public object? Tag(string instrument, string lockName, string tag) => Matching(instrument, lockName).First().Tags.GetValueOrDefault(tag);

        public void Dispose() => _listener.Dispose();

        private IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Matching(string instrument, string? lockName) =>
            _measurements.Where(m => m.Instrument == instrument && (lockName is null || Equals(m.Tags.GetValueOrDefault("orderedlocks.lock.name"), lockName)));

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            _measurements.Enqueue((instrument.Name, value, copy));
        }
    }

    /// <summary>Collects the OrderedLocks EventSource's events.</summary>
    private sealed class Events : EventListener
    {
        private readonly ConcurrentQueue<EventWrittenEventArgs> _events = new();
        private readonly EventLevel _level;
        private EventSource? _source;

        public Events(EventLevel level)
        {
            _level = level;
            if (_source is not null)
            {
                EnableEvents(_source, _level);
            }
        }

        public IReadOnlyList<EventWrittenEventArgs> All => _events.ToArray();

        public IEnumerable<EventWrittenEventArgs> Named(string name, string lockName) =>
            _events.Where(e => e.EventName == name && e.Payload is { Count: > 2 } && Equals(e.Payload[2], lockName));

        public EventWrittenEventArgs Single(string name, string lockName) => Assert.Single(Named(name, lockName));

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == LockDiagnostics.EventSourceName)
            {
                _source = eventSource;

                // Called from the base constructor before _level is set: enabled again in ours.
                EnableEvents(eventSource, _level == 0 ? EventLevel.Verbose : _level);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData) => _events.Enqueue(eventData);
    }
}

/// <summary>Two threads in an ABBA deadlock, broken by <c>token</c>.</summary>
internal static class Abba
{
    public static (Task A, Task B) Start(OrderedLock x, OrderedLock y, CancellationToken token)
    {
        var bothHold = new Barrier(2);
        Task a = Waits.Thread(() => Side(x, y, bothHold, token));
        Task b = Waits.Thread(() => Side(y, x, bothHold, token));
        _ = Task.WhenAll(new[] { a, b }).ContinueWith(_ => bothHold.Dispose(), TaskScheduler.Default);
        return (a, b);
    }

    private static void Side(OrderedLock first, OrderedLock second, Barrier bothHold, CancellationToken token)
    {
        using (first.Acquire())
        {
            bothHold.SignalAndWait();
            Waits.AcquireOrCancel(second, token);
        }
    }
}
