using System.Globalization;
using System.Text;

namespace OrderedLocks.Diagnostics;

/// <summary>A lock in a <see cref="LockOrderDiagram"/>.</summary>
/// <param name="Key">A unique identifier (letters, digits, underscores) used in the diagram text.</param>
/// <param name="Name">The lock's name, shown as its label.</param>
/// <param name="Rank">The declared rank, shown under the name; null when none.</param>
public sealed record LockDiagramNode(string Key, string Name, int? Rank);

/// <summary>An edge of a <see cref="LockOrderDiagram"/>: <c>To</c> was acquired while <c>From</c> was held.</summary>
/// <param name="From">The key of the lock held.</param>
/// <param name="To">The key of the lock acquired.</param>
/// <param name="Site">Where the edge was first seen (method, file and line), or null.</param>
public sealed record LockDiagramEdge(string From, string To, string? Site);

/// <summary>
/// A lock-order graph ready to draw: the learned graph (<see cref="FromLearnedGraph"/>), or any
/// graph built from nodes and edges (the analyzer's, read from its SARIF log). Renders as Graphviz
/// DOT and Mermaid, with names and ranks on the locks, the first-seen site on each edge, and every
/// cycle (a potential deadlock) highlighted in red.
/// </summary>
public sealed class LockOrderDiagram
{
    /// <summary>Initializes a diagram.</summary>
    /// <param name="nodes">The locks; keys must be unique.</param>
    /// <param name="edges">The edges; both ends must be keys of <paramref name="nodes"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A key is repeated, malformed, or an edge names a lock that is not in <paramref name="nodes"/>.</exception>
    public LockOrderDiagram(IEnumerable<LockDiagramNode> nodes, IEnumerable<LockDiagramEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(edges);
        Nodes = nodes.ToList();
        Edges = edges.ToList();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (LockDiagramNode node in Nodes)
        {
            if (node is null || string.IsNullOrEmpty(node.Key) || !node.Key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new ArgumentException($"Lock key '{node?.Key}' is not valid: use letters, digits and underscores only.", nameof(nodes));
            }

            if (!keys.Add(node.Key))
            {
                throw new ArgumentException($"Lock key '{node.Key}' appears twice; every lock needs its own key.", nameof(nodes));
            }
        }

        foreach (LockDiagramEdge edge in Edges)
        {
            if (edge is null || !keys.Contains(edge.From) || !keys.Contains(edge.To))
            {
                throw new ArgumentException($"Edge {edge?.From} -> {edge?.To} names a lock that is not among the nodes; add the node first.", nameof(edges));
            }
        }

        Cycles = FindCycles();
    }

    /// <summary>Gets the locks.</summary>
    public IReadOnlyList<LockDiagramNode> Nodes { get; }

    /// <summary>Gets the edges.</summary>
    public IReadOnlyList<LockDiagramEdge> Edges { get; }

    /// <summary>Gets the groups of locks that lie on a cycle together (strongly connected, more than one lock or a self-edge), as keys.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles { get; }

    /// <summary>Reads the lock-order graph learned so far by <see cref="LockOrderChecking.Learned"/> checking.</summary>
    /// <returns>The diagram (empty when nothing was learned).</returns>
    public static LockOrderDiagram FromLearnedGraph() => LearnedGraphAdapter.Read();

