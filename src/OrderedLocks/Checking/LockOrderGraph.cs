using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;

namespace OrderedLocks.Checking;

/// <summary>
/// The learned lock order (lockdep-style): one process-wide directed graph whose edge A → B means
/// "B was acquired while A was held". An acquisition that would add an edge closing a cycle is a
/// potential deadlock, reported with where every edge of the cycle was first seen.
/// </summary>
/// <remarks>
/// <para>Nodes. A lock created with a <see cref="LockClass"/> is represented by its class's node,
/// except towards members of its own class, where its own node is used (so members taken in the
/// global order by AcquireAll form no cycle, and two members nested by hand in both orders are
/// reported). Any other lock has a node of its own. Only the owner (the lock, or the class
/// object) holds its node strongly; the graph refers to nodes only as keys of
/// <see cref="ConditionalWeakTable{TKey, TValue}"/>s, so a collected lock's node and every edge
/// into or out of it disappear with it, and a report can only name locks that are alive or, for an
/// edge between classes, the members it was first seen with. Live memory is therefore bounded by
/// the live locks and the classes, not by how many locks were ever created.</para>
/// <para>Per acquisition. A known edge is found through four hint slots (target node ids,
/// never reused) and, on a miss, one hash lookup in the source node's edge table: constant
/// expected time whatever the node's degree. A new edge is published in the source's table
/// first and then searched back from the target (breadth-first over the live nodes reachable
/// from it); no global gate is taken. Each table is linearizable (its own short internal lock),
/// so of two or more edges added concurrently that close a cycle, the search of the last one
/// published sees all the others: a cycle is never missed, and it is reported once (an earlier
/// edge's search leaves it to a later one that has not decided yet or has reported it). An edge
/// is used by the fast path only once its own search found no cycle (it is then
/// <em>confirmed</em>); with <see cref="LockViolationAction.Throw"/> an edge whose search found a
/// cycle is removed again, so the same bad acquisition fails every time.</para>
/// </remarks>
internal static class LockOrderGraph
{
    // Advanced by Reset; a node whose epoch differs has no edges (reset lazily, on its next edge).
    private static int s_epoch;
    private static int s_edgeCount;
    private static int s_lastNodeId;

    // Numbers new edges in the order their searches start (see OnNewEdge).
    private static long s_lastSequence;

    // Nodes with a confirmed edge, weakly (a collected lock's node drops out), for Diagnostics' graph export.
    private static readonly ConditionalWeakTable<LockGraphNode, object?> s_sources = new();

    internal static int EdgeCount => Volatile.Read(ref s_edgeCount);

    internal static int Epoch => Volatile.Read(ref s_epoch);

    internal static int NextNodeId() => Interlocked.Increment(ref s_lastNodeId);

    internal static void Reset()
    {
        Interlocked.Increment(ref s_epoch);
        Interlocked.Exchange(ref s_edgeCount, 0);
        s_sources.Clear();
    }

