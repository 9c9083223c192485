using Microsoft.CodeAnalysis;
using Xunit;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// Issue 11, item 7: a <c>#pragma warning disable OL0001</c> or <c>[SuppressMessage]</c> on EITHER
/// method of a cycle silences the whole cycle (nothing stays visible), whichever site comes first.
/// </summary>
public sealed class SuppressionTests
{
    private const string Cycle = """
        using System.Diagnostics.CodeAnalysis;

        class Abba
        {
            private static readonly object s_x = new object();
            private static readonly object s_y = new object();

        BEFORE1
            public static void First() { lock (s_x) { lock (s_y) { } } }
        AFTER1

        BEFORE2
            public static void Second() { lock (s_y) { lock (s_x) { } } }
        AFTER2
        }
        """;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task PragmaOnEitherMethod_SilencesTheCycle(int marked)
    {
        string source = Cycle
            .Replace("BEFORE" + marked, "#pragma warning disable OL0001 // accepted: guarded elsewhere", StringComparison.Ordinal)
            .Replace("AFTER" + marked, "#pragma warning restore OL0001", StringComparison.Ordinal);
        Assert.Empty(await VisibleOL0001Async(Clear(source)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task SuppressMessageOnEitherMethod_SilencesTheCycle(int marked)
    {
        string source = Cycle.Replace("BEFORE" + marked, "    [SuppressMessage(\"Deadlock\", \"OL0001:Inconsistent lock order\", Justification = \"guarded\")]", StringComparison.Ordinal);
        Assert.Empty(await VisibleOL0001Async(Clear(source)));
    }

    [Fact]
    public async Task Unsuppressed_TheCycleIsVisibleOnce()
    {
        Assert.Single(await VisibleOL0001Async(Clear(Cycle)));
    }

    [Fact]
    public async Task PragmaForAnotherRule_DoesNotSilenceTheCycle()
    {
        string source = Cycle
            .Replace("BEFORE2", "#pragma warning disable OL0003 // another rule", StringComparison.Ordinal)
            .Replace("AFTER2", "#pragma warning restore OL0003", StringComparison.Ordinal);
        Assert.Single(await VisibleOL0001Async(Clear(source)));
    }

    private static string Clear(string source)
        => source.Replace("BEFORE1", string.Empty, StringComparison.Ordinal).Replace("AFTER1", string.Empty, StringComparison.Ordinal)
            .Replace("BEFORE2", string.Empty, StringComparison.Ordinal).Replace("AFTER2", string.Empty, StringComparison.Ordinal);

    private static async Task<List<Diagnostic>> VisibleOL0001Async(string source)
    {
        (var diagnostics, var exceptions) = await AnalyzerRunner.RunAsync(AnalyzerRunner.CompileSources(source));
        Assert.Empty(exceptions);
        return diagnostics.Where(d => d.Id == "OL0001" && !d.IsSuppressed).ToList();
    }
}
