using BenchmarkDotNet.Attributes;
using OrderedLocks.Diagnostics;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// What one watchdog check costs (the work done once per interval, on the timer's thread): a
/// <see cref="LockWatchdog.Check"/> with no waiter, and with 16 and 256 asynchronous waiters queued
/// behind held locks (one waiter per lock, no cycle, every wait older than the long-wait threshold
/// after the first check, so later checks re-read and skip them as already reported). The
/// per-acquisition cost of a running watchdog is <see cref="DiagnosticsCostBenchmarks"/>.
/// </summary>
public class WatchdogCheckBenchmarks
{
    private LockWatchdog _watchdog = null!;
    private OrderedLock[] _locks = null!;
    private LockScope[] _holds = null!;
    private Task<LockScope>[] _waiters = null!;

    /// <summary>Gets or sets the number of waiters queued while the checks run.</summary>
    [Params(0, 16, 256)]
    public int Waiters { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        RewriteGuard.EnsureNormalBuild();
        _watchdog = new LockWatchdog(new LockWatchdogOptions { LongWaitThreshold = TimeSpan.FromMilliseconds(1) });
        _locks = new OrderedLock[Waiters];
        _holds = new LockScope[Waiters];
        _waiters = new Task<LockScope>[Waiters];
        for (int i = 0; i < Waiters; i++)
        {
            _locks[i] = new OrderedLock($"w{i}", checking: LockOrderChecking.Off);
            _holds[i] = _locks[i].Acquire().HandOff();
            _waiters[i] = _locks[i].AcquireAsync().AsTask();
        }

        Thread.Sleep(10);
        LockWatchdogReport first = _watchdog.Check();
        if (first.NewLongWaits.Count != Waiters || LockDiagnostics.WaitCount < Waiters)
        {
            throw new InvalidOperationException($"Setup expected {Waiters} long waits, the watchdog saw {first.NewLongWaits.Count} (registry {LockDiagnostics.WaitCount}).");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        for (int i = 0; i < Waiters; i++)
        {
            _holds[i].Dispose();
            _waiters[i].GetAwaiter().GetResult().Dispose();
        }

        _watchdog.Dispose();
    }

    [Benchmark(Description = "LockWatchdog.Check()")]
    public int Check() => _watchdog.Check().NewLongWaits.Count;
}
