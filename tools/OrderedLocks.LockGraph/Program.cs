// The analyzer's lock-order graph as a picture: reads a SARIF log (csc /errorlog, or
// <ErrorLog>build.sarif,version=2.1</ErrorLog> in a project), takes every OL0001 finding
// ("'a' → 'b' → 'a'; 'b' while holding 'a' in M(); 'a' while holding 'b' in N()"), and writes the
// edges as Graphviz DOT and/or Mermaid, cycles highlighted.
//
//   dotnet run -c Release --project tools/OrderedLocks.LockGraph -- build.sarif --dot graph.dot [--mermaid graph.mmd]
using System.Text.Json;
using System.Text.RegularExpressions;
using OrderedLocks.Diagnostics;

if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
{
    Console.Error.WriteLine("usage: OrderedLocks.LockGraph <log.sarif> [--dot out.dot] [--mermaid out.mmd]   (without an output option, DOT goes to stdout)");
    return 2;
}

string sarif = args[0];
string? dotPath = Option("--dot");
string? mermaidPath = Option("--mermaid");
if (!File.Exists(sarif))
{
    Console.Error.WriteLine($"No SARIF log at '{sarif}'. Build with <ErrorLog>build.sarif,version=2.1</ErrorLog> (or csc /errorlog:build.sarif) first.");
    return 2;
}

LockOrderDiagram diagram;
try
{
    diagram = SarifLockGraph.Read(File.ReadAllText(sarif));
}
catch (JsonException ex)
{
    Console.Error.WriteLine($"'{sarif}' is not a SARIF (JSON) log: {ex.Message}");
    return 2;
}

if (dotPath is null && mermaidPath is null)
{
    Console.Write(diagram.ToDot("lock order (analyzer)"));
}

if (dotPath is not null)
{
    File.WriteAllText(dotPath, diagram.ToDot("lock order (analyzer)"));
}

if (mermaidPath is not null)
{
    File.WriteAllText(mermaidPath, diagram.ToMermaid());
}

Console.Error.WriteLine($"{diagram.Nodes.Count} locks, {diagram.Edges.Count} edges, {diagram.Cycles.Count} cycle(s) from the OL0001 findings of {sarif}.");
return 0;

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <summary>Reads OL0001 findings of a SARIF 2.1 log into a diagram.</summary>
internal static partial class SarifLockGraph
{
    internal static LockOrderDiagram Read(string json)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        var edges = new Dictionary<(string From, string To), string?>();
        using JsonDocument document = JsonDocument.Parse(json);
        foreach (JsonElement run in Array(document.RootElement, "runs"))
        {
            foreach (JsonElement result in Array(run, "results"))
            {
                if (!result.TryGetProperty("ruleId", out JsonElement rule) || rule.GetString() != "OL0001" ||
                    !result.TryGetProperty("message", out JsonElement message) || !message.TryGetProperty("text", out JsonElement text))
                {
                    continue;
                }

                foreach (Match m in EdgePattern().Matches(text.GetString() ?? string.Empty))
                {
                    string from = Key(m.Groups["from"].Value, keys);
                    string to = Key(m.Groups["to"].Value, keys);
                    edges.TryAdd((from, to), m.Groups["site"].Value.Trim());
                }
            }
        }

        return new LockOrderDiagram(
            keys.Select(k => new LockDiagramNode(k.Value, k.Key, null)),
            edges.Select(e => new LockDiagramEdge(e.Key.From, e.Key.To, e.Value)));
    }

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray()
            : Enumerable.Empty<JsonElement>();

    private static string Key(string lockName, Dictionary<string, string> keys)
    {
        if (!keys.TryGetValue(lockName, out string? key))
        {
            key = "l" + keys.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            keys.Add(lockName, key);
        }

        return key;
    }

    // "'to' while holding 'from' in Method(...) [via A() → B()]", up to the next "; '" or the end.
    [GeneratedRegex(@"'(?<to>[^']+)' while holding '(?<from>[^']+)' in (?<site>.+?)(?=; '|; …|$)")]
    private static partial Regex EdgePattern();
}
