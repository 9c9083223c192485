using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using OrderedLocks.Analyzers.Engine;
using Xunit;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// Bodies that cannot give a method-local finding are walked when the graph is built, not when
/// their block is analysed. The scan that decides this must never pass over a body whose walk has
/// a finding, and the graph must still see every deferred body.
/// </summary>
public sealed class DeferredWalkTests
{
    // Shapes whose only sign, for the text test, is a method name: a static import, a base-class
    // method, a call split across lines, a hold in a lambda and in a local function, a field initializer.
    private const string BclShapes = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using static System.Threading.Monitor;

        public sealed class Node
        {
            public readonly object Gate = new();
            public Node? Next;
        }

        public sealed class Shapes
        {
            private readonly object _gate = new();
            private readonly Mutex _mutex = new();
            private readonly Func<Node, bool> _probe = n => { lock (n.Gate) { return n.Next is null; } };
            private bool _ready;

            public void StaticImportWait()
            {
                Enter(_gate);
                try
                {
                    if (!_ready)
                    {
                        Wait(_gate);
                    }
                }
                finally
                {
                    Exit(_gate);
                }
            }

            public async Task EnteredAcrossAwait()
            {
                System.Threading.Monitor
                    .Enter(_gate);
                await Task.Yield();
                System.Threading.Monitor.Exit(_gate);
            }

            public void TwoInstances(Node a, Node b)
            {
                Action inner = () => { lock (a.Gate) { lock (b.Gate) { } } };
                inner();
            }

            public void LocalFunction(Node a, Node b)
            {
                Take();

                void Take()
                {
                    lock (a.Gate)
                    {
                        lock (b.Gate)
                        {
                        }
                    }
                }
            }

            public void MutexWait()
            {
                _mutex.WaitOne();
                lock (_gate)
                {
                }

                _mutex.ReleaseMutex();
            }

            // One hold and an await (the Exit is elsewhere): held across the await all the same.
            public async Task EnteredHereExitedElsewhere()
            {
                Monitor.Enter(_gate);
                await Task.Delay(1);
            }

            public async Task LockedThenAwaitedInALambda()
            {
                Func<Task> later = async () =>
                {
                    System.Threading.Monitor.Enter(_gate);
                    await Task.Yield();
                };
                await later();
            }

            // One lock (or none) and a wait outside a re-check loop.
            public void WaitUnderOneLock()
            {
                lock (_gate)
                {
                    if (!_ready)
                    {
                        Monitor.Wait(_gate);
                    }
                }
            }

            public void WaitHeldByTheCaller() => Monitor.Wait(_gate);

            public int NoLockHere(int x) => x * 2;
        }
        """;

    [Theory]
    [InlineData(false)] // the scan's text test decides first
    [InlineData(true)] // every package user: the scan traverses the operations
    public async Task Corpus_EveryBodyWithALocalFindingIsWalkedAtOnce(bool withLibrary)
    {
        Corpus corpus = await WalkAllAsync(withLibrary);

        Assert.Empty(corpus.Missed);
        Assert.True(corpus.WithFindings >= 8, $"the corpus must exercise the local rules: {corpus.WithFindings} bodies with findings");
        Assert.True(corpus.Deferred > corpus.Bodies / 2, $"most bodies take no lock and are deferred: {corpus.Deferred} of {corpus.Bodies}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CycleThroughBodiesWithoutLocks_IsReported(bool withLibrary)
    {
        // Both orders run through bodies that take no lock themselves (deferred), so only the
        // deferred walks connect the locks.
        const string source = """
            public sealed class Pair
            {
                private readonly object _a = new();
                private readonly object _b = new();

                public void First() { lock (_a) { Relay(); } }

                public void Second() { lock (_b) { Forward(); } }

                private void Relay() => Forward2();

                private void Forward2() => TakeB();

                private void Forward() => TakeA();

                private void TakeA() { lock (_a) { } }

