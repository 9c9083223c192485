using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// The compilation-wide analysis: resolves calls (virtual, interface, delegate, event), computes per
/// method the locks it acquires transitively, builds the lock-order graph and derives the findings
/// of every compilation-end rule.
/// </summary>
internal sealed class LockGraph
{
    private const int MaxCycles = 500;
    private const int MaxCycleLength = 32;
    private const int MaxSearchSteps = 200_000;
    private const int MaxPathSteps = 8;
    private const int MaxAcquiredPerMethod = 512;
    private const int MaxDispatchTargets = 64;
    private const int MaxStoredOccurrences = 16;
    private const int MaxComponentIterations = 64;

    private readonly LockModel _model;
    private readonly Dictionary<IMethodSymbol, MethodSummary> _summaries = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IMethodSymbol, List<IMethodSymbol>> _implementations = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IMethodSymbol, Dictionary<LockKey, AcquiredVia>> _acquired = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IMethodSymbol, Dictionary<LockKey, AcquiredVia>> _topAcquired = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<(LockKey From, LockKey To), EdgeInfo> _edges = new();
    private readonly List<LocalFinding> _findings = new();
    private readonly HashSet<(LockKey, LockKey, Location)> _reportedRanks = new();
    private readonly Dictionary<LockKey, int?> _ranks = new();
    private readonly HashSet<(string, Location, string)> _findingKeys = new();
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
        }
    }

    public IEnumerable<LocalFinding> FindingsFor(string ruleId) => _findings.Where(f => f.RuleId == ruleId);

    private void Build()
    {
        foreach (MethodSummary summary in LockModel.Snapshot(_model.Summaries))
        {
            if (!_summaries.ContainsKey(summary.Method))
            {
                _summaries.Add(summary.Method, summary);
            }
        }

        BuildImplementations();
        HashSet<LockKey> interesting = InterestingKeys();
        ComputeAcquired(_acquired, topOnly: false, interesting.Contains);
        ComputeAcquired(_topAcquired, topOnly: true, keep: null);
        _entry = ComputeEntryHolds();
        BuildEdges();
        FindCycles();
        FindConditionMisuse();
    }

    // ----------------------------------------------------------------------------------------
    // Call resolution
    // ----------------------------------------------------------------------------------------
    private void BuildImplementations()
    {
        foreach (IMethodSymbol method in _summaries.Keys)
        {
            if (method.IsStatic || method.ContainingType is null || method.MethodKind is MethodKind.AnonymousFunction or MethodKind.LocalFunction)
            {
                continue;
            }

            for (IMethodSymbol? overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
            {
                AddImplementation(overridden.OriginalDefinition, method);
            }

            foreach (IMethodSymbol explicitImplementation in method.ExplicitInterfaceImplementations)
            {
                AddImplementation(explicitImplementation.OriginalDefinition, method);
            }

            foreach (INamedTypeSymbol @interface in method.ContainingType.AllInterfaces)
            {
                foreach (ISymbol member in @interface.GetMembers())
                {
                    IMethodSymbol? interfaceMethod = member as IMethodSymbol;
                    if (member is IPropertySymbol property && method.AssociatedSymbol is IPropertySymbol)
                    {
                        interfaceMethod = method.MethodKind == MethodKind.PropertyGet ? property.GetMethod : property.SetMethod;
                    }

                    if (interfaceMethod is null || !NameMatches(interfaceMethod, method))
                    {
                        continue;
                    }

                    ISymbol? implementation = method.ContainingType.FindImplementationForInterfaceMember(interfaceMethod);
                    if (SymbolEqualityComparer.Default.Equals(implementation?.OriginalDefinition, method))
                    {
                        AddImplementation(interfaceMethod.OriginalDefinition, method);
                    }
                }
            }
        }
    }

    private static bool NameMatches(IMethodSymbol interfaceMethod, IMethodSymbol method)
        => method.Name == interfaceMethod.Name || method.Name.EndsWith("." + interfaceMethod.Name, StringComparison.Ordinal);

    private void AddImplementation(IMethodSymbol member, IMethodSymbol implementation)
    {
        if (!_implementations.TryGetValue(member, out List<IMethodSymbol>? list))
        {
            list = new List<IMethodSymbol>();
            _implementations.Add(member, list);
        }

        list.Add(implementation);
    }

    private IEnumerable<IMethodSymbol> Targets(CallSite call)
    {
        if (call.Target is { } target)
        {
            if (_summaries.ContainsKey(target))
            {
                yield return target;
            }

            if (_implementations.TryGetValue(target, out List<IMethodSymbol>? implementations) && implementations.Count <= MaxDispatchTargets)
            {
                // Beyond MaxDispatchTargets implementations a call is too polymorphic to follow usefully
                // (every edge would fan out to the whole hierarchy); such calls are not followed.
                foreach (IMethodSymbol implementation in implementations)
                {
                    yield return implementation;
                }
            }
        }
        else if (call.DelegateSymbol is { } holder)
        {
            foreach (IMethodSymbol bound in _model.GetBindings(holder).Distinct<IMethodSymbol>(SymbolEqualityComparer.Default))
            {
                if (_summaries.ContainsKey(bound))
                {
                    yield return bound;
                }
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Transitive acquisitions (per-method summaries combined over the compilation)
    // ----------------------------------------------------------------------------------------

    /// <summary>How a method comes to acquire a lock: directly, or through a call.</summary>
    private sealed class AcquiredVia
    {
        public AcquiredVia(Hold hold, CallSite? call, IMethodSymbol? callee, bool onThis, bool isTry)
        {
            Hold = hold;
            Call = call;
            Callee = callee;
            OnThis = onThis;
            IsTry = isTry;
        }

        /// <summary>The acquisition at the end of the chain.</summary>
        public Hold Hold { get; }

        public CallSite? Call { get; }

        public IMethodSymbol? Callee { get; }

        /// <summary>The acquired lock belongs to this method's own object (or is static).</summary>
        public bool OnThis { get; }

        public bool IsTry { get; }
    }

    /// <summary>
    /// The locks each method acquires, directly or through calls, computed callee-first over the
    /// strongly connected components of the call graph (so each method is merged once). With
    /// <paramref name="topOnly"/>, only those it acquires while holding nothing itself (the ones a
    /// caller's held locks come directly before; nested ones are ordered by the callee's own edges).
    /// <paramref name="keep"/> restricts the keys tracked. Sets are capped at
    /// <see cref="MaxAcquiredPerMethod"/> so pathological call graphs stay linear.
    /// </summary>
    private void ComputeAcquired(Dictionary<IMethodSymbol, Dictionary<LockKey, AcquiredVia>> acquired, bool topOnly, Func<LockKey, bool>? keep)
    {
        var methods = _summaries.Keys.ToList();
        var indexOf = new Dictionary<IMethodSymbol, int>(SymbolEqualityComparer.Default);
        for (int i = 0; i < methods.Count; i++)
        {
            indexOf[methods[i]] = i;
        }

        // Filtered call graph: calls made while holding nothing (topOnly) or all calls.
        var calls = new List<(CallSite Call, int Target)>[methods.Count];
        var successors = new List<int>[methods.Count];
        for (int i = 0; i < methods.Count; i++)
        {
            calls[i] = new List<(CallSite, int)>();
            successors[i] = new List<int>();
            foreach (CallSite call in _summaries[methods[i]].Calls)
            {
                if (topOnly && HasMutex(call.Held))
                {
                    continue;
                }

                foreach (IMethodSymbol target in Targets(call))
                {
                    if (indexOf.TryGetValue(target, out int t))
                    {
                        calls[i].Add((call, t));
                        successors[i].Add(t);
                    }
                }
            }
        }

        var sets = new Dictionary<LockKey, AcquiredVia>[methods.Count];
        foreach (List<int> component in ComponentsCalleesFirst(successors))
        {
            var members = new HashSet<int>(component);
            if (component.Count == 1 || component.Count > MaxComponentIterations)
            {
                // One method (or a huge recursive tangle): one shared set, merged once.
                var set = new Dictionary<LockKey, AcquiredVia>();
                foreach (int m in component)
                {
                    AddDirect(set, _summaries[methods[m]], topOnly, keep);
                }

                foreach (int m in component)
                {
                    foreach ((CallSite call, int target) in calls[m])
                    {
                        if (!members.Contains(target))
                        {
                            Merge(set, sets[target], call, methods[target]);
                        }
                    }
                }

                foreach (int m in component)
                {
                    sets[m] = set;
                }

                continue;
            }

            // A small recursive cycle: iterate to a fixpoint among its members.
            foreach (int m in component)
            {
                sets[m] = new Dictionary<LockKey, AcquiredVia>();
                AddDirect(sets[m], _summaries[methods[m]], topOnly, keep);
                foreach ((CallSite call, int target) in calls[m])
                {
                    if (!members.Contains(target))
                    {
                        Merge(sets[m], sets[target], call, methods[target]);
                    }
                }
            }

            bool changed = true;
            for (int round = 0; changed && round < MaxComponentIterations; round++)
            {
                changed = false;
                foreach (int m in component)
                {
                    foreach ((CallSite call, int target) in calls[m])
                    {
                        if (members.Contains(target) && target != m)
                        {
                            changed |= Merge(sets[m], sets[target], call, methods[target]);
                        }
                    }
                }
            }
        }

        for (int i = 0; i < methods.Count; i++)
        {
            acquired[methods[i]] = sets[i];
        }
    }

    private void AddDirect(Dictionary<LockKey, AcquiredVia> set, MethodSummary summary, bool topOnly, Func<LockKey, bool>? keep)
    {
        foreach (Acquisition acquisition in summary.Acquisitions)
        {
            if (!_model.IsMutex(acquisition.Lock) || (topOnly && HasMutex(acquisition.Held)) || (keep is not null && !keep(acquisition.Lock.Key)))
            {
                continue;
            }

            var via = new AcquiredVia(acquisition.Lock, null, null, acquisition.Lock.OnThis, acquisition.IsTry);
            if (!set.TryGetValue(acquisition.Lock.Key, out AcquiredVia? existing))
            {
                if (set.Count < MaxAcquiredPerMethod)
                {
                    set[acquisition.Lock.Key] = via;
                }
            }
            else if (existing.IsTry && !via.IsTry)
            {
                set[acquisition.Lock.Key] = via;
            }
        }
    }

    private static bool Merge(Dictionary<LockKey, AcquiredVia> into, Dictionary<LockKey, AcquiredVia>? from, CallSite call, IMethodSymbol callee)
    {
        if (from is null || ReferenceEquals(into, from))
        {
            return false;
        }

        bool changed = false;
        foreach (KeyValuePair<LockKey, AcquiredVia> entry in from)
        {
            bool onThis = entry.Key.IsStatic || (entry.Value.OnThis && call.Receiver == CallReceiver.This);
            if (!into.TryGetValue(entry.Key, out AcquiredVia? existing))
            {
                if (into.Count >= MaxAcquiredPerMethod)
                {
                    continue;
                }
            }
            else if (!(existing.IsTry && !entry.Value.IsTry) && !(onThis && !existing.OnThis && existing.Callee is not null))
            {
                continue;
            }

            into[entry.Key] = new AcquiredVia(entry.Value.Hold, call, callee, onThis, entry.Value.IsTry);
            changed = true;
        }

        return changed;
    }

    /// <summary>Strongly connected components, each emitted after every component it calls (iterative Tarjan).</summary>
    private static List<List<int>> ComponentsCalleesFirst(List<int>[] successors)
    {
        int[] component = StronglyConnectedComponents(successors);
        int count = component.Length == 0 ? 0 : component.Max() + 1;
        var result = new List<List<int>>(count);
        for (int i = 0; i < count; i++)
        {
            result.Add(new List<int>());
        }

        for (int node = 0; node < component.Length; node++)
        {
            result[component[node]].Add(node);
        }

        // Tarjan numbers components in reverse topological order: callees get lower numbers.
        return result;
    }

    /// <summary>
    /// Keys whose full transitive acquisition matters beyond the order graph: ranked locks (OL0002),
    /// non-reentrant locks held at a call (OL0006), locks held at a call on another instance (OL0003).
    /// </summary>
    private HashSet<LockKey> InterestingKeys()
    {
        var keys = new HashSet<LockKey>();
        foreach (MethodSummary summary in _summaries.Values)
        {
            foreach (Acquisition acquisition in summary.Acquisitions)
            {
                if (RankOf(acquisition.Lock.Key) is not null)
                {
                    keys.Add(acquisition.Lock.Key);
                }
            }

            foreach (CallSite call in summary.Calls)
            {
                foreach (Hold hold in call.Held)
                {
                    if (!hold.IsReentrant || call.Receiver == CallReceiver.ParameterOrLocal || RankOf(hold.Key) is not null)
                    {
                        keys.Add(hold.Key);
                    }
                }
            }
        }

        return keys;
    }

    private int? RankOf(LockKey key)
    {
        if (!_ranks.TryGetValue(key, out int? rank))
        {
            rank = _model.GetDeclaredRank(key);
            _ranks[key] = rank;
        }

        return rank;
    }

    private bool HasMutex(ImmutableArray<Hold> held)
    {
        foreach (Hold hold in held)
        {
            if (_model.IsMutex(hold))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"A() → B() → C()" from a call in <paramref name="caller"/> to where <paramref name="key"/> is acquired.</summary>
    private string DescribePath(IMethodSymbol caller, IMethodSymbol callee, LockKey key, bool top = false)
    {
        Dictionary<IMethodSymbol, Dictionary<LockKey, AcquiredVia>> acquired = top ? _topAcquired : _acquired;
        var builder = new StringBuilder(Display(caller));
        IMethodSymbol current = callee;
        for (int step = 0; step < MaxPathSteps; step++)
        {
            builder.Append(" → ").Append(Display(current));
            if (!acquired.TryGetValue(current, out Dictionary<LockKey, AcquiredVia>? map)
                || !map.TryGetValue(key, out AcquiredVia? via) || via.Callee is null)
            {
                break;
            }

            current = via.Callee;
        }

        return builder.ToString();
    }

    public static string Display(IMethodSymbol method)
    {
        switch (method.MethodKind)
        {
            case MethodKind.AnonymousFunction:
                return "lambda in " + (method.ContainingSymbol is IMethodSymbol outer ? Display(outer) : method.ContainingSymbol?.Name);
            case MethodKind.LocalFunction:
                return (method.ContainingSymbol is IMethodSymbol container ? Display(container) : string.Empty) + "." + method.Name + "()";
            case MethodKind.PropertyGet or MethodKind.PropertySet:
                return method.ContainingType?.Name + "." + method.AssociatedSymbol?.Name + (method.MethodKind == MethodKind.PropertyGet ? ".get" : ".set");
            case MethodKind.Constructor:
                return "new " + method.ContainingType?.Name + "()";
            default:
                return method.ContainingType?.Name + "." + method.Name + "()";
        }
    }

    // ----------------------------------------------------------------------------------------
    // Lock-order edges
    // ----------------------------------------------------------------------------------------
    private sealed class EdgeOccurrence
    {
        public EdgeOccurrence(Location location, IMethodSymbol method, IMethodSymbol? callee, bool isTry, HashSet<LockKey> held)
        {
            Location = location;
            Method = method;
            Callee = callee;
            IsTry = isTry;
            Held = held;
        }

        /// <summary>For an edge through a call: the called method (the path is described only when reported).</summary>
        public IMethodSymbol? Callee { get; }

        public Location Location { get; }

        public IMethodSymbol Method { get; }


        public bool IsTry { get; }

        public HashSet<LockKey> Held { get; }
    }

    private sealed class EdgeInfo
    {
        public List<EdgeOccurrence> Occurrences { get; } = new();

        public HashSet<Location> Seen { get; } = new();

        /// <summary>Locks (other than the edge's own source) held at every blocking occurrence: candidate gate locks.</summary>
        public HashSet<LockKey>? Gates { get; set; }

        public EdgeOccurrence? FirstBlocking { get; set; }
    }

    private void BuildEdges()
    {
        foreach (MethodSummary summary in _summaries.Values)
        {
            foreach (Acquisition acquisition in summary.Acquisitions)
            {
                if (acquisition.Held.IsEmpty || !_model.IsMutex(acquisition.Lock))
                {
                    continue;
                }

                HashSet<LockKey>? held = null;
                int innermost = InnermostBlocking(acquisition.Held);
                for (int i = 0; i < acquisition.Held.Length; i++)
                {
                    Hold outer = acquisition.Held[i];
                    if (!_model.IsMutex(outer))
                    {
                        continue;
                    }

                    if (outer.Key.Equals(acquisition.Lock.Key))
                    {
                        if ((outer.Key.IsStatic || outer.Instance == acquisition.Lock.Instance) && !acquisition.Lock.IsReentrant && !acquisition.IsTry)
                        {
                            AddFinding(RuleIdentifiers.NonReentrantReacquisition, acquisition.Lock.Location, ImmutableArray.Create(outer.Location), acquisition.Lock.Key.Display, string.Empty);
                        }

                        continue;
                    }

                    CheckRank(outer.Key, acquisition.Lock.Key, acquisition.Lock.Location, null);
                    if (i >= innermost)
                    {
                        held ??= HeldKeys(acquisition.Held, summary.Method);
                        AddEdge(outer.Key, acquisition.Lock.Key, new EdgeOccurrence(acquisition.Lock.Location, summary.Method, null, acquisition.IsTry, held));
                    }
                }
            }

            foreach (CallSite call in summary.Calls)
            {
                if (call.Held.IsEmpty)
                {
                    continue;
                }

                HashSet<LockKey>? held = null;
                int innermost = InnermostBlocking(call.Held);
                foreach (IMethodSymbol target in Targets(call))
                {
                    Dictionary<LockKey, AcquiredVia> all = _acquired[target];
                    foreach (Hold outer in call.Held)
                    {
                        if (!_model.IsMutex(outer))
                        {
                            continue;
                        }

                        if (all.TryGetValue(outer.Key, out AcquiredVia? again))
                        {
                            CheckSelfThroughCall(summary, call, target, outer, again);
                        }

                        if (RankOf(outer.Key) is not null)
                        {
                            foreach (KeyValuePair<LockKey, AcquiredVia> entry in all)
                            {
                                if (!entry.Key.Equals(outer.Key))
                                {
                                    CheckRank(outer.Key, entry.Key, call.Location, () => DescribePath(summary.Method, target, entry.Key));
                                }
                            }
                        }
                    }

                    foreach (KeyValuePair<LockKey, AcquiredVia> entry in _topAcquired[target])
                    {
                        for (int i = innermost; i < call.Held.Length; i++)
                        {
                            Hold outer = call.Held[i];
                            if (!_model.IsMutex(outer) || outer.Key.Equals(entry.Key))
                            {
                                continue;
                            }

                            held ??= HeldKeys(call.Held, summary.Method);
                            AddEdge(outer.Key, entry.Key, new EdgeOccurrence(call.Location, summary.Method, target, entry.Value.IsTry, held));
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Index of the most recently acquired blocking hold. Order edges come from it (and from try-holds
    /// taken after it) only: edges from locks held further out are implied by the nesting (lockdep's
    /// rule), and adding them would report one deadlock as several overlapping cycles.
    /// </summary>
    private int InnermostBlocking(ImmutableArray<Hold> held)
    {
        for (int i = held.Length - 1; i >= 0; i--)
        {
            if (!held[i].IsTry && _model.IsMutex(held[i]))
            {
                return i;
            }
        }

        return 0;
    }

    private void CheckRank(LockKey from, LockKey to, Location location, Func<string>? path)
    {
        int? fromRank = RankOf(from);
        int? toRank = RankOf(to);
        if (fromRank is null || toRank is null || toRank >= fromRank || !_reportedRanks.Add((from, to, location)))
        {
            return;
        }

        string via = path is null ? string.Empty : " (via " + path() + ")";
        AddFinding(RuleIdentifiers.DeclaredRankViolation, location, ImmutableArray<Location>.Empty, to.Display, toRank.Value, from.Display, fromRank.Value, via);
    }

    private void CheckSelfThroughCall(MethodSummary summary, CallSite call, IMethodSymbol target, Hold outer, AcquiredVia via)
    {
        bool sameInstance = outer.Key.IsStatic || (outer.OnThis && via.OnThis && call.Receiver == CallReceiver.This);
        if (sameInstance)
        {
            if (!via.Hold.IsReentrant && !via.IsTry && !outer.IsReentrant)
            {
                AddFinding(RuleIdentifiers.NonReentrantReacquisition, call.Location, ImmutableArray.Create(outer.Location, via.Hold.Location), outer.Key.Display, " (via " + DescribePath(summary.Method, target, outer.Key) + ")");
            }

            return;
        }

        // Another object's lock of the same field, reached through a call on a parameter or local
        // (account.Transfer(other) → other.Deposit()): two instances nested without an order.
        if (via.OnThis && call.Receiver == CallReceiver.ParameterOrLocal)
        {
            AddFinding(RuleIdentifiers.SameFieldInstancesNested, call.Location, ImmutableArray.Create(outer.Location, via.Hold.Location), outer.Key.Display, outer.Instance, "the one acquired via " + DescribePath(summary.Method, target, outer.Key));
        }
    }

    /// <summary>Keys held at a point of <paramref name="method"/>: held locally, plus held by every caller on entry.</summary>
    private HashSet<LockKey> HeldKeys(ImmutableArray<Hold> held, IMethodSymbol method)
    {
        HashSet<LockKey> keys = HeldKeys(held);
        if (_entry.TryGetValue(method, out HashSet<LockKey>? onEntry) && onEntry is not null)
        {
            keys.UnionWith(onEntry);
        }

        return keys;
    }

    private HashSet<LockKey> HeldKeys(ImmutableArray<Hold> held)
    {
        var keys = new HashSet<LockKey>();
        foreach (Hold hold in held)
        {
            if (_model.IsMutex(hold))
            {
                keys.Add(hold.Key);
            }
        }

        return keys;
    }

    private void AddEdge(LockKey from, LockKey to, EdgeOccurrence occurrence)
    {
        if (!_edges.TryGetValue((from, to), out EdgeInfo? edge))
        {
            edge = new EdgeInfo();
            _edges.Add((from, to), edge);
        }

        if (!edge.Seen.Add(occurrence.Location))
        {
            return;
        }

        if (edge.Occurrences.Count < MaxStoredOccurrences)
        {
            edge.Occurrences.Add(occurrence);
        }

        if (occurrence.IsTry)
        {
            return;
        }

        var gates = new HashSet<LockKey>(occurrence.Held);
        gates.Remove(from);
        if (edge.Gates is null)
        {
            edge.Gates = gates;
        }
        else
        {
            edge.Gates.IntersectWith(gates);
        }

        if (edge.FirstBlocking is null || CompareLocations(occurrence.Location, edge.FirstBlocking.Location) < 0)
        {
            edge.FirstBlocking = occurrence;
        }
    }

    // ----------------------------------------------------------------------------------------
    // OL0001: cycles
    // ----------------------------------------------------------------------------------------
    private void FindCycles()
    {
        // Nodes in a deterministic order; only blocking edges can close a deadlock.
        var nodes = _edges.Where(e => e.Value.FirstBlocking is not null)
            .SelectMany(e => new[] { e.Key.From, e.Key.To })
            .Distinct()
            .OrderBy(k => k.Display, StringComparer.Ordinal)
            .ThenBy(k => FirstLocationKey(k), StringComparer.Ordinal)
            .ToList();
        var index = new Dictionary<LockKey, int>();
        for (int i = 0; i < nodes.Count; i++)
        {
            index[nodes[i]] = i;
        }

        var successors = new List<int>[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            successors[i] = new List<int>();
        }

        foreach (KeyValuePair<(LockKey From, LockKey To), EdgeInfo> edge in _edges)
        {
            if (edge.Value.FirstBlocking is not null)
            {
                successors[index[edge.Key.From]].Add(index[edge.Key.To]);
            }
        }

        foreach (List<int> list in successors)
        {
            list.Sort();
        }

        int[] component = StronglyConnectedComponents(successors);
        int cycles = 0;
        int steps = 0;
        var path = new List<int>();
        var onPath = new bool[nodes.Count];
        var covered = new HashSet<int>();
        for (int start = 0; start < nodes.Count && cycles < MaxCycles && steps < MaxSearchSteps; start++)
        {
            path.Clear();
            path.Add(start);
            onPath[start] = true;
            Search(start, start);
            onPath[start] = false;
        }

        // Cycles longer than the enumeration bound (or beyond its step budget): one shortest cycle
        // per strongly connected component that has none yet, so a cycle of any length is reported.
        var firstOfComponent = new Dictionary<int, int>();
        for (int node = 0; node < nodes.Count; node++)
        {
            if (!firstOfComponent.ContainsKey(component[node]) && successors[node].Any(n => component[n] == component[node]))
            {
                firstOfComponent[component[node]] = node;
            }
        }

        foreach (KeyValuePair<int, int> entry in firstOfComponent.OrderBy(e => e.Value))
        {
            if (covered.Contains(entry.Key) || cycles >= MaxCycles)
            {
                continue;
            }

            List<int>? shortest = ShortestCycle(entry.Value, successors, component);
            if (shortest is not null)
            {
                ReportCycle(shortest.Select(i => nodes[i]).ToList());
                cycles++;
            }
        }

        void Search(int start, int node)
        {
            foreach (int next in successors[node])
            {
                if (cycles >= MaxCycles || ++steps > MaxSearchSteps)
                {
                    return;
                }

                if (next == start)
                {
                    ReportCycle(path.Select(i => nodes[i]).ToList());
                    covered.Add(component[start]);
                    cycles++;
                }
                else if (next > start && !onPath[next] && component[next] == component[start] && path.Count < MaxCycleLength)
                {
                    path.Add(next);
                    onPath[next] = true;
                    Search(start, next);
                    onPath[next] = false;
                    path.RemoveAt(path.Count - 1);
                }
            }
        }
    }

    private static List<int>? ShortestCycle(int start, List<int>[] successors, int[] component)
    {
        var parent = new Dictionary<int, int>();
        var queue = new Queue<int>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            int node = queue.Dequeue();
            foreach (int next in successors[node])
            {
                if (component[next] != component[start])
                {
                    continue;
                }

                if (next == start)
                {
                    var cycle = new List<int> { node };
                    while (cycle[cycle.Count - 1] != start)
                    {
                        cycle.Add(parent[cycle[cycle.Count - 1]]);
                    }

                    cycle.Reverse();
                    return cycle;
                }

                if (!parent.ContainsKey(next))
                {
                    parent[next] = node;
                    queue.Enqueue(next);
                }
            }
        }

        return null;
    }

    private string FirstLocationKey(LockKey key)
    {
        Location? location = key.Symbol.Locations.FirstOrDefault();
        return location is null ? string.Empty : (location.SourceTree?.FilePath ?? string.Empty) + ":" + location.SourceSpan.Start.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int[] StronglyConnectedComponents(List<int>[] successors)
    {
        // Iterative Tarjan: lock graphs are small, but generated code can make long chains.
        int count = successors.Length;
        int[] indexOf = Enumerable.Repeat(-1, count).ToArray();
        int[] low = new int[count];
        int[] component = Enumerable.Repeat(-1, count).ToArray();
        bool[] onStack = new bool[count];
        var stack = new Stack<int>();
        int nextIndex = 0;
        int nextComponent = 0;
        var callStack = new Stack<(int Node, int Child)>();
        for (int root = 0; root < count; root++)
        {
            if (indexOf[root] >= 0)
            {
                continue;
            }

            callStack.Push((root, 0));
            while (callStack.Count > 0)
            {
                (int node, int child) = callStack.Pop();
                if (child == 0)
                {
                    indexOf[node] = low[node] = nextIndex++;
                    stack.Push(node);
                    onStack[node] = true;
                }
                else
                {
                    int returned = successors[node][child - 1];
                    low[node] = Math.Min(low[node], low[returned]);
                }

                bool descended = false;
                for (int i = child; i < successors[node].Count; i++)
                {
                    int next = successors[node][i];
                    if (indexOf[next] < 0)
                    {
                        callStack.Push((node, i + 1));
                        callStack.Push((next, 0));
                        descended = true;
                        break;
                    }

                    if (onStack[next])
                    {
                        low[node] = Math.Min(low[node], indexOf[next]);
                    }
                }

                if (descended)
                {
                    continue;
                }

                if (low[node] == indexOf[node])
                {
                    int member;
                    do
                    {
                        member = stack.Pop();
                        onStack[member] = false;
                        component[member] = nextComponent;
                    }
                    while (member != node);
                    nextComponent++;
                }
            }
        }

        return component;
    }

    private void ReportCycle(List<LockKey> cycle)
    {
        var occurrences = new List<(LockKey From, LockKey To, EdgeOccurrence Occurrence)>();
        HashSet<LockKey>? gates = null;
        for (int i = 0; i < cycle.Count; i++)
        {
            LockKey from = cycle[i];
            LockKey to = cycle[(i + 1) % cycle.Count];
            EdgeInfo edge = _edges[(from, to)];
            occurrences.Add((from, to, edge.FirstBlocking!));
            if (gates is null)
            {
                gates = new HashSet<LockKey>(edge.Gates!);
            }
            else
            {
                gates.IntersectWith(edge.Gates!);
            }
        }

        // A gate lock held at every edge serialises the whole cycle: it cannot deadlock.
        gates!.ExceptWith(cycle);
        if (gates.Count > 0)
        {
            return;
        }

        var locations = occurrences.Select(o => o.Occurrence.Location).Distinct().OrderBy(l => l, LocationComparer.Instance).ToList();
        var text = new StringBuilder();
        text.Append(string.Join(" → ", cycle.Select(k => "'" + k.Display + "'"))).Append(" → '").Append(cycle[0].Display).Append('\'');
        foreach ((LockKey from, LockKey to, EdgeOccurrence occurrence) in occurrences)
        {
            text.Append("; '").Append(to.Display).Append("' while holding '").Append(from.Display).Append("' in ").Append(Display(occurrence.Method));
            if (occurrence.Callee is not null)
            {
                text.Append(" via ").Append(DescribePath(occurrence.Method, occurrence.Callee, to, top: true));
            }
        }

        AddFinding(RuleIdentifiers.InconsistentLockOrder, locations[0], locations.Skip(1).ToImmutableArray(), text.ToString());
    }

    // ----------------------------------------------------------------------------------------
    // OL0102 / OL0103: condition and monitor use without the lock
    // ----------------------------------------------------------------------------------------
    private void FindConditionMisuse()
    {
        Dictionary<IMethodSymbol, HashSet<LockKey>?> entry = _entry;
        foreach (MethodSummary summary in _summaries.Values)
        {
            foreach (ConditionUse use in summary.ConditionUses)
            {
                bool monitor = use.Kind is ConditionUseKind.MonitorWait or ConditionUseKind.MonitorPulse;
                LockKey? required = monitor
                    ? use.RequiredLock
                    : use.RequiredLock is not null && _model.ConditionLocks.TryGetValue(use.RequiredLock.Symbol, out LockKey? bound) ? bound : null;
                if (IsHeld(use.Held, required, monitor))
                {
                    continue;
                }

                HashSet<LockKey>? onEntry = entry.TryGetValue(summary.Method, out HashSet<LockKey>? set) ? set : null;
                if (onEntry is not null && (required is null ? onEntry.Count > 0 : onEntry.Contains(required)))
                {
                    continue;
                }

                string what = use.Location.SourceTree?.GetText().ToString(use.Location.SourceSpan) ?? use.Display;
                if (monitor)
                {
                    AddFinding(RuleIdentifiers.MonitorUsedWithoutLock, use.Location, ImmutableArray<Location>.Empty, use.Kind == ConditionUseKind.MonitorWait ? "Wait" : "Pulse", use.Display);
                }
                else
                {
                    AddFinding(RuleIdentifiers.ConditionUsedWithoutLock, use.Location, ImmutableArray<Location>.Empty, Shorten(what), required?.Display ?? "its lock");
                }
            }
        }
    }

    private static string Shorten(string text)
    {
        int paren = text.IndexOf('(');
        return paren > 0 ? text.Substring(0, paren) : text;
    }

    private bool IsHeld(ImmutableArray<Hold> held, LockKey? required, bool monitor)
    {
        foreach (Hold hold in held)
        {
            if (monitor && hold.Kind is not (HoldKind.Monitor or HoldKind.ThreadingLock))
            {
                continue;
            }

            if (required is null || hold.Key.Equals(required))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Locks held on entry to each method: the intersection, over every call site in the compilation,
    /// of the locks held there and on entry to the caller. Methods without known callers (entry points,
    /// methods used as delegates) start with nothing held. Greatest fixpoint: null means "not yet bounded".
    /// </summary>
    private Dictionary<IMethodSymbol, HashSet<LockKey>?> ComputeEntryHolds()
    {
        var incoming = new Dictionary<IMethodSymbol, List<(IMethodSymbol Caller, CallSite Call)>>(SymbolEqualityComparer.Default);
        foreach (MethodSummary summary in _summaries.Values)
        {
            foreach (CallSite call in summary.Calls)
            {
                foreach (IMethodSymbol target in Targets(call))
                {
                    if (!incoming.TryGetValue(target, out List<(IMethodSymbol, CallSite)>? list))
                    {
                        list = new List<(IMethodSymbol, CallSite)>();
                        incoming.Add(target, list);
                    }

                    list.Add((summary.Method, call));
                }
            }
        }

        var entry = new Dictionary<IMethodSymbol, HashSet<LockKey>?>(SymbolEqualityComparer.Default);
        foreach (IMethodSymbol method in _summaries.Keys)
        {
            bool root = !incoming.ContainsKey(method) || _model.EscapedMethods.ContainsKey(method);
            entry[method] = root ? new HashSet<LockKey>() : null;
        }

        // Worklist: re-evaluate a method when the entry set of one of its callers shrank.
        var callees = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
        foreach (KeyValuePair<IMethodSymbol, List<(IMethodSymbol Caller, CallSite Call)>> target in incoming)
        {
            foreach ((IMethodSymbol caller, CallSite _) in target.Value)
            {
                if (!callees.TryGetValue(caller, out List<IMethodSymbol>? list))
                {
                    list = new List<IMethodSymbol>();
                    callees.Add(caller, list);
                }

                list.Add(target.Key);
            }
        }

        var work = new Queue<IMethodSymbol>(incoming.Keys);
        var queued = new HashSet<IMethodSymbol>(incoming.Keys, SymbolEqualityComparer.Default);
        int budget = 32 * (incoming.Count + 1);
        while (work.Count > 0 && budget-- > 0)
        {
            IMethodSymbol method = work.Dequeue();
            queued.Remove(method);
            HashSet<LockKey>? current = entry.TryGetValue(method, out HashSet<LockKey>? c) ? c : null;
            if (current is { Count: 0 })
            {
                continue;
            }

            HashSet<LockKey>? result = null;
            foreach ((IMethodSymbol caller, CallSite call) in incoming[method])
            {
                HashSet<LockKey>? callerEntry = entry.TryGetValue(caller, out HashSet<LockKey>? e) ? e : new HashSet<LockKey>();
                if (callerEntry is null)
                {
                    continue;
                }

                if (callerEntry.Count == 0 && !HasMutex(call.Held))
                {
                    result = new HashSet<LockKey>();
                    break;
                }

                var atCall = new HashSet<LockKey>(callerEntry);
                atCall.UnionWith(HeldKeys(call.Held));
                if (result is null)
                {
                    result = atCall;
                }
                else
                {
                    result.IntersectWith(atCall);
                }

                if (result.Count == 0)
                {
                    break;
                }
            }

            if (result is not null && (current is null || !current.SetEquals(result)))
            {
                entry[method] = result;
                if (callees.TryGetValue(method, out List<IMethodSymbol>? next))
                {
                    foreach (IMethodSymbol callee in next)
                    {
                        if (queued.Add(callee))
                        {
                            work.Enqueue(callee);
                        }
                    }
                }
            }
        }

        return entry;
    }

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
