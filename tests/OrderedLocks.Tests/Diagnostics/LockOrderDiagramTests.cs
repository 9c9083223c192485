using OrderedLocks.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests.Diagnostics;

/// <summary>The lock-order graph as a picture: the learned graph read through the adapter, DOT and Mermaid.</summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class LockOrderDiagramTests
{
    [Fact]
    public void FromLearnedGraph_DiningPhilosophers_FiveForkCycleHighlighted()
    {
        using var scope = new DiagnosticsScope(LockOrderChecking.Learned, LockViolationAction.Report);
        LockOrderPolicy.ResetLearnedOrder();
        OrderedLock[] forks = Enumerable.Range(0, 5).Select(i => new OrderedLock($"fork {i}", rank: i)).ToArray();
        for (int i = 0; i < 5; i++)
        {
            PhilosopherEats(forks[i], forks[(i + 1) % 5]); // left, then right: the fifth closes the cycle
        }

        LockOrderDiagram diagram = LockOrderDiagram.FromLearnedGraph();
        Assert.Equal(5, diagram.Edges.Count);
        Assert.Equal(forks.Select(f => f.Name).Order(), diagram.Nodes.Select(n => n.Name).Order());
        Assert.Equal(new int?[] { 0, 1, 2, 3, 4 }, diagram.Nodes.OrderBy(n => n.Name).Select(n => n.Rank));
        IReadOnlyList<string> cycle = Assert.Single(diagram.Cycles);
        Assert.Equal(5, cycle.Count);
        Assert.All(diagram.Edges, e => Assert.Contains($"{nameof(LockOrderDiagramTests)}.{nameof(PhilosopherEats)}", e.Site, StringComparison.Ordinal));

        string dot = diagram.ToDot("dining philosophers");
        Assert.StartsWith("digraph \"dining philosophers\" {", dot, StringComparison.Ordinal);
        Assert.Contains("label=\"fork 0\\nrank 0\"", dot, StringComparison.Ordinal);
        Assert.Equal(5, CountOf(dot, " -> "));
        string[] lines = dot.Split('\n');
        Assert.Equal(5, lines.Count(l => l.Contains(" -> ", StringComparison.Ordinal) && l.Contains("color=\"#c00000\"", StringComparison.Ordinal)));
        Assert.Equal(5, lines.Count(l => l.Contains("[label=\"fork", StringComparison.Ordinal) && l.Contains("fillcolor=\"#fde0e0\"", StringComparison.Ordinal)));
        string mermaid = diagram.ToMermaid();
        Assert.StartsWith("flowchart LR", mermaid, StringComparison.Ordinal);
        Assert.Contains("linkStyle 0,1,2,3,4 stroke:#c00000", mermaid, StringComparison.Ordinal);
        Assert.Contains("[\"fork 3<br/>rank 3\"]", mermaid, StringComparison.Ordinal);
    }

    [Fact]
    public void Diagram_ChainWithoutCycle_HighlightsNothing()
    {
        var diagram = new LockOrderDiagram(
            new[] { new LockDiagramNode("a", "accounts", 10), new LockDiagramNode("b", "audit", 20), new LockDiagramNode("c", "log \"main\"", null) },
            new[] { new LockDiagramEdge("a", "b", "Bank.Transfer"), new LockDiagramEdge("b", "c", null) });
        Assert.Empty(diagram.Cycles);
        string dot = diagram.ToDot();
        Assert.DoesNotContain("#c00000", dot, StringComparison.Ordinal);
        Assert.Contains("label=\"log \\\"main\\\"\"", dot, StringComparison.Ordinal);
        Assert.Contains("a -> b [label=\"Bank.Transfer\"];", dot, StringComparison.Ordinal);
        Assert.DoesNotContain("classDef", diagram.ToMermaid(), StringComparison.Ordinal);
        Assert.Contains("log #quot;main#quot;", diagram.ToMermaid(), StringComparison.Ordinal);
    }

    [Fact]
    public void Diagram_SelfEdgeAndTwoCycles_AreEachFound()
    {
        var diagram = new LockOrderDiagram(
            new[] { new LockDiagramNode("a", "a", null), new LockDiagramNode("b", "b", null), new LockDiagramNode("c", "c", null), new LockDiagramNode("d", "d", null) },
            new[] { new LockDiagramEdge("a", "b", null), new LockDiagramEdge("b", "a", null), new LockDiagramEdge("c", "c", null), new LockDiagramEdge("b", "d", null) });
        Assert.Equal(2, diagram.Cycles.Count);
        Assert.Contains(diagram.Cycles, c => c.Order().SequenceEqual(new[] { "a", "b" }));
        Assert.Contains(diagram.Cycles, c => c.SequenceEqual(new[] { "c" }));
        Assert.DoesNotContain("d [label=\"d\", color", diagram.ToDot(), StringComparison.Ordinal);
    }

    [Fact]
    public void Diagram_BadInput_ThrowsNamingTheProblem()
    {
        ArgumentException unknown = Assert.Throws<ArgumentException>(() => new LockOrderDiagram(
            new[] { new LockDiagramNode("a", "a", null) }, new[] { new LockDiagramEdge("a", "zz", null) }));
        Assert.Contains("a -> zz", unknown.Message, StringComparison.Ordinal);
        ArgumentException twice = Assert.Throws<ArgumentException>(() => new LockOrderDiagram(
            new[] { new LockDiagramNode("a", "a", null), new LockDiagramNode("a", "b", null) }, Array.Empty<LockDiagramEdge>()));
        Assert.Contains("appears twice", twice.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new LockOrderDiagram(new[] { new LockDiagramNode("a b", "a", null) }, Array.Empty<LockDiagramEdge>()));
    }

    private static void PhilosopherEats(OrderedLock left, OrderedLock right)
    {
        using (left.Acquire())
        using (right.Acquire())
        {
        }
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
