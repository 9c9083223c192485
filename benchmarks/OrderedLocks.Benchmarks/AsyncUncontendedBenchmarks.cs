using BenchmarkDotNet.Attributes;
using DotNext.Threading;
using Microsoft.VisualStudio.Threading;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Figures "async uncontended acquire+release, checking on" (target ≤ 1.5x, at most one
/// allocation) and "checking off" (target ≤ 1.0x, 0 B), against DotNext's AsyncExclusiveLock, the
/// fastest async peer. Each benchmark is an async method, as in user code: the method's
/// ExecutionContext is restored when it returns, so a hold recorded in the flow does not pile up.
/// </summary>
public class AsyncUncontendedBenchmarks
{
    private static readonly System.Threading.AsyncLocal<object?> s_local = new();
    private static readonly object s_value = new();
    private static readonly Func<Task> s_noWork = static () => Task.CompletedTask;

    private readonly AsyncExclusiveLock _dotNext = new();
    private readonly SemaphoreSlim _semaphore = new(1, 1);
    private readonly Nito.AsyncEx.AsyncLock _nito = new();
    private readonly NeoSmart.AsyncLock.AsyncLock _neoSmart = new();
    private readonly AsyncSemaphore _vsSemaphore = new(1);
    private readonly ReentrantSemaphore _vsReentrant = ReentrantSemaphore.Create(1, joinableTaskContext: null, mode: ReentrantSemaphore.ReentrancyMode.NotAllowed);
    private readonly OrderedLock _strict = new("strict", checking: LockOrderChecking.Strict);
    private readonly OrderedLock _off = new("off", checking: LockOrderChecking.Off);
    private readonly OrderedLock _hybrid = new("hybrid", checking: LockOrderChecking.Hybrid);
    private readonly OrderedLock _floor = new("floor", checking: LockOrderChecking.Off);

    [GlobalSetup]
    public void Setup() => RewriteGuard.EnsureNormalBuild();

    [GlobalCleanup]
    public void Cleanup()
    {
        _dotNext.Dispose();
        _semaphore.Dispose();
        _vsReentrant.Dispose();
        _vsSemaphore.Dispose();
    }

    [Benchmark(Baseline = true, Description = "DotNext AsyncExclusiveLock")]
    public async Task DotNextAsyncExclusiveLock()
    {
        await _dotNext.AcquireAsync(CancellationToken.None);
        _dotNext.Release();
    }

    [Benchmark(Description = "SemaphoreSlim.WaitAsync")]
    public async Task SemaphoreSlimWaitAsync()
    {
        await _semaphore.WaitAsync();
        _semaphore.Release();
    }

    [Benchmark(Description = "Nito AsyncLock")]
    public async Task NitoAsyncLock()
    {
        using (await _nito.LockAsync())
        {
        }
    }

    [Benchmark(Description = "NeoSmart AsyncLock")]
    public async Task NeoSmartAsyncLock()
    {
        using (await _neoSmart.LockAsync())
        {
        }
    }

    [Benchmark(Description = "VS AsyncSemaphore")]
    public async Task VsAsyncSemaphore()
    {
        using (await _vsSemaphore.EnterAsync())
        {
        }
    }

    [Benchmark(Description = "VS ReentrantSemaphore")]
    public Task VsReentrantSemaphore() => _vsReentrant.ExecuteAsync(s_noWork);

    [Benchmark(Description = "OrderedLock Strict")]
    public async Task OrderedLockStrict()
    {
        using (await _strict.AcquireAsync())
        {
        }
    }

    [Benchmark(Description = "OrderedLock Off")]
    public async Task OrderedLockOff()
    {
        using (await _off.AcquireAsync())
        {
        }
    }

    [Benchmark(Description = "OrderedLock Hybrid (default)")]
    public async Task OrderedLockHybrid()
    {
        using (await _hybrid.AcquireAsync())
        {
        }
    }

    // The floor of a tracked asynchronous hold: the lock work of checking Off plus the one
    // AsyncLocal write that records a hold in the caller's flow (with a value allocated once).
    // The async method restores its caller's context on return, as in the OrderedLock rows, so
    // nothing piles up. Strict pays this plus its per-hold record (one 40 B node) and the check.
    [Benchmark(Description = "(floor) Off + one AsyncLocal write")]
    public async Task OffPlusAsyncLocalWrite()
    {
        using (await _floor.AcquireAsync())
        {
            s_local.Value = s_value;
        }
    }

    // The floor of a tracked asynchronous hold that has its own identity: the row above plus the
    // smallest record that can name the hold (its lock, the hold it was taken under, its token:
    // two references and an int, 40 B on x64). A hold needs one: a task forked during the hold
    // keeps the chain it captured, so a record reused by a later hold of the same lock would show
    // that later hold to the fork as its parent's (docs/held-lock-tracking.md, "Holds go stale
    // by themselves": a record is valid while its lock carries the record's token).
    [Benchmark(Description = "(floor) Off + one AsyncLocal write of a new hold record")]
    public async Task OffPlusAsyncLocalRecord()
    {
        using (await _floor.AcquireAsync())
        {
            s_local.Value = new HoldRecord(_floor, s_local.Value, 1);
        }
    }

    // Not a lock: the runtime's price of one AsyncLocal write (a new ExecutionContext and value
    // map), which recording a hold in the async flow cannot avoid. Writing null back afterwards
    // is free (the context becomes empty again).
    [Benchmark(Description = "(floor) one AsyncLocal write")]
    public void AsyncLocalWrite()
    {
        s_local.Value = s_value;
        s_local.Value = null;
    }

    private sealed class HoldRecord(object lockObject, object? parent, int token)
    {
        public object Lock { get; } = lockObject;

        public object? Parent { get; } = parent;

        public int Token { get; } = token;
    }
}
