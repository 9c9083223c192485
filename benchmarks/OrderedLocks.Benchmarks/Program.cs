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
//   dotnet run -c Release --project benchmarks/OrderedLocks.Benchmarks -- --interleaved [ClassNamePart]
//       cross-check of the ratios: all methods of a class interleaved in one process (see InterleavedRunner)
//   dotnet run -c Release --project benchmarks/OrderedLocks.Benchmarks -- --interleaved ClassName --against DIR
//       A/B of two builds: the class run against this build and against DIR/OrderedLocks.dll, interleaved in one process
//   dotnet run -c Release --project benchmarks/OrderedLocks.Benchmarks -- --learned-scale [count]
//       issue 16's memory and time probe: per-entity locks under one long-lived lock (see LearnedScaleProbe)
// Other BenchmarkDotNet arguments pass through (--filter, --list flat, --job, --exporters ...).
internal static class Program
{
    private static int Main(string[] args)
    {
        RewriteGuard.EnsureNormalBuild();

        int interleaved = Array.FindIndex(args, a => string.Equals(a, "--interleaved", StringComparison.OrdinalIgnoreCase));
        if (interleaved >= 0)
        {
            int against = Array.FindIndex(args, a => string.Equals(a, "--against", StringComparison.OrdinalIgnoreCase));
            string? filter = interleaved + 1 < args.Length && !args[interleaved + 1].StartsWith("--", StringComparison.Ordinal) ? args[interleaved + 1] : null;
            InterleavedRunner.Run(filter, against >= 0 && against + 1 < args.Length ? args[against + 1] : null);
            return 0;
        }

        int scale = Array.FindIndex(args, a => string.Equals(a, "--learned-scale", StringComparison.OrdinalIgnoreCase));
        if (scale >= 0)
        {
            LearnedScaleProbe.Run(scale + 1 < args.Length && int.TryParse(args[scale + 1], out int count) && count >= 1_000 ? count : 1_000_000);
            return 0;
        }

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
