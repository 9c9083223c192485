using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Per-method lock summaries: the locks each method acquires, directly or through calls, to a fixed point over the call graph.</summary>
internal sealed partial class LockGraph
{
    // ----------------------------------------------------------------------------------------
    // Transitive acquisitions (per-method summaries combined over the compilation)
    // ----------------------------------------------------------------------------------------

    /// <summary>A lock as one method sees it: its key and the access path of its object in that method's frame.</summary>
    private readonly struct LockRef : IEquatable<LockRef>
    {
        public LockRef(LockKey key, AccessPath path)
        {
            Key = key;
            Path = key.IsStatic ? AccessPath.Static : path;
        }

        public LockKey Key { get; }

        public AccessPath Path { get; }

        public bool Equals(LockRef other) => Key.Equals(other.Key) && Path.Equals(other.Path);

        public override bool Equals(object? obj) => obj is LockRef other && Equals(other);

        public override int GetHashCode() => (Key.GetHashCode() * 397) ^ Path.GetHashCode();
    }

    // DerivesFrom memo: type → base type asked → answer. Nested by symbol rather than keyed by a
    // pair: a dictionary over a tuple is runtime generic code compiled in the compiler's process.
    private readonly Dictionary<INamedTypeSymbol, Dictionary<INamedTypeSymbol, bool>> _derives = new(SymbolEqualityComparer.Default);

    private static readonly List<int> s_noSuccessors = new(0);

    /// <summary>The published set of every method that acquires nothing (never written to).</summary>
    private static readonly AcquiredSet s_noneAcquired = new();

    /// <summary>How a method comes to acquire a lock: directly, or through a call.</summary>
    private sealed class AcquiredVia
    {
        public AcquiredVia(Hold hold, CallSite? call, IMethodSymbol? callee, bool onThis, bool isTry, AccessPath path, LockRef calleeRef, INamedTypeSymbol? thisType)
        {
            Hold = hold;
            Call = call;
            Callee = callee;
            OnThis = onThis;
            IsTry = isTry;
            Path = path;
            CalleeRef = calleeRef;
            ThisType = thisType;
        }

        /// <summary>The acquisition at the end of the chain.</summary>
        public Hold Hold { get; }

        public CallSite? Call { get; }

        public IMethodSymbol? Callee { get; }

        /// <summary>The acquired lock belongs to this method's own object (or is static).</summary>
        public bool OnThis { get; }

        public bool IsTry { get; }

        /// <summary>The lock's object in this method's frame.</summary>
        public AccessPath Path { get; }

        /// <summary>The same lock in the callee's frame (to follow the chain for messages).</summary>
        public LockRef CalleeRef { get; }

        /// <summary>
        /// The acquisition happens only when this method's <c>this</c> is of this type (it came through
        /// a virtual call on <c>this</c> dispatched to an override in a subclass); null: any.
        /// </summary>
        public INamedTypeSymbol? ThisType { get; }
    }

    /// <summary>
    /// The call graph over the methods with summaries, shared by both acquired-set passes: every
    /// call to a method with a summary, whether it is made while holding a lock, the methods each
    /// method calls and is called by, and the strongly connected components, callees first. Built
    /// once (it was built per pass, with the allocations of both).
    /// </summary>
    private sealed class CallGraph
    {
        public CallGraph(List<IMethodSymbol> methods, CallEdge[]?[] calls, List<int>[] successors, List<int>?[] callers)
        {
            Methods = methods;
            Calls = calls;
            Successors = successors;
            Callers = callers;
            (ComponentOf, Components) = ComponentsCalleesFirst(successors);
        }

        public List<IMethodSymbol> Methods { get; }

        /// <summary>Per method, its calls to methods with summaries (null: none).</summary>
        public CallEdge[]?[] Calls { get; }

        public List<int>[] Successors { get; }

        public List<int>?[] Callers { get; }

        public int[] ComponentOf { get; }

        public List<List<int>> Components { get; }
    }

