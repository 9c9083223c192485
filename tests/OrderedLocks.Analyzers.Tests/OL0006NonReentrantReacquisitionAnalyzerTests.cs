using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0006NonReentrantReacquisitionAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

public sealed class OL0006NonReentrantReacquisitionAnalyzerTests
{
    // ------------------------------------------------------------------ must report

    [Fact]
    public async Task SemaphoreReacquiredThroughHelper_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;

            class Cache
            {
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);

                public async Task RefreshAsync()
                {
                    await _gate.WaitAsync();
                    try { await {|OL0006:LoadAsync()|}; }
                    finally { _gate.Release(); }
                }

                private async Task LoadAsync()
                {
                    await _gate.WaitAsync();
                    _gate.Release();
                }
            }
            """);
    }

    [Fact]
    public async Task OrderedLockNestedOnItself_Reports()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Cache
            {
                private readonly OrderedLock _lock = new OrderedLock();

                public void Run()
                {
                    using (_lock.Acquire())
                    {
                        using ({|OL0006:_lock.Acquire()|}) { }
                    }
                }
            }
            """);
    }

    // ------------------------------------------------------------------ must not report

    [Fact]
    public async Task ReentrantLocksAndMonitor_DoNotReport()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Cache
            {
                private readonly ReentrantOrderedLock _lock = new ReentrantOrderedLock();
                private readonly object _sync = new object();

                public void Run()
                {
                    using (_lock.Acquire()) { Inner(); }
                    lock (_sync) { lock (_sync) { } }
                }

                private void Inner() { using (_lock.Acquire()) { } }
            }
            """);
    }

    [Fact]
    public async Task OtherInstanceOrReleasedFirst_DoNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;

            class Cache
            {
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
                private readonly Cache? _next;

                public Cache(Cache? next) { _next = next; }

                public async Task RefreshAsync()
                {
                    await _gate.WaitAsync();
                    try { if (_next is not null) await _next.LoadAsync(); }
                    finally { _gate.Release(); }
                    await LoadAsync();
                }

                private async Task LoadAsync()
                {
                    await _gate.WaitAsync();
                    _gate.Release();
                }
            }
            """);
    }

    [Fact]
    public async Task TimedRetry_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System;
            using System.Threading;

            class Cache
            {
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);

                public void Run()
                {
                    _gate.Wait();
                    try
                    {
                        if (_gate.Wait(TimeSpan.Zero)) { _gate.Release(); }
                    }
                    finally { _gate.Release(); }
                }
            }
            """);
    }
}
