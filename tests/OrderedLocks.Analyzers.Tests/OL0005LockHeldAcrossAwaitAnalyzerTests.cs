using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0005LockHeldAcrossAwaitAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

public sealed class OL0005LockHeldAcrossAwaitAnalyzerTests
{
    // ------------------------------------------------------------------ must report

    [Fact]
    public async Task SyncAcquireScopeAcrossAwait_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Worker
            {
                private readonly OrderedLock _lock = new OrderedLock();

                public async Task RunAsync()
                {
                    using (_lock.Acquire())
                    {
                        {|OL0005:await Task.Yield()|};
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task MonitorEnterAcrossAwait_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;

            class Worker
            {
                private readonly object _sync = new object();

                public async Task RunAsync()
                {
                    Monitor.Enter(_sync);
                    try
                    {
                        {|OL0005:await Task.Delay(1)|};
                    }
                    finally
                    {
                        Monitor.Exit(_sync);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task UsingDeclarationOfReentrantSyncScope_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Worker
            {
                private readonly ReentrantOrderedLock _lock = new ReentrantOrderedLock();

                public async Task<int> RunAsync(Task<int> work)
                {
                    using var scope = _lock.Acquire();
                    return {|OL0005:await work|};
                }
            }
            """);
    }

    // ------------------------------------------------------------------ must not report

    [Fact]
    public async Task AsyncAcquireAcrossAwait_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;
            using OrderedLocks;

            class Worker
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);

                public async Task RunAsync()
                {
                    using (await _lock.AcquireAsync())
                    {
                        await Task.Yield();
                    }

                    await _gate.WaitAsync();
                    try { await Task.Yield(); } finally { _gate.Release(); }
                }
            }
            """);
    }

    [Fact]
    public async Task ReleasedBeforeAwait_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Worker
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly object _sync = new object();
                private int _value;

                public async Task RunAsync()
                {
                    int copy;
                    using (_lock.Acquire()) { copy = _value; }
                    lock (_sync) { _value = copy; }
                    await Task.Delay(copy);
                }
            }
            """);
    }

    [Fact]
    public async Task AwaitInsideLambdaStartedUnderLock_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Worker
            {
                private readonly OrderedLock _lock = new OrderedLock();

                public Task Run()
                {
                    using (_lock.Acquire())
                    {
                        return Task.Run(async () => await Task.Yield());
                    }
                }
            }
            """);
    }
}
