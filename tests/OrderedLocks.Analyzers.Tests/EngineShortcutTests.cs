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
    public void SelfLockingClassesAreFoundOnlyInTreesWithTheKeyword()
    {
        CSharpCompilation compilation = AnalyzerRunner.Compile(
            "Test",
            new[]
            {
                CSharpSyntaxTree.ParseText("class Box { public void Signal() { lock (this) { } } }", AnalyzerRunner.ParseOptions, path: "/src/Box.cs"),
                CSharpSyntaxTree.ParseText("class Blocker { public void Signal() { } } interface IBox { }", AnalyzerRunner.ParseOptions, path: "/src/Blocker.cs"),
            });

        SelfLockingTypes types = SelfLockingTypes.For(compilation);

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
