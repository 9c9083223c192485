using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace OrderedLocks.Checking;

/// <summary>
/// The learned lock order (lockdep-style): one process-wide directed graph whose edge A → B means
/// "B was acquired while A was held". An acquisition that would add an edge closing a cycle is a
/// potential deadlock, reported with where every edge of the cycle was first seen.
/// </summary>
/// <remarks>
/// Known edges are checked without locking (a copy-on-write successor array per node); only a new
/// edge takes the graph's gate, searches for a path back, and captures a stack trace (µs), so
/// steady-state cost is a short array scan per held lock. Nodes hold descriptions, not locks, so
/// the graph never keeps a lock alive; edges of collected locks stay (like lockdep's classes).
/// </remarks>
internal static class LockOrderGraph
{
    // Leaf lock protecting every node's successor list and s_edgeCount. Nothing is acquired under it.
    private static readonly object s_gate = new();

    // Advanced by Reset; a node whose Epoch differs has no edges (reset lazily).
    private static int s_epoch;
    private static int s_edgeCount;

    // Nodes with at least one edge in the current epoch, for Diagnostics' graph export. Under s_gate.
    private static readonly HashSet<LockGraphNode> s_sources = new();

    internal static int EdgeCount => Volatile.Read(ref s_edgeCount);

    internal static void Reset()
    {
        lock (s_gate)
        {
            s_epoch++;
            s_edgeCount = 0;
            s_sources.Clear();
        }
    }

    /// <summary>
    /// Records that <paramref name="to"/> is being acquired while <paramref name="from"/> is held.
    /// Returns a violation when the new edge closes a cycle, otherwise null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static LockOrderViolation? OnAcquire(OrderedLockBase from, OrderedLockBase to, ReadOnlySpan<OrderedLockBase> alsoHeld)
    {
        LockGraphNode source = from.GraphNode;
        LockGraphNode target = to.GraphNode;
        return source.HasEdgeTo(target, Volatile.Read(ref s_epoch)) ? null : OnNewEdge(source, target, alsoHeld);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LockOrderViolation? OnNewEdge(LockGraphNode source, LockGraphNode target, ReadOnlySpan<OrderedLockBase> alsoHeld)
    {
        // Capture the stack before taking the gate: the first capture with file information loads
        // symbols (hundreds of ms), and no other thread may learn an edge meanwhile. Two threads
        // racing on the same new edge both capture; the second one's stack is dropped.
        var firstSeen = new StackTrace(3, true);
        List<LockGraphEdge>? pathBack;
        lock (s_gate)
        {
            if (source.HasEdgeTo(target, s_epoch))
            {
                return null;
            }

            pathBack = FindPath(target, source);
            if (pathBack is null || LockOrderPolicy.s_action == LockViolationAction.Report)
            {
                // A reported cycle's edge is kept, so the same acquisition is reported once.
                source.AddEdge(new LockGraphEdge(target, Environment.CurrentManagedThreadId, firstSeen), s_epoch);
                s_edgeCount++;
                s_sources.Add(source);
            }
        }

        return pathBack is null ? null : BuildViolation(source, target, pathBack, alsoHeld);
    }

    /// <summary>Every learned edge now (for Diagnostics' graph export; the one reader of the graph's shape).</summary>
    internal static List<LockOrderEdge> SnapshotEdges()
    {
        var result = new List<LockOrderEdge>();
        lock (s_gate)
        {
            foreach (LockGraphNode node in s_sources)
            {
                foreach (LockGraphEdge edge in node.EdgesIn(s_epoch))
                {
                    result.Add(new LockOrderEdge(node.Description, edge.To.Description, edge.ThreadId, edge.FirstSeen));
                }
            }
        }

        return result;
    }

    // Breadth-first search for a path start → goal; returns its edges, or null. Under s_gate.
    private static List<LockGraphEdge>? FindPath(LockGraphNode start, LockGraphNode goal)
    {
        Debug.Assert(Monitor.IsEntered(s_gate), "The graph is read consistently under s_gate.");
        var cameFrom = new Dictionary<LockGraphNode, (LockGraphNode Node, LockGraphEdge Edge)>();
        var queue = new Queue<LockGraphNode>();
        queue.Enqueue(start);
        cameFrom[start] = default;
        while (queue.Count > 0)
        {
            LockGraphNode node = queue.Dequeue();
            foreach (LockGraphEdge edge in node.EdgesIn(s_epoch))
            {
                if (cameFrom.ContainsKey(edge.To))
                {
                    continue;
                }

                cameFrom[edge.To] = (node, edge);
                if (ReferenceEquals(edge.To, goal))
                {
                    var path = new List<LockGraphEdge>();
                    for (LockGraphNode at = goal; !ReferenceEquals(at, start); at = cameFrom[at].Node)
                    {
                        path.Add(cameFrom[at].Edge);
                    }

                    path.Reverse();
                    return path;
                }

                queue.Enqueue(edge.To);
            }
        }

        return null;
    }

    private static LockOrderViolation BuildViolation(LockGraphNode source, LockGraphNode target, List<LockGraphEdge> pathBack, ReadOnlySpan<OrderedLockBase> alsoHeld)
    {
        var edges = new List<LockOrderEdge>(pathBack.Count + 1)
        {
            new(source.Description, target.Description, Environment.CurrentManagedThreadId, new StackTrace(4, true)),
        };
        LockGraphNode from = target;
        foreach (LockGraphEdge edge in pathBack)
        {
            edges.Add(new LockOrderEdge(from.Description, edge.To.Description, edge.ThreadId, edge.FirstSeen));
            from = edge.To;
        }

        var held = OrderChecker.Describe(alsoHeld);
        var text = new StringBuilder();
        text.Append("Potential deadlock (learned lock order): acquiring ").Append(target.Description)
            .Append(" while holding ").Append(source.Description).Append(" closes the cycle ");
        foreach (LockOrderEdge edge in edges)
        {
            text.Append('\'').Append(edge.From.Name).Append("' -> ");
        }

        text.Append('\'').Append(source.Description.Name).Append("'. ")
            .Append("Flows taking these locks in the two orders can deadlock, even though this run did not.").AppendLine();
        OrderChecker.AppendHeld(text, held);
        for (int i = 0; i < edges.Count; i++)
        {
            LockOrderEdge edge = edges[i];
            text.Append(i == 0 ? "This order, now" : "The other order, first seen")
                .Append(": '").Append(edge.From.Name).Append("' held while acquiring '").Append(edge.To.Name)
                .Append("' on thread ").Append(edge.ThreadId).AppendLine(":");
            AppendStack(text, edge.StackTrace);
        }

        text.Append("To fix: pick one order for these locks and use it everywhere, or take them together with OrderedLock.AcquireAll(...), which always uses the global order.");
        return new LockOrderViolation(LockViolationKind.PotentialDeadlock, target.Description, held, edges, text.ToString());
    }

    // The user's frames of a stack (library, framework and test-runner frames left out), at most 8.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Frames are only printed; a trimmed method shows as unknown.")]
    internal static void AppendStack(StringBuilder text, StackTrace? stack)
    {
        if (stack is null)
        {
            text.AppendLine("    (no stack captured)");
            return;
        }

        Assembly library = typeof(LockOrderGraph).Assembly;
        int shown = 0;
        foreach (StackFrame frame in stack.GetFrames())
        {
            MethodBase? method = frame.GetMethod();
            if (method is null || method.DeclaringType?.Assembly == library || IsFramework(method.DeclaringType))
            {
                continue;
            }

            text.Append("    at ").Append(method.DeclaringType?.FullName).Append('.').Append(method.Name);
            string? file = frame.GetFileName();
            if (file is not null)
            {
                text.Append(" in ").Append(file).Append(':').Append(frame.GetFileLineNumber());
            }

            text.AppendLine();
            if (++shown == 8)
            {
                text.AppendLine("    ...");
                break;
            }
        }

        if (shown == 0)
        {
            text.AppendLine("    (no user frames)");
        }

        static bool IsFramework(Type? type) =>
            type?.Namespace is { } ns && (ns.StartsWith("System.", StringComparison.Ordinal) || ns == "System" || ns.StartsWith("Microsoft.Coyote", StringComparison.Ordinal) || ns.StartsWith("Xunit", StringComparison.Ordinal));
    }
}

/// <summary>A lock's node in the learned lock-order graph.</summary>
internal sealed class LockGraphNode
{
    private static readonly LockGraphEdge[] s_none = Array.Empty<LockGraphEdge>();

