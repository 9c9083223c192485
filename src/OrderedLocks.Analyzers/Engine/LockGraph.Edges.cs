using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Lock-order edges, and the findings made while building them (OL0002, OL0003 through calls, OL0006).</summary>
internal sealed partial class LockGraph
{
    // ----------------------------------------------------------------------------------------
    // Lock-order edges
    // ----------------------------------------------------------------------------------------
    private sealed class EdgeOccurrence
    {
        public EdgeOccurrence(Location location, IMethodSymbol method, IMethodSymbol? callee, bool isTry, HashSet<LockKey> held, Relation relation, LockRef calleeRef)
        {
            Relation = relation;
            CalleeRef = calleeRef;
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

        /// <summary>How the acquired lock's object relates to the held lock's object.</summary>
        public Relation Relation { get; }

        /// <summary>For an edge through a call: the acquired lock in the callee's frame.</summary>
        public LockRef CalleeRef { get; }

        public bool IsTry { get; }

        public HashSet<LockKey> Held { get; }
    }

    private sealed class EdgeInfo
    {
        public List<EdgeOccurrence> Occurrences { get; } = new();

        public HashSet<(Location, Relation)> Seen { get; } = new();

        /// <summary>The first blocking occurrence of each object relation seen on this edge.</summary>
        public Dictionary<Relation, EdgeOccurrence> Relations { get; } = new();

        /// <summary>Locks (other than the edge's own source) held at every blocking occurrence: candidate gate locks.</summary>
        public HashSet<LockKey>? Gates { get; set; }

        public EdgeOccurrence? FirstBlocking { get; set; }
    }