    /// <summary>
    /// Records that <paramref name="to"/> is being acquired while <paramref name="from"/> is held.
    /// Returns a violation when the new edge closes a cycle, otherwise null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static LockOrderViolation? OnAcquire(OrderedLockBase from, OrderedLockBase to, ReadOnlySpan<OrderedLockBase> alsoHeld)
    {
        LockClass? fromClass = from.LockClass;
        LockClass? toClass = to.LockClass;
        bool sameClass = fromClass is not null && ReferenceEquals(fromClass, toClass);
        LockGraphNode source = sameClass || fromClass is null ? from.InstanceNode : fromClass.Node;
        LockGraphNode target = sameClass || toClass is null ? to.InstanceNode : toClass.Node;
        return source.HasConfirmedEdgeTo(target, Epoch) ? null : OnNewEdge(source, target, from, to, alsoHeld);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LockOrderViolation? OnNewEdge(LockGraphNode source, LockGraphNode target, OrderedLockBase from, OrderedLockBase to, ReadOnlySpan<OrderedLockBase> alsoHeld)
    {
        int epoch = Epoch;
        ConditionalWeakTable<LockGraphNode, LockGraphEdge> edges = source.EdgesForAdd(epoch);

        // The stack is captured before publishing (the first capture with file information loads
        // symbols: hundreds of ms). Two threads racing on the same new edge both capture; the
        // second one's stack is only used if it has to report.
        var edge = new LockGraphEdge(LockDescription.Of(from), LockDescription.Of(to), Environment.CurrentManagedThreadId, new StackTrace(1, true));
        bool added;
        while (true)
        {
            if (edges.TryAdd(target, edge))
            {
                added = true;
                break;
            }

            if (edges.TryGetValue(target, out LockGraphEdge? existing))
            {
                if (existing.IsConfirmed)
                {
                    source.Remember(target);
                    return null;
                }

                // Another thread is checking the same new edge right now: check it as well.
                added = false;
                break;
            }

            // Removed again in between (its search found a cycle): try to add it once more.
        }

        // Publish, then take a sequence number (a full fence), then search: of the edges closing
        // one cycle concurrently, the one with the highest number sees all the others.
        long sequence = Interlocked.Increment(ref s_lastSequence);
        if (added)
        {
            edge.Sequence = sequence;
        }

        List<PathStep>? pathBack = FindPath(target, source, epoch);
        if (pathBack is not null && added && pathBack.Exists(step => step.Edge.IsLaterThan(sequence)))
        {
            // The cycle runs through an edge published after this one that is undecided (its own
            // search sees this edge and reports the cycle, or finds it broken because an edge of
            // it was rejected) or has already reported it. One report per cycle, as with a
            // global gate.
            pathBack = null;
        }

        if (pathBack is null)
        {
            if (added)
            {
                Confirm(source, target, edge);
            }

            return null;
        }

        if (added)
        {
            if (LockOrderPolicy.s_action == LockViolationAction.Report)
            {
                Confirm(source, target, edge, reported: true); // kept, so the same acquisition is reported once
            }
            else
            {
                edges.Remove(target); // the acquisition does not happen
            }
        }

        return BuildViolation(source, edge, pathBack, alsoHeld);
    }

    private static void Confirm(LockGraphNode source, LockGraphNode target, LockGraphEdge edge, bool reported = false)
    {
        if (reported)
        {
            edge.ConfirmReported();
        }
        else
        {
            edge.Confirm();
        }

        Interlocked.Increment(ref s_edgeCount);
        source.Remember(target);
        s_sources.AddOrUpdate(source, null);
    }

    /// <summary>Every confirmed edge of live locks now (for Diagnostics' graph export; the one reader of the graph's shape).</summary>
    internal static List<LockOrderEdge> SnapshotEdges()
    {
        int epoch = Epoch;
        var result = new List<LockOrderEdge>();
        foreach (KeyValuePair<LockGraphNode, object?> source in s_sources)
        {
            ConditionalWeakTable<LockGraphNode, LockGraphEdge>? edges = source.Key.EdgesIn(epoch);
            if (edges is null)
            {
                continue;
            }

            foreach (KeyValuePair<LockGraphNode, LockGraphEdge> edge in edges)
            {
                if (edge.Value.IsConfirmed)
                {
                    result.Add(new LockOrderEdge(edge.Value.From, edge.Value.To, edge.Value.ThreadId, edge.Value.FirstSeen));
                }
            }
        }

        return result;
    }

    // Breadth-first search for a path start → goal over live nodes; returns its steps, or null.
    private static List<PathStep>? FindPath(LockGraphNode start, LockGraphNode goal, int epoch)
    {
        var cameFrom = new Dictionary<LockGraphNode, PathStep>();
        var queue = new Queue<LockGraphNode>();
        queue.Enqueue(start);
        cameFrom[start] = default;
        while (queue.Count > 0)
        {
            LockGraphNode node = queue.Dequeue();
            ConditionalWeakTable<LockGraphNode, LockGraphEdge>? edges = node.EdgesIn(epoch);
            if (edges is null)
            {
                continue;
            }

            // Enumerates the live entries only: a collected lock's node is not a key any more.
            foreach (KeyValuePair<LockGraphNode, LockGraphEdge> pair in edges)
            {
                if (!cameFrom.TryAdd(pair.Key, new PathStep(node, pair.Key, pair.Value)))
                {
                    continue;
                }

                if (ReferenceEquals(pair.Key, goal))
                {
                    var path = new List<PathStep>();
                    for (LockGraphNode at = goal; !ReferenceEquals(at, start); at = cameFrom[at].From)
                    {
                        path.Add(cameFrom[at]);
                    }

                    path.Reverse();
                    return path;
                }

                queue.Enqueue(pair.Key);
            }
        }

        return null;
    }

    private static LockOrderViolation BuildViolation(LockGraphNode source, LockGraphEdge newEdge, List<PathStep> pathBack, ReadOnlySpan<OrderedLockBase> alsoHeld)
    {
        var edges = new List<LockOrderEdge>(pathBack.Count + 1)
        {
            new(newEdge.From, newEdge.To, newEdge.ThreadId, newEdge.FirstSeen),
        };
        foreach (PathStep step in pathBack)
        {
            edges.Add(new LockOrderEdge(step.Edge.From, step.Edge.To, step.Edge.ThreadId, step.Edge.FirstSeen));
        }

        var held = OrderChecker.Describe(alsoHeld);
        var text = new StringBuilder();
        text.Append("Potential deadlock (learned lock order): acquiring ").Append(newEdge.To)
            .Append(" while holding ").Append(newEdge.From).Append(" closes the cycle ").Append(source.Label);
        foreach (PathStep step in pathBack)
        {
            text.Append(" -> ").Append(step.From.Label);
        }

        text.Append(" -> ").Append(source.Label).Append(". ");
        if (source.IsClass || pathBack.Exists(step => step.To.IsClass))
        {
            text.Append("Orders between lock classes hold for every member of a class: the members named below are the ones each order was first seen with. ");
        }

        text.Append("Flows taking these locks in the two orders can deadlock, even though this run did not.").AppendLine();
        OrderChecker.AppendHeld(text, held);
        for (int i = 0; i < edges.Count; i++)
        {
            LockOrderEdge edge = edges[i];
            text.Append(i == 0 ? "This order, now: " : "The other order (learned: first seen at the frames below): ")
                .Append(Named(edge.From)).Append(" held while acquiring ").Append(Named(edge.To))
                .Append(" on thread ").Append(edge.ThreadId).AppendLine(":");
            StackFrames.Append(text, edge.StackTrace);
        }

        text.Append("To fix: pick one order for these locks and use it everywhere, or take them together with OrderedLock.AcquireAll(...), which always uses the global order.");
        return new LockOrderViolation(LockViolationKind.PotentialDeadlock, newEdge.To, held, edges, text.ToString());

        static string Named(LockDescription lockDescription) =>
            lockDescription.ClassName is null ? $"'{lockDescription.Name}'" : $"'{lockDescription.Name}' (class '{lockDescription.ClassName}')";
    }

    // One step of a path: the edge From → To.
    private readonly record struct PathStep(LockGraphNode From, LockGraphNode To, LockGraphEdge Edge);
}

/// <summary>
/// A node of the learned lock-order graph: one lock, or one <see cref="LockClass"/>. Held
/// strongly only by its owner.
/// </summary>
internal sealed class LockGraphNode
{
    // Edges out of this node, keyed by target node; created on the first one. The keys are held
    // weakly (dependent handles): an entry goes when its target's owner is collected, and the
    // table reuses the room of dead entries before it grows. Valid only while _epoch matches.
    private ConditionalWeakTable<LockGraphNode, LockGraphEdge>? _edges;
    private int _epoch;

