using BenchmarkDotNet.Attributes;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Figure "reentrant lock re-entry ≤ 1.5x Monitor re-entry": under one outer hold, the holder
/// re-enters the lock <see cref="Reentries"/> times; time is per re-entry (the outer acquisition is
/// amortized over them, the same way for every lock). Baseline: <c>lock(object)</c> nested.
/// </summary>
public class ReentrantBenchmarks
{
    private const int Reentries = 16;

    private readonly object _monitor = new();
    private readonly ReentrantOrderedLock _strict = new("reentrant strict", checking: LockOrderChecking.Strict);
    private readonly ReentrantOrderedLock _off = new("reentrant off", checking: LockOrderChecking.Off);

    [GlobalSetup]
    public void Setup() => RewriteGuard.EnsureNormalBuild();

    [Benchmark(Baseline = true, OperationsPerInvoke = Reentries, Description = "Monitor re-entry")]
    public void MonitorReentry()
    {
        lock (_monitor)
        {
            for (int i = 0; i < Reentries; i++)
            {
                lock (_monitor)
                {
                }
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Reentries, Description = "ReentrantOrderedLock Strict re-entry")]
    public void ReentrantStrict()
    {
        using (_strict.Acquire())
        {
            for (int i = 0; i < Reentries; i++)
            {
                using (_strict.Acquire())
                {
                }
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Reentries, Description = "ReentrantOrderedLock Off re-entry")]
    public void ReentrantOff()
    {
        using (_off.Acquire())
        {
            for (int i = 0; i < Reentries; i++)
            {
                using (_off.Acquire())
                {
                }
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Reentries, Description = "ReentrantOrderedLock Strict async re-entry")]
    public async Task ReentrantStrictAsync()
    {
        using (await _strict.AcquireAsync())
        {
            for (int i = 0; i < Reentries; i++)
            {
                using (await _strict.AcquireAsync())
                {
                }
            }
        }
    }
}
