// The article's deadlock with checking Off, found by the lock watchdog within one interval and
// reported with both stacks; and, with --graph <file.dot>, the dining philosophers' learned
// lock-order graph as Graphviz DOT (and Mermaid next to it) for docs/observability.md.
//
//   dotnet run -c Release --project samples/Watchdog
//   dotnet run -c Release --project samples/Watchdog -- --graph docs/images/dining-philosophers.dot
//   dot -Kcirco -Tpng docs/images/dining-philosophers.dot -o docs/images/dining-philosophers.png
using OrderedLocks;
using OrderedLocks.Diagnostics;
using OrderedLocks.Samples;

int graph = Array.IndexOf(args, "--graph");
if (graph >= 0)
{
    if (graph + 1 >= args.Length)
    {
        Console.Error.WriteLine("--graph needs a file name, for example --graph dining.dot");
        return 2;
    }

    string path = args[graph + 1];
    LockOrderPolicy.Checking = LockOrderChecking.Learned;
    LockOrderPolicy.OnViolation = LockViolationAction.Report; // learn the whole cycle, do not stop at it
    OrderedLock[] forks = Enumerable.Range(0, 5).Select(i => new OrderedLock($"fork {i}", rank: i)).ToArray();
    for (int i = 0; i < 5; i++)
    {
        Philosophers.Eat(forks[i], forks[(i + 1) % 5]); // each takes the left fork, then the right
    }

    LockOrderDiagram diagram = LockOrderDiagram.FromLearnedGraph();
    File.WriteAllText(path, diagram.ToDot("dining philosophers: learned lock order"));
    File.WriteAllText(Path.ChangeExtension(path, ".mmd"), diagram.ToMermaid());
    Console.WriteLine($"{diagram.Nodes.Count} locks, {diagram.Edges.Count} edges, {diagram.Cycles.Count} cycle(s): wrote {path} and {Path.ChangeExtension(path, ".mmd")}");
    return 0;
}

return SampleCli.Run("Watchdog: the ABBA deadlock with checking Off, found and broken by the lock watchdog", WatchdogHang.Steps(new WatchdogOptions()));

internal static class Philosophers
{
#pragma warning disable OL0001, OL0004 // the dining philosophers' cycle, learned on purpose
    internal static void Eat(OrderedLock left, OrderedLock right)
    {
        using (left.Acquire())
        using (right.Acquire())
        {
        }
    }
#pragma warning restore OL0001, OL0004
}
