using BenchmarkDotNet.Attributes;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Figure "learned-graph checking, known edge ≤ 1.1x strict checking": acquiring B while holding
/// A, where the learned graph already has the edge A → B (learned in GlobalSetup), against the
/// same nested pair under strict checking as the baseline. The default mode (Hybrid) is measured
/// on an unranked pair (known edge) and on a ranked pair (rank check plus known edge); the
/// unchecked pair is shown for context.
/// </summary>
public class LearnedGraphBenchmarks
{
    private readonly OrderedLock _strictA = new("strict A", rank: 1, checking: LockOrderChecking.Strict);
    private readonly OrderedLock _strictB = new("strict B", rank: 2, checking: LockOrderChecking.Strict);
    private readonly OrderedLock _learnedA = new("learned A", checking: LockOrderChecking.Learned);
    private readonly OrderedLock _learnedB = new("learned B", checking: LockOrderChecking.Learned);
    private readonly OrderedLock _hybridA = new("hybrid A", checking: LockOrderChecking.Hybrid);
    private readonly OrderedLock _hybridB = new("hybrid B", checking: LockOrderChecking.Hybrid);
    private readonly OrderedLock _rankedA = new("ranked A", rank: 1, checking: LockOrderChecking.Hybrid);
    private readonly OrderedLock _rankedB = new("ranked B", rank: 2, checking: LockOrderChecking.Hybrid);
    private readonly OrderedLock _offA = new("off A", checking: LockOrderChecking.Off);
    private readonly OrderedLock _offB = new("off B", checking: LockOrderChecking.Off);

    [GlobalSetup]
    public void Setup()
    {
        RewriteGuard.EnsureNormalBuild();
        LearnedNested(); // learn A -> B: every measured acquisition then finds a known edge
        HybridNested();
        HybridRankedNested();
    }

    [Benchmark(Baseline = true, Description = "A then B, Strict")]
    public void StrictNested()
    {
        using (_strictA.Acquire())
        using (_strictB.Acquire())
        {
        }
    }

#pragma warning disable OL0004 // nested on purpose: the benchmark measures a nested acquisition itself
    [Benchmark(Description = "A then B, Learned (known edge)")]
    public void LearnedNested()
    {
        using (_learnedA.Acquire())
        using (_learnedB.Acquire())
        {
        }
    }
#pragma warning restore OL0004

#pragma warning disable OL0004 // nested on purpose: the benchmark measures a nested acquisition itself
    [Benchmark(Description = "A then B, Hybrid, no ranks (known edge)")]
    public void HybridNested()
    {
        using (_hybridA.Acquire())
        using (_hybridB.Acquire())
        {
        }
    }

    [Benchmark(Description = "A then B, Hybrid, ranks 1 < 2 (known edge)")]
    public void HybridRankedNested()
    {
        using (_rankedA.Acquire())
        using (_rankedB.Acquire())
        {
        }
    }
#pragma warning restore OL0004

#pragma warning disable OL0004 // nested on purpose: the benchmark measures a nested acquisition itself
    [Benchmark(Description = "A then B, Off")]
    public void OffNested()
    {
        using (_offA.Acquire())
        using (_offB.Acquire())
        {
        }
    }
#pragma warning restore OL0004
}
