using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>OL0001: cycles of the lock-order graph, and their report.</summary>
internal sealed partial class LockGraph
{
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

    /// <summary>
    /// The occurrence that shows an edge in a report: the first whose objects are named (so the
    /// message does not point at, say, a fresh object's call that cannot close the cycle when another
    /// occurrence of the same edge does); the first blocking one when none is.
    /// </summary>
    private static EdgeOccurrence Witness(EdgeInfo edge)
    {
        EdgeOccurrence? best = null;
        foreach (KeyValuePair<Relation, EdgeOccurrence> entry in edge.Relations)
        {
            if (entry.Key.Kind is not (RelationKind.Unknown or RelationKind.Other)
                && (best is null || CompareLocations(entry.Value.Location, best.Location) < 0))
            {
                best = entry.Value;
            }
        }

        return best ?? edge.FirstBlocking!;
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
            occurrences.Add((from, to, Witness(edge)));
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

        // Only a cycle that one set of objects can close is a deadlock (not a wrapper's lock then
        // the wrapped object's lock of the same field, not a fresh object's).
        var relations = new List<IEnumerable<Relation>>(cycle.Count);
        for (int i = 0; i < cycle.Count; i++)
        {
            relations.Add(_edges[(cycle[i], cycle[(i + 1) % cycle.Count])].Relations.Keys);
        }

        if (!CycleFeasibility.CanClose(relations, cycle.Any(k => k.IsStatic), _model.Settings.Identity))
        {
            return;
        }

        var locations = occurrences.Select(o => o.Occurrence.Location).Distinct().OrderBy(l => l, LocationComparer.Instance).ToList();
        var text = new StringBuilder();
        if (cycle.Count > MaxDescribedEdges)
        {
            text.Append(cycle.Count).Append(" locks: ");
        }

        text.Append(string.Join(" → ", cycle.Take(MaxDescribedEdges).Select(k => "'" + k.Display + "'")));
        text.Append(cycle.Count > MaxDescribedEdges ? " → … → '" : " → '").Append(cycle[0].Display).Append('\'');
        int described = 0;
        foreach ((LockKey from, LockKey to, EdgeOccurrence occurrence) in occurrences)
        {
            if (++described > MaxDescribedEdges)
            {
                text.Append("; … ").Append(occurrences.Count - MaxDescribedEdges).Append(" more edges");
                break;
            }

            text.Append("; '").Append(to.Display).Append("' while holding '").Append(from.Display).Append("' in ").Append(Display(occurrence.Method));
            if (occurrence.Callee is not null)
            {
                text.Append(" via ").Append(DescribePath(occurrence.Method, occurrence.Callee, occurrence.CalleeRef, top: true));
            }
        }

        // Suppression where users expect it: a #pragma or [SuppressMessage] at ANY edge site of the
        // cycle (either method) silences the whole cycle. The cycle is then reported only at the
        // suppressed sites, where the compiler suppresses it (and marker checks still see it).
        List<Location> suppressed = occurrences
            .Where(o => _suppressions.IsSuppressed(RuleIdentifiers.InconsistentLockOrder, o.Occurrence.Location, o.Occurrence.Method))
            .Select(o => o.Occurrence.Location)
            .Distinct()
            .OrderBy(l => l, LocationComparer.Instance)
            .ToList();
        if (suppressed.Count > 0)
        {
            foreach (Location site in suppressed)
            {
                AddFinding(RuleIdentifiers.InconsistentLockOrder, site, locations.Where(l => l != site).ToImmutableArray(), text.ToString());
            }

            return;
        }

        AddFinding(RuleIdentifiers.InconsistentLockOrder, locations[0], locations.Skip(1).ToImmutableArray(), text.ToString());
    }
}