    // Ids of up to four targets of confirmed edges, most recently learned or found: the fast path
    // of a known edge. Ids are never reused, so a stale hint (its target collected) matches
    // nothing. Written racily; a hint is written only after its edge is confirmed, and confirmed
    // edges are only dropped with their target or by Reset (which changes the epoch).
    private int _known0;
    private int _known1;
    private int _known2;
    private int _known3;
    private int _nextKnown;

    internal LockGraphNode(OrderedLockBase lockObject)
    {
        Id = LockOrderGraph.NextNodeId();
        Name = lockObject.Name;
        _epoch = LockOrderGraph.Epoch;
    }

    internal LockGraphNode(LockClass lockClass)
    {
        Id = LockOrderGraph.NextNodeId();
        Name = lockClass.Name;
        IsClass = true;
        _epoch = LockOrderGraph.Epoch;
    }

    internal int Id { get; }

    internal string Name { get; }

    internal bool IsClass { get; }

    internal string Label => IsClass ? $"class '{Name}'" : $"'{Name}'";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool HasConfirmedEdgeTo(LockGraphNode target, int epoch)
    {
        int id = target.Id;
        if (_known0 == id || _known1 == id || _known2 == id || _known3 == id)
        {
            return Volatile.Read(ref _epoch) == epoch;
        }

        return HasConfirmedEdgeInTable(target, epoch);
    }

