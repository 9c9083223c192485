using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>The analyzers must never throw (no AD0001), whatever the code looks like.</summary>
public sealed class RobustnessTests
{
    public static TheoryData<string> BrokenSources() => new()
    {
        // Missing types and members, error symbols everywhere.
        """
        class Broken
        {
            private readonly Missing _a = new Missing();
            private readonly object _b = new();
            public void One() { lock (_a) { lock (_b) { _a.Unknown(); NoSuch.Method(); } } }
            public void Two() { lock (_b) { lock (_a) { Undefined(); } } }
            public async Task Three() { await _a.LockAsync(); using (await _a.WaitAsync()) { } }
        }
        """,
        // Incomplete statements and expressions.
        """
        using System.Threading;
        class Partial
        {
            private readonly object _x = new object();
            public void M() { lock ( { Monitor.Enter(); Monitor.Exit(_x, ); if (Monitor.TryEnter(
        """,
        // Recursion, mutual recursion, self-subscribing events, delegate cycles.
        """
        using System;
        class Loops
        {
            private readonly object _a = new object();
            public event Action? E;
            private Action _d;
            public Loops() { _d = () => _d(); E += () => E?.Invoke(); E += M; }
            public void M() { lock (_a) { M(); N(); _d(); E?.Invoke(); } }
            public void N() { lock (_a) { M(); } }
        }
        """,
        // Lock on odd things, null, literals, this, typeof, generic parameters, ref locals.
        """
        using System.Threading;
        class Odd<T> where T : class
        {
            private T? _t;
            private static readonly object[] s_arr = new object[2];
            public void M(T value, object[] many)
            {
                lock (null!) { }
                lock ("literal") { }
                lock (this) { lock (typeof(Odd<T>)) { lock (value) { lock (_t!) { lock (s_arr[0]) { lock (many[1]) { } } } } } }
                ref object slot = ref s_arr[1];
                lock (slot) { Monitor.Wait(slot); Monitor.Pulse(_t!); }
            }
        }
        """,
        // Top-level statements, local functions, switch expressions, patterns, goto.
        """
        using System.Threading;
        object gate = new object();
        lock (gate) { Local(); }
        void Local() { lock (gate) { goto done; } done: ; }
        int x = 3;
        var y = x switch { 1 => 2, _ => Helper() };
        static int Helper() { Monitor.Enter(typeof(string)); return 1; }
        """,
    };

    [Theory]
    [MemberData(nameof(BrokenSources))]
    public async Task BrokenOrUnusualCode_NeverMakesAnalyzersThrow(string source)
    {
        (System.Collections.Immutable.ImmutableArray<Diagnostic> diagnostics, IReadOnlyCollection<Exception> exceptions) =
            await AnalyzerRunner.RunAsync(AnalyzerRunner.CompileSources(source));
        Assert.Empty(exceptions);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    [Fact]
    public async Task DeepCallChainAndManyLocks_FinishWithoutStackOverflow()
    {
        var source = new StringBuilder("class Deep {\n");
        const int Depth = 3000;
        for (int i = 0; i < Depth; i++)
        {
            source.Append($"  private static readonly object s_l{i} = new object();\n");
            source.Append($"  public static void M{i}() {{ lock (s_l{i}) {{ {(i + 1 < Depth ? $"M{i + 1}();" : "M0();")} }} }}\n");
        }

        source.Append("}\n");
        (System.Collections.Immutable.ImmutableArray<Diagnostic> diagnostics, IReadOnlyCollection<Exception> exceptions) =
            await AnalyzerRunner.RunAsync(AnalyzerRunner.CompileSources(source.ToString()));
        Assert.Empty(exceptions);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");

        // The chain closes one cycle through all 3000 locks: longer than the enumeration bound, it
        // is still reported, once, as the shortest cycle of its component.
        Diagnostic cycle = Assert.Single(diagnostics, d => d.Id == RuleIdentifiers.InconsistentLockOrder);
        Assert.Equal(Depth - 1, cycle.AdditionalLocations.Count);
    }
}