    /// <summary>
    /// A call to a method with a summary, by the callee's index; Held: a lock is held at the call.
    /// Kept in arrays (a struct of this assembly: a list of tuples was runtime generic code compiled
    /// in the compiler's process, then run unoptimised).
    /// </summary>
    private readonly struct CallEdge
    {
        public CallEdge(CallSite call, int target, bool held)
        {
            Call = call;
            Target = target;
            Held = held;
        }

        public CallSite Call { get; }

        public int Target { get; }

        public bool Held { get; }

        public void Deconstruct(out CallSite call, out int target, out bool held)
        {
            call = Call;
            target = Target;
            held = Held;
        }
    }

    private static readonly CallEdge[] s_noCalls = new CallEdge[0];

    private CallGraph BuildCallGraph()
    {
        var methods = _summaries.Keys.ToList();
        var indexOf = new Dictionary<IMethodSymbol, int>(methods.Count, SymbolEqualityComparer.Default);
        for (int i = 0; i < methods.Count; i++)
        {
            indexOf[methods[i]] = i;
        }

        // A method's lists are made only when it has a call (most methods have none or few: one
        // empty list shared, never written, stands for none).
        var calls = new CallEdge[]?[methods.Count];
        var scratch = new CallEdge[16];
        var successors = new List<int>[methods.Count];
        var callers = new List<int>?[methods.Count];
        for (int i = 0; i < methods.Count; i++)
        {
            successors[i] = s_noSuccessors;
        }

        for (int i = 0; i < methods.Count; i++)
        {
            int count = 0;
            foreach (CallSite call in _summaries[methods[i]].Calls)
            {
                bool held = HasMutex(call.Held);
                foreach (IMethodSymbol target in Targets(call))
                {
                    if (indexOf.TryGetValue(target, out int t))
                    {
                        if (count == scratch.Length)
                        {
                            var larger = new CallEdge[count * 2];
                            Array.Copy(scratch, larger, count);
                            scratch = larger;
                        }

                        scratch[count++] = new CallEdge(call, t, held);
                        if (ReferenceEquals(successors[i], s_noSuccessors))
                        {
                            successors[i] = new List<int>();
                        }

                        successors[i].Add(t);
                        (callers[t] ??= new List<int>()).Add(i);
                    }
                }
            }

            if (count > 0)
            {
                var exact = new CallEdge[count];
                Array.Copy(scratch, exact, count);
                calls[i] = exact;
            }
        }

        return new CallGraph(methods, calls, successors, callers);
    }

