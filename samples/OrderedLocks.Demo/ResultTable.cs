using System.Text;

namespace OrderedLocks.Demo;

/// <summary>One row of the demo's table.</summary>
internal sealed record Row(string Scenario, string Variant, string Outcome, bool AsExpected, TimeSpan Time);

/// <summary>Formats the rows as a plain-text table that fits a terminal (long outcomes wrap).</summary>
internal static class ResultTable
{
    private const int OutcomeWidth = 58;

    internal static string Format(IReadOnlyList<Row> rows)
    {
        string[] headers = { "Scenario", "Variant", "Outcome", "Time" };
        int scenarioWidth = Math.Max(headers[0].Length, rows.Max(r => r.Scenario.Length));
        int variantWidth = Math.Max(headers[1].Length, rows.Max(r => r.Variant.Length));
        int outcomeWidth = Math.Min(OutcomeWidth, Math.Max(headers[2].Length, rows.Max(r => r.Outcome.Length)));
        const int TimeWidth = 7;

        var text = new StringBuilder();
        void Line(string scenario, string variant, string outcome, string time, string mark) =>
            text.Append(scenario.PadRight(scenarioWidth)).Append("  ")
                .Append(variant.PadRight(variantWidth)).Append("  ")
                .Append(outcome.PadRight(outcomeWidth)).Append("  ")
                .Append(time.PadLeft(TimeWidth)).Append("  ")
                .Append(mark).AppendLine();

        Line(headers[0], headers[1], headers[2], headers[3], "OK?");
        Line(new string('-', scenarioWidth), new string('-', variantWidth), new string('-', outcomeWidth), new string('-', TimeWidth), "---");
        string previous = string.Empty;
        foreach (Row row in rows)
        {
            List<string> outcome = Wrap(row.Outcome, outcomeWidth);
            Line(row.Scenario == previous ? string.Empty : row.Scenario, row.Variant, outcome[0], FormatTime(row.Time), row.AsExpected ? "yes" : "NO");
            for (int i = 1; i < outcome.Count; i++)
            {
                Line(string.Empty, string.Empty, outcome[i], string.Empty, string.Empty);
            }

            previous = row.Scenario;
        }

        return text.ToString();
    }

    internal static string FormatTime(TimeSpan time) =>
        time.TotalSeconds < 10 ? $"{time.TotalSeconds:0.00} s" : $"{time.TotalSeconds:0.0} s";

    // Wraps at spaces; an explicit newline in the text starts a new line.
    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        foreach (string paragraph in text.Split('\n'))
        {
            string rest = paragraph;
            while (rest.Length > width)
            {
                int cut = rest.LastIndexOf(' ', width);
                if (cut <= 0)
                {
                    cut = width;
                }

                lines.Add(rest[..cut].TrimEnd());
                rest = rest[cut..].TrimStart();
            }

            lines.Add(rest);
        }

        return lines;
    }
}
