using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace OrderedLocks.Diagnostics;

/// <summary>
/// The one place that reads the learned lock-order graph (Checking/LockOrderGraph) for export: if
/// the graph's representation changes, only this adapter changes.
/// </summary>
internal static class LearnedGraphAdapter
{
    internal static LockOrderDiagram Read()
    {
        var nodes = new Dictionary<int, LockDiagramNode>();
        var edges = new List<LockDiagramEdge>();
        foreach (LockOrderEdge edge in Checking.LockOrderGraph.SnapshotEdges())
        {
            string from = Key(edge.From, nodes);
            string to = Key(edge.To, nodes);
            edges.Add(new LockDiagramEdge(from, to, edge.StackTrace is null ? null : Site(edge.StackTrace)));
        }

        return new LockOrderDiagram(nodes.Values.OrderBy(n => n.Key, StringComparer.Ordinal), edges);
    }

    private static string Key(LockDescription lockDescription, Dictionary<int, LockDiagramNode> nodes)
    {
        if (!nodes.TryGetValue(lockDescription.Id, out LockDiagramNode? node))
        {
            node = new LockDiagramNode("lock" + lockDescription.Id.ToString(CultureInfo.InvariantCulture), lockDescription.Name, lockDescription.HasRank ? lockDescription.Rank : null);
            nodes.Add(lockDescription.Id, node);
        }

        return node.Key;
    }

    // The first frame outside the library: "Type.Method (File.cs:12)".
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Frames are only printed; a trimmed method is left out.")]
    private static string? Site(StackTrace stack)
    {
        foreach (StackFrame frame in stack.GetFrames())
        {
            string? name = StackText.Describe(frame.GetMethod());
            if (name is null)
            {
                continue;
            }

            string? file = frame.GetFileName();
            return file is null ? name : $"{name} ({Path.GetFileName(file)}:{frame.GetFileLineNumber().ToString(CultureInfo.InvariantCulture)})";
        }

        return null;
    }
}
