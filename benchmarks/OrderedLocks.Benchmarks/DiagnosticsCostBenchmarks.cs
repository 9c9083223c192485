using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using OrderedLocks.Diagnostics;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// What diagnostics cost on the uncontended paths (checking Off): idle (no listener, no watchdog,
/// no capture: the baseline of each category), with a MeterListener on every OrderedLocks
/// instrument and an EventListener on the OrderedLocks EventSource at Verbose (nothing is recorded
/// without contention), and with a watchdog running (holds are then tracked: the cost per
/// acquisition). Each benchmark runs in its own process, so setups do not leak between them.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class DiagnosticsCostBenchmarks
{
    private readonly OrderedLock _off = new("off", checking: LockOrderChecking.Off);
    private MeterListener? _meters;
    private EventListener? _events;
    private LockWatchdog? _watchdog;

    [GlobalSetup(Targets = new[] { nameof(SyncIdle), nameof(AsyncIdle) })]
    public void SetupIdle() => RewriteGuard.EnsureNormalBuild();

    [GlobalSetup(Targets = new[] { nameof(SyncListeners), nameof(AsyncListeners) })]
    public void SetupListeners()
    {
        RewriteGuard.EnsureNormalBuild();
        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == LockDiagnostics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        _meters.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        _meters.Start();
        _events = new VerboseListener();
    }

    [GlobalSetup(Targets = new[] { nameof(SyncWatchdog), nameof(AsyncWatchdog) })]
    public void SetupWatchdog()
    {
        RewriteGuard.EnsureNormalBuild();
        _watchdog = LockWatchdog.Start(new LockWatchdogOptions { Interval = TimeSpan.FromSeconds(1) });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _meters?.Dispose();
        _events?.Dispose();
        _watchdog?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "sync Off, diagnostics idle")]
    [BenchmarkCategory("sync")]
    public void SyncIdle()
    {
        using (_off.Acquire())
        {
        }
    }

    [Benchmark(Description = "sync Off, Meter + EventSource listeners")]
    [BenchmarkCategory("sync")]
    public void SyncListeners()
    {
        using (_off.Acquire())
        {
        }
    }

    [Benchmark(Description = "sync Off, watchdog running")]
    [BenchmarkCategory("sync")]
    public void SyncWatchdog()
    {
        using (_off.Acquire())
        {
        }
    }

    [Benchmark(Baseline = true, Description = "async Off, diagnostics idle")]
    [BenchmarkCategory("async")]
    public async Task AsyncIdle()
    {
        using (await _off.AcquireAsync())
        {
        }
    }

    [Benchmark(Description = "async Off, Meter + EventSource listeners")]
    [BenchmarkCategory("async")]
    public async Task AsyncListeners()
    {
        using (await _off.AcquireAsync())
        {
        }
    }

    [Benchmark(Description = "async Off, watchdog running")]
    [BenchmarkCategory("async")]
    public async Task AsyncWatchdog()
    {
        using (await _off.AcquireAsync())
        {
        }
    }

    private sealed class VerboseListener : EventListener
    {
        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == LockDiagnostics.EventSourceName)
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
        }
    }
}
