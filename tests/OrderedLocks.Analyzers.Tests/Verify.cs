using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>References of the running framework: tests need no reference-pack download.</summary>
internal static class FrameworkReferences
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_all = new(() =>
    {
        string directory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Directory.GetFiles(directory, "*.dll")
            .Where(path => IsManagedReference(Path.GetFileName(path)))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    private static readonly Lazy<MetadataReference> s_orderedLocks = new(() => MetadataReference.CreateFromFile(typeof(OrderedLocks.OrderedLock).Assembly.Location));

    public static ImmutableArray<MetadataReference> All => s_all.Value;

    /// <summary>The real OrderedLocks runtime assembly this test project references (never a stub).</summary>
    public static MetadataReference OrderedLocks => s_orderedLocks.Value;

    public static ReferenceAssemblies None { get; } = new("net-running");

    private static bool IsManagedReference(string name)
        => (name.StartsWith("System.", StringComparison.Ordinal) || name is "mscorlib.dll" or "netstandard.dll" || name.StartsWith("Microsoft.CSharp", StringComparison.Ordinal) || name.StartsWith("Microsoft.Win32.Primitives", StringComparison.Ordinal))
            && !name.Contains("Native", StringComparison.Ordinal);
}

/// <summary>Runs one analyzer over raw-string sources with markup, compiled against the real OrderedLocks assembly.</summary>
internal static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static Task AnalyzerAsync(string source, params string[] moreSources)
        => AnalyzerAsync(new[] { source }.Concat(moreSources).ToArray(), Array.Empty<DiagnosticResult>());

    /// <summary>Runs the analyzer with <paramref name="editorconfig"/> lines (<c>key = value</c>) in a root .editorconfig.</summary>
    public static Task AnalyzerWithOptionsAsync(string editorconfig, params string[] sources)
        => AnalyzerAsync(sources, Array.Empty<DiagnosticResult>(), editorconfig: editorconfig);

    public static async Task AnalyzerAsync(string[] sources, DiagnosticResult[] expected, bool referenceOrderedLocks = true, string? editorconfig = null)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
        {
            ReferenceAssemblies = FrameworkReferences.None,
            CompilerDiagnostics = CompilerDiagnostics.Errors,
        };
        Configure(test.TestState, sources, referenceOrderedLocks);
        if (editorconfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + editorconfig + "\n"));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    public static DiagnosticResult Diagnostic() => new DiagnosticResult(new TAnalyzer().SupportedDiagnostics[0]);

    internal static void Configure(SolutionState state, string[] sources, bool referenceOrderedLocks)
    {
        for (int i = 0; i < sources.Length; i++)
        {
            state.Sources.Add(($"/0/Test{i}.cs", sources[i]));
        }

        state.AdditionalReferences.AddRange(FrameworkReferences.All);
        if (referenceOrderedLocks)
        {
            state.AdditionalReferences.Add(FrameworkReferences.OrderedLocks);
        }
    }
}

/// <summary>Runs one analyzer and its code fix over before/after sources.</summary>
internal static class VerifyFix<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static async Task CodeFixAsync(string source, string fixedSource)
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        {
            ReferenceAssemblies = FrameworkReferences.None,
            CompilerDiagnostics = CompilerDiagnostics.Errors,
        };
        Verify<TAnalyzer>.Configure(test.TestState, new[] { source }, referenceOrderedLocks: true);
        Verify<TAnalyzer>.Configure(test.FixedState, new[] { fixedSource }, referenceOrderedLocks: true);
        await test.RunAsync();
    }
}
