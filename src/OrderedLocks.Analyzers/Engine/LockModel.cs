using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Time spent in the engine (Stopwatch ticks), read by the benchmark.</summary>
internal static class EngineTelemetry
{
    public static long WalkTicks;
    public static long GraphTicks;

    /// <summary>Bodies walked in this process (tests: which are walked at once, which with the graph).</summary>
    public static int WalkedBodies;

    /// <summary>Internal failures swallowed to keep the analyzer from throwing; tests assert none happen.</summary>
    public static int Errors;
}

/// <summary>The result of walking one operation block: its summaries and its method-local findings.</summary>
internal sealed class BlockResult
{
    public static readonly BlockResult Empty = new(ImmutableArray<MethodSummary>.Empty, ImmutableArray<LocalFinding>.Empty);

    public BlockResult(ImmutableArray<MethodSummary> summaries, ImmutableArray<LocalFinding> findings)
    {
        Summaries = summaries;
        Findings = findings;
    }

    public ImmutableArray<MethodSummary> Summaries { get; }

    public ImmutableArray<LocalFinding> Findings { get; }
}

/// <summary>
/// The compilation-wide lock model shared by every OrderedLocks analyzer: each operation block is
/// walked once (whichever analyzer asks first), and the lock graph is built once at compilation end.
/// </summary>
/// <remarks>
/// Every rule analyzer asks for every operation block, so by the time any of them reaches its
/// compilation-end action every block has been walked or queued; the graph is then built lazily,
/// once, after the queued bodies are walked (<see cref="Summarize"/>).
/// </remarks>
internal sealed class LockModel
{
    private static readonly ConditionalWeakTable<Compilation, Lazy<LockModel>> s_models = new();

    private readonly ConcurrentDictionary<ISymbol, BlockEntry> _blocks = new(SymbolEqualityComparer.Default);

    // Bodies that cannot give a method-local finding, walked when the graph is built.
    private readonly ConcurrentQueue<BlockEntry> _deferred = new();

    private readonly ConcurrentDictionary<SyntaxTree, int[]> _lockWords = new();
    private readonly Lazy<LockGraph> _graph;
    private readonly Lazy<SelfLockingTypes> _selfLocking;

