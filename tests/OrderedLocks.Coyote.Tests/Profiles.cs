using System.Reflection;
using OrderedLocks.Scenarios;
using OrderedLocks.Testing;

namespace OrderedLocks.Coyote.Tests;

/// <summary>The fast (CI) profile every campaign in this project runs with.</summary>
internal static class Profiles
{
    // Fixed seed: CI verdicts are reproducible. Bugs are found within a few dozen iterations
    // (docs/coyote.md); a fixed variant gets FastNoBugIterations clean schedules per strategy.
    internal const uint Seed = 20181106;
    internal const uint FastBugIterations = 1000;
    internal const uint FastNoBugIterations = 100;

    internal static readonly CampaignStrategy[] Strategies = { CampaignStrategy.Random, CampaignStrategy.Prioritization };

    internal static readonly Assembly[] UnderTest =
    {
        typeof(OrderedLock).Assembly,
        typeof(ScenarioRegistry).Assembly,
        typeof(Profiles).Assembly,
    };

    internal static CampaignOptions For(Expectation expected, string? traceDirectory = null) => new()
    {
        Iterations = expected == Expectation.Bug ? FastBugIterations : FastNoBugIterations,
        Seed = Seed,
        AssembliesUnderTest = UnderTest,
        TraceDirectory = traceDirectory,
        DeadlockTimeoutMs = 5000,
    };

    internal static string Describe(CampaignResult r) =>
        $"{r.Name}/{r.Variant} [{r.Strategy.ShortName()}]: {r.Bugs} bug(s) in {r.IterationsRun} iterations, first at {r.FirstBugIteration?.ToString() ?? "-"}; report: {r.FirstBugReport ?? "(none)"}";
}
