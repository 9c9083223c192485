using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Figure "AcquireAll of n = 2, 4, 8 ≤ 1.2x the cost of n nested Acquire calls on the same locks,
/// linear in n, 0 B": for each n, AcquireAll over n strict locks passed in reverse order (so the
/// sort has work to do) against the same n locks taken with nested <c>Acquire</c> calls in order,
/// which is the baseline of its category. One strict <c>Acquire</c> is shown in its own category
/// as the unit for "linear in n".
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class AcquireAllBenchmarks
{
    private OrderedLock[] _locks = null!;
    private OrderedLock _one = null!;

    [GlobalSetup]
    public void Setup()
    {
        RewriteGuard.EnsureNormalBuild();
        _one = new OrderedLock("one", rank: 0, checking: LockOrderChecking.Strict);
        _locks = new OrderedLock[8];
        for (int i = 0; i < _locks.Length; i++)
        {
            _locks[i] = new OrderedLock($"l{i}", rank: i + 1, checking: LockOrderChecking.Strict);
        }
    }

    [Benchmark(Baseline = true, Description = "one Acquire")]
    [BenchmarkCategory("n=1")]
    public void OneAcquire()
    {
        using (_one.Acquire())
        {
        }
    }

#pragma warning disable OL0004 // nested on purpose: the nested acquisitions are the baseline being measured
    [Benchmark(Baseline = true, Description = "2 nested Acquire")]
    [BenchmarkCategory("n=2")]
    public void Nested2()
    {
        OrderedLock[] l = _locks;
        using (l[0].Acquire())
        using (l[1].Acquire())
        {
        }
    }

    [Benchmark(Baseline = true, Description = "4 nested Acquire")]
    [BenchmarkCategory("n=4")]
    public void Nested4()
    {
        OrderedLock[] l = _locks;
        using (l[0].Acquire())
        using (l[1].Acquire())
        using (l[2].Acquire())
        using (l[3].Acquire())
        {
        }
    }

    [Benchmark(Baseline = true, Description = "8 nested Acquire")]
    [BenchmarkCategory("n=8")]
    public void Nested8()
    {
        OrderedLock[] l = _locks;
        using (l[0].Acquire())
        using (l[1].Acquire())
        using (l[2].Acquire())
        using (l[3].Acquire())
        using (l[4].Acquire())
        using (l[5].Acquire())
        using (l[6].Acquire())
        using (l[7].Acquire())
        {
        }
    }
#pragma warning restore OL0004

    [Benchmark(Description = "AcquireAll(2)")]
    [BenchmarkCategory("n=2")]
    public void AcquireAll2()
    {
        OrderedLock[] l = _locks;
        using (OrderedLock.AcquireAll(l[1], l[0]))
        {
        }
    }

    [Benchmark(Description = "AcquireAll(4)")]
    [BenchmarkCategory("n=4")]
    public void AcquireAll4()
    {
        OrderedLock[] l = _locks;
        using (OrderedLock.AcquireAll(l[3], l[2], l[1], l[0]))
        {
        }
    }

    [Benchmark(Description = "AcquireAll(8)")]
    [BenchmarkCategory("n=8")]
    public void AcquireAll8()
    {
        OrderedLock[] l = _locks;
        using (OrderedLock.AcquireAll(l[7], l[6], l[5], l[4], l[3], l[2], l[1], l[0]))
        {
        }
    }
}
