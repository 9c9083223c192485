using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0004NestedOrderedAcquisitionsAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

public sealed class OL0004NestedOrderedAcquisitionsAnalyzerTests
{
    // ------------------------------------------------------------------ must report

    [Fact]
    public async Task NestedUsingStatements_Reports()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Pair
            {
                private readonly OrderedLock _x = new OrderedLock("x");
                private readonly OrderedLock _y = new OrderedLock("y");

                public void Both()
                {
                    using (_x.Acquire())
                    {
                        using ({|OL0004:_y.Acquire()|})
                        {
                        }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task StackedAsyncUsings_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Pair
            {
                private readonly OrderedLock _x = new OrderedLock();
                private readonly ReentrantOrderedLock _y = new ReentrantOrderedLock();

                public async Task BothAsync()
                {
                    using (await _x.AcquireAsync())
                    using (await {|OL0004:_y.AcquireAsync()|})
                    {
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task ConsecutiveUsingDeclarations_Reports()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Pair
            {
                private static readonly OrderedLock s_x = new OrderedLock();
                private static readonly OrderedLock s_y = new OrderedLock(rank: 3);

                public void Both()
                {
                    using var x = s_x.Acquire();
                    using var y = {|OL0004:s_y.Acquire()|};
                }
            }
            """);
    }

    // ------------------------------------------------------------------ must not report

    [Fact]
    public async Task WorkBetweenAcquisitions_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Pair
            {
                private readonly OrderedLock _x = new OrderedLock();
                private readonly OrderedLock _y = new OrderedLock();
                private int _count;

                public void Both()
                {
                    using (_x.Acquire())
                    {
                        _count++;
                        using (_y.Acquire()) { }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task BothRankedNesting_IsLeftToTheRankRule()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Pair
            {
                private readonly OrderedLock _x = new OrderedLock("x", rank: 1);
                [LockRank(2)] private readonly OrderedLock _y = new OrderedLock("y");

                public void Both()
                {
                    using (_x.Acquire())
                    using (_y.Acquire())
                    {
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task RawLocksAndAcquireAll_DoNotReport()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Pair
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                private readonly OrderedLock _x = new OrderedLock();
                private readonly OrderedLock _y = new OrderedLock();

                public void Both()
                {
                    lock (_a) { lock (_b) { } }
                    using (OrderedLock.AcquireAll(_x, _y)) { }
                }
            }
            """);
    }

    [Fact]
    public async Task MixedSyncAndAsync_OrSameLockTwice_DoNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Pair
            {
                private readonly ReentrantOrderedLock _r = new ReentrantOrderedLock();
                private readonly OrderedLock _y = new OrderedLock();

                public async Task RunAsync()
                {
                    using (_r.Acquire())
                    using (_r.Acquire())
                    {
                    }

                    using (await _y.AcquireAsync())
                    {
                        using (_r.Acquire()) { }
                    }
                }
            }
            """);
    }
}
