using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using OrderedLocks.Analyzers.Engine;

namespace OrderedLocks.Analyzers.Benchmarks;

/// <summary>
/// <c>--profile</c>: the engine's own cost, measured in thread CPU time (Linux schedstat), which a
/// loaded machine does not inflate: the compilation-end graph, rebuilt from the summaries of one
/// analyzed compilation, and the per-block walks, replayed over every method body.
/// </summary>
internal static class Profile
{
    public static void Run(CSharpCompilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, int runs)
    {
        // The cold run, as in a build: the driver binds every body and hands it to the analyzers once.
        // ExecutionTime is what ReportAnalyzer prints (wall time inside the analyzers' callbacks).
        var withTelemetry = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: true);
        CompilationWithAnalyzers analyzed = compilation.WithAnalyzers(analyzers, withTelemetry);
        long walkTicks = EngineTelemetry.WalkTicks, graphTicks = EngineTelemetry.GraphTicks;
        long processCpu = ProcessCpuMilliseconds();
        var wall = System.Diagnostics.Stopwatch.StartNew();
        _ = analyzed.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        wall.Stop();
        processCpu = ProcessCpuMilliseconds() - processCpu;
        double analyzerSeconds = 0;
        foreach (DiagnosticAnalyzer analyzer in analyzers)
        {
            analyzerSeconds += analyzed.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime.TotalSeconds;
        }

        Console.WriteLine($"  cold run (binding + analyzers): wall {wall.ElapsedMilliseconds} ms, process CPU {processCpu} ms; analyzer execution time (ReportAnalyzer's measure) {analyzerSeconds * 1000:F0} ms; "
            + $"engine wall inside it: walks {Ms(EngineTelemetry.WalkTicks - walkTicks):F0} ms, graph {Ms(EngineTelemetry.GraphTicks - graphTicks):F0} ms");
        LockModel model = LockModel.For(compilation);

        // Method bodies as the driver hands them over: owning symbol + operation blocks.
        var blocks = new List<(ISymbol Owner, ImmutableArray<IOperation> Blocks)>();
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            SemanticModel semantic = compilation.GetSemanticModel(tree);
            foreach (SyntaxNode node in tree.GetRoot().DescendantNodes())
            {
                if (node is Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.AccessorDeclarationSyntax
                    && semantic.GetDeclaredSymbol(node) is { } symbol && semantic.GetOperation(node) is { } operation)
                {
                    blocks.Add((symbol, ImmutableArray.Create(operation)));
                }
            }
        }

        // Which bodies a build walks while their blocks are analysed (the rest: with the graph).
        long scanStart = ThreadCpuNanoseconds();
        int walkedAtOnce = blocks.Count(b => LocalFindingScan.MayFindLocally(b.Blocks, model));
        Console.WriteLine($"  walked at once (may give a method-local finding): {walkedAtOnce} of {blocks.Count} bodies; the scan took {(ThreadCpuNanoseconds() - scanStart) / 1e6:F0} ms (thread CPU, warm)");

        var walks = new List<double>();
        var graphs = new List<double>();
        var walkBytes = new List<double>();
        var graphBytes = new List<double>();
        for (int run = 0; run < runs; run++)
        {
            long start = ThreadCpuNanoseconds();
            long bytes = GC.GetTotalAllocatedBytes(precise: true);
            foreach ((ISymbol owner, ImmutableArray<IOperation> operations) in blocks)
            {
                BlockResult result = MethodWalker.Walk(model, owner, operations);
                if (run == 0)
                {
                    foreach (MethodSummary summary in result.Summaries)
                    {
                        model.Summaries.Add(summary);
                    }
                }
            }

            walks.Add((ThreadCpuNanoseconds() - start) / 1e6);
            walkBytes.Add((GC.GetTotalAllocatedBytes(precise: true) - bytes) / 1e6);
            // The graph runs some passes on the thread pool: its time is wall time, its bytes those of the process.
            start = System.Diagnostics.Stopwatch.GetTimestamp();
            bytes = GC.GetTotalAllocatedBytes(precise: true);
            var graph = new LockGraph(model);
            if (run >= 0)
            {
                Console.WriteLine($"  run {run}: summaries {model.Summaries.Count}, OL0001 findings {graph.FindingsFor("OL0001").Count()}, error {graph.Error}, phases(ms) {string.Join(" / ", graph.PhaseTicks.Select(t => (t * 1000.0 / System.Diagnostics.Stopwatch.Frequency).ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}");
            }

            graphs.Add(Ms(System.Diagnostics.Stopwatch.GetTimestamp() - start));
            graphBytes.Add((GC.GetTotalAllocatedBytes(precise: true) - bytes) / 1e6);
        }

        Console.WriteLine($"  engine (median of {runs}): walks of {blocks.Count} bodies {Median(walks):F0} ms (thread CPU), compilation-end graph {Median(graphs):F0} ms (wall)");
        // Bytes allocated by the process (nothing else runs): steady run to run (time on a loaded
        // machine is not), and a build's collections, whose pauses are charged to whichever callback
        // runs, come from allocation.
        Console.WriteLine($"  allocated (median of {runs}): walks {Median(walkBytes):F1} MB, graph {Median(graphBytes):F1} MB");
    }

    private static double Ms(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;

    private static long ProcessCpuMilliseconds() => (long)System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;

    private static long ThreadCpuNanoseconds()
    {
        string text = File.ReadAllText("/proc/thread-self/schedstat");
        return long.Parse(text.AsSpan(0, text.IndexOf(' ')), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted[sorted.Count / 2];
    }
}
