using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0003SameFieldInstancesNestedAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

public sealed class OL0003SameFieldInstancesNestedAnalyzerTests
{
    // ------------------------------------------------------------------ must report

    [Fact]
    public async Task LockOnOtherInstanceField_Reports()
    {
        await V.AnalyzerAsync("""
            class Account
            {
                private readonly object _sync = new object();
                private decimal _balance;

                public void Transfer(Account other, decimal amount)
                {
                    lock (_sync)
                    {
                        lock ({|OL0003:other._sync|})
                        {
                            _balance -= amount;
                            other._balance += amount;
                        }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task ArrayElementsThroughLocals_DiningPhilosophers_Reports()
    {
        await V.AnalyzerAsync("""
            class Table
            {
                private readonly object[] _forks = { new object(), new object(), new object() };

                public void Eat(int seat)
                {
                    object left = _forks[seat];
                    object right = _forks[(seat + 1) % _forks.Length];
                    lock (left)
                    {
                        lock ({|OL0003:right|}) { }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task OrderedLocksOfTwoInstances_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Node
            {
                private readonly OrderedLock _lock = new OrderedLock();

                public async Task LinkAsync(Node next)
                {
                    using (await _lock.AcquireAsync())
                    using (await {|OL0003:next._lock.AcquireAsync()|})
                    {
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task CallOnParameterThatLocksTheSameField_Reports()
    {
        await V.AnalyzerAsync(
            """
            partial class Account
            {
                private readonly object _sync = new object();
                private decimal _balance;

                public void TransferTo(Account target, decimal amount)
                {
                    lock (_sync)
                    {
                        _balance -= amount;
                        {|OL0003:target.Deposit(amount)|};
                    }
                }
            }
            """,
            """
            partial class Account
            {
                public void Deposit(decimal amount)
                {
                    lock (_sync) { _balance += amount; }
                }
            }
            """);
    }

    // ------------------------------------------------------------------ must not report

    [Fact]
    public async Task SameInstanceReentry_AndStaticField_DoNotReport()
    {
        await V.AnalyzerAsync("""
            class Reentrant
            {
                private static readonly object s_global = new object();
                private readonly object _sync = new object();

                public void Run()
                {
                    lock (_sync) { lock (this._sync) { Helper(); } }
                    lock (s_global) { lock (Reentrant.s_global) { } }
                }

                private void Helper() { lock (_sync) { } }
            }
            """);
    }

    [Fact]
    public async Task SequentialLocksOnTwoInstances_DoNotReport()
    {
        await V.AnalyzerAsync("""
            class Account
            {
                private readonly object _sync = new object();
                private decimal _balance;

                public void Transfer(Account other, decimal amount)
                {
                    lock (_sync) { _balance -= amount; }
                    lock (other._sync) { other._balance += amount; }
                }
            }
            """);
    }

    [Fact]
    public async Task SameFieldNameInDifferentClasses_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            class Parent
            {
                private readonly object _sync = new object();
                private readonly Child _child = new Child();

                public void Run(Child other)
                {
                    lock (_sync) { lock (other.Sync) { } }
                    lock (_sync) { _child.Touch(); }
                }
            }

            class Child
            {
                internal readonly object Sync = new object();
                public void Touch() { lock (Sync) { } }
            }
            """);
    }

    [Fact]
    public async Task AcquireAllOfTwoInstances_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Node
            {
                private readonly OrderedLock _lock = new OrderedLock();

                public void Link(Node next)
                {
                    using (OrderedLock.AcquireAll(_lock, next._lock)) { }
                }
            }
            """);
    }

    [Fact]
    public async Task CallOnFieldChildInHierarchy_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            class TreeNode
            {
                private readonly object _sync = new object();
                private TreeNode? _firstChild;

                public void Refresh()
                {
                    lock (_sync) { _firstChild?.Refresh(); }
                }
            }
            """);
    }
}
