using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0002DeclaredRankViolationAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

public sealed class OL0002DeclaredRankViolationAnalyzerTests
{
    // ------------------------------------------------------------------ must report

    [Fact]
    public async Task ConstructorRanks_HigherThenLower_Reports()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Ranked
            {
                private readonly OrderedLock _low = new OrderedLock("low", rank: 1);
                private readonly OrderedLock _high = new OrderedLock("high", 5);

                public void Wrong()
                {
                    using (_high.Acquire())
                    using ({|OL0002:_low.Acquire()|})
                    {
                    }
                }
            }
            """);
    }

    /// <summary>
    /// The real constructor takes <c>int? rank</c>: every way of passing a constant rank arrives
    /// wrapped in an int → int? conversion, which must not hide the constant (issue 11, item 1).
    /// </summary>
    [Theory]
    [InlineData("new OrderedLock(\"page\", rank: 5)", "new OrderedLock(\"index\", rank: 1)")]
    [InlineData("new OrderedLock(\"page\", 5)", "new OrderedLock(\"index\", 1)")]
    [InlineData("new(\"page\", rank: PageRank)", "new(\"index\", rank: IndexRank)")]
    [InlineData("new OrderedLock(\"page\", rank: s_pageRank)", "new OrderedLock(\"index\", rank: s_indexRank)")]
    [InlineData("new OrderedLock(rank: (int?)5, name: \"page\")", "new OrderedLock(checking: null, rank: 1)")]
    public async Task RealConstructorRanks_EveryConstantForm_Reports(string page, string index)
    {
        await V.AnalyzerAsync($$"""
            using OrderedLocks;

            class Db
            {
                private const int PageRank = 5;
                private const int IndexRank = 1;
                private static readonly int s_pageRank = PageRank;
                private static readonly int s_indexRank = 1;
                private readonly OrderedLock _index = {{index}};
                private readonly OrderedLock _page = {{page}};

                public void Wrong()
                {
                    using (_page.Acquire())
                    using ({|OL0002:_index.Acquire()|})
                    {
                    }
                }

                public void Right()
                {
                    using (_index.Acquire())
                    using (_page.Acquire())
                    {
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task ReentrantLockRanksAndLockRankOnAPlainObject_Reports()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Mixed
            {
                private readonly ReentrantOrderedLock _tree = new ReentrantOrderedLock("tree", rank: 2);

                [LockRank(9)]
                private readonly object _stats = new object();

                public void Wrong()
                {
                    lock (_stats)
                    {
                        using ({|OL0002:_tree.Acquire()|}) { }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task NonConstantOrNullRank_IsNotChecked()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Db
            {
                private static int s_mutable = 5;
                private readonly OrderedLock _index = new OrderedLock("index", rank: null);
                private readonly OrderedLock _page = new OrderedLock("page", rank: s_mutable);

                public void Any()
                {
                    using (_page.Acquire())
                    using (_index.Acquire())
                    {
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task AttributeRanksOnRawLocks_ThroughCallInOtherFile_Reports()
    {
        await V.AnalyzerAsync(
            """
            using System.Threading;
            using System.Threading.Tasks;
            using OrderedLocks;

            class Cache
            {
                [LockRank(10)]
                internal static readonly SemaphoreSlim Gate = new SemaphoreSlim(1, 1);

                public static async Task RefreshAsync()
                {
                    await Gate.WaitAsync();
                    try { {|OL0002:Store.Save()|}; }
                    finally { Gate.Release(); }
                }
            }
            """,
            """
            using OrderedLocks;

            static class Store
            {
                [LockRank(3)]
                private static readonly object s_sync = new object();

                public static void Save() { lock (s_sync) { } }
            }
            """);
    }

    [Fact]
    public async Task RankViolationAgainstOuterHeldLock_IsFoundThroughMiddleLock()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Chain
            {
                [LockRank(5)] private readonly object _outer = new object();
                private readonly object _middle = new object();
                [LockRank(2)] private readonly object _inner = new object();

                public void Run()
                {
                    lock (_outer) { lock (_middle) { lock ({|OL0002:_inner|}) { } } }
                }
            }
            """);
    }

    // ------------------------------------------------------------------ must not report

    [Fact]
    public async Task AscendingRanks_DoNotReport()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Ranked
            {
                private readonly OrderedLock _low = new OrderedLock("low", rank: 1);
                [LockRank(7)] private readonly OrderedLock _high = new OrderedLock("high");

                public void Right()
                {
                    using (_low.Acquire())
                    using (_high.Acquire())
                    {
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task UnrankedOrNonConstantRanks_AreNotChecked()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Loose
            {
                private static int s_rank = 3;
                private readonly OrderedLock _computed = new OrderedLock("c", s_rank);
                private readonly OrderedLock _unranked = new OrderedLock("u");
                private readonly OrderedLock _high = new OrderedLock("h", rank: 9);

                public void Any()
                {
                    using (_high.Acquire()) { using (_computed.Acquire()) { } }
                    using (_high.Acquire()) { using (_unranked.Acquire()) { } }
                }
            }
            """);
    }

    [Fact]
    public async Task ReleasedBeforeLowerRank_AndAcquireAll_DoNotReport()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Sequential
            {
                private readonly OrderedLock _low = new OrderedLock("low", rank: 1);
                private readonly OrderedLock _high = new OrderedLock("high", rank: 5);

                public void Run()
                {
                    using (_high.Acquire()) { }
                    using (_low.Acquire()) { }
                    using (OrderedLock.AcquireAll(_high, _low)) { }
                }
            }
            """);
    }

    [Fact]
    public async Task EqualRanksOnDifferentLocks_AreNotAViolation()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Peers
            {
                [LockRank(4)] private readonly object _left = new object();
                [LockRank(4)] private readonly object _right = new object();

                public void Run() { lock (_left) { lock (_right) { } } }
            }
            """);
    }
}
