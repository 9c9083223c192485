using OrderedLocks.Samples;
using OrderedLocks.Scenarios;
using OrderedLocks.Testing;

namespace OrderedLocks.Demo;

/// <summary>
/// A short Coyote campaign per scenario, run through OrderedLocks.Testing over the cases of the
/// OrderedLocks.Scenarios registry: the raw variant must show its bug (with the iteration of the
/// first bug and a saved trace), the fixed variant must be safe over every explored schedule.
/// </summary>
internal static class CoyoteCampaigns
{
    // Fixed seed: the demo's campaign results are reproducible from run to run.
    private const uint Seed = 20181106;
    private const uint BugIterations = 1000;
    private const uint SafeIterations = 100;

    // The demo's scenario -> the registry's cases (raw first, then the fixes).
    private static readonly (string Scenario, string Registry, string[] Variants)[] s_map =
    {
        ("TicketRace", "ticket", new[] { "raw-check-then-buy", "ordered-lock" }),
        ("Deadlock", "abba", new[] { "raw-lock", "checking-off-nested-async", "strict-nested", "acquire-all" }),
        ("Poem", "poem", new[] { "raw-monitor", "wait-for" }),
        ("HideAndSeek", "seeker-hider", new[] { "raw-monitor", "wait-for" }),
        ("DiningPhilosophers", "dining", new[] { "raw-lock", "acquire-all" }),
    };

    internal static IReadOnlyList<ScenarioStep> Steps(string scenario, string traceDirectory)
    {
        var steps = new List<ScenarioStep>();
        foreach ((string name, string registry, string[] variants) in s_map.Where(m => m.Scenario == scenario))
        {
            foreach (string variant in variants)
            {
                ScenarioCase c = ScenarioRegistry.Get(registry, variant);
                string expected = c.Expected == Expectation.Bug ? $"bug found: {c.ExpectedMessage}" : "safe in every schedule";
                steps.Add(new ScenarioStep(name, $"Coyote: {registry}/{variant}", expected, _ => Run(c, traceDirectory)));
            }
        }

        return steps;
    }

    private static StepResult Run(ScenarioCase c, string traceDirectory)
    {
        var options = new CampaignOptions
        {
            Iterations = c.Expected == Expectation.Bug ? BugIterations : SafeIterations,
            Seed = Seed,
            StopAtFirstBug = true,
            TraceDirectory = traceDirectory,
            DeadlockTimeoutMs = 5000,
            AssembliesUnderTest = new[] { typeof(OrderedLock).Assembly, typeof(ScenarioRegistry).Assembly },
        };
        var campaign = Campaign.Create(c.Scenario, c.Test, c.Variant);

        // Buggy variants: the first strategy that finds the bug ends the campaign. Fixed variants:
        // every strategy must come out clean. Coyote prints its iterations to the console even
        // with logging off: keep them out of the demo's output.
        var results = new List<CampaignResult>();
        TextWriter console = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            foreach (CampaignStrategy strategy in CampaignStrategies.Default)
            {
                CampaignResult result = CampaignRunner.Run(campaign, strategy, options);
                results.Add(result);
                if (result.FoundBug)
                {
                    break;
                }
            }
        }
        finally
        {
            Console.SetOut(console);
        }

        CampaignResult? bug = results.FirstOrDefault(r => r.FoundBug);
        if (bug is null)
        {
            long schedules = results.Sum(r => (long)r.IterationsRun);
            string strategies = string.Join(" + ", results.Select(r => r.Strategy.ShortName()));
            return new StepResult($"safe over {schedules:N0} schedules ({strategies})", c.Matches(false, null));
        }

        string what = Describe(bug.FirstBugReport) + (bug.DeadlockWaitFor is { } waitFor ? $" ({waitFor})" : string.Empty);
        string trace = bug.TraceFile is null ? "(no trace saved)" : "trace saved to\n" + Path.GetRelativePath(Environment.CurrentDirectory, bug.TraceFile);
        return new StepResult($"{what} found at iteration {bug.FirstBugIteration} ({bug.Strategy.ShortName()}), {trace}", c.Matches(true, bug.FirstBugReport));
    }

    private static string Describe(string? report) => report switch
    {
        null => "bug",
        _ when report.Contains("Deadlock detected", StringComparison.Ordinal) => "deadlock",
        _ when report.Contains("Oversold", StringComparison.OrdinalIgnoreCase) => "oversell",
        _ when report.Contains("Lock order violation", StringComparison.Ordinal) => "lock-order violation",
        _ when report.Contains("should be", StringComparison.Ordinal) => "wake-up bug (line out of turn)",
        _ => "bug: " + (report.Length > 40 ? report[..40] + "..." : report),
    };
}
