using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// The compilation-wide analysis: resolves calls (virtual, interface, delegate, event), computes per
/// method the locks it acquires transitively, builds the lock-order graph and derives the findings
/// of every compilation-end rule.
/// </summary>
internal sealed partial class LockGraph
{
    private const int MaxCycles = 500;
    private const int MaxCycleLength = 32;
    private const int MaxSearchSteps = 200_000;
    private const int MaxPathSteps = 8;
    private const int MaxAcquiredPerMethod = 512;
    private const int MaxDispatchTargets = 64;
    private const int MaxStoredOccurrences = 16;
    private const int MaxRelationsPerEdge = 8;
    private const int MaxDescribedEdges = 12;

    private readonly LockModel _model;
    private Dictionary<IMethodSymbol, MethodSummary> _summaries = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IMethodSymbol, List<IMethodSymbol>> _implementations = new(SymbolEqualityComparer.Default);
    private Dictionary<IMethodSymbol, AcquiredSet> _acquired = new(SymbolEqualityComparer.Default);
    private Dictionary<IMethodSymbol, AcquiredSet> _topAcquired = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<(LockKey From, LockKey To), EdgeInfo> _edges = new();
    private readonly List<LocalFinding> _findings = new();
    private readonly Suppressions _suppressions = new();
    private readonly HashSet<(LockKey, LockKey, Location)> _reportedRanks = new();
    private readonly Dictionary<LockKey, int> _ranks = new();
    private readonly HashSet<LockKey> _unranked = new();
    private readonly Dictionary<LockKey, bool> _semaphoreIsMutex = new();
    private Dictionary<CallSite, List<IMethodSymbol>> _targets = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<(string, Location, string)> _findingKeys = new();
    private Dictionary<IMethodSymbol, bool>? _anyHeld;
    private Dictionary<IMethodSymbol, List<(IMethodSymbol Caller, CallSite Call)>>? _incoming;
    private CallGraph? _callGraph;
    private Dictionary<IMethodSymbol, HashSet<LockKey>?> _entry = new(SymbolEqualityComparer.Default);

    public LockGraph(LockModel model)
    {
        _model = model;
        try
        {
            Build();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NullReferenceException or IndexOutOfRangeException or KeyNotFoundException)
        {
            // Never throw from the analyzer: report what was found so far.
            Error = ex;
            Interlocked.Increment(ref EngineTelemetry.Errors);
        }
    }

    // The summaries by their method's place in the source (file, then position): the bag holds them
    // in the order the bodies happened to be walked, and every later phase visits methods in the
    // order they were added, so where several paths lead to one inversion the path a message
    // names would change from build to build.
    private static IEnumerable<MethodSummary> InSourceOrder(IEnumerable<MethodSummary> summaries)
    {
        MethodSummary[] items = summaries.ToArray();
        var methods = new IMethodSymbol[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            methods[i] = items[i].Method;
        }

        return Reorder(items, SourceOrder(methods));
    }

    /// <summary>Methods by their first declaration's place in the source (file, then position), then by name.</summary>
    private static IEnumerable<IMethodSymbol> InSourceOrder(IEnumerable<IMethodSymbol> methods)
    {
        IMethodSymbol[] items = methods.ToArray();
        return items.Length < 2 ? items : Reorder(items, SourceOrder(items));
    }

    // items[order[0]], items[order[1]], ... (a loop: Select over an int array is runtime generic code compiled in the compiler's process).
    private static T[] Reorder<T>(T[] items, int[] order)
        where T : class
    {
        var result = new T[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            result[i] = items[order[i]];
        }

        return result;
    }

    private static int[] SourceOrder(IMethodSymbol[] methods)
    {
        // LocationComparer's order (no location first, then file path ordinal, then position),
        // with each distinct path ranked once instead of compared at every step of the sort.
        var locations = new Location?[methods.Length];
        var paths = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < methods.Length; i++)
        {
            ImmutableArray<Location> declared = methods[i].Locations;
            locations[i] = declared.IsEmpty ? null : declared[0];
            if (locations[i] is { } location)
            {
                paths[location.SourceTree?.FilePath ?? string.Empty] = 0;
            }
        }

        string[] sortedPaths = paths.Keys.ToArray();
        Array.Sort(sortedPaths, StringComparer.Ordinal);
        for (int i = 0; i < sortedPaths.Length; i++)
        {
            paths[sortedPaths[i]] = i + 1;
        }

        var fileRank = new int[methods.Length];
        var start = new int[methods.Length];
        for (int i = 0; i < methods.Length; i++)
        {
            if (locations[i] is { } location)
            {
                fileRank[i] = paths[location.SourceTree?.FilePath ?? string.Empty];
                start[i] = location.SourceSpan.Start;
            }
        }

