using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0102ConditionWithoutLockAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

public sealed class OL0102ConditionWithoutLockAnalyzerTests
{
    // ------------------------------------------------------------------ must report

    [Fact]
    public async Task NotifyWithoutAnyLock_Reports()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Signal
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedCondition _ready;
                private bool _set;

                public Signal() { _ready = new OrderedCondition(_lock); }

                public void Set()
                {
                    _set = true;
                    {|OL0102:_ready.NotifyAll()|};
                }

                public void Await()
                {
                    using (_lock.Acquire()) { _ready.WaitFor(() => _set); }
                }
            }
            """);
    }

    [Fact]
    public async Task WaitHoldingTheWrongLock_Reports()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Signal
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedLock _other = new OrderedLock();
                private readonly OrderedCondition _ready;
                private bool _set;

                public Signal() { _ready = new OrderedCondition(_lock); }

                public void Await()
                {
                    using (_other.Acquire())
                    {
                        while (!_set) {|OL0102:_ready.Wait()|};
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task HelperCalledOnceWithoutTheLock_Reports()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Signal
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedCondition _ready;

                public Signal() { _ready = new OrderedCondition(_lock); }

                public void SetLocked() { using (_lock.Acquire()) { Wake(); } }
                public void SetFast() { Wake(); }

                private void Wake() { {|OL0102:_ready.Notify()|}; }
            }
            """);
    }

    // ------------------------------------------------------------------ must not report

    [Fact]
    public async Task WaitAndNotifyUnderTheLock_DoNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Signal
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedCondition _ready;
                private bool _set;

                public Signal() { _ready = new OrderedCondition(_lock); }

                public void Set() { using (_lock.Acquire()) { _set = true; _ready.NotifyAll(); } }

                public async Task AwaitAsync()
                {
                    using (await _lock.AcquireAsync()) { await _ready.WaitForAsync(() => _set); }
                }
            }
            """);
    }

    [Fact]
    public async Task HelperAlwaysCalledUnderTheLock_DoesNotReport()
    {
        await V.AnalyzerAsync(
            """
            using OrderedLocks;

            partial class Signal
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedCondition _ready;

                public Signal() { _ready = new OrderedCondition(_lock); }

                public void Set() { using (_lock.Acquire()) { Wake(); } }
            }
            """,
            """
            partial class Signal
            {
                public void SetAll() { using (_lock.Acquire()) { Wake(); } }
                private void Wake() { _ready.Notify(); }
            }
            """);
    }

    [Fact]
    public async Task ConditionOverLockHeldThroughAcquireAllOrTryAcquire_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System;
            using OrderedLocks;

            class Signal
            {
                private readonly OrderedLock _lock = new OrderedLock();
                private readonly OrderedLock _other = new OrderedLock();
                private readonly OrderedCondition _ready;

                public Signal() { _ready = new OrderedCondition(_lock); }

                public void Set()
                {
                    using (OrderedLock.AcquireAll(_other, _lock)) { _ready.Notify(); }
                    if (_lock.TryAcquire(TimeSpan.FromSeconds(1), out LockScope scope))
                    {
                        using (scope) { _ready.NotifyAll(); }
                    }
                }
            }
            """);
    }
}
