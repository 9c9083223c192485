using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using OrderedLocks.Analyzers;
using OrderedLocks.Analyzers.Benchmarks;

// Compiles a generated code base in-process with and without the OrderedLocks analyzers and prints
// the overhead. Usage: dotnet run -c Release -- [lines...] [--runs N]
// Each measurement builds a fresh compilation from the same syntax trees and asks for everything the
// command-line compiler computes: all declaration and method-body diagnostics (binding + flow
// analysis); with analyzers, the analyzer diagnostics too (CompilationWithAnalyzers, concurrent).
int runs = 5;
bool emit = args.Contains("--emit");
bool profile = args.Contains("--profile");
string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
// --sources DIR (with --profile): profile the engine over every *.cs file under DIR (a real code
// base, e.g. NLog's src/NLog) instead of generated code; unresolved references only cost precision.
string? sourcesDir = args.SkipWhile(a => a != "--sources").Skip(1).FirstOrDefault();
// --with-library (with --sources): the compilation also references the OrderedLocks runtime, as
// every package user's does (the engine then also looks for the library's API).
bool withLibrary = args.Contains("--with-library");
var sizes = new List<int>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--runs" && i + 1 < args.Length)
    {
        runs = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
    }
    else if (args[i] == "--only" || args[i] == "--sources")
    {
        i++;
    }
    else if (!args[i].StartsWith("--", StringComparison.Ordinal))
    {
        sizes.Add(int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture));
    }
}

if (sizes.Count == 0 && sourcesDir is null)
{
    sizes.AddRange(new[] { 25_000, 50_000, 100_000 });
}

ImmutableArray<DiagnosticAnalyzer> analyzers = typeof(RuleIdentifiers).Assembly.GetTypes()
    .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
    .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
    .Where(a => only is null || a.SupportedDiagnostics.Any(d => only.Split(',').Contains(d.Id)))
    .ToImmutableArray();

string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
MetadataReference[] references = Directory.GetFiles(runtimeDirectory, "System*.dll")
    .Concat(new[] { Path.Combine(runtimeDirectory, "netstandard.dll"), Path.Combine(runtimeDirectory, "mscorlib.dll") })
    .Where(File.Exists)
    .Where(p => !p.Contains("Native", StringComparison.Ordinal))
    .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
    .ToArray();

if (sourcesDir is not null)
{
    var realParse = new CSharpParseOptions(LanguageVersion.Latest, preprocessorSymbols: new[] { "NETSTANDARD", "NETSTANDARD2_1", "NETSTANDARD2_0_OR_GREATER", "NETSTANDARD2_1_OR_GREATER" });
    SyntaxTree[] realTrees = Directory.GetFiles(sourcesDir, "*.cs", SearchOption.AllDirectories)
        .Where(p => !p.Contains("/obj/", StringComparison.Ordinal) && !p.Contains("/bin/", StringComparison.Ordinal))
        .Select(p => CSharpSyntaxTree.ParseText(File.ReadAllText(p), realParse, path: p))
        .ToArray();
    Console.WriteLine($"{sourcesDir}: {realTrees.Length} files, {realTrees.Sum(t => t.GetText().Lines.Count)} lines");
    var realOptions = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, concurrentBuild: true);
    MetadataReference[] realReferences = withLibrary
        ? references.Append(MetadataReference.CreateFromFile(typeof(OrderedLocks.OrderedLock).Assembly.Location)).ToArray()
        : references;
    Profile.Run(CSharpCompilation.Create("RealCode", realTrees, realReferences, realOptions), analyzers, runs);
    return;
}

