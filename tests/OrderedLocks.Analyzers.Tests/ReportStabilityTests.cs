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
        string only = await SingleMessageAsync(new[] { ("Hub", Hub), ("Left", Left), ("Right", Right) });

        Assert.Contains("ViaLeft", only, StringComparison.Ordinal);
    }

    // One call through a delegate field that two files bind to different methods, each reaching B.
    private const string Relay = """
        public sealed partial class Relay
        {
            private readonly object _a = new();
            private readonly object _b = new();
            private System.Action? _next;

            public void One() { lock (_a) { _next?.Invoke(); } }

            public void Two() { lock (_b) { lock (_a) { } } }

            private void TakeB() { lock (_b) { } }
        }
        """;

    private const string BindLeft = """
        public sealed partial class Relay
        {
            public void UseLeft() => _next = LeftHop;

            private void LeftHop() => TakeB();
        }
        """;

    private const string BindRight = """
        public sealed partial class Relay
        {
            public void UseRight() => _next = RightHop;

            private void RightHop() => TakeB();
        }
        """;

    [Fact]
    public async Task MessageThroughADelegateDoesNotDependOnTheOrderOfTheTrees()
    {
        string only = await SingleMessageAsync(new[] { ("Relay", Relay), ("BindLeft", BindLeft), ("BindRight", BindRight) });

        Assert.Contains("LeftHop", only, StringComparison.Ordinal);
    }

    // Runs every order of the files three times; returns the one message all runs gave.
    private static async Task<string> SingleMessageAsync((string Name, string Text)[] files)
    {
        var messages = new HashSet<string>(StringComparer.Ordinal);
        int[][] orders = { new[] { 0, 1, 2 }, new[] { 0, 2, 1 }, new[] { 1, 0, 2 }, new[] { 1, 2, 0 }, new[] { 2, 0, 1 }, new[] { 2, 1, 0 } };
        foreach (int[] order in orders)
        {
            for (int repeat = 0; repeat < 3; repeat++)
            {
                IEnumerable<SyntaxTree> trees = order.Select(i => CSharpSyntaxTree.ParseText(files[i].Text, AnalyzerRunner.ParseOptions, path: $"/src/{files[i].Name}.cs"));
                (ImmutableArray<Diagnostic> diagnostics, IReadOnlyCollection<Exception> exceptions) = await AnalyzerRunner.RunAsync(AnalyzerRunner.Compile("Stable", trees));

                Assert.Empty(exceptions);
                Diagnostic report = Assert.Single(diagnostics, d => d.Id == RuleIdentifiers.InconsistentLockOrder);
                messages.Add(report.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return Assert.Single(messages);
    }
}
