using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>Runs every OrderedLocks analyzer over a compilation outside the test framework.</summary>
internal static class AnalyzerRunner
{
    public static ImmutableArray<DiagnosticAnalyzer> AllAnalyzers { get; } = typeof(RuleIdentifiers).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation Compile(string name, IEnumerable<SyntaxTree> trees, IEnumerable<MetadataReference>? extraReferences = null)
        => CSharpCompilation.Create(
            name,
            trees,
            FrameworkReferences.All.Concat(extraReferences ?? Enumerable.Empty<MetadataReference>()),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));

    public static CSharpCompilation CompileSources(params string[] sources)
        => Compile("Test", sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"/src/File{i}.cs")));

    /// <summary>All analyzer diagnostics (suppressed ones included, flagged IsSuppressed) and every analyzer exception.</summary>
    public static async Task<(ImmutableArray<Diagnostic> Diagnostics, IReadOnlyCollection<Exception> Exceptions)> RunAsync(Compilation compilation, IReadOnlyDictionary<string, string>? globalOptions = null)
    {
        var exceptions = new ConcurrentQueue<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, new GlobalOptionsProvider(globalOptions ?? new Dictionary<string, string>())),
            (exception, analyzer, diagnostic) => exceptions.Enqueue(exception),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: true);
        CompilationWithAnalyzers withAnalyzers = compilation.WithAnalyzers(AllAnalyzers, options);
        ImmutableArray<Diagnostic> diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None);
        return (diagnostics, exceptions);
    }
}

/// <summary>The same analyzer options for every file (what a .globalconfig or a root .editorconfig section gives).</summary>
internal sealed class GlobalOptionsProvider : AnalyzerConfigOptionsProvider
{
    private readonly Options _options;

    public GlobalOptionsProvider(IReadOnlyDictionary<string, string> values)
    {
        _options = new Options(values);
    }

    public override AnalyzerConfigOptions GlobalOptions => _options;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _options;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _options;

    /// <summary>The <c>orderedlocks.*</c> settings of an .editorconfig file (any section).</summary>
    public static Dictionary<string, string> ReadOrderedLocksKeys(string editorconfig)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(editorconfig))
        {
            return values;
        }

        foreach (string line in File.ReadAllLines(editorconfig))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            string key = equals > 0 ? line[..equals].Trim() : string.Empty;
            if (key.StartsWith("orderedlocks.", StringComparison.Ordinal))
            {
                values[key] = line[(equals + 1)..].Trim();
            }
        }

        return values;
    }

    private sealed class Options : AnalyzerConfigOptions
    {
        private readonly IReadOnlyDictionary<string, string> _values;

        public Options(IReadOnlyDictionary<string, string> values) => _values = values;

        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            bool found = _values.TryGetValue(key, out string? v);
            value = v;
            return found;
        }
    }
}
