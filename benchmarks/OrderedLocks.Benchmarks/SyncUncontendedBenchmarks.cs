using BenchmarkDotNet.Attributes;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Figures "sync uncontended acquire+release, strict checking on" (target ≤ 1.5x, 0 B) and
/// "checking off" (target ≤ 1.1x): one acquire and release on one thread, nothing else held,
/// against <c>lock(object)</c> as the baseline. The other synchronous peers are shown for context.
/// </summary>
public class SyncUncontendedBenchmarks
{
    private readonly object _monitor = new();
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _semaphore = new(1, 1);
    private readonly OrderedLock _strict = new("strict", checking: LockOrderChecking.Strict);
    private readonly OrderedLock _off = new("off", checking: LockOrderChecking.Off);
    private readonly OrderedLock _learned = new("learned", checking: LockOrderChecking.Learned);
    private readonly OrderedLock _hybrid = new("hybrid", checking: LockOrderChecking.Hybrid);

    private static readonly AsyncLocal<object?> s_ambient = new();

    // A token that can be cancelled (never is): Acquire(token) takes its cancellable path.
    private readonly CancellationTokenSource _cts = new();

    [GlobalSetup(Targets = new[] { nameof(LockObject), nameof(SystemThreadingLock), nameof(SemaphoreSlimWait), nameof(OrderedLockStrict), nameof(OrderedLockOff), nameof(OrderedLockLearned), nameof(OrderedLockHybrid), nameof(OrderedLockStrictWithToken), nameof(OrderedLockStrictTry) })]
    public void Setup() => RewriteGuard.EnsureNormalBuild();

    // Sync code in a process that has used asynchronous holds and in a flow whose execution
    // context carries a value (as in an ASP.NET Core request): the flow's chain must then be read
    // on every synchronous acquisition. Each benchmark runs in its own process.
    [GlobalSetup(Target = nameof(OrderedLockStrictAfterAsync))]
    public void SetupAfterAsync()
    {
        RewriteGuard.EnsureNormalBuild();
        var other = new OrderedLock("async-before", checking: LockOrderChecking.Strict);
        other.AcquireAsync().AsTask().GetAwaiter().GetResult().Dispose();
        s_ambient.Value = new object();
    }

    [Benchmark(Baseline = true, Description = "lock(object)")]
    public void LockObject()
    {
        lock (_monitor)
        {
        }
    }

    [Benchmark(Description = "System.Threading.Lock")]
    public void SystemThreadingLock()
    {
        lock (_lock)
        {
        }
    }

    [Benchmark(Description = "SemaphoreSlim.Wait")]
    public void SemaphoreSlimWait()
    {
        _semaphore.Wait();
        _semaphore.Release();
    }

    [Benchmark(Description = "OrderedLock Strict")]
    public void OrderedLockStrict()
    {
        using (_strict.Acquire())
        {
        }
    }

    [Benchmark(Description = "OrderedLock Off")]
    public void OrderedLockOff()
    {
        using (_off.Acquire())
        {
        }
    }

    [Benchmark(Description = "OrderedLock Learned")]
    public void OrderedLockLearned()
    {
        using (_learned.Acquire())
        {
        }
    }

    [Benchmark(Description = "OrderedLock Strict, async holds used, ambient AsyncLocal")]
    public void OrderedLockStrictAfterAsync()
    {
        using (_strict.Acquire())
        {
        }
    }

    [Benchmark(Description = "OrderedLock Hybrid (default)")]
    public void OrderedLockHybrid()
    {
        using (_hybrid.Acquire())
        {
        }
    }

    [Benchmark(Description = "OrderedLock Strict, Acquire(token)")]
    public void OrderedLockStrictWithToken()
    {
        using (_strict.Acquire(_cts.Token))
        {
        }
    }

    [Benchmark(Description = "OrderedLock Strict, TryAcquire")]
    public void OrderedLockStrictTry()
    {
        if (_strict.TryAcquire(out LockScope scope))
        {
            scope.Dispose();
        }
    }
}
