using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Issue 16's workload: one long-lived <c>table</c> lock and a fresh per-entity <c>row</c> lock
/// per operation (created, nested under the table, dropped), in steady state after
/// BenchmarkDotNet's warm-up has created hundreds of thousands of rows. Baseline: the same under
/// Strict, which keeps no graph. With a <see cref="LockClass"/> every row shares one node, so the
/// edge table → row is known after the first row; without one, each row is a new node and a new
/// edge (a stack capture per row) that leaves the graph when the row is collected. Growth over
/// time and live memory are shown by the probe: <c>-- --learned-scale</c>
/// (<see cref="LearnedScaleProbe"/>).
/// </summary>
public class LearnedScaleBenchmarks
{
    private static readonly LockClass Rows = new("row");
    private readonly OrderedLock _strictTable = new("table", checking: LockOrderChecking.Strict);
    private readonly OrderedLock _learnedTable = new("table", checking: LockOrderChecking.Learned);
    private readonly OrderedLock _hybridTable = new("table", checking: LockOrderChecking.Hybrid);

    [GlobalSetup]
    public void Setup() => RewriteGuard.EnsureNormalBuild();

    [Benchmark(Baseline = true, Description = "new row under table, Strict")]
    public void Strict() => RowUnderTable(_strictTable, LockOrderChecking.Strict, null);

    [Benchmark(Description = "new row under table, Hybrid, LockClass")]
    public void HybridClass() => RowUnderTable(_hybridTable, LockOrderChecking.Hybrid, Rows);

    [Benchmark(Description = "new row under table, Learned, LockClass")]
    public void LearnedClass() => RowUnderTable(_learnedTable, LockOrderChecking.Learned, Rows);

    [Benchmark(Description = "new row under table, Hybrid, no class")]
    public void HybridNoClass() => RowUnderTable(_hybridTable, LockOrderChecking.Hybrid, null);

    [Benchmark(Description = "new row under table, Learned, no class")]
    public void LearnedNoClass() => RowUnderTable(_learnedTable, LockOrderChecking.Learned, null);

#pragma warning disable OL0004 // nested on purpose: the nesting is what is measured
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void RowUnderTable(OrderedLock table, LockOrderChecking mode, LockClass? rows)
    {
        var row = new OrderedLock("row", checking: mode, lockClass: rows);
        using (table.Acquire())
        using (row.Acquire())
        {
        }
    }
#pragma warning restore OL0004
}
