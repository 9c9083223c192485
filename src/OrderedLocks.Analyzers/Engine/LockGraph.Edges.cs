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
                if (acquisition.Held.IsEmpty || !IsMutex(acquisition.Lock))
                {
                    continue;
                }

                HashSet<LockKey>? held = null;
                int innermost = InnermostBlocking(acquisition.Held);
                for (int i = 0; i < acquisition.Held.Length; i++)
                {
                    Hold outer = acquisition.Held[i];
                    if (!IsMutex(outer))
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
                        if (!IsMutex(outer))
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
                            if (!IsMutex(outer) || outer.Key.Equals(entry.Key))
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

        if (edge.Gates is null)
        {
            edge.Gates = new HashSet<LockKey>(occurrence.Held);
            edge.Gates.Remove(from);
        }
        else if (edge.Gates.Count > 0)
        {
            edge.Gates.IntersectWith(occurrence.Held);
        }

        if (edge.FirstBlocking is null || CompareLocations(occurrence.Location, edge.FirstBlocking.Location) < 0)
        {
            edge.FirstBlocking = occurrence;
        }
    }
}
