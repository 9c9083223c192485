using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// Compiles every project of a repository (src/, samples/, tests/, benchmarks/) from its .cs files,
/// runs all OrderedLocks analyzers, and compares the diagnostics with the marker regions
/// (<c>#pragma warning disable OLxxxx // reason</c> … <c>#pragma warning restore OLxxxx</c>) as
/// docs/analyzers/MARKING.md defines them.
/// </summary>
/// <remarks>
/// Missing package references (xunit, Coyote, Nito, ...) only produce compile errors: the analyzers
/// must cope with error symbols, which is part of what this checks.
/// </remarks>
internal sealed partial class RepositoryScanner
{
    private static readonly string[] s_roots = { "src", "samples", "tests", "benchmarks" };

    private static readonly string s_implicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    private readonly string _root;
    private readonly Dictionary<string, CSharpCompilation> _compilations = new(StringComparer.Ordinal);
    private readonly HashSet<string> _building = new(StringComparer.Ordinal);

    private readonly Dictionary<string, string> _options;

    public RepositoryScanner(string root)
    {
        _root = root;

        // The repository's own analyzer options (user lock types), as the build would pass them.
        _options = GlobalOptionsProvider.ReadOrderedLocksKeys(Path.Combine(root, ".editorconfig"));
    }

    public sealed record Region(string Id, string File, TextSpan Span, int Line);

    public sealed record Result(
        IReadOnlyList<string> Projects,
        IReadOnlyList<Diagnostic> Diagnostics,
        IReadOnlyList<Region> Regions,
        IReadOnlyList<string> Problems);