Console.WriteLine($"OrderedLocks analyzer overhead — {analyzers.Length} analyzers, {runs} runs per mode (median), {Environment.ProcessorCount} cores, .NET {Environment.Version}, emit: {emit}");
Console.WriteLine("bare      = compiler only (all compile diagnostics" + (emit ? " + emit" : string.Empty) + ")");
Console.WriteLine("baseline  = bare + one empty analyzer with operation-block and invocation actions (the driver, IOperation binding and operation-tree walk every build with the SDK's CA/code-style analyzers already pays)");
Console.WriteLine("ordered   = baseline + the OrderedLocks analyzers");
Console.WriteLine();
Console.WriteLine("Times are process CPU time (all threads), robust to a loaded machine; wall-clock medians in brackets.");
Console.WriteLine();
Console.WriteLine("lines     files   bare(ms)          baseline(ms)      ordered(ms)       ordered/baseline  ordered/bare  OL diags");
foreach (int size in sizes)
{
    IReadOnlyList<string> sources = CodeGenerator.Generate(size);
    int lines = sources.Sum(s => s.Count(c => c == '\n'));
    var parseOptions = new CSharpParseOptions(LanguageVersion.CSharp12);
    SyntaxTree[] trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, parseOptions, path: $"/gen/File{i}.cs")).ToArray();
    var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, concurrentBuild: true);
    ImmutableArray<DiagnosticAnalyzer> floorOnly = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyOperationBlockAnalyzer());
    ImmutableArray<DiagnosticAnalyzer> withOurs = floorOnly.AddRange(analyzers);

    if (profile)
    {
        Console.WriteLine($"{lines} lines:");
        Profile.Run(CSharpCompilation.Create("Profile" + size, trees, references, options), analyzers, runs);
        continue;
    }

    // Warm-up of every mode (JIT, metadata).
    Measure(ImmutableArray<DiagnosticAnalyzer>.Empty);
    Measure(floorOnly);
    (double _, double _, int diagnosticsCount) = Measure(withOurs);
    OrderedLocks.Analyzers.Engine.EngineTelemetry.WalkTicks = 0;
    OrderedLocks.Analyzers.Engine.EngineTelemetry.GraphTicks = 0;

    var bare = new List<(double Cpu, double Wall)>();
    var baseline = new List<(double Cpu, double Wall)>();
    var ordered = new List<(double Cpu, double Wall)>();
    for (int run = 0; run < runs; run++)
    {
        // Interleave so machine noise hits every mode alike.
        (double cpu, double wall, int _) = Measure(ImmutableArray<DiagnosticAnalyzer>.Empty);
        bare.Add((cpu, wall));
        (cpu, wall, _) = Measure(floorOnly);
        baseline.Add((cpu, wall));
        (cpu, wall, _) = Measure(withOurs);
        ordered.Add((cpu, wall));
    }

    double bareCpu = Median(bare.Select(m => m.Cpu).ToList());
    double baselineCpu = Median(baseline.Select(m => m.Cpu).ToList());
    double orderedCpu = Median(ordered.Select(m => m.Cpu).ToList());
    double walkMs = OrderedLocks.Analyzers.Engine.EngineTelemetry.WalkTicks * 1000.0 / Stopwatch.Frequency / runs;
    double graphMs = OrderedLocks.Analyzers.Engine.EngineTelemetry.GraphTicks * 1000.0 / Stopwatch.Frequency / runs;
    string Cell(List<(double Cpu, double Wall)> m) => $"{Median(m.Select(x => x.Cpu).ToList()),6:F0} [{Median(m.Select(x => x.Wall).ToList()),6:F0}]";
    Console.WriteLine($"{lines,-9} {trees.Length,5}  {Cell(bare),-16}  {Cell(baseline),-16}  {Cell(ordered),-16}  {(orderedCpu / baselineCpu - 1) * 100,14:F1} %  {(orderedCpu / bareCpu - 1) * 100,10:F1} %  {diagnosticsCount,8}  walk {walkMs:F0} ms + graph {graphMs:F0} ms = {(walkMs + graphMs) / bareCpu * 100:F1} % of bare");

    (double Cpu, double Wall, int Diagnostics) Measure(ImmutableArray<DiagnosticAnalyzer> set)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        CSharpCompilation compilation = CSharpCompilation.Create("Generated" + size, trees, references, options);
        int count;
        if (!set.IsEmpty)
        {
            var analyzerOptions = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: false);
            CompilationWithAnalyzers withAnalyzersCompilation = compilation.WithAnalyzers(set, analyzerOptions);
            ImmutableArray<Diagnostic> all = withAnalyzersCompilation.GetAllDiagnosticsAsync().GetAwaiter().GetResult();
            count = all.Count(d => d.Id.StartsWith("OL", StringComparison.Ordinal));
            if (all.Any(d => d.Id == "AD0001" || d.Severity == DiagnosticSeverity.Error))
            {
                throw new InvalidOperationException("unexpected error: " + all.First(d => d.Id == "AD0001" || d.Severity == DiagnosticSeverity.Error));
            }

            if (emit)
            {
                using var stream = new MemoryStream();
                compilation.Emit(stream);
            }

            stopwatch.Stop();
        }
        else
        {
            count = compilation.GetDiagnostics().Length;
            if (emit)
            {
                using var stream = new MemoryStream();
                compilation.Emit(stream);
            }

            stopwatch.Stop();
        }

        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalMilliseconds;
        return (cpuMs, stopwatch.Elapsed.TotalMilliseconds, count);
    }
}

static double Median(List<double> values)
{
    var sorted = values.OrderBy(v => v).ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