        int[] order = new int[methods.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) =>
        {
            int byLocation = ReferenceEquals(locations[a], locations[b]) ? 0
                : fileRank[a] != fileRank[b] ? fileRank[a].CompareTo(fileRank[b])
                : start[a].CompareTo(start[b]);
            return byLocation != 0 ? byLocation : string.CompareOrdinal(methods[a].ToDisplayString(), methods[b].ToDisplayString());
        });
        return order;
    }

    /// <summary>An internal failure that cut the analysis short (tests assert there is none).</summary>
    public Exception? Error { get; }

    public IEnumerable<LocalFinding> FindingsFor(string ruleId) => _findings.Where(f => f.RuleId == ruleId);

    private void Build()
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        MethodSummary[] all = _model.Summaries.ToArray();
        _summaries = new Dictionary<IMethodSymbol, MethodSummary>(all.Length, SymbolEqualityComparer.Default);
        foreach (MethodSummary summary in InSourceOrder(all))
        {
            if (!_summaries.ContainsKey(summary.Method))
            {
                _summaries.Add(summary.Method, summary);
            }
        }

        // Sized once: every method gets both acquired sets, every call site its targets.
        int callSites = 0;
        foreach (MethodSummary summary in _summaries.Values)
        {
            callSites += summary.Calls.Count;
        }

        _acquired = new Dictionary<IMethodSymbol, AcquiredSet>(_summaries.Count, SymbolEqualityComparer.Default);
        _topAcquired = new Dictionary<IMethodSymbol, AcquiredSet>(_summaries.Count, SymbolEqualityComparer.Default);
        _targets = new Dictionary<CallSite, List<IMethodSymbol>>(callSites, ReferenceEqualityComparer.Instance);

        BuildImplementations();
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        HashSet<LockKey> interesting = InterestingKeys();
        CallGraph calls = BuildCallGraph();
        _callGraph = calls;
        long t2 = System.Diagnostics.Stopwatch.GetTimestamp();

        // The graph is built at compilation end, when the compiler waits on its analyzers and the
        // other cores are idle. The two acquired-set passes and the entry sets only read the call
        // graph, the summaries and the resolved targets (every call's are resolved above), and
        // each writes its own result, so they run side by side; the memos they share take a lock.
        // Task.Wait runs a task not yet started on this thread, so a busy thread pool only makes
        // this sequential.
        Task top = Task.Factory.StartNew(() => ComputeAcquired(calls, _topAcquired, topOnly: true, keep: null), CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        Task<Dictionary<IMethodSymbol, HashSet<LockKey>?>> entry = Task.Factory.StartNew(() => ComputeEntryHolds(calls), CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        long t3;
        try
        {
            ComputeAcquired(calls, _acquired, topOnly: false, interesting.Contains);
            t3 = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        finally
        {
            // Neither task outlives Build, whatever threw.
            WaitQuietly(top);
            WaitQuietly(entry);
        }

        // A task's exception, as it was thrown (not wrapped), for the constructor's filter.
        top.GetAwaiter().GetResult();
        _entry = entry.GetAwaiter().GetResult();
        long t4 = System.Diagnostics.Stopwatch.GetTimestamp();
        BuildEdges();
        long t5 = System.Diagnostics.Stopwatch.GetTimestamp();

        FindCycles();
        FindConditionMisuse();
        long t6 = System.Diagnostics.Stopwatch.GetTimestamp();
        PhaseTicks = new[] { t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5 };
    }

    private static void WaitQuietly(Task task)
    {
        try
        {
            task.Wait();
        }
        catch (AggregateException)
        {
            // Rethrown unwrapped once both tasks have ended.
        }
    }

    /// <summary>
    /// Stopwatch ticks per phase, for the benchmark: index; interesting keys and call graph; full
    /// acquired sets (the top-level sets and entry sets computed beside them); waiting for those
    /// two; edges; cycles and conditions.
    /// </summary>
    public long[] PhaseTicks { get; private set; } = new long[6];

    // ----------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------
    private void AddFinding(string ruleId, Location location, ImmutableArray<Location> additional, params object[] args)
    {
        if (!location.IsInSource)
        {
            return;
        }

        if (!_findingKeys.Add((ruleId, location, string.Join("\u0001", args))))
        {
            return;
        }

        _findings.Add(new LocalFinding(ruleId, location, additional.Where(l => l.IsInSource && l != location).Distinct().ToImmutableArray(), ImmutableDictionary<string, string?>.Empty, args));
    }

    private static int CompareLocations(Location a, Location b) => LocationComparer.Instance.Compare(a, b);

    /// <summary>Reference identity for model objects used as dictionary keys.</summary>
    private sealed class ReferenceEqualityComparer : IEqualityComparer<object>
    {
        public static readonly ReferenceEqualityComparer Instance = new();

        public new bool Equals(object? x, object? y) => ReferenceEquals(x, y);

        public int GetHashCode(object obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }

    /// <summary>Orders locations by file path (ordinal), then position.</summary>
    internal sealed class LocationComparer : IComparer<Location>
    {
        public static readonly LocationComparer Instance = new();

        public int Compare(Location? x, Location? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (x is null)
            {
                return -1;
            }

            if (y is null)
            {
                return 1;
            }

            int byPath = string.CompareOrdinal(x.SourceTree?.FilePath ?? string.Empty, y.SourceTree?.FilePath ?? string.Empty);
            return byPath != 0 ? byPath : x.SourceSpan.Start.CompareTo(y.SourceSpan.Start);
        }
    }
}
