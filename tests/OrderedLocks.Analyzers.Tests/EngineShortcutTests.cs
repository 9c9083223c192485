using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using OrderedLocks.Analyzers.Engine;
using Xunit;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// The shortcuts the engine takes for speed must not change what it sees: a whole-word text search
/// that skips trees, BCL types matched by name instead of looked up, one model per compilation
/// however many rules start at once.
/// </summary>
public sealed class EngineShortcutTests
{
    [Fact]
    public void WordSearchFindsTheKeywordAcrossEveryChunkBoundary()
    {
        // The search copies the text in chunks of 4096 characters: put the word across, before and
        // after each boundary of the first three chunks.
        for (int offset = 4096 - 6; offset <= 3 * 4096 + 2; offset++)
        {
            if (offset % 4096 > 6 && offset % 4096 < 4096 - 6)
            {
                continue;
            }

            string text = new string(' ', offset) + "lock (x) { }" + new string(' ', 10);
            Assert.True(SourceWords.Contains(SourceText.From(text), "lock"), $"missed at offset {offset}");
        }
    }

    [Theory]
    [InlineData("Block b = x;")]
    [InlineData("var locker = _lock; lock_ = unlock;")]
    [InlineData("// no keyword here: Lock, LOCK, locks")]
    [InlineData("")]
    public void WordSearchIgnoresTheWordInsideLongerIdentifiers(string text)
        => Assert.False(SourceWords.Contains(SourceText.From(text), "lock"));

    [Fact]
    public void WordSearchFindsTheWordAtBothEndsOfTheText()
    {
        Assert.True(SourceWords.Contains(SourceText.From("lock"), "lock"));
        Assert.True(SourceWords.Contains(SourceText.From("x;lock"), "lock"));
        Assert.True(SourceWords.Contains(SourceText.From("lock(x)"), "lock"));
    }

    [Fact]
    public void KnownTypesMatchByFullNameOnly()
    {
        CSharpCompilation compilation = AnalyzerRunner.CompileSources(
            """
            namespace My { public class Monitor { } public class Outer { public class Mutex { } } public class SemaphoreSlim<T> { } }
            namespace System.Threading.Polyfill { public class Lock { } }
            """);
        var types = new KnownTypes(compilation);

        Assert.True(types.Monitor.Matches(compilation.GetTypeByMetadataName("System.Threading.Monitor")));
        Assert.True(types.SemaphoreSlim.Matches(compilation.GetTypeByMetadataName("System.Threading.SemaphoreSlim")));
        Assert.True(types.Disposable.Matches(compilation.GetTypeByMetadataName("System.IDisposable")));

        // Same simple name, another namespace, nesting or arity: not the BCL type.
        Assert.False(types.Monitor.Matches(compilation.GetTypeByMetadataName("My.Monitor")));
        Assert.False(types.Mutex.Matches(compilation.GetTypeByMetadataName("My.Outer+Mutex")));
        Assert.False(types.SemaphoreSlim.Matches(compilation.GetTypeByMetadataName("My.SemaphoreSlim`1")));
        Assert.False(types.ThreadingLock.Matches(compilation.GetTypeByMetadataName("System.Threading.Polyfill.Lock")));
        Assert.False(types.Monitor.Matches(null));
    }

    [Fact]
    public void APolyfillOfTheSameFullNameIsTheSameLockType()
    {
        // A project for an older framework that declares System.Threading.Lock itself.
        CSharpCompilation compilation = AnalyzerRunner.CompileSources("namespace System.Threading { public sealed class Lock { } }");
        INamedTypeSymbol polyfill = compilation.Assembly.GetTypeByMetadataName("System.Threading.Lock")!;

        Assert.True(new KnownTypes(compilation).ThreadingLock.Matches(polyfill));
    }

