using OrderedLocks.Analyzers.Rules;
using OrderedLocks.CodeFixes;
using Xunit;

namespace OrderedLocks.Analyzers.Tests;

public sealed class UseAcquireAllCodeFixTests
{
    [Fact]
    public async Task NestedUsingStatements_BecomeAcquireAll()
    {
        await VerifyFix<OL0004NestedOrderedAcquisitionsAnalyzer, UseAcquireAllCodeFixProvider>.CodeFixAsync(
            """
            using OrderedLocks;

            class Pair
            {
                private readonly OrderedLock _x = new OrderedLock("x");
                private readonly OrderedLock _y = new OrderedLock("y");
                private int _count;

                public void Both()
                {
                    using (_x.Acquire())
                    {
                        using ({|OL0004:_y.Acquire()|})
                        {
                            _count++;
                        }
                    }
                }
            }
            """,
            """
            using OrderedLocks;

            class Pair
            {
                private readonly OrderedLock _x = new OrderedLock("x");
                private readonly OrderedLock _y = new OrderedLock("y");
                private int _count;

                public void Both()
                {
                    using (OrderedLock.AcquireAll(_x, _y))
                    {
                        _count++;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task StackedAsyncUsings_BecomeAcquireAllAsync()
    {
        await VerifyFix<OL0004NestedOrderedAcquisitionsAnalyzer, UseAcquireAllCodeFixProvider>.CodeFixAsync(
            """
            using System.Threading.Tasks;
            using OrderedLocks;

            class Pair
            {
                private readonly OrderedLock _x = new OrderedLock();
                private readonly OrderedLock _y = new OrderedLock();

                public async Task BothAsync()
                {
                    using (await _x.AcquireAsync())
                    using (await {|OL0004:_y.AcquireAsync()|})
                    {
                        await Task.Yield();
                    }
                }
            }
            """,
            """
            using System.Threading.Tasks;
            using OrderedLocks;

            class Pair
            {
                private readonly OrderedLock _x = new OrderedLock();
                private readonly OrderedLock _y = new OrderedLock();

                public async Task BothAsync()
                {
                    using (await OrderedLock.AcquireAllAsync(_x, _y))
                    {
                        await Task.Yield();
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task UsingDeclarations_BecomeOneDeclaration()
    {
        await VerifyFix<OL0004NestedOrderedAcquisitionsAnalyzer, UseAcquireAllCodeFixProvider>.CodeFixAsync(
            """
            using OrderedLocks;

            class Pair
            {
                private static readonly OrderedLock s_x = new OrderedLock();
                private static readonly OrderedLock s_y = new OrderedLock();

                public int Both()
                {
                    using var x = s_x.Acquire();
                    using var y = {|OL0004:s_y.Acquire()|};
                    return 1;
                }
            }
            """,
            """
            using OrderedLocks;

            class Pair
            {
                private static readonly OrderedLock s_x = new OrderedLock();
                private static readonly OrderedLock s_y = new OrderedLock();

                public int Both()
                {
                    using var x = OrderedLock.AcquireAll(s_x, s_y);
                    return 1;
                }
            }
            """);
    }

    [Fact]
    public async Task TwoInstancesOfTheSameField_BecomeAcquireAll()
    {
        await VerifyFix<OL0003SameFieldInstancesNestedAnalyzer, UseAcquireAllCodeFixProvider>.CodeFixAsync(
            """
            using OrderedLocks;

            class Account
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private decimal _balance;

                public void Transfer(Account other, decimal amount)
                {
                    using (_lock.Acquire())
                    using ({|OL0003:other._lock.Acquire()|})
                    {
                        _balance -= amount;
                        other._balance += amount;
                    }
                }
            }
            """,
            """
            using OrderedLocks;

            class Account
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private decimal _balance;

                public void Transfer(Account other, decimal amount)
                {
                    using (OrderedLock.AcquireAll(_lock, other._lock))
                    {
                        _balance -= amount;
                        other._balance += amount;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task RawLockStatements_HaveNoFix()
    {
        string source = """
            class Account
            {
                private readonly object _sync = new object();

                public void Transfer(Account other)
                {
                    lock (_sync) { lock ({|OL0003:other._sync|}) { } }
                }
            }
            """;
        await VerifyFix<OL0003SameFieldInstancesNestedAnalyzer, UseAcquireAllCodeFixProvider>.CodeFixAsync(source, source);
    }
}

public sealed class UseWaitForCodeFixTests
{
    [Fact]
    public async Task IfGuardedWait_BecomesWaitFor()
    {
        await VerifyFix<OL0101WaitNotInPredicateLoopAnalyzer, UseWaitForCodeFixProvider>.CodeFixAsync(
            """
            using System;
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
                        if (_count == 0)
                        {
                            {|OL0101:_notEmpty.Wait(TimeSpan.FromSeconds(1))|};
                        }
                        _count--;
                    }
                }
            }
            """,
            """
            using System;
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
                        _notEmpty.WaitFor(() => _count != 0, TimeSpan.FromSeconds(1));
                        _count--;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task IfGuardedWaitAsync_BecomesWaitForAsync()
    {
        await VerifyFix<OL0101WaitNotInPredicateLoopAnalyzer, UseWaitForCodeFixProvider>.CodeFixAsync(
            """
            using System.Threading.Tasks;
            using OrderedLocks;

            class Gate
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedCondition _opened;
                private bool _open;

                public Gate() { _opened = new OrderedCondition(_lock); }

                public async Task PassAsync()
                {
                    using (await _lock.AcquireAsync())
                    {
                        if (!_open) await {|OL0101:_opened.WaitAsync()|};
                    }
                }
            }
            """,
            """
            using System.Threading.Tasks;
            using OrderedLocks;

            class Gate
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedCondition _opened;
                private bool _open;

                public Gate() { _opened = new OrderedCondition(_lock); }

                public async Task PassAsync()
                {
                    using (await _lock.AcquireAsync())
                    {
                        await _opened.WaitForAsync(() => _open);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task IfGuardedMonitorWait_BecomesWhileLoop()
    {
        await VerifyFix<OL0101WaitNotInPredicateLoopAnalyzer, UseWaitForCodeFixProvider>.CodeFixAsync(
            """
            using System.Threading;

            class Latch
            {
                private readonly object _sync = new object();
                private bool _open;

                public void Await()
                {
                    lock (_sync)
                    {
                        if (!_open) {|OL0101:Monitor.Wait(_sync)|};
                    }
                }
            }
            """,
            """
            using System.Threading;

            class Latch
            {
                private readonly object _sync = new object();
                private bool _open;

                public void Await()
                {
                    lock (_sync)
                    {
                        while (!_open) Monitor.Wait(_sync);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task UnguardedWait_HasNoFix()
    {
        string source = """
            using System.Threading;

            class Poem
            {
                private readonly object _sync = new object();

                public void Recite()
                {
                    lock (_sync) { {|OL0101:Monitor.Wait(_sync)|}; }
                }
            }
            """;
        await VerifyFix<OL0101WaitNotInPredicateLoopAnalyzer, UseWaitForCodeFixProvider>.CodeFixAsync(source, source);
    }
}
