using BenchmarkDotNet.Attributes;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Figure "contended throughput, 2 threads on 2 cores ≥ 0.8x SemaphoreSlim": two threads each
/// run <see cref="OperationsPerThread"/> acquire/increment/release rounds on the same lock; time
/// is reported per operation (both threads' operations counted). The Ratio column is time per
/// operation, so the throughput target ≥ 0.8x means Ratio ≤ 1.25.
/// </summary>
public class ContendedBenchmarks
{
    private const int OperationsPerThread = 50_000;
    private const int Operations = 2 * OperationsPerThread;

    private readonly SemaphoreSlim _semaphore = new(1, 1);
    private readonly object _monitor = new();
    private readonly OrderedLock _strict = new("strict", checking: LockOrderChecking.Strict);
    private readonly OrderedLock _off = new("off", checking: LockOrderChecking.Off);
    private TwoThreadRunner _runner = null!;
    private Action<int> _semaphoreWork = null!;
    private Action<int> _monitorWork = null!;
    private Action<int> _strictWork = null!;
    private Action<int> _offWork = null!;
    private long _counter;

    [GlobalSetup]
    public void Setup()
    {
        RewriteGuard.EnsureNormalBuild();
        _runner = new TwoThreadRunner();
        _semaphoreWork = _ =>
        {
            for (int i = 0; i < OperationsPerThread; i++)
            {
                _semaphore.Wait();
                _counter++;
                _semaphore.Release();
            }
        };
        _monitorWork = _ =>
        {
            for (int i = 0; i < OperationsPerThread; i++)
            {
                lock (_monitor)
                {
                    _counter++;
                }
            }
        };
        _strictWork = _ =>
        {
            for (int i = 0; i < OperationsPerThread; i++)
            {
                using (_strict.Acquire())
                {
                    _counter++;
                }
            }
        };
        _offWork = _ =>
        {
            for (int i = 0; i < OperationsPerThread; i++)
            {
                using (_off.Acquire())
                {
                    _counter++;
                }
            }
        };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner.Dispose();
        if (_counter % Operations != 0)
        {
            throw new InvalidOperationException($"Lost updates: counter {_counter} is not a multiple of {Operations}; mutual exclusion failed.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "SemaphoreSlim.Wait")]
    public void SemaphoreSlimWait() => _runner.Run(_semaphoreWork);

    [Benchmark(OperationsPerInvoke = Operations, Description = "lock(object)")]
    public void LockObject() => _runner.Run(_monitorWork);

    [Benchmark(OperationsPerInvoke = Operations, Description = "OrderedLock Strict")]
    public void OrderedLockStrict() => _runner.Run(_strictWork);

    [Benchmark(OperationsPerInvoke = Operations, Description = "OrderedLock Off")]
    public void OrderedLockOff() => _runner.Run(_offWork);
}
