using BenchmarkDotNet.Attributes;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Figure "AcquireAll of 2 locks ≤ 2.2x one acquire (also 4 and 8)": AcquireAll over N locks
/// (passed in reverse order, so the sort has work to do) against one strict Acquire as the
/// baseline. The per-lock targets are 2.2x for 2, 4.4x for 4 and 8.8x for 8 (1.1x per lock),
/// and the nested acquisitions of the same locks in order are shown for comparison.
/// </summary>
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
    public void OneAcquire()
    {
        using (_one.Acquire())
        {
        }
    }

#pragma warning disable OL0004 // nested on purpose: the benchmark measures a nested acquisition itself
    [Benchmark(Description = "2 nested Acquire")]
    public void Nested2()
    {
        using (_locks[0].Acquire())
        using (_locks[1].Acquire())
        {
        }
    }
#pragma warning restore OL0004

    [Benchmark(Description = "AcquireAll(2)")]
    public void AcquireAll2()
    {
        using (OrderedLock.AcquireAll(_locks[1], _locks[0]))
        {
        }
    }

    [Benchmark(Description = "AcquireAll(4)")]
    public void AcquireAll4()
    {
        using (OrderedLock.AcquireAll(_locks[3], _locks[2], _locks[1], _locks[0]))
        {
        }
    }

    [Benchmark(Description = "AcquireAll(8)")]
    public void AcquireAll8()
    {
        using (OrderedLock.AcquireAll(_locks[7], _locks[6], _locks[5], _locks[4], _locks[3], _locks[2], _locks[1], _locks[0]))
        {
        }
    }
}