    private void BuildEdges()
    {
        bool fields = _model.Settings.Identity == IdentityLevel.Fields;
        foreach (MethodSummary summary in _summaries.Values)
        {
            foreach (Acquisition acquisition in summary.Acquisitions)
            {
                if (acquisition.Held.IsEmpty || !IsMutex(acquisition.Lock))
                {
                    continue;
                }

                Hold inner = acquisition.Lock;
                if (IsReentry(acquisition.Held, inner.Key, inner.ObjectPath, fields))
                {
                    // Taking a lock the flow already holds further out adds no order (lockdep's rule);
                    // a non-reentrant one is a self-deadlock (OL0006).
                    foreach (Hold outer in acquisition.Held)
                    {
                        if (outer.Key.Equals(inner.Key) && IsMutex(outer) && (outer.Key.IsStatic || outer.Instance == inner.Instance) && !inner.IsReentrant && !acquisition.IsTry)
                        {
                            AddFinding(RuleIdentifiers.NonReentrantReacquisition, inner.Location, ImmutableArray.Create(outer.Location), inner.Key.Display, string.Empty);
                            break;
                        }
                    }

                    continue;
                }

                HashSet<LockKey>? held = null;
                int innermost = InnermostBlocking(acquisition.Held);
                for (int i = 0; i < acquisition.Held.Length; i++)
                {
                    Hold outer = acquisition.Held[i];
                    if (!IsMutex(outer) || outer.Key.Equals(inner.Key))
                    {
                        continue;
                    }

                    CheckRank(outer.Key, inner.Key, inner.Location, null);
                    if (i >= innermost)
                    {
                        held ??= HeldKeys(acquisition.Held, summary.Method);
                        Relation relation = fields ? Relation.Same : Relation.Between(outer.Key, outer.ObjectPath, inner.Key, inner.ObjectPath);
                        relation = HeldFurtherOutOnTheSameObject(acquisition.Held, outer, inner.Key, inner.ObjectPath, fields) ? Relation.Other : relation;
                        AddEdge(outer.Key, inner.Key, new EdgeOccurrence(inner.Location, summary.Method, null, acquisition.IsTry, held, relation, default));
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
                    AcquiredSet all = _acquired[target];
                    foreach (Hold outer in call.Held)
                    {
                        if (!IsMutex(outer))
                        {
                            continue;
                        }

                        AcquiredVia? again = null;
                        foreach (AcquiredEntry entry in all)
                        {
                            if (entry.Key.Key.Equals(outer.Key) && (again is null || (entry.Value.OnThis && !again.OnThis)))
                            {
                                again = entry.Value;
                            }
                        }

                        if (again is not null)
                        {
                            CheckSelfThroughCall(summary, call, target, outer, again);
                        }

                        if (RankOf(outer.Key) is not null)
                        {
                            foreach (AcquiredEntry entry in all)
                            {
                                if (!entry.Key.Key.Equals(outer.Key))
                                {
                                    LockRef reference = entry.Key;
                                    CheckRank(outer.Key, reference.Key, call.Location, () => DescribePath(summary.Method, target, reference));
                                }
                            }
                        }
                    }

                    foreach (AcquiredEntry entry in _topAcquired[target])
                    {
                        LockKey innerKey = entry.Key.Key;
                        if (!fields && !FitsReceiver(call, target, entry.Value))
                        {
                            // Acquired only by an override the receiver cannot be (class-hierarchy analysis).
                            continue;
                        }

                        AccessPath innerPath = entry.Key.Key.IsStatic ? AccessPath.Static : call.Translate(entry.Key.Path);
                        if (!fields && innerPath.Root == PathRoot.Fresh)
                        {
                            continue;
                        }

                        if (IsReentry(call.Held, innerKey, innerPath, fields) || IsHeldOnEntry(summary.Method, innerKey, innerPath, fields))
                        {
                            continue;
                        }

                        for (int i = innermost; i < call.Held.Length; i++)
                        {
                            Hold outer = call.Held[i];
                            if (!IsMutex(outer) || outer.Key.Equals(innerKey))
                            {
                                continue;
                            }

                            held ??= HeldKeys(call.Held, summary.Method);
                            Relation relation = fields ? Relation.Same : Relation.Between(outer.Key, outer.ObjectPath, innerKey, innerPath);
                            relation = HeldFurtherOutOnTheSameObject(call.Held, outer, innerKey, innerPath, fields) ? Relation.Other : relation;
                            AddEdge(outer.Key, innerKey, new EdgeOccurrence(call.Location, summary.Method, target, entry.Value.IsTry, held, relation, entry.Key));
                        }
                    }
                }
            }
        }

        BuildParameterBoundEdges(fields);
    }

    /// <summary>
    /// The lock (<paramref name="key"/> on the object <paramref name="path"/>) is already held in
    /// <paramref name="held"/> on the same object (or one whose identity cannot be told apart): re-entry.
    /// </summary>
    private bool IsReentry(ImmutableArray<Hold> held, LockKey key, AccessPath path, bool fields)
    {
        foreach (Hold outer in held)
        {
            if (!outer.Key.Equals(key) || !IsMutex(outer))
            {
                continue;
            }

            if (fields || key.IsStatic)
            {
                return true;
            }

            RelationKind relation = Relation.Between(outer.Key, outer.ObjectPath, key, path).Kind;
            if (relation is RelationKind.Same or RelationKind.Global)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The acquired key is already held further out on the object of <paramref name="outer"/> (the
    /// innermost held lock), and is now taken on an object not known to be that one
    /// (<c>lock (this.sync) { lock (this.list) { lock (item.Owner.sync) } }</c>). Either it is that
    /// object (a re-entry: no order at all) or another one; and then the edge's object is known NOT to
    /// be <paramref name="outer"/>'s: <see cref="RelationKind.Other"/>, which cannot close a cycle whose
    /// way back is on one object (<c>this.sync → this.list</c>). Re-entries were excluded before.
    /// </summary>
    private bool HeldFurtherOutOnTheSameObject(ImmutableArray<Hold> held, Hold outer, LockKey key, AccessPath path, bool fields)
    {
        if (fields || key.IsStatic)
        {
            return false;
        }

        foreach (Hold earlier in held)
        {
            if (ReferenceEquals(earlier, outer) || !earlier.Key.Equals(key) || !IsMutex(earlier))
            {
                continue;
            }

            if (Relation.Between(outer.Key, outer.ObjectPath, earlier.Key, earlier.ObjectPath).Kind == RelationKind.Same
                && Relation.Between(earlier.Key, earlier.ObjectPath, key, path).Kind != RelationKind.Same)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every caller holds the lock (on this method's own object, or a static lock) when calling <paramref name="method"/>: re-entry.</summary>
    private bool IsHeldOnEntry(IMethodSymbol method, LockKey key, AccessPath path, bool fields)
        => (key.IsStatic || (path.Root == PathRoot.This && path.Members.IsEmpty && IsOwnField(key, method)))
            && _entry.TryGetValue(method, out HashSet<LockKey>? onEntry) && onEntry is not null && onEntry.Contains(key);

    /// <summary>The lock is a field of <paramref name="method"/>'s own class (or a base): callers holding it on entry most likely hold this object's.</summary>
    private static bool IsOwnField(LockKey key, IMethodSymbol method)
        => key.Symbol.ContainingType is INamedTypeSymbol owner && method.ContainingType is INamedTypeSymbol type && DerivesFrom(type, owner);

    /// <summary>
    /// Index of the most recently acquired blocking hold. Order edges come from it (and from try-holds
    /// taken after it) only: edges from locks held further out are implied by the nesting (lockdep's
    /// rule), and adding them would report one deadlock as several overlapping cycles.
    /// </summary>
    private int InnermostBlocking(ImmutableArray<Hold> held)
    {
        for (int i = held.Length - 1; i >= 0; i--)
        {
            if (!held[i].IsTry && IsMutex(held[i]))
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
                AddFinding(RuleIdentifiers.NonReentrantReacquisition, call.Location, ImmutableArray.Create(outer.Location, via.Hold.Location), outer.Key.Display, " (via " + DescribePath(summary.Method, target, ReferenceOf(target, via)) + ")");
            }

            return;
        }

        // Another object's lock of the same field, reached through a call on a parameter or local
        // (account.Transfer(other) → other.Deposit()): two instances nested without an order.
        if (via.OnThis && call.Receiver == CallReceiver.ParameterOrLocal)
        {
            AddFinding(RuleIdentifiers.SameFieldInstancesNested, call.Location, ImmutableArray.Create(outer.Location, via.Hold.Location), outer.Key.Display, outer.Instance, "the one acquired via " + DescribePath(summary.Method, target, ReferenceOf(target, via)));
        }
    }

    private LockRef ReferenceOf(IMethodSymbol method, AcquiredVia via)
    {
        foreach (AcquiredEntry entry in _acquired[method])
        {
            if (ReferenceEquals(entry.Value, via))
            {
                return entry.Key;
            }
        }

        return new LockRef(via.Hold.Key, via.Path);
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
            if (IsMutex(hold))
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

        if (!edge.Seen.Add((occurrence.Location, occurrence.Relation)))
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

        if (edge.Gates is null)
        {
            edge.Gates = new HashSet<LockKey>(occurrence.Held);
            edge.Gates.Remove(from);
        }
        else if (edge.Gates.Count > 0)
        {
            edge.Gates.IntersectWith(occurrence.Held);
        }

        if (occurrence.Relation.Kind == RelationKind.Fresh)
        {
            // A fresh object's lock: held by nobody else, it closes no cycle.
            return;
        }

        if (!edge.Relations.TryGetValue(occurrence.Relation, out EdgeOccurrence? first) || CompareLocations(occurrence.Location, first.Location) < 0)
        {
            if (first is not null || edge.Relations.Count < MaxRelationsPerEdge)
            {
                edge.Relations[occurrence.Relation] = occurrence;
            }
        }

        if (edge.FirstBlocking is null || CompareLocations(occurrence.Location, edge.FirstBlocking.Location) < 0)
        {
            edge.FirstBlocking = occurrence;
        }
    }
}