    /// <summary>
    /// The locks each method acquires, directly or through calls, with each lock's object translated
    /// into the method's own frame (receiver and arguments substituted at every call). Computed
    /// callee-first over the strongly connected components of the call graph, and to a fixed point
    /// inside each component whatever its size (a worklist; sets only grow and are capped at
    /// <see cref="MaxAcquiredPerMethod"/>, paths are bounded, so it terminates). With
    /// <paramref name="topOnly"/>, only those acquired while holding nothing itself (the ones a
    /// caller's held locks come directly before; nested ones are ordered by the callee's own edges):
    /// calls made while holding a lock are then left out. <paramref name="keep"/> restricts the keys
    /// tracked.
    /// </summary>
    /// <remarks>
    /// The components are those of every call, also in the top-only pass: each of its components
    /// lies inside one of them, so the callee-first order still holds, and a component that is
    /// recursive only through left-out calls just iterates once more.
    /// </remarks>
    private void ComputeAcquired(CallGraph graph, Dictionary<IMethodSymbol, AcquiredSet> acquired, bool topOnly, Func<LockKey, bool>? keep)
    {
        List<IMethodSymbol> methods = graph.Methods;
        if (keep is not null && !AnyKeptAcquisition(topOnly, keep))
        {
            // No method acquires a tracked key itself, so none does through calls: every set is empty.
            foreach (IMethodSymbol method in methods)
            {
                acquired[method] = s_noneAcquired;
            }

            return;
        }

        // Only the sets the edges read are computed (BuildEdges reads the sets of the methods called
        // while a lock is held; a set is made from its callees' sets): a component none of those
        // methods reaches is skipped, and its members' sets are left out of `acquired` (read, they
        // would throw rather than pass for empty). Everything a method reaches is demanded with it
        // (a call the top-only pass does not follow is made under a lock, so its target is demanded
        // anyway), so a component is demanded whole or not at all. On NLog, 1,990 of 4,454 methods.
        bool[] demanded = Demanded(graph, topOnly);

        // A method that acquires nothing keeps a null set (most methods: one dictionary each was the
        // largest allocation of the graph); it is published as the shared empty set.
        var sets = new AcquiredSet?[methods.Count];
        var queued = new bool[methods.Count];
        int[] componentOf = graph.ComponentOf;
        List<List<int>> components = graph.Components;
        for (int c = 0; c < components.Count; c++)
        {
            // Membership of the component: componentOf[node] == c (no set per component).
            List<int> component = components[c];
            if (!demanded[component[0]])
            {
                continue;
            }

            foreach (int m in component)
            {
                AddDirect(ref sets[m], _summaries[methods[m]], topOnly, keep);
                if (graph.Calls[m] is not { } outgoingCalls)
                {
                    continue;
                }

                foreach ((CallSite call, int target, bool held) in outgoingCalls)
                {
                    if (componentOf[target] != c && !(topOnly && held))
                    {
                        Merge(ref sets[m], sets[target], call, methods[target]);
                    }
                }
            }

            if (component.Count == 1 && !graph.Successors[component[0]].Contains(component[0]))
            {
                continue;
            }

            // A recursive component of any size: a worklist to the fixed point (no collapsing). Each
            // member keeps a log of the entries of its set that changed; a call re-merges only the
            // callee's entries logged since that call last merged (an unchanged entry merges to the
            // same result), which keeps large recursive components from re-translating whole sets.
            var logs = new Dictionary<int, LockRefLog>();
            foreach (int m in component)
            {
                logs[m] = new LockRefLog(sets[m] is { } set ? set.Keys() : Array.Empty<LockRef>());
            }

            // How much of the callee's log each call of a member has merged (per member, by call index).
            var consumed = new Dictionary<int, int[]>();
            // The worklist: a ring over the component's members (each is queued at most once at a
            // time), and who is queued, by method index (shared by every component, left all false).
            int[] work = new int[component.Count];
            component.CopyTo(work);
            int head = 0;
            int queuedCount = component.Count;
            foreach (int member in component)
            {
                queued[member] = true;
            }

            while (queuedCount > 0)
            {
                int m = work[head];
                head = head + 1 == work.Length ? 0 : head + 1;
                queuedCount--;
                queued[m] = false;
                bool changed = false;
                CallEdge[] outgoing = graph.Calls[m] ?? s_noCalls;
                if (!consumed.TryGetValue(m, out int[]? merged))
                {
                    merged = new int[outgoing.Length];
                    consumed.Add(m, merged);
                }

                for (int k = 0; k < outgoing.Length; k++)
                {
                    (CallSite call, int target, bool held) = outgoing[k];
                    if (target == m || componentOf[target] != c || (topOnly && held))
                    {
                        continue;
                    }

                    LockRefLog log = logs[target];
                    int start = merged[k];
                    int end = log.Count;
                    if (start < end)
                    {
                        merged[k] = end;
                        changed |= Merge(ref sets[m], sets[target], call, methods[target], log, start, end, logs[m]);
                    }
                }

                if (changed)
                {
                    foreach (int caller in graph.Callers[m] ?? s_noSuccessors)
                    {
                        if (componentOf[caller] == c && !queued[caller])
                        {
                            queued[caller] = true;
                            int tail = head + queuedCount;
                            work[tail >= work.Length ? tail - work.Length : tail] = caller;
                            queuedCount++;
                        }
                    }
                }
            }
        }

        for (int i = 0; i < methods.Count; i++)
        {
            if (demanded[i])
            {
                acquired[methods[i]] = sets[i] ?? s_noneAcquired;
            }
        }
    }

