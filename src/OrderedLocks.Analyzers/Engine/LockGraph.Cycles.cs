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
        // (Loops over the edges, not Where and SelectMany: iterators over a dictionary keyed by a
        // tuple are runtime generic code compiled in the compiler's process, for every build.)
        var blockingEnds = new List<LockKey>();
        foreach (KeyValuePair<(LockKey From, LockKey To), EdgeInfo> edge in _edges)
        {
            if (edge.Value.FirstBlocking is not null)
            {
                blockingEnds.Add(edge.Key.From);
                blockingEnds.Add(edge.Key.To);
            }
        }

        var nodes = blockingEnds
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
        // The first node (in node order) of each component with a cycle inside it.
        var seenComponents = new HashSet<int>();
        var firstNodes = new List<int>();
        for (int node = 0; node < nodes.Count; node++)
        {
            if (!seenComponents.Contains(component[node]) && HasSuccessorIn(successors[node], component, component[node]))
            {
                seenComponents.Add(component[node]);
                firstNodes.Add(node);
            }
        }

        foreach (int first in firstNodes)
        {
            if (covered.Contains(component[first]) || cycles >= MaxCycles)
            {
                continue;
            }

            List<int>? shortest = ShortestCycle(first, successors, component);
            if (shortest is not null)
            {
                ReportCycle(NodesAt(shortest, nodes));
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
                    ReportCycle(NodesAt(path, nodes));
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

    private static bool HasSuccessorIn(List<int> successors, int[] component, int wanted)
    {
        foreach (int next in successors)
        {
            if (component[next] == wanted)
            {
                return true;
            }
        }

        return false;
    }

    private static List<LockKey> NodesAt(List<int> indices, List<LockKey> nodes)
    {
        var result = new List<LockKey>(indices.Count);
        foreach (int i in indices)
        {
            result.Add(nodes[i]);
        }

        return result;
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
        // Iterative Tarjan: lock graphs are small, but generated code can make long chains. Its
        // stacks are arrays: the runtime's Stack<int> and Stack<(int, int)> are compiled at run time
        // in the compiler's process (they are not in any precompiled image), then run unoptimised.
        int count = successors.Length;
        int[] indexOf = new int[count];
        int[] component = new int[count];
        for (int i = 0; i < count; i++)
        {
            indexOf[i] = -1;
            component[i] = -1;
        }

        int[] low = new int[count];
        bool[] onStack = new bool[count];
        int[] stack = new int[count];
        int stackTop = 0;
        int nextIndex = 0;
        int nextComponent = 0;

        // The walk's own stack of (node, next child to visit): each node is on it at most once.
        int[] callNode = new int[count];
        int[] callChild = new int[count];
        for (int root = 0; root < count; root++)
        {
            if (indexOf[root] >= 0)
            {
                continue;
            }

            int callTop = 0;
            callNode[callTop] = root;
            callChild[callTop] = 0;
            callTop++;
            while (callTop > 0)
            {
                callTop--;
                int node = callNode[callTop];
                int child = callChild[callTop];
                if (child == 0)
                {
                    indexOf[node] = low[node] = nextIndex++;
                    stack[stackTop++] = node;
                    onStack[node] = true;
                }
                else
                {
                    int returned = successors[node][child - 1];
                    low[node] = Math.Min(low[node], low[returned]);
                }

                bool descended = false;
                List<int> next = successors[node];
                for (int i = child; i < next.Count; i++)
                {
                    int target = next[i];
                    if (indexOf[target] < 0)
                    {
                        // The node goes back under its child: still at most one entry per node.
                        callNode[callTop] = node;
                        callChild[callTop] = i + 1;
                        callTop++;
                        callNode[callTop] = target;
                        callChild[callTop] = 0;
                        callTop++;
                        descended = true;
                        break;
                    }

                    if (onStack[target])
                    {
                        low[node] = Math.Min(low[node], indexOf[target]);
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
                        member = stack[--stackTop];
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