    // Copy-on-write under the graph's gate; read without locking. Valid only when _epoch matches.
    private LockGraphEdge[] _edges = s_none;
    private int _epoch;

    internal LockGraphNode(OrderedLockBase lockObject) => Description = LockDescription.Of(lockObject);

    internal LockDescription Description { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool HasEdgeTo(LockGraphNode target, int epoch)
    {
        LockGraphEdge[] edges = Volatile.Read(ref _edges);
        if (Volatile.Read(ref _epoch) != epoch)
        {
            return false;
        }

        foreach (LockGraphEdge edge in edges)
        {
            if (ReferenceEquals(edge.To, target))
            {
                return true;
            }
        }

        return false;
    }

    internal LockGraphEdge[] EdgesIn(int epoch) => _epoch == epoch ? _edges : s_none;

    internal void AddEdge(LockGraphEdge edge, int epoch)
    {
        LockGraphEdge[] current = EdgesIn(epoch);
        var updated = new LockGraphEdge[current.Length + 1];
        current.CopyTo(updated, 0);
        updated[current.Length] = edge;
        Volatile.Write(ref _edges, updated);
        Volatile.Write(ref _epoch, epoch);
    }
}

/// <summary>An edge of the learned graph and where it was first seen.</summary>
internal sealed class LockGraphEdge
{
    internal LockGraphEdge(LockGraphNode to, int threadId, StackTrace firstSeen)
    {
        To = to;
        ThreadId = threadId;
        FirstSeen = firstSeen;
    }

    internal LockGraphNode To { get; }

    internal int ThreadId { get; }

    internal StackTrace FirstSeen { get; }
}