    [Fact]
    public void WordPositionsFindTheWholeWordAcrossEveryChunkBoundary()
    {
        // The same chunked copy as the search: the word's start is found wherever it falls.
        for (int offset = 4096 - 6; offset <= 3 * 4096 + 2; offset++)
        {
            if (offset % 4096 > 6 && offset % 4096 < 4096 - 6)
            {
                continue;
            }

            string text = new string(' ', offset) + "lock (x) { }" + new string(' ', 10);
            Assert.Equal(new[] { offset }, SourceWords.Positions(SourceText.From(text), "lock"));

            // The chunked search (texts over 40K characters) on the same text.
            Assert.Equal(new[] { offset }, SourceWords.PositionsByRuns(SourceText.From(text), new SourceWords.WordSet(new[] { "lock" })));
        }

        Assert.Equal(new[] { 0 }, SourceWords.Positions(SourceText.From("lock"), "lock"));
        Assert.Equal(new[] { 5 }, SourceWords.Positions(SourceText.From("x.y; lock"), "lock"));
    }

    [Fact]
    public void WordPositionsTreatNonAsciiLettersAsPartOfTheWord()
    {
        // ASCII is classified by a table, everything else by char.IsLetterOrDigit: a letter or digit
        // outside ASCII next to the word makes a longer identifier, other characters separate words.
        Assert.Empty(SourceWords.Positions(SourceText.From("\u00C9lock lock\u00E9 lock\u0663 \u03BBlock"), "lock"));
        Assert.Equal(new[] { 1, 7 }, SourceWords.Positions(SourceText.From("\u00A0lock\u2003 lock\u00B7"), "lock"));
        Assert.Equal(new[] { 6 }, LockWords.Positions(SourceText.From("\u00E9Wait Wait(x)")));
    }