    private LockModel(Compilation compilation, AnalyzerSettings settings)
    {
        Interlocked.Increment(ref s_constructed);
        Compilation = compilation;
        Settings = settings;
        Types = new KnownTypes(compilation);
        Aliases = new Aliases();
        _selfLocking = new Lazy<SelfLockingTypes>(() => new SelfLockingTypes(compilation, LockWordPositions), LazyThreadSafetyMode.ExecutionAndPublication);
        _graph = new Lazy<LockGraph>(
            () =>
            {
                WalkDeferred();
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                var graph = new LockGraph(this);
                Interlocked.Add(ref EngineTelemetry.GraphTicks, System.Diagnostics.Stopwatch.GetTimestamp() - start);
                return graph;
            },
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private static int s_constructed;

    /// <summary>Models built in this process (tests: one per compilation, however many rules start at once).</summary>
    public static int Constructed => Volatile.Read(ref s_constructed);

    public Compilation Compilation { get; }

    public KnownTypes Types { get; }

    /// <summary>Properties, readonly fields and methods that are another field under a second name.</summary>
    public Aliases Aliases { get; }

    /// <summary>Delegate-typed fields, properties, events, locals and parameters → the methods and lambdas stored in them.</summary>
    public ConcurrentDictionary<ISymbol, ConcurrentBag<IMethodSymbol>> DelegateBindings { get; } = new(SymbolEqualityComparer.Default);

    /// <summary>Delegate holders → the holders their value was read from (see <see cref="GetAllBindings"/>).</summary>
    public ConcurrentDictionary<ISymbol, ConcurrentBag<ISymbol>> HolderSources { get; } = new(SymbolEqualityComparer.Default);

    /// <summary>Methods used as delegates: they have callers the model cannot see.</summary>
    public ConcurrentDictionary<ISymbol, byte> EscapedMethods { get; } = new(SymbolEqualityComparer.Default);

    /// <summary>SemaphoreSlim members → initial counts of every creation assigned to them (-1 when not constant).</summary>
    public ConcurrentDictionary<ISymbol, ConcurrentBag<int>> SemaphoreCounts { get; } = new(SymbolEqualityComparer.Default);

    /// <summary>Ordered lock members → the constant rank passed to their constructor.</summary>
    public ConcurrentDictionary<ISymbol, int> CreationRanks { get; } = new(SymbolEqualityComparer.Default);

    /// <summary>OrderedCondition members → the lock they were created over.</summary>
    public ConcurrentDictionary<ISymbol, LockKey> ConditionLocks { get; } = new(SymbolEqualityComparer.Default);

    /// <summary>All summaries, filled as blocks are walked.</summary>
    public ConcurrentBag<MethodSummary> Summaries { get; } = new();

    /// <summary>The model of <paramref name="compilation"/>, created (with its .editorconfig options) by whichever rule asks first.</summary>
    public static LockModel For(Compilation compilation, AnalyzerConfigOptionsProvider? options = null)
        // The table may run its factory on several threads at once (every rule starts at the same
        // time) and keep one result: the factory only makes the Lazy, so the model is built once.
        => s_models.GetValue(compilation, c => new Lazy<LockModel>(() => new LockModel(c, AnalyzerSettings.Read(c, options)), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>The .editorconfig options (user lock types, identity level).</summary>
    public AnalyzerSettings Settings { get; }

    /// <summary>
    /// The walk of one operation block, for its method-local findings. A body that cannot have any
    /// (no hold is taken and no condition is used in it: <see cref="LocalFindingScan"/>) is only
    /// queued here, gives no findings, and is walked when the graph is built: in a build, walks
    /// made then are not competing with the compiler's own threads and collections (measured in
    /// docs/analyzers/performance.md), and an IDE that analyses open files only never pays for them.
    /// </summary>
    public BlockResult Summarize(OperationBlockAnalysisContext context)
    {
        ISymbol owner = context.OwningSymbol;
        if (!_blocks.TryGetValue(owner, out BlockEntry? entry))
        {
            // Every rule asks for every block, often at once: the entry decides (and walks) once.
            entry = _blocks.GetOrAdd(owner, new BlockEntry(this, owner, context.OperationBlocks));
        }

        return entry.Local;
    }

    /// <summary>
    /// Where <paramref name="tree"/> names a lock word (<see cref="LockWords"/>), kept once computed.
    /// Two threads asking for one tree at once may both read it (the same answer, one kept): cheaper
    /// than making one of them wait, which the compiler's threads did in profiles of large builds.
    /// </summary>
    public int[] LockWordPositions(SyntaxTree tree)
        => _lockWords.TryGetValue(tree, out int[]? positions) ? positions : _lockWords.GetOrAdd(tree, LockWords.Positions(tree.GetText()));

    /// <summary>The classes of this compilation that lock <c>this</c>, read once.</summary>
    public SelfLockingTypes SelfLocking => _selfLocking.Value;

    // Every queued body, before the graph reads the summaries. They are walked at compilation end,
    // when the compiler waits on its analyzers with the other cores idle (seen in profiles of NLog's
    // build), so the walks are shared with helpers on the thread pool; this thread walks too, so a
    // helper that starts late (or never) only finds nothing left to do.
    private void WalkDeferred()
    {
        var pending = new List<BlockEntry>();
        while (_deferred.TryDequeue(out BlockEntry? entry))
        {
            pending.Add(entry);
        }

        int next = -1;
        void Drain()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < pending.Count)
            {
                _ = pending[i].Walked;
            }
        }

        // RS1035 bans Environment for the settings it could carry: the processor count is not one.
#pragma warning disable RS1035
        int cores = Environment.ProcessorCount;
#pragma warning restore RS1035
        int helpers = Math.Min(Math.Min(cores - 1, MaxWalkHelpers), pending.Count / MinWalksPerHelper);
        for (int h = 0; h < helpers; h++)
        {
            // A walk that throws ends its helper (the walker itself catches what broken code
            // throws); that body is walked again below, on this thread, where the exception surfaces.
            _ = Task.Factory.StartNew(Drain, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        }

        Drain();

        // Waits for the walks a helper is still in (an entry's lock holds its readers until its one walk ends).
        foreach (BlockEntry entry in pending)
        {
            _ = entry.Walked;
        }
    }

    private const int MaxWalkHelpers = 3;
    private const int MinWalksPerHelper = 32;

    public LockGraph GetGraph() => _graph.Value;

    /// <summary>The symbol is declared by this compilation's source (its containing assembly is the one compiled).</summary>
    public bool IsInCompilation(ISymbol symbol) => SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, Compilation.Assembly);

    // One body: whether it is walked now or with the graph, and its walk, each decided or run
    // once by whichever caller asks first. One object per body, without a Lazy and a closure for
    // each question: every body of the compilation gets one, and allocation in analyzer callbacks
    // is what brings the compiler's collections (and their pauses) into them.
    private sealed class BlockEntry
    {
        private readonly LockModel _model;
        private readonly ISymbol _owner;
        private ImmutableArray<IOperation> _blocks;
        private BlockResult? _walked;
        private BlockResult? _local;

        public BlockEntry(LockModel model, ISymbol owner, ImmutableArray<IOperation> blocks)
        {
            _model = model;
            _owner = owner;
            _blocks = blocks;
        }

        // The findings to report while the block is analysed (none when the walk is deferred).
        public BlockResult Local
        {
            get
            {
                if (Volatile.Read(ref _local) is { } local)
                {
                    return local;
                }

                // A private class: nothing else locks on it.
                lock (this)
                {
                    if (_local is not { } decided)
                    {
                        if (_walked is not null || LocalFindingScan.MayFindLocally(_blocks, _model))
                        {
                            decided = Walked;
                        }
                        else
                        {
                            _model._deferred.Enqueue(this);
                            decided = BlockResult.Empty;
                        }

                        Volatile.Write(ref _local, decided);
                    }

                    return decided;
                }
            }
        }

        // The walk itself (for a deferred body: when the graph is built).
        public BlockResult Walked
        {
            get
            {
                if (Volatile.Read(ref _walked) is { } walked)
                {
                    return walked;
                }

                lock (this)
                {
                    if (_walked is not { } result)
                    {
                        result = _model.Walk(_owner, _blocks);
                        Volatile.Write(ref _walked, result);

                        // The operation trees are not needed again: let them go with the compiler's.
                        _blocks = default;
                    }

                    return result;
                }
            }
        }
    }

    private BlockResult Walk(ISymbol owner, ImmutableArray<IOperation> blocks)
    {
        Interlocked.Increment(ref EngineTelemetry.WalkedBodies);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        BlockResult result = MethodWalker.Walk(this, owner, blocks);
        Interlocked.Add(ref EngineTelemetry.WalkTicks, System.Diagnostics.Stopwatch.GetTimestamp() - start);
        foreach (MethodSummary summary in result.Summaries)
        {
            Summaries.Add(summary);
        }

        return result;
    }

    public void AddBinding(ISymbol holder, IMethodSymbol target)
        => DelegateBindings.GetOrAdd(holder.OriginalDefinition, static _ => new ConcurrentBag<IMethodSymbol>()).Add(target);

    public IReadOnlyCollection<IMethodSymbol> GetBindings(ISymbol holder)
        => DelegateBindings.TryGetValue(holder.OriginalDefinition, out ConcurrentBag<IMethodSymbol>? bag) ? bag : Array.Empty<IMethodSymbol>();

    /// <summary>A holder's value was read from another holder (<c>_callback = callback;</c>, <c>var d = _handler;</c>).</summary>
    public void AddHolderSource(ISymbol holder, ISymbol source)
    {
        if (!SymbolEqualityComparer.Default.Equals(holder.OriginalDefinition, source.OriginalDefinition))
        {
            HolderSources.GetOrAdd(holder.OriginalDefinition, static _ => new ConcurrentBag<ISymbol>()).Add(source.OriginalDefinition);
        }
    }

    /// <summary>
    /// Every method a holder can hold once all bodies are walked: its own bindings and those of the
    /// holders its value was read from, transitively; for a property setter's or event accessor's
    /// <c>value</c> the bindings of the property or event (what callers assign to it), and for an
    /// override's parameter those of the overridden or implemented member's parameter.
    /// Resolved when the graph is built, so the answer does not depend on the order bodies were walked in.
    /// </summary>
    public IReadOnlyCollection<IMethodSymbol> GetAllBindings(ISymbol holder)
    {
        var visited = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        var pending = new Stack<ISymbol>();
        var result = new List<IMethodSymbol>();
        pending.Push(holder.OriginalDefinition);
        while (pending.Count > 0 && visited.Count < MaxHolderChain)
        {
            ISymbol current = pending.Pop();
            if (!visited.Add(current))
            {
                continue;
            }

            result.AddRange(GetBindings(current));
            if (HolderSources.TryGetValue(current, out ConcurrentBag<ISymbol>? sources))
            {
                foreach (ISymbol source in sources)
                {
                    pending.Push(source);
                }
            }

            if (current is IParameterSymbol { ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.PropertySet or MethodKind.EventAdd, AssociatedSymbol: { } owner } accessor } parameter
                && parameter.Ordinal == accessor.Parameters.Length - 1)
            {
                pending.Push(owner.OriginalDefinition);
            }

            if (current is IParameterSymbol)
            {
                // An override's parameter is bound where callers call the member it overrides or implements.
                foreach (ISymbol overridden in LockGraph.HoldersOf(current))
                {
                    pending.Push(overridden);
                }
            }
        }

        return result;
    }

    private const int MaxHolderChain = 256;

    /// <summary>Declared rank of a lock member: <c>[LockRank(n)]</c> or a constant non-zero <c>rank:</c> constructor argument.</summary>
    public int? GetDeclaredRank(LockKey key)
    {
        if (key.Kind != LockKeyKind.Member)
        {
            return null;
        }

        if (Types.LockRankAttribute is not null)
        {
            foreach (AttributeData attribute in key.Symbol.GetAttributes())
            {
                if (KnownTypes.Is(attribute.AttributeClass, Types.LockRankAttribute)
                    && attribute.ConstructorArguments.Length == 1
                    && attribute.ConstructorArguments[0].Value is int rank)
                {
                    return rank;
                }
            }
        }

        return CreationRanks.TryGetValue(key.Symbol, out int creationRank) ? creationRank : null;
    }

    /// <summary>True unless the key is a SemaphoreSlim that is not created with an initial count of one.</summary>
    public bool IsMutex(Hold hold)
    {
        if (hold.Key.Kind == LockKeyKind.Local)
        {
            // Method-local identities only serve the condition rules, never the order graph.
            return false;
        }

        if (hold.Kind != HoldKind.Semaphore)
        {
            return true;
        }

        if (!SemaphoreCounts.TryGetValue(hold.Key.Symbol, out ConcurrentBag<int>? counts) || counts.IsEmpty)
        {
            return false;
        }

        foreach (int count in counts)
        {
            if (count != 1)
            {
                return false;
            }
        }

        return true;
    }

    public static IEnumerable<T> Snapshot<T>(ConcurrentBag<T> bag) => bag.ToArray();
}
