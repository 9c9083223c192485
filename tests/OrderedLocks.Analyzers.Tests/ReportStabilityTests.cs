using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// Where several call paths lead to one inversion, the message names the same one whatever order
/// the compiler hands the bodies over in (the graph reads the summaries in source order).
/// </summary>
public sealed class ReportStabilityTests
{
    // Two ways from `One` (holding A) to B, each through its own file and two calls deep inside a
    // recursive cluster, so that the order the cluster's methods are visited in decides which
    // path reaches `Route` first.
    private const string Hub = """
        public sealed partial class Hub
        {
            private readonly object _a = new();
            private readonly object _b = new();
            private int _depth;

            public void One() { lock (_a) { Route(); } }

            public void Two() { lock (_b) { lock (_a) { } } }

            private void Route()
            {
                if (_depth++ % 2 == 0) { ViaLeft(); } else { ViaRight(); }
            }

            private void TakeB() { lock (_b) { } }
        }
        """;

    private const string Left = """
        public sealed partial class Hub
        {
            private void ViaLeft() => DeepLeft();

            private void DeepLeft() { if (_depth > 9) { Route(); } TakeB(); }
        }
        """;

    private const string Right = """
        public sealed partial class Hub
        {
            private void ViaRight() => DeepRight();

            private void DeepRight() { if (_depth > 9) { Route(); } TakeB(); }
        }
        """;

    [Fact]
    public async Task MessageDoesNotDependOnTheOrderOfTheTrees()
    {
        var messages = new HashSet<string>(StringComparer.Ordinal);
        string[][] orders =
        {
            new[] { Hub, Left, Right }, new[] { Right, Left, Hub }, new[] { Left, Hub, Right },
            new[] { Hub, Right, Left }, new[] { Right, Hub, Left }, new[] { Left, Right, Hub },
        };
        string[] names = { "Hub", "Left", "Right" };
        foreach (string[] order in orders)
        {
            for (int repeat = 0; repeat < 3; repeat++)
            {
                // The same file names whatever the order, so only the order of the trees differs.
                IEnumerable<SyntaxTree> trees = order.Select(text => CSharpSyntaxTree.ParseText(
                    text, AnalyzerRunner.ParseOptions, path: $"/src/{names[Array.IndexOf(new[] { Hub, Left, Right }, text)]}.cs"));
                (ImmutableArray<Diagnostic> diagnostics, IReadOnlyCollection<Exception> exceptions) = await AnalyzerRunner.RunAsync(AnalyzerRunner.Compile("Stable", trees));

                Assert.Empty(exceptions);
                Diagnostic report = Assert.Single(diagnostics, d => d.Id == RuleIdentifiers.InconsistentLockOrder);
                messages.Add(report.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        string only = Assert.Single(messages);
        Assert.Contains("ViaLeft", only, StringComparison.Ordinal);
    }
}