    [Fact]
    public void WordPositionsAreTheSameSearchedAsOneStringOrThroughTheChunks()
    {
        // Texts up to 40K characters are searched with IndexOf per first letter, longer ones run by
        // run through the copy buffer: both must give the same positions, on made-up texts full of
        // near misses and on this repository's own sources.
        var words = new SourceWords.WordSet(new[] { "lock", "Enter", "TryEnter", "EnterScope", "Wait", "WaitAsync", "WaitOne", "Pulse", "PulseAll", "LockAsync" });
        string[] pieces =
        {
            "lock", "Lock", "locks", "_lock", "lock_", "@lock", "lock1", "1lock", "Enter", "TryEnter", "EnterScope", "Enters", "Wait", "WaitAsync",
            "WaitOne", "WaitOnce", "Pulse", "PulseAll", "LockAsync", "\u00E9", "\u00C9lock", "lock\u0663", "\u00A0", "\u2003", "\u00B7", " ", "  ",
            ".", "(", ")", ";", "\n", "\r\n", "//", "\"", "x", "y1", "_", "@",
        };
        var random = new Random(20261208);
        var texts = new List<string> { string.Empty, "lock", "Wait", " lock", "lock ", "@lock(x)", "\u00E9Wait Wait(x)" };
        for (int n = 0; n < 200; n++)
        {
            var text = new StringBuilder();
            int length = random.Next(1, n < 190 ? 60 : 3000);
            for (int i = 0; i < length; i++)
            {
                text.Append(pieces[random.Next(pieces.Length)]);
            }

            texts.Add(text.ToString());
        }

        texts.AddRange(Directory.EnumerateFiles(Path.Combine(RepositoryLayout.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        Assert.True(texts.Count > 250);

        int found = 0;
        foreach (string text in texts)
        {
            int[] byRuns = SourceWords.PositionsByRuns(SourceText.From(text), words);
            Assert.Equal(byRuns, SourceWords.PositionsInString(text, words));
            found += byRuns.Length;
        }

        Assert.True(found > 1000, $"only {found} words found");
    }

    [Theory]
    [InlineData("Block b = x; var locker = _lock; lock_ = unlock; Lock l; locks++;")]
    [InlineData("")]
    public void WordPositionsSkipTheWordInsideLongerIdentifiers(string text)
        => Assert.Empty(SourceWords.Positions(SourceText.From(text), "lock"));

    [Fact]
    public void SelfLockingClassesAreFoundFromTheKeywordsOnly_NotFromCommentsStringsOrOtherLocks()
    {
        // The scan looks up the token at each whole word "lock": a comment or a string naming
        // lock (this), an identifier @lock and a lock on a field are not a class locking itself;
        // a lock (this) nested in a lambda, in a nested class and in parentheses is.
        const string source = """
            class Quiet
            {
                private readonly object _gate = new();
                // lock (this) would be the self-lock
                public string Text => "lock (this)";
                public void Run(object @lock) { lock (_gate) { } lock (@lock) { } }
            }

            class Outer
            {
                public void Run() { System.Action a = () => { lock ((this)) { } }; a(); }

                public class Inner
                {
                    public void Run() { lock (this) { } }
                }
            }

            class Plain
            {
                public void Run() { lock (this) { } }
            }
            """;
        CSharpCompilation compilation = AnalyzerRunner.CompileSources(source);
        SelfLockingTypes types = LockModel.For(compilation).SelfLocking;

        Assert.Null(types.For(compilation.GetTypeByMetadataName("Quiet")));
        Assert.Equal("Outer", types.For(compilation.GetTypeByMetadataName("Outer"))?.Name);
        Assert.Equal("Inner", types.For(compilation.GetTypeByMetadataName("Outer+Inner"))?.Name);
        Assert.Equal("Plain", types.For(compilation.GetTypeByMetadataName("Plain"))?.Name);
    }

    [Fact]
    public void ACallWhoseArgumentsHaveNoKnownObjectCarriesNoArgumentPaths_AndTranslatesAsBefore()
    {
        // Argument paths are kept only when some argument names an object (this, a parameter, a
        // local, a field path): a call with only literals and call results stores none, and a
        // callee's parameter-rooted path then translates to unknown either way.
        const string source = """
            class Worker
            {
                private readonly object _gate = new();
                public void Take(object first, int count) { lock (first) { } }
                private object Make() => new object();
                public void Unknown() { Take(Make(), 1); }
                public void Known(object other) { Take(other, 2); }
            }
            """;
        CSharpCompilation compilation = AnalyzerRunner.CompileSources(source);
        LockModel model = LockModel.For(compilation);
        INamedTypeSymbol worker = compilation.GetTypeByMetadataName("Worker")!;

        CallSite unknown = CallsOf(compilation, model, worker, "Unknown").Single(c => c.Target?.Name == "Take");
        CallSite known = CallsOf(compilation, model, worker, "Known").Single(c => c.Target?.Name == "Take");

        Assert.True(unknown.ArgumentPaths.IsEmpty);
        Assert.Equal(2, known.ArgumentPaths.Length);
        Assert.Equal(PathRoot.Parameter, known.ArgumentPaths[0].Root);
        Assert.Same(AccessPath.Unknown, known.ArgumentPaths[1]);

        IParameterSymbol first = worker.GetMembers("Take").OfType<IMethodSymbol>().Single().Parameters[0];
        AccessPath parameterPath = AccessPath.Of(PathRoot.Parameter, first);
        Assert.Same(AccessPath.Unknown, unknown.Translate(parameterPath));
        Assert.Equal(PathRoot.Parameter, known.Translate(parameterPath).Root);
    }

    [Fact]
    public void RebaseGivesWhatAppendingEachMemberGives()
    {
        // Rebase works the result out first and builds it once; appending the callee's members to
        // the caller's path one by one is the definition: a static member restarts the path, a path
        // past the cap is unknown for good, a path that is not named stays as it is.
        const string source = """
            class Node
            {
                public Node A;
                public Node B;
                public Node C;
                public static Node S;
                public void M(Node p) { }
            }
            """;
        CSharpCompilation compilation = AnalyzerRunner.CompileSources(source);
        INamedTypeSymbol node = compilation.GetTypeByMetadataName("Node")!;
        ISymbol a = node.GetMembers("A").Single(), b = node.GetMembers("B").Single(), c = node.GetMembers("C").Single(), st = node.GetMembers("S").Single();
        IParameterSymbol p = node.GetMembers("M").OfType<IMethodSymbol>().Single().Parameters[0];
        AccessPath param = AccessPath.Of(PathRoot.Parameter, p);

        var roots = new[] { AccessPath.This, AccessPath.This.Append(a), AccessPath.This.Append(a).Append(b), AccessPath.This.Append(a).Append(b).Append(c), param.Append(c), AccessPath.Static.Append(st), AccessPath.Unknown, AccessPath.Fresh };
        var callee = new[]
        {
            AccessPath.This.Append(a), AccessPath.This.Append(a).Append(b), AccessPath.This.Append(a).Append(b).Append(c),
            AccessPath.This.Append(st), AccessPath.This.Append(a).Append(st).Append(b), AccessPath.This.Append(st).Append(a).Append(b),
            param.Append(b).Append(st),
        };

        foreach (AccessPath root in roots)
        {
            foreach (AccessPath path in callee)
            {
                AccessPath expected = root;
                foreach (ISymbol member in path.Members)
                {
                    expected = expected.Append(member);
                }

                AccessPath actual = path.Rebase(root);
                Assert.True(expected.Equals(actual), $"{path} on {root}: expected {expected}, got {actual}");
                if (!expected.IsNamed)
                {
                    Assert.Same(expected, actual);
                }
            }
        }
    }

    private static IEnumerable<CallSite> CallsOf(CSharpCompilation compilation, LockModel model, INamedTypeSymbol type, string name)
    {
        IMethodSymbol method = type.GetMembers(name).OfType<IMethodSymbol>().Single();
        SyntaxNode declaration = method.DeclaringSyntaxReferences.Single().GetSyntax();
        IOperation body = compilation.GetSemanticModel(declaration.SyntaxTree).GetOperation(declaration)!;
        return MethodWalker.Walk(model, method, System.Collections.Immutable.ImmutableArray.Create(body)).Summaries.SelectMany(s => s.Calls);
    }

    [Fact]
    public void SelfLockingClassesAreFoundOnlyInTreesWithTheKeyword()
    {
        CSharpCompilation compilation = AnalyzerRunner.Compile(
            "Test",
            new[]
            {
                CSharpSyntaxTree.ParseText("class Box { public void Signal() { lock (this) { } } }", AnalyzerRunner.ParseOptions, path: "/src/Box.cs"),
                CSharpSyntaxTree.ParseText("class Blocker { public void Signal() { } } interface IBox { }", AnalyzerRunner.ParseOptions, path: "/src/Blocker.cs"),
            });

        SelfLockingTypes types = LockModel.For(compilation).SelfLocking;

        Assert.Equal("Box", types.For(compilation.GetTypeByMetadataName("Box"))?.Name);
        Assert.Null(types.For(compilation.GetTypeByMetadataName("Blocker")));
    }
}

/// <summary>Counts models built process-wide, so it runs alone (no other test builds one meanwhile).</summary>
[CollectionDefinition(nameof(ModelConstructionTests), DisableParallelization = true)]
public sealed class ModelConstructionCollection
{
}

[Collection(nameof(ModelConstructionTests))]
public sealed class ModelConstructionTests
{
    [Fact]
    public async Task EveryRuleStartingAtOnceGetsOneModel()
    {
        // The rules' compilation-start actions run concurrently; a ConditionalWeakTable may run its
        // factory on each of them. They must all get the same model (one set of summaries), and
        // the model (its settings, read from every tree) must be built once.
        CSharpCompilation compilation = AnalyzerRunner.CompileSources("class C { }");
        int before = LockModel.Constructed;
        using var start = new Barrier(8);
        Task<LockModel>[] tasks = Enumerable.Range(0, 8)
            .Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                return LockModel.For(compilation);
            }))
            .ToArray();
        LockModel[] models = await Task.WhenAll(tasks);

        Assert.All(models, model => Assert.Same(models[0], model));
        Assert.Equal(1, LockModel.Constructed - before);
    }
}
