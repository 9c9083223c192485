using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;

namespace OrderedLocks.Benchmarks;

// Entry point. Every benchmark class measures one figure of docs/benchmarks.md, with the peer the
// target is set against marked as the baseline in the same class, so BenchmarkDotNet's Ratio
// column is the figure's ratio, measured side by side in one process.
//
//   dotnet run -c Release --project benchmarks/OrderedLocks.Benchmarks -- --filter '*'           full run
//   dotnet run -c Release --project benchmarks/OrderedLocks.Benchmarks -- --quick --filter '*'   quick mode (< 10 min)
//
// Other BenchmarkDotNet arguments pass through (--filter, --list flat, --job, --exporters ...).
internal static class Program
{
    private static int Main(string[] args)
    {
        RewriteGuard.EnsureNormalBuild();

        bool quick = args.Contains("--quick", StringComparer.OrdinalIgnoreCase);
        string[] rest = args.Where(a => !string.Equals(a, "--quick", StringComparison.OrdinalIgnoreCase)).ToArray();

        ManualConfig config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableLogFile)
            .WithSummaryStyle(BenchmarkDotNet.Reports.SummaryStyle.Default.WithRatioStyle(BenchmarkDotNet.Columns.RatioStyle.Value));

        if (quick)
        {
            // ShortRun-like: one process per benchmark, 3 warm-ups, 5 measured iterations of
            // ~200 ms. Enough for a development loop and for ratios, not for small differences.
            config = config.AddJob(Job.ShortRun
                .WithWarmupCount(3)
                .WithIterationCount(5)
                .WithIterationTime(TimeInterval.FromMilliseconds(200))
                .WithId("Quick")
                .AsDefault());
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config);
        return 0;
    }
}
