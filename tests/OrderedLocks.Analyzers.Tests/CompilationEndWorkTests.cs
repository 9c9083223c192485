using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using OrderedLocks.Analyzers.Engine;
using Xunit;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// The work done at compilation end is shared between threads (queued walks on thread-pool helpers,
/// the acquired-set passes and entry sets side by side) and kept out of the runtime's generic code
/// (own searches, shared empty collections). These tests ask how that could change a report.
/// </summary>
public sealed class CompilationEndWorkTests
{
    // A chain of `length` bodies with no lock word (each is queued, so helpers take part), taken
    // under A in One() and ending in a method that takes B; Two() takes B then A.
    private static string Chain(int length)
    {
        var source = new StringBuilder();
        source.AppendLine("public sealed class Hub");
        source.AppendLine("{");
        source.AppendLine("    private static readonly object A = new();");
        source.AppendLine("    private static readonly object B = new();");
        source.AppendLine("    public static void One() { lock (A) { Step0(); } }");
        source.AppendLine("    public static void Two() { lock (B) { lock (A) { } } }");
        source.AppendLine("    public static void TakeB() { lock (B) { } }");
        for (int i = 0; i < length; i++)
        {
            string next = i + 1 < length ? $"Step{i + 1}()" : "TakeB()";
            source.AppendLine($"    public static int Step{i}() {{ int x = {i}; {next}; return x + Helper{i % 7}(); }}");
        }

        for (int i = 0; i < 7; i++)
        {
            source.AppendLine($"    private static int Helper{i}() => {i};");
        }

        source.AppendLine("}");
        return source.ToString();
    }

    [Fact]
    public async Task AnInversionThroughHundredsOfQueuedBodiesIsReportedTheSameWayEveryTime()
    {
        string source = Chain(300);
        var messages = new HashSet<string>(StringComparer.Ordinal);
        for (int run = 0; run < 6; run++)
        {
            // A new compilation each time: a new model, so every body is queued and walked again.
            (ImmutableArray<Diagnostic> diagnostics, IReadOnlyCollection<Exception> exceptions) = await AnalyzerRunner.RunAsync(AnalyzerRunner.CompileSources(source));

            Assert.Empty(exceptions);
            Diagnostic report = Assert.Single(diagnostics, d => d.Id == RuleIdentifiers.InconsistentLockOrder);
            messages.Add(report.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        }

        string only = Assert.Single(messages);
        Assert.Contains("Hub.A", only, StringComparison.Ordinal);
        Assert.Contains("Hub.B", only, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutTheInversionTheLongChainGivesNoReport()
    {
        // The same chain, with Two() taking A before B: the order is consistent.
        string source = Chain(300).Replace("lock (B) { lock (A) { } }", "lock (A) { lock (B) { } }", StringComparison.Ordinal);
        (ImmutableArray<Diagnostic> diagnostics, IReadOnlyCollection<Exception> exceptions) = await AnalyzerRunner.RunAsync(AnalyzerRunner.CompileSources(source));

        Assert.Empty(exceptions);
        Assert.DoesNotContain(diagnostics, d => d.Id == RuleIdentifiers.InconsistentLockOrder);
    }

    private const string Shapes = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;

        public sealed class Shapes
        {
            private readonly object _gate = new();
            private int _count;

            public async Task<int> Mixed(IEnumerable<int> items, Func<int, bool> keep)
            {
                int total = 0;
                foreach (int item in items)
                {
                    switch (item)
                    {
                        case 0: continue;
                        case > 10 when keep(item): total += item * 2; break;
                        default: total += item; break;
                    }
                }

                try
                {
                    lock (_gate) { _count += total; }
                    await Task.Delay(1).ConfigureAwait(false);
                }
                catch (InvalidOperationException e) when (e.Message.Length > 0)
                {
                    total = -1;
                }
                finally
                {
                    Local(ref total);
                }

                Func<int, int> twice = x => x + x;
                return twice(total) + (items is List<int> { Count: > 0 } list ? list[0] : 0);

                void Local(ref int value) => value = value > 0 ? value : 0;
            }

            public int this[int i] => i < 0 ? throw new ArgumentOutOfRangeException(nameof(i)) : i;
        }
        """;

    [Fact]
    public void OwnDescendantsAndSelfGivesRoslynsSequence()
    {
        CSharpCompilation compilation = AnalyzerRunner.CompileSources(Shapes);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        SemanticModel model = compilation.GetSemanticModel(tree);
        int bodies = 0;
        foreach (SyntaxNode declaration in tree.GetRoot().DescendantNodes().Where(n => n is BaseMethodDeclarationSyntax or PropertyDeclarationSyntax or IndexerDeclarationSyntax))
        {
            if (model.GetOperation(declaration) is not { } body)
            {
                continue;
            }

            bodies++;
            IOperation[] expected = body.DescendantsAndSelf().ToArray();
            IOperation[] actual = OperationTree.DescendantsAndSelf(body).ToArray();
            Assert.True(expected.Length > 1);
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Same(expected[i], actual[i]);
            }
        }

        Assert.True(bodies >= 1);
    }

    [Fact]
    public async Task SharedEmptyCollectionsOfSummariesStayEmpty()
    {
        // Summaries without calls, acquisitions, condition uses or monitors entered by hand share
        // one empty list or set each; analysing code that has all of them must write only to their own.
        (_, IReadOnlyCollection<Exception> exceptions) = await AnalyzerRunner.RunAsync(AnalyzerRunner.CompileSources(Shapes, Chain(40), """
            using System.Threading;
            public sealed class ByHand
            {
                private readonly object _gate = new();
                private bool _ready;
                public void Take(ref bool taken) { Monitor.Enter(_gate, ref taken); }
                public void Leave() { Monitor.Exit(_gate); }
                public void WaitReady() { lock (_gate) { while (!_ready) { Monitor.Wait(_gate); } } }
            }
            """));
        Assert.Empty(exceptions);

        CSharpCompilation other = AnalyzerRunner.CompileSources("public static class Empty { public static void M() { } }");
        IMethodSymbol method = other.GetTypeByMetadataName("Empty")!.GetMembers("M").OfType<IMethodSymbol>().Single();
        var fresh = new MethodSummary(method);
        Assert.Empty(fresh.Acquisitions);
        Assert.Empty(fresh.Calls);
        Assert.Empty(fresh.ConditionUses);
        Assert.Empty(fresh.EnteredMonitors);
        Assert.Empty(fresh.ExitedMonitors);

        // And adding to one summary leaves another's untouched.
        var first = new MethodSummary(method);
        var second = new MethodSummary(method);
        first.AddEnteredMonitor(new LockKey(method.ContainingType, LockKeyKind.Type));
        Assert.Single(first.EnteredMonitors);
        Assert.Empty(second.EnteredMonitors);
    }
}