    internal ConditionalWeakTable<LockGraphNode, LockGraphEdge>? EdgesIn(int epoch) =>
        Volatile.Read(ref _epoch) == epoch ? Volatile.Read(ref _edges) : null;

    internal ConditionalWeakTable<LockGraphNode, LockGraphEdge> EdgesForAdd(int epoch)
    {
        ConditionalWeakTable<LockGraphNode, LockGraphEdge>? edges = Volatile.Read(ref _edges);
        if (edges is null)
        {
            var created = new ConditionalWeakTable<LockGraphNode, LockGraphEdge>();
            edges = Interlocked.CompareExchange(ref _edges, created, null) ?? created;
        }

        if (Volatile.Read(ref _epoch) != epoch)
        {
            // Reset since this node's last edge (ResetLearnedOrder is documented as not to be
            // called while other threads acquire locks).
            edges.Clear();
            _known0 = _known1 = _known2 = _known3 = 0;
            Volatile.Write(ref _epoch, epoch);
        }

        return edges;
    }

    internal void Remember(LockGraphNode target)
    {
        switch (_nextKnown++ & 3)
        {
            case 0: _known0 = target.Id; break;
            case 1: _known1 = target.Id; break;
            case 2: _known2 = target.Id; break;
            default: _known3 = target.Id; break;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool HasConfirmedEdgeInTable(LockGraphNode target, int epoch)
    {
        ConditionalWeakTable<LockGraphNode, LockGraphEdge>? edges = EdgesIn(epoch);
        if (edges is null || !edges.TryGetValue(target, out LockGraphEdge? edge) || !edge.IsConfirmed)
        {
            return false;
        }

        Remember(target);
        return true;
    }
}

/// <summary>An edge of the learned graph and where it was first seen.</summary>
internal sealed class LockGraphEdge
{
    private volatile bool _confirmed;
    private volatile bool _reportedCycle;
    private long _sequence;

    internal LockGraphEdge(LockDescription from, LockDescription to, int threadId, StackTrace firstSeen)
    {
        From = from;
        To = to;
        ThreadId = threadId;
        FirstSeen = firstSeen;
    }

    // The locks the edge was first seen with (members, for an edge between classes).
    internal LockDescription From { get; }

    internal LockDescription To { get; }

    internal int ThreadId { get; }

    internal StackTrace FirstSeen { get; }

    // Set once the search that followed publishing the edge found no cycle (or reported one in
    // Report mode); only confirmed edges let an acquisition skip the check.
    internal bool IsConfirmed => _confirmed;

    // The number taken after publishing, before searching; 0 until then.
    internal long Sequence
    {
        get => Volatile.Read(ref _sequence);
        set => Volatile.Write(ref _sequence, value);
    }

    internal void Confirm() => _confirmed = true;

    // Report mode keeps an edge whose search found a cycle: it is confirmed as reported (the flag
    // is written before the confirmation, so whoever sees the one sees the other).
    internal void ConfirmReported()
    {
        _reportedCycle = true;
        _confirmed = true;
    }

    // Whether this edge leaves the report of a cycle through it and an edge numbered `sequence`
    // to its own search:
    // - undecided, and its search starts later (an edge without a number yet takes it later, so
    //   it is later): that search sees the earlier edge and decides;
    // - decided after reporting a cycle (Report keeps the edge), numbered later: its search saw
    //   the earlier edge, and the inconsistency is reported already;
    // - decided without a cycle: no. Its number may have been taken before the earlier edge's
    //   and stored after it looked, so it may not have seen the earlier edge; the earlier search
    //   must report. (Counting this case as later missed cycles: Coyote's learned-nested and
    //   three-cycle campaigns caught it.)
    internal bool IsLaterThan(long sequence)
    {
        if (_confirmed)
        {
            return _reportedCycle && Sequence > sequence;
        }

        long own = Sequence;
        return own == 0 || own > sequence;
    }
}
