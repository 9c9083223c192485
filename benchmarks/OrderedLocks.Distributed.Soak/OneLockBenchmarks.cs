using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Medallion.Threading;
using Medallion.Threading.Postgres;
using OrderedLocks.Distributed;
using OrderedLocks.PostgresHarness;

namespace OrderedLocks.Distributed.Soak;

// One uncontended acquire + release of one PostgreSQL advisory lock: raw PostgresDistributedLock
// (the baseline of each category) against OrderedDistributedLock over the same lock, so the Ratio
// column is the cost of the order check, the in-process lock and the bookkeeping on top of the
// server round trips. Run by `... OrderedLocks.Distributed.Soak -- bench` (the host starts one
// server and passes it to BenchmarkDotNet's processes in ORDEREDLOCKS_PG).
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class OneLockBenchmarks
{
    private ThrowawayPostgres? _server;
    private IDistributedLock _raw = null!;
    private OrderedDistributedLock _ordered = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = ThrowawayPostgres.StartOrUseConfigured();
        _raw = new PostgresDistributedLock(new PostgresAdvisoryLockKey(0x4F4C_4245_0000_0001), _server.ConnectionString); // "OLBE"
        _ordered = new OrderedDistributedLock(_raw, rank: 500, "bench");
    }

    [GlobalCleanup]
    public void Cleanup() => _server?.Dispose();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("sync")]
    public void RawDistributedLock()
    {
        using (_raw.Acquire())
        {
        }
    }

    [Benchmark]
    [BenchmarkCategory("sync")]
    public void OrderedDistributedLock()
    {
        using (_ordered.Acquire())
        {
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("async")]
    public async Task RawDistributedLockAsync()
    {
        await using (await _raw.AcquireAsync())
        {
        }
    }

    [Benchmark]
    [BenchmarkCategory("async")]
    public async Task OrderedDistributedLockAsync()
    {
        using (await _ordered.AcquireAsync())
        {
        }
    }
}