    /// <summary>
    /// The methods whose acquired sets the edges read: every target of a call made while holding a
    /// lock, and every method those reach through the calls the pass follows (with
    /// <paramref name="topOnly"/>, not those made while holding a lock).
    /// </summary>
    private static bool[] Demanded(CallGraph graph, bool topOnly)
    {
        var demanded = new bool[graph.Methods.Count];
        // Each method is pushed once, when first demanded: an array holds the stack.
        int[] pending = new int[graph.Methods.Count];
        int top = 0;
        foreach (CallEdge[]? calls in graph.Calls)
        {
            foreach ((CallSite call, int target, bool _) in calls ?? s_noCalls)
            {
                if (!call.Held.IsEmpty && !demanded[target])
                {
                    demanded[target] = true;
                    pending[top++] = target;
                }
            }
        }

        while (top > 0)
        {
            foreach ((CallSite _, int callee, bool held) in graph.Calls[pending[--top]] ?? s_noCalls)
            {
                if (!(topOnly && held) && !demanded[callee])
                {
                    demanded[callee] = true;
                    pending[top++] = callee;
                }
            }
        }

        return demanded;
    }

    /// <summary>Some method acquires, itself, a lock <see cref="AddDirect"/> would keep.</summary>
    private bool AnyKeptAcquisition(bool topOnly, Func<LockKey, bool> keep)
    {
        foreach (MethodSummary summary in _summaries.Values)
        {
            foreach (Acquisition acquisition in summary.Acquisitions)
            {
                if (IsMutex(acquisition.Lock) && !(topOnly && HasMutex(acquisition.Held)) && keep(acquisition.Lock.Key))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private void AddDirect(ref AcquiredSet? set, MethodSummary summary, bool topOnly, Func<LockKey, bool>? keep)
    {
        foreach (Acquisition acquisition in summary.Acquisitions)
        {
            if (!IsMutex(acquisition.Lock) || (topOnly && HasMutex(acquisition.Held)) || (keep is not null && !keep(acquisition.Lock.Key)))
            {
                continue;
            }

            var reference = new LockRef(acquisition.Lock.Key, acquisition.Lock.ObjectPath);
            var via = new AcquiredVia(acquisition.Lock, null, null, acquisition.Lock.OnThis, acquisition.IsTry, reference.Path, reference, null);
            set ??= new AcquiredSet();
            if (!set.TryGetValue(reference, out AcquiredVia? existing))
            {
                if (set.Count < MaxAcquiredPerMethod)
                {
                    set.Set(reference, via);
                }
            }
            else if (existing.IsTry && !via.IsTry)
            {
                set.Set(reference, via);
            }
        }
    }

    /// <summary>Adds what <paramref name="callee"/> acquires (<paramref name="from"/>) to its caller's set, translated through <paramref name="call"/>.</summary>
    /// <remarks>
    /// With <paramref name="keys"/>, only the callee's entries <c>keys[start..end)</c> are merged (the
    /// ones that changed since this call last merged); every entry of <paramref name="into"/> that
    /// changes is appended to <paramref name="changedLog"/>.
    /// </remarks>
    private bool Merge(
        ref AcquiredSet? into,
        AcquiredSet? from,
        CallSite call,
        IMethodSymbol callee,
        LockRefLog? keys = null,
        int start = 0,
        int end = 0,
        LockRefLog? changedLog = null)
    {
        if (from is null || ReferenceEquals(into, from))
        {
            return false;
        }

        bool fields = _model.Settings.Identity == IdentityLevel.Fields;
        INamedTypeSymbol? dispatched = DispatchedType(call, callee);
        bool changed = false;
        if (keys is null)
        {
            // Sized once for the callee's set (it mostly arrives whole): growing entry by entry was
            // the largest allocation of the graph (its resizes copy every entry again).
            into ??= new AcquiredSet(Math.Min(from.Count, MaxAcquiredPerMethod));
            foreach (AcquiredEntry entry in from)
            {
                changed |= MergeEntry(ref into, entry.Key, entry.Value, call, callee, fields, dispatched, changedLog);
            }

            return changed;
        }

        for (int i = start; i < end; i++)
        {
            if (from.TryGetValue(keys[i], out AcquiredVia? value))
            {
                changed |= MergeEntry(ref into, keys[i], value, call, callee, fields, dispatched, changedLog);
            }
        }

        return changed;
    }

    private bool MergeEntry(
        ref AcquiredSet? into,
        LockRef key,
        AcquiredVia value,
        CallSite call,
        IMethodSymbol callee,
        bool fields,
        INamedTypeSymbol? dispatched,
        LockRefLog? changedLog)
    {
        var entry = new AcquiredEntry(key, value);
        // The callee's `this` constraint (and a dispatch below the receiver's static type) must fit the receiver.
        INamedTypeSymbol? constraint = entry.Value.ThisType ?? dispatched;
        INamedTypeSymbol? callerConstraint = null;
        if (constraint is not null && !fields)
        {
            ITypeSymbol? receiverType = call.ReceiverType;
            if (receiverType is not null && !CompatibleCached(constraint, receiverType))
            {
                return false;
            }

            if (call.ReceiverPath.Root == PathRoot.This && call.ReceiverPath.Members.IsEmpty
                && receiverType is INamedTypeSymbol callerType && DerivesFromCached(constraint, callerType) && !SymbolEqualityComparer.Default.Equals(constraint, callerType))
            {
                callerConstraint = constraint;
            }
        }

        AccessPath path = entry.Key.Key.IsStatic ? AccessPath.Static : call.Translate(entry.Key.Path);
        if (path.Root == PathRoot.Fresh && !fields)
        {
            // A lock of an object the caller has just created: no other flow can hold it yet.
            return false;
        }

        var reference = new LockRef(entry.Key.Key, fields ? AccessPath.Unknown : path);
        bool onThis = entry.Key.Key.IsStatic || (entry.Value.OnThis && call.Receiver == CallReceiver.This);
        into ??= new AcquiredSet();
        if (!into.TryGetValue(reference, out AcquiredVia? existing))
        {
            if (into.Count >= MaxAcquiredPerMethod)
            {
                return false;
            }
        }
        else if (!(existing.IsTry && !entry.Value.IsTry) && !(onThis && !existing.OnThis && existing.Callee is not null)
            && !(existing.ThisType is not null && callerConstraint is null))
        {
            return false;
        }

        into.Set(reference, new AcquiredVia(entry.Value.Hold, call, callee, onThis, entry.Value.IsTry, reference.Path, entry.Key, callerConstraint));
        changedLog?.Add(reference);
        return true;
    }

    /// <summary>The entry's <c>this</c>-type constraint (or the override's type the call dispatched to) fits the call's receiver.</summary>
    private static bool FitsReceiver(CallSite call, IMethodSymbol callee, AcquiredVia via)
    {
        INamedTypeSymbol? constraint = via.ThisType ?? DispatchedType(call, callee);
        return constraint is null || call.ReceiverType is null || Compatible(constraint, call.ReceiverType);
    }

    /// <summary>For a virtual call resolved to an override below the receiver's static type: that override's type.</summary>
    private static INamedTypeSymbol? DispatchedType(CallSite call, IMethodSymbol callee)
    {
        if (call.Target is null || SymbolEqualityComparer.Default.Equals(call.Target, callee) || callee.ContainingType is null)
        {
            return null;
        }

        return call.ReceiverType is INamedTypeSymbol receiver && !SymbolEqualityComparer.Default.Equals(receiver.OriginalDefinition, callee.ContainingType.OriginalDefinition)
            ? callee.ContainingType.OriginalDefinition
            : null;
    }

    /// <summary>An object of static type <paramref name="receiver"/> can be a <paramref name="constraint"/>.</summary>
    private static bool Compatible(INamedTypeSymbol constraint, ITypeSymbol receiver)
        => receiver is not INamedTypeSymbol named || named.TypeKind == TypeKind.Interface || constraint.TypeKind == TypeKind.Interface
            || DerivesFrom(constraint, named) || DerivesFrom(named, constraint);

    /// <summary><see cref="Compatible"/>, memoised: merges ask it for the same pairs of types again and again.</summary>
    private bool CompatibleCached(INamedTypeSymbol constraint, ITypeSymbol receiver)
        => receiver is not INamedTypeSymbol named || named.TypeKind == TypeKind.Interface || constraint.TypeKind == TypeKind.Interface
            || DerivesFromCached(constraint, named) || DerivesFromCached(named, constraint);

    /// <summary><see cref="DerivesFrom"/>, memoised per pair of types.</summary>
    private bool DerivesFromCached(INamedTypeSymbol type, INamedTypeSymbol baseType)
    {
        // The acquired-set passes run side by side (Build): the memo is shared under a lock.
        bool result;
        Dictionary<INamedTypeSymbol, bool>? answers;
        lock (_derives)
        {
            if (_derives.TryGetValue(type, out answers) && answers.TryGetValue(baseType, out result))
            {
                return result;
            }
        }

        result = DerivesFrom(type, baseType);
        lock (_derives)
        {
            if (!_derives.TryGetValue(type, out answers))
            {
                answers = new Dictionary<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);
                _derives.Add(type, answers);
            }

            answers[baseType] = result;
        }

        return result;
    }

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol baseType)
    {
        for (INamedTypeSymbol? t = type.OriginalDefinition; t is not null; t = t.BaseType?.OriginalDefinition)
        {
            if (SymbolEqualityComparer.Default.Equals(t, baseType.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Strongly connected components, each emitted after every component it calls (iterative Tarjan).</summary>
    private static (int[] ComponentOf, List<List<int>> Components) ComponentsCalleesFirst(List<int>[] successors)
    {
        int[] component = StronglyConnectedComponents(successors);
        int count = 0;
        foreach (int c in component)
        {
            count = Math.Max(count, c + 1);
        }

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
        return (component, result);
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

    private bool IsMutex(Hold hold)
    {
        if (hold.Key.Kind == LockKeyKind.Local)
        {
            return false;
        }

        if (hold.Kind != HoldKind.Semaphore)
        {
            return true;
        }

        // Read by the passes Build runs side by side: the memo is shared under a lock.
        bool mutex;
        lock (_semaphoreIsMutex)
        {
            if (_semaphoreIsMutex.TryGetValue(hold.Key, out mutex))
            {
                return mutex;
            }
        }

        mutex = _model.IsMutex(hold);
        lock (_semaphoreIsMutex)
        {
            _semaphoreIsMutex[hold.Key] = mutex;
        }

        return mutex;
    }

    private int? RankOf(LockKey key)
    {
        // Two memos, not one of int?: a dictionary of int? is runtime generic code compiled in the compiler's process.
        if (_ranks.TryGetValue(key, out int known))
        {
            return known;
        }

        if (_unranked.Contains(key))
        {
            return null;
        }

        int? rank = _model.GetDeclaredRank(key);
        if (rank is { } value)
        {
            _ranks[key] = value;
        }
        else
        {
            _unranked.Add(key);
        }

        return rank;
    }

    private bool HasMutex(ImmutableArray<Hold> held)
    {
        foreach (Hold hold in held)
        {
            if (IsMutex(hold))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"A() → B() → C()" from a call in <paramref name="caller"/> to where <paramref name="lockRef"/> (in the callee's frame) is acquired.</summary>
    private string DescribePath(IMethodSymbol caller, IMethodSymbol callee, LockRef lockRef, bool top = false)
    {
        Dictionary<IMethodSymbol, AcquiredSet> acquired = top ? _topAcquired : _acquired;
        var builder = new StringBuilder(Display(caller));
        IMethodSymbol current = callee;
        LockRef reference = lockRef;
        for (int step = 0; step < MaxPathSteps; step++)
        {
            builder.Append(" → ").Append(Display(current));
            if (!acquired.TryGetValue(current, out AcquiredSet? map)
                || !map.TryGetValue(reference, out AcquiredVia? via) || via.Callee is null)
            {
                break;
            }

            current = via.Callee;
            reference = via.CalleeRef;
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
}