    public async Task<Result> ScanAsync()
    {
        var problems = new List<string>();
        var allDiagnostics = new List<Diagnostic>();
        var allRegions = new List<Region>();
        List<string> projects = FindProjects();
        foreach (string project in projects)
        {
            CSharpCompilation compilation = CompileProject(project);
            (ImmutableArray<Diagnostic> diagnostics, IReadOnlyCollection<Exception> exceptions) = await AnalyzerRunner.RunAsync(compilation, _options);
            foreach (Exception exception in exceptions)
            {
                problems.Add($"{Relative(project)}: analyzer threw {exception.GetType().Name}: {exception.Message}");
            }

            foreach (Diagnostic diagnostic in diagnostics.Where(d => d.Id == "AD0001"))
            {
                problems.Add($"{Relative(project)}: AD0001 {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
            }

            List<Diagnostic> ours = diagnostics.Where(d => d.Id.StartsWith("OL", StringComparison.Ordinal)).ToList();
            var regions = new List<Region>();
            foreach (SyntaxTree tree in compilation.SyntaxTrees.Where(t => t.FilePath.Length > 0))
            {
                regions.AddRange(FindRegions(tree, problems));
            }

            foreach (Diagnostic diagnostic in ours)
            {
                Location location = diagnostic.Location;
                bool marked = regions.Any(r => r.Id == diagnostic.Id && r.File == location.SourceTree?.FilePath && r.Span.Contains(location.SourceSpan.Start));
                if (!marked)
                {
                    problems.Add($"unmarked {diagnostic.Id} at {Describe(location)}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
                }
            }

            foreach (Region region in regions)
            {
                bool used = ours.Any(d => d.Id == region.Id
                    && new[] { d.Location }.Concat(d.AdditionalLocations).Any(l => l.SourceTree?.FilePath == region.File && region.Span.Contains(l.SourceSpan.Start)));
                if (!used)
                {
                    problems.Add($"stale marker: '#pragma warning disable {region.Id}' at {Relative(region.File)}:{region.Line} has no {region.Id} diagnostic in its region");
                }
            }

            allDiagnostics.AddRange(ours);
            allRegions.AddRange(regions);
        }

        return new Result(projects.Select(Relative).ToList(), allDiagnostics, allRegions, problems);
    }

    /// <summary>The marker regions of one file: from each <c>disable OLxxxx</c> to the next <c>restore</c> of that ID (or the end of the file).</summary>
    public static IEnumerable<Region> FindRegions(SyntaxTree tree, List<string> problems)
    {
        SyntaxNode root = tree.GetRoot();
        var open = new Dictionary<string, (int Start, int Line)>(StringComparer.Ordinal);
        var regions = new List<Region>();
        foreach (PragmaWarningDirectiveTriviaSyntax pragma in root.DescendantNodes(descendIntoTrivia: true).OfType<PragmaWarningDirectiveTriviaSyntax>())
        {
            List<string> ids = pragma.ErrorCodes.Select(c => c.ToString().Trim()).Where(c => c.StartsWith("OL", StringComparison.Ordinal)).ToList();
            bool all = pragma.ErrorCodes.Count == 0;
            int line = pragma.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
            if (pragma.DisableOrRestoreKeyword.IsKind(SyntaxKind.DisableKeyword))
            {
                if (ids.Count > 0 && !HasReason(pragma))
                {
                    problems.Add($"marker without a reason: '#pragma warning disable {string.Join(", ", ids)}' at {tree.FilePath}:{line} needs '// <what bug this shows>'");
                }

                foreach (string id in ids)
                {
                    open.TryAdd(id, (pragma.Span.End, line));
                }
            }
            else
            {
                foreach (string id in all ? open.Keys.ToList() : ids)
                {
                    if (open.Remove(id, out (int Start, int Line) start))
                    {
                        regions.Add(new Region(id, tree.FilePath, TextSpan.FromBounds(start.Start, pragma.SpanStart), start.Line));
                    }
                }
            }
        }

        foreach (KeyValuePair<string, (int Start, int Line)> unclosed in open)
        {
            regions.Add(new Region(unclosed.Key, tree.FilePath, TextSpan.FromBounds(unclosed.Value.Start, root.FullSpan.End), unclosed.Value.Line));
        }

        return regions;
    }

    private static bool HasReason(PragmaWarningDirectiveTriviaSyntax pragma)
    {
        string text = pragma.ToFullString();
        int comment = text.IndexOf("//", StringComparison.Ordinal);
        return comment >= 0 && text[(comment + 2)..].Trim().Length > 0;
    }

    private List<string> FindProjects()
    {
        var projects = new List<string>();
        foreach (string top in s_roots)
        {
            string directory = Path.Combine(_root, top);
            if (Directory.Exists(directory))
            {
                projects.AddRange(Directory.EnumerateFiles(directory, "*.csproj", SearchOption.AllDirectories).Where(p => !IsBuildOutput(p)));
            }
        }

        projects.Sort(StringComparer.Ordinal);
        return projects;
    }

    private CSharpCompilation CompileProject(string project)
    {
        if (_compilations.TryGetValue(project, out CSharpCompilation? done))
        {
            return done;
        }

        _building.Add(project);
        string directory = Path.GetDirectoryName(project)!;
        string text = File.ReadAllText(project);
        var references = new List<MetadataReference>();
        foreach (Match match in ProjectReferencePattern().Matches(text))
        {
            string referenced = Path.GetFullPath(Path.Combine(directory, match.Groups[1].Value.Replace('\\', Path.DirectorySeparatorChar)));
            if (File.Exists(referenced) && !_building.Contains(referenced) && !IsAnalyzerOnlyReference(match.Value))
            {
                references.Add(CompileProject(referenced).ToMetadataReference());
            }
        }

        List<string> nested = FindNestedProjectDirectories(directory, project);
        var trees = Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f) && !nested.Any(n => f.StartsWith(n + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => CSharpSyntaxTree.ParseText(SourceText.From(File.ReadAllText(f)), AnalyzerRunner.ParseOptions, path: f))
            .ToList();
        if (ImplicitUsingsPattern().IsMatch(text))
        {
            trees.Add(CSharpSyntaxTree.ParseText(s_implicitUsings, AnalyzerRunner.ParseOptions, path: string.Empty));
        }

        CSharpCompilation compilation = AnalyzerRunner.Compile(Path.GetFileNameWithoutExtension(project), trees, references);
        if (compilation.GetTypeByMetadataName("OrderedLocks.OrderedLock") is null && trees.Any(t => t.GetText().ToString().Contains("OrderedLocks", StringComparison.Ordinal)))
        {
            // Uses OrderedLocks without referencing the runtime project: compile against the real
            // runtime assembly this test project references.
            compilation = compilation.AddReferences(FrameworkReferences.OrderedLocks);
        }

        _compilations[project] = compilation;
        _building.Remove(project);
        return compilation;
    }

    private static bool IsAnalyzerOnlyReference(string element)
        => element.Contains("OutputItemType=\"Analyzer\"", StringComparison.OrdinalIgnoreCase)
            || element.Contains("ReferenceOutputAssembly=\"false\"", StringComparison.OrdinalIgnoreCase);

    private static List<string> FindNestedProjectDirectories(string directory, string project)
        => Directory.EnumerateFiles(directory, "*.csproj", SearchOption.AllDirectories)
            .Where(p => p != project && !IsBuildOutput(p))
            .Select(p => Path.GetDirectoryName(p)!)
            .Where(d => d != directory)
            .ToList();

    private static bool IsBuildOutput(string path)
    {
        string separator = Path.DirectorySeparatorChar.ToString();
        return path.Contains(separator + "obj" + separator, StringComparison.Ordinal) || path.Contains(separator + "bin" + separator, StringComparison.Ordinal);
    }

    private string Relative(string path) => Path.GetRelativePath(_root, path);

    private string Describe(Location location)
    {
        FileLinePositionSpan span = location.GetLineSpan();
        return $"{Relative(span.Path)}:{span.StartLinePosition.Line + 1}";
    }

    [GeneratedRegex("<ProjectReference\\s+Include=\"([^\"]+)\"[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ProjectReferencePattern();

    [GeneratedRegex("<ImplicitUsings>\\s*enable\\s*</ImplicitUsings>", RegexOptions.IgnoreCase)]
    private static partial Regex ImplicitUsingsPattern();
}