                private void TakeB() { lock (_b) { } }
            }
            """;
        CSharpCompilation compilation = AnalyzerRunner.Compile(
            "Cycle",
            new[] { CSharpSyntaxTree.ParseText(source, AnalyzerRunner.ParseOptions, path: "/src/Pair.cs") },
            withLibrary ? new[] { FrameworkReferences.OrderedLocks } : null);

        (ImmutableArray<Diagnostic> diagnostics, IReadOnlyCollection<Exception> exceptions) = await AnalyzerRunner.RunAsync(compilation);

        Assert.Empty(exceptions);
        Diagnostic report = Assert.Single(diagnostics, d => d.Id == RuleIdentifiers.InconsistentLockOrder);
        string message = report.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(message.Contains("Relay", StringComparison.Ordinal) || message.Contains("Forward", StringComparison.Ordinal), message);
    }

    [Fact]
    public void LockWords_FoundAcrossChunkBoundaries_NotInsideLongerNames()
    {
        // The index copies the text in chunks of 4096 characters.
        foreach (int offset in new[] { 0, 1, 4090, 4093, 4095, 4096, 4097, 8190, 8192 })
        {
            string text = new string(' ', offset) + "Enter(x); Entered(); TryEnterX(); _lock; lock";
            int[] positions = LockWords.Positions(SourceText.From(text));
            Assert.Equal(new[] { offset, text.Length - 4 }, positions);
        }

        Assert.Equal(new[] { 1 }, LockWords.Positions(SourceText.From("@lock(x)")));
        Assert.Empty(LockWords.Positions(SourceText.From("Locker locks; WaitOnce(); Entering")));
    }

    [Theory]
    [InlineData(0, 5, true)]
    [InlineData(4, 5, true)]
    [InlineData(5, 5, false)]
    [InlineData(21, 100, false)]
    [InlineData(9, 11, true)]
    [InlineData(11, 19, false)]
    [InlineData(19, 21, true)]
    public void LockWords_AnyWithin(int start, int end, bool expected)
        => Assert.Equal(expected, LockWords.AnyWithin(new[] { 4, 10, 20 }, TextSpan.FromBounds(start, end)));

    private static async Task<Corpus> WalkAllAsync(bool withLibrary)
    {
        // This repository's samples and analyzer fixtures (raw and OrderedLocks variants of the
        // article's scenarios) and, without the reference, the library's own source (compiled
        // under another assembly name, so that none of it is the OrderedLocks API), plus the shapes above.
        string root = RepositoryLayout.Root;
        string[] folders = withLibrary
            ? new[] { "samples", "tests/OrderedLocks.Analyzers.Tests/RepositoryFixtures" }
            : new[] { "src/OrderedLocks", "samples", "tests/OrderedLocks.Analyzers.Tests/RepositoryFixtures" };
        IEnumerable<string> files = folders
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains("/obj/", StringComparison.Ordinal) && !path.Contains("/bin/", StringComparison.Ordinal));
        var trees = files
            .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), AnalyzerRunner.ParseOptions, path: path))
            .Append(CSharpSyntaxTree.ParseText(BclShapes, AnalyzerRunner.ParseOptions, path: "/src/Shapes.cs"))
            .ToList();
        CSharpCompilation compilation = AnalyzerRunner.Compile("Corpus", trees, withLibrary ? new[] { FrameworkReferences.OrderedLocks } : null);

        var collector = new BlockCollector();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        _ = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(collector), options).GetAnalyzerDiagnosticsAsync(CancellationToken.None);

        LockModel model = LockModel.For(compilation);
        var corpus = new Corpus { Bodies = collector.Blocks.Count };
        foreach ((ISymbol owner, ImmutableArray<IOperation> blocks) in collector.Blocks)
        {
            bool now = LocalFindingScan.MayFindLocally(blocks, model);
            ImmutableArray<LocalFinding> findings = MethodWalker.Walk(model, owner, blocks).Findings;
            corpus.Deferred += now ? 0 : 1;
            corpus.WithFindings += findings.IsEmpty ? 0 : 1;
            if (!now && !findings.IsEmpty)
            {
                corpus.Missed.Add($"{owner.ToDisplayString()}: {string.Join(", ", findings.Select(f => f.RuleId))}");
            }
        }

        return corpus;
    }

    private sealed class Corpus
    {
        public int Bodies { get; set; }

        public int Deferred { get; set; }

        public int WithFindings { get; set; }

        public List<string> Missed { get; } = new();
    }

    // A test-only collector of what the driver hands an analyzer, never loaded by a compiler.
#pragma warning disable RS1001, RS2008
    private sealed class BlockCollector : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor s_none = new("TEST0001", "none", "none", "Test", DiagnosticSeverity.Hidden, isEnabledByDefault: true);
#pragma warning restore RS1001, RS2008

        public ConcurrentBag<(ISymbol Owner, ImmutableArray<IOperation> Blocks)> Blocks { get; } = new();

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(s_none);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationBlockAction(block => Blocks.Add((block.OwningSymbol, block.OperationBlocks)));
        }
    }
}

/// <summary>What an IDE analysing one open file pays, and what a build then adds.</summary>
[Collection(nameof(ModelConstructionTests))]
public sealed class OpenFileWalkTests
{
    [Fact]
    public async Task OpenFileAnalysis_WalksOnlyTheBodiesThatCanHaveALocalFinding_AndReportsThem()
    {
        // What an IDE does for an open file: the file's semantic diagnostics, no compilation end.
        // Then the whole compilation, as a build does: the queued bodies are walked for the graph.
        const string open = """
            using System.Threading;
            using System.Threading.Tasks;

