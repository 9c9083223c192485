using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0101WaitNotInPredicateLoopAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

public sealed class OL0101WaitNotInPredicateLoopAnalyzerTests
{
    // ------------------------------------------------------------------ must report

    [Fact]
    public async Task ConditionWaitUnderIf_Reports()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Queue
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedCondition _notEmpty;
                private int _count;

                public Queue() { _notEmpty = new OrderedCondition(_lock); }

                public void Take()
                {
                    using (_lock.Acquire())
                    {
                        if (_count == 0) {|OL0101:_notEmpty.Wait()|};
                        _count--;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task PoemWithMonitor_HandOffLoop_Reports()
    {
        await V.AnalyzerAsync("""
            using System;
            using System.Threading;

            class Poem
            {
                private readonly object _sync = new object();

                public void XiaoAi()
                {
                    lock (_sync)
                    {
                        for (int line = 0; line < 3; line++)
                        {
                            {|OL0101:Monitor.Wait(_sync)|};
                            Console.WriteLine("XiaoAi");
                            Monitor.Pulse(_sync);
                        }
                    }
                }

                public void TianMao()
                {
                    lock (_sync)
                    {
                        int line = 0;
                        while (line++ < 3)
                        {
                            Console.WriteLine("TianMao");
                            Monitor.Pulse(_sync);
                            {|OL0101:Monitor.Wait(_sync)|};
                        }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task AsyncWaitNotInLoop_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Gate
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedCondition _opened;

                public Gate() { _opened = new OrderedCondition(_lock); }

                public async Task PassAsync()
                {
                    using (await _lock.AcquireAsync())
                    {
                        await {|OL0101:_opened.WaitAsync()|};
                    }
                }
            }
            """);
    }

    // ------------------------------------------------------------------ must not report

    [Fact]
    public async Task WhileLoopPredicate_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;
            using OrderedLocks;

            class Queue
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedCondition _notEmpty;
                private readonly object _sync = new object();
                private int _count;

                public Queue() { _notEmpty = new OrderedCondition(_lock); }

                public void Take()
                {
                    using (_lock.Acquire())
                    {
                        while (_count == 0) _notEmpty.Wait();
                        _count--;
                    }

                    lock (_sync)
                    {
                        do { Monitor.Wait(_sync); } while (_count == 0);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task WaitForPredicate_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Queue
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedCondition _notEmpty;
                private int _count;

                public Queue() { _notEmpty = new OrderedCondition(_lock); }

                public async Task TakeAsync()
                {
                    using (_lock.Acquire()) { _notEmpty.WaitFor(() => _count > 0); }
                    using (await _lock.AcquireAsync()) { await _notEmpty.WaitForAsync(() => _count > 0); }
                }
            }
            """);
    }

    [Fact]
    public async Task EndlessLoopWithGuardedBreak_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Latch
            {
                private readonly object _sync = new object();
                private bool _open;

                public void Await()
                {
                    lock (_sync)
                    {
                        while (true)
                        {
                            if (_open) break;
                            Monitor.Wait(_sync);
                        }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task NotifyWithoutWait_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Latch
            {
                private readonly object _sync = new object();
                private bool _open;

                public void Open()
                {
                    lock (_sync) { _open = true; Monitor.PulseAll(_sync); }
                }
            }
            """);
    }
}
