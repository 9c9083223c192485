using System.Globalization;
using System.Text;

namespace OrderedLocks.Testing;

/// <summary>Formats campaign results as a plain-text (Markdown-compatible) table.</summary>
public static class CampaignTable
{
    /// <summary>Formats results: scenario, variant, strategy, iterations, bugs, first bug, time, it/s, trace.</summary>
    /// <param name="results">The results.</param>
    /// <param name="verdicts">Optional verdict per result (for example "ok" or "UNEXPECTED"), same order.</param>
    /// <returns>A Markdown table.</returns>
    public static string Format(IReadOnlyList<CampaignResult> results, IReadOnlyList<string>? verdicts = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        var header = new List<string> { "scenario", "variant", "strategy", "iterations", "bugs", "first bug at", "time to 1st bug", "time", "it/s", "trace" };
        if (verdicts is not null)
        {
            header.Add("verdict");
        }

        var rows = new List<string[]>();
        for (int i = 0; i < results.Count; i++)
        {
            CampaignResult r = results[i];
            var row = new List<string>
            {
                r.Name,
                r.Variant,
                r.Strategy.ShortName(),
                r.IterationsRun.ToString(CultureInfo.InvariantCulture),
                r.Bugs.ToString(CultureInfo.InvariantCulture),
                r.FirstBugIteration?.ToString(CultureInfo.InvariantCulture) ?? "-",
                r.TimeToFirstBug is { } t ? FormatTime(t) : "-",
                FormatTime(r.Elapsed),
                r.IterationsPerSecond.ToString("0", CultureInfo.InvariantCulture),
                r.TraceFile is null ? "-" : Path.GetFileName(r.TraceFile),
            };
            if (verdicts is not null)
            {
                row.Add(i < verdicts.Count ? verdicts[i] : string.Empty);
            }

            rows.Add(row.ToArray());
        }

        var widths = new int[header.Count];
        for (int c = 0; c < header.Count; c++)
        {
            widths[c] = Math.Max(header[c].Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length));
        }

        var text = new StringBuilder();
        AppendRow(text, header.ToArray(), widths);
        text.Append('|');
        foreach (int w in widths)
        {
            text.Append(new string('-', w + 2)).Append('|');
        }

        text.AppendLine();
        foreach (string[] row in rows)
        {
            AppendRow(text, row, widths);
        }

        return text.ToString();
    }

    /// <summary>Formats a duration compactly: milliseconds below a second, seconds otherwise.</summary>
    /// <param name="time">The duration.</param>
    /// <returns>For example <c>12 ms</c> or <c>3.4 s</c>.</returns>
    public static string FormatTime(TimeSpan time) => time.TotalSeconds < 1
        ? time.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms"
        : time.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        text.Append('|');
        for (int c = 0; c < cells.Length; c++)
        {
            text.Append(' ').Append(cells[c].PadRight(widths[c])).Append(" |");
        }

        text.AppendLine();
    }
}
