using Microsoft.CodeAnalysis;
using Xunit;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// The analyzers run over every project of this repository: they never throw, every OrderedLocks
/// diagnostic lies in a marker region for its ID, and every marker region holds one
/// (docs/analyzers/MARKING.md).
/// </summary>
public sealed class RepositoryTests
{
    [Fact]
    public async Task Repository_EveryDiagnosticIsMarkedAndEveryMarkerIsUsed()
    {
        RepositoryScanner.Result result = await new RepositoryScanner(RepositoryLayout.Root).ScanAsync();

        Assert.True(result.Problems.Count == 0, string.Join(Environment.NewLine, result.Problems));
        Assert.Contains(result.Projects, p => p.EndsWith("OrderedLocks.Analyzers.csproj", StringComparison.Ordinal));
        Assert.Equal(0, OrderedLocks.Analyzers.Engine.EngineTelemetry.Errors);

        // The reference fixture (raw variants of the article's scenarios) is flagged where marked.
        string[] fixtureIds = result.Diagnostics
            .Where(d => d.Location.SourceTree!.FilePath.Contains("RepositoryFixtures", StringComparison.Ordinal))
            .Select(d => d.Id)
            .Distinct()
            .OrderBy(id => id, StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(new[] { "OL0001", "OL0002", "OL0003", "OL0005", "OL0006", "OL0101", "OL0102", "OL0103" }, fixtureIds);
    }
}

/// <summary>The marker matching itself, on small synthetic repositories.</summary>
public sealed class MarkerConventionTests : IDisposable
{
    private const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
        </Project>
        """;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "ol-markers-" + Guid.NewGuid().ToString("N"));

    public MarkerConventionTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "samples", "Demo"));
        File.WriteAllText(Path.Combine(_root, "OrderedLocks.sln"), string.Empty);
        File.WriteAllText(Path.Combine(_root, "samples", "Demo", "Demo.csproj"), Project);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task MarkedCycle_EveryMethodMarked_Passes()
    {
        RepositoryScanner.Result result = await ScanAsync("""
            class Abba
            {
                private static readonly object s_x = new object();
                private static readonly object s_y = new object();

            #pragma warning disable OL0001 // ABBA deadlock: Thread1 takes x then y
                public static void Thread1() { lock (s_x) { lock (s_y) { } } }
            #pragma warning restore OL0001

            #pragma warning disable OL0001 // ABBA deadlock: Thread2 takes y then x
                public static void Thread2() { lock (s_y) { lock (s_x) { } } }
            #pragma warning restore OL0001
            }
            """);
        Assert.Empty(result.Problems);

        // Suppressed at a site, the cycle is reported at every suppressed site (each inside its marker).
        Assert.Equal(2, result.Diagnostics.Count);
        Assert.All(result.Diagnostics, d => Assert.True(d.IsSuppressed));
    }

    [Fact]
    public async Task UnmarkedDiagnostic_IsAProblem()
    {
        RepositoryScanner.Result result = await ScanAsync("""
            class Abba
            {
                private static readonly object s_x = new object();
                private static readonly object s_y = new object();
                public static void Thread1() { lock (s_x) { lock (s_y) { } } }
                public static void Thread2() { lock (s_y) { lock (s_x) { } } }
            }
            """);
        Assert.Contains(result.Problems, p => p.StartsWith("unmarked OL0001", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StaleMarker_WrongIdAndMissingReason_AreProblems()
    {
        RepositoryScanner.Result result = await ScanAsync("""
            class Fixed
            {
                private static readonly object s_x = new object();
                private static readonly object s_y = new object();
            #pragma warning disable OL0001
                public static void Thread1() { lock (s_x) { lock (s_y) { } } }
            #pragma warning restore OL0001
            #pragma warning disable OL0103 // wrong rule
                public static void Thread2() { lock (s_x) { lock (s_y) { } } }
            #pragma warning restore OL0103
            }
            """);
        Assert.Contains(result.Problems, p => p.StartsWith("marker without a reason", StringComparison.Ordinal));
        Assert.Equal(2, result.Problems.Count(p => p.StartsWith("stale marker", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task OneSideOfTheCycleMarked_SilencesTheWholeCycle()
    {
        RepositoryScanner.Result result = await ScanAsync("""
            class Abba
            {
                private static readonly object s_x = new object();
                private static readonly object s_y = new object();
                public static void Thread1() { lock (s_x) { lock (s_y) { } } }
            #pragma warning disable OL0001 // only one side of the cycle is marked
                public static void Thread2() { lock (s_y) { lock (s_x) { } } }
            #pragma warning restore OL0001
            }
            """);
        // A #pragma on either method of a cycle silences it (issue 11, item 7): the cycle is then
        // reported only at the marked site, suppressed there, and nothing is left unmarked.
        Assert.Empty(result.Problems);
        Diagnostic only = Assert.Single(result.Diagnostics);
        Assert.True(only.IsSuppressed);
        Assert.Equal(6, only.Location.GetLineSpan().StartLinePosition.Line);
    }

    private async Task<RepositoryScanner.Result> ScanAsync(string source)
    {
        File.WriteAllText(Path.Combine(_root, "samples", "Demo", "Demo.cs"), source);
        return await new RepositoryScanner(_root).ScanAsync();
    }
}