    /// <summary>Renders as Graphviz DOT (<c>dot -Tpng graph.dot -o graph.png</c>).</summary>
    /// <param name="title">The graph's title.</param>
    /// <returns>The DOT text.</returns>
    public string ToDot(string title = "lock order")
    {
        HashSet<string> inCycle = CycleNodes();
        var text = new StringBuilder();
        text.Append("digraph \"").Append(DotEscape(title)).AppendLine("\" {");
        text.AppendLine("  rankdir=LR;");
        text.AppendLine("  labelloc=t;");
        text.Append("  label=\"").Append(DotEscape(title)).AppendLine("\";");
        text.AppendLine("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f4f4\", fontname=\"Helvetica\"];");
        text.AppendLine("  edge [fontname=\"Helvetica\", fontsize=9];");
        foreach (LockDiagramNode node in Nodes)
        {
            text.Append("  ").Append(node.Key).Append(" [label=\"").Append(DotEscape(Label(node, "\n"))).Append('"');
            if (inCycle.Contains(node.Key))
            {
                text.Append(", color=\"#c00000\", fillcolor=\"#fde0e0\", penwidth=2");
            }

            text.AppendLine("];");
        }

        foreach (LockDiagramEdge edge in Edges)
        {
            text.Append("  ").Append(edge.From).Append(" -> ").Append(edge.To);
            var attributes = new List<string>();
            if (edge.Site is not null)
            {
                attributes.Add($"label=\"{DotEscape(edge.Site)}\"");
            }

            if (IsCycleEdge(edge))
            {
                attributes.Add("color=\"#c00000\", fontcolor=\"#c00000\", penwidth=2");
            }

            if (attributes.Count > 0)
            {
                text.Append(" [").Append(string.Join(", ", attributes)).Append(']');
            }

            text.AppendLine(";");
        }

        text.AppendLine("}");
        return text.ToString();
    }

    /// <summary>Renders as a Mermaid flowchart (paste into Markdown inside a <c>mermaid</c> code block).</summary>
    /// <returns>The Mermaid text.</returns>
    public string ToMermaid()
    {
        HashSet<string> inCycle = CycleNodes();
        var text = new StringBuilder();
        text.AppendLine("flowchart LR");
        foreach (LockDiagramNode node in Nodes)
        {
            text.Append("  ").Append(node.Key).Append("[\"").Append(MermaidEscape(Label(node, "<br/>"))).AppendLine("\"]");
        }

        var cycleEdges = new List<int>();
        for (int i = 0; i < Edges.Count; i++)
        {
            LockDiagramEdge edge = Edges[i];
            text.Append("  ").Append(edge.From).Append(" -->");
            if (edge.Site is not null)
            {
                text.Append("|\"").Append(MermaidEscape(edge.Site)).Append("\"|");
            }

            text.Append(' ').AppendLine(edge.To);
            if (IsCycleEdge(edge))
            {
                cycleEdges.Add(i);
            }
        }

        if (inCycle.Count > 0)
        {
            text.AppendLine("  classDef cycle fill:#fde0e0,stroke:#c00000,stroke-width:2px;");
            text.Append("  class ").Append(string.Join(",", Nodes.Where(n => inCycle.Contains(n.Key)).Select(n => n.Key))).AppendLine(" cycle;");
            text.Append("  linkStyle ").Append(string.Join(",", cycleEdges.Select(i => i.ToString(CultureInfo.InvariantCulture)))).AppendLine(" stroke:#c00000,stroke-width:2px;");
        }

        return text.ToString();
    }

    private static string Label(LockDiagramNode node, string newLine) =>
        node.Rank is { } rank ? $"{node.Name}{newLine}rank {rank.ToString(CultureInfo.InvariantCulture)}" : node.Name;

    private static string DotEscape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string MermaidEscape(string text) => text.Replace("\"", "#quot;", StringComparison.Ordinal).Replace("|", "#124;", StringComparison.Ordinal);

    private HashSet<string> CycleNodes() => new(Cycles.SelectMany(c => c), StringComparer.Ordinal);

    private bool IsCycleEdge(LockDiagramEdge edge) =>
        edge.From == edge.To || Cycles.Any(c => c.Contains(edge.From) && c.Contains(edge.To));

    // Tarjan's strongly connected components (iterative over a small graph: recursion is fine).
    private List<IReadOnlyList<string>> FindCycles()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var result = new List<IReadOnlyList<string>>();
        ILookup<string, string> successors = Edges.ToLookup(e => e.From, e => e.To, StringComparer.Ordinal);
        int next = 0;
        foreach (LockDiagramNode node in Nodes)
        {
            if (!index.ContainsKey(node.Key))
            {
                Visit(node.Key);
            }
        }

        return result;

        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (string w in successors[v])
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], index[w]);
                }
            }

            if (low[v] == index[v])
            {
                var component = new List<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    onStack.Remove(w);
                    component.Add(w);
                }
                while (w != v);

                if (component.Count > 1 || successors[v].Contains(v))
                {
                    component.Reverse();
                    result.Add(component);
                }
            }
        }
    }
}
