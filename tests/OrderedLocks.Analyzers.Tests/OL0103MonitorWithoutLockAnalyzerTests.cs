using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0103MonitorWithoutLockAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

public sealed class OL0103MonitorWithoutLockAnalyzerTests
{
    // ------------------------------------------------------------------ must report

    [Fact]
    public async Task PulseOutsideLock_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Poem
            {
                private readonly object _sync = new object();

                public void Start()
                {
                    {|OL0103:Monitor.Pulse(_sync)|};
                    lock (_sync) { Monitor.Wait(_sync); }
                }
            }
            """);
    }

    [Fact]
    public async Task WaitOnOtherMonitor_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Poem
            {
                private readonly object _a = new object();
                private readonly object _b = new object();

                public void Recite()
                {
                    lock (_a) { {|OL0103:Monitor.Wait(_b)|}; }
                }
            }
            """);
    }

    [Fact]
    public async Task WaitAfterExit_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Poem
            {
                private readonly object _sync = new object();

                public void Recite()
                {
                    Monitor.Enter(_sync);
                    Monitor.Exit(_sync);
                    {|OL0103:Monitor.PulseAll(_sync)|};
                }
            }
            """);
    }

    // ------------------------------------------------------------------ must not report

    [Fact]
    public async Task InsideLockOrMonitorEnter_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Poem
            {
                private readonly object _sync = new object();
                private bool _turn;

                public void Recite()
                {
                    lock (_sync) { _turn = true; Monitor.PulseAll(_sync); }
                    Monitor.Enter(_sync);
                    try { while (!_turn) Monitor.Wait(_sync); }
                    finally { Monitor.Exit(_sync); }
                }
            }
            """);
    }

    [Fact]
    public async Task HelperCalledUnderLock_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Poem
            {
                private static readonly object s_sync = new object();

                public void Recite() { lock (s_sync) { Signal(); } }
                private static void Signal() { Monitor.Pulse(s_sync); }
            }
            """);
    }

    [Fact]
    public async Task UnresolvableMonitorUnderSomeLock_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Poem
            {
                public void Recite(object gate)
                {
                    lock (gate) { Monitor.Pulse(gate); }
                }
            }
            """);
    }
}