            public sealed class Open
            {
                private readonly object _a = new();
                private readonly object _b = new();

                public async Task HeldAcrossAwait()
                {
                    Monitor.Enter(_a);
                    await Task.Yield();
                    Monitor.Exit(_a);
                }

                public void First() { lock (_a) { Relay(); } }

                public void Second() { lock (_b) { lock (_a) { } } }

                private void Relay() => Forward();

                private void Forward() => TakeB();

                private void TakeB() { lock (_b) { } }

                public int Plain(int x) => x + 1;
            }
            """;
        // A second file, not analysed in the first step (with every file analysed, the driver
        // goes on to the compilation-end actions by itself).
        const string other = "public static class Other { public static int Twice(int x) => 2 * x; }";
        SyntaxTree tree = CSharpSyntaxTree.ParseText(open, AnalyzerRunner.ParseOptions, path: "/src/Open.cs");
        CSharpCompilation compilation = AnalyzerRunner.Compile("OpenFile", new[] { tree, CSharpSyntaxTree.ParseText(other, AnalyzerRunner.ParseOptions, path: "/src/Other.cs") });
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: false);
        CompilationWithAnalyzers analyzed = compilation.WithAnalyzers(AnalyzerRunner.AllAnalyzers, options);

        // (The walk counter is process-wide: this class runs in a collection of its own.)
        int before = Volatile.Read(ref EngineTelemetry.WalkedBodies);
        ImmutableArray<Diagnostic> live = await analyzed.GetAnalyzerSemanticDiagnosticsAsync(analyzed.Compilation.GetSemanticModel(tree), filterSpan: null, CancellationToken.None);
        int walkedLive = Volatile.Read(ref EngineTelemetry.WalkedBodies) - before;

        Assert.Contains(live, d => d.Id == RuleIdentifiers.ThreadOwnedLockHeldAcrossAwait);
        // HeldAcrossAwait (a hold and an await) and Second (two holds); not First and TakeB (one
        // lock each, no await: no local finding possible), Relay, Forward, Plain, the field initializers.
        Assert.Equal(2, walkedLive);

        ImmutableArray<Diagnostic> all = await analyzed.GetAnalyzerDiagnosticsAsync(CancellationToken.None);
        int walkedAll = Volatile.Read(ref EngineTelemetry.WalkedBodies) - before;

        Assert.Contains(all, d => d.Id == RuleIdentifiers.InconsistentLockOrder);
        Assert.True(walkedAll >= 7, $"the graph walks the queued bodies: {walkedAll}");
    }
}
