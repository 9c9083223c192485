using OrderedLocks.Diagnostics;
using OrderedLocks.Scenarios;
using OrderedLocks.Testing;
using Xunit;
using Xunit.Abstractions;

namespace OrderedLocks.Coyote.Tests.Diagnostics;

/// <summary>
/// When a campaign finds a deadlock of ordered locks, its result names the locks from the wait-for
/// registry instead of only "Op(1) and Op(2) are waiting".
/// </summary>
public sealed class NamedDeadlockReportTests
{
    private readonly ITestOutputHelper _output;

    public NamedDeadlockReportTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("checking-off-nested", "thread ")]
    [InlineData("checking-off-nested-async", "flow ")]
    public void Campaign_DeadlockOfOrderedLocks_ReportNamesWhoHoldsAndWaitsForWhat(string variant, string waiterPrefix)
    {
        ScenarioCase c = ScenarioRegistry.Get("abba", variant);
        CampaignResult r = CampaignRunner.Run(Campaign.Create(c.Scenario, c.Test, c.Variant), CampaignStrategy.Random, Profiles.For(c.Expected));
        _output.WriteLine(Profiles.Describe(r));
        _output.WriteLine("wait-for: " + r.DeadlockWaitFor);

        Assert.Empty(r.UncontrolledInvocations);
        Assert.True(r.FoundBug);
        Assert.Contains(ScenarioRegistry.Deadlock, r.FirstBugReport, StringComparison.Ordinal);
        Assert.NotNull(r.DeadlockWaitFor);
        Assert.Matches($"^{waiterPrefix}\\d+ holds '[xy]', waits for '[xy]'; {waiterPrefix}\\d+ holds '[xy]', waits for '[xy]'$", r.DeadlockWaitFor);
        Assert.Contains("holds 'x', waits for 'y'", r.DeadlockWaitFor, StringComparison.Ordinal);
        Assert.Contains("holds 'y', waits for 'x'", r.DeadlockWaitFor, StringComparison.Ordinal);
        Assert.False(LockDiagnostics.DetectDeadlocksOnWait, "The campaign restores the setting.");
    }

    [Fact]
    public void Campaign_DeadlockOfRawLocks_HasNoNamedReport()
    {
        ScenarioCase c = ScenarioRegistry.Get("abba", "raw-lock");
        CampaignResult r = CampaignRunner.Run(Campaign.Create(c.Scenario, c.Test, c.Variant), CampaignStrategy.Random, Profiles.For(c.Expected));
        Assert.True(r.FoundBug);
        Assert.Null(r.DeadlockWaitFor); // Monitor locks are not ordered locks: nothing to name
    }

    [Fact]
    public void Campaign_NoBug_HasNoNamedReport()
    {
        ScenarioCase c = ScenarioRegistry.Get("abba", "acquire-all");
        CampaignResult r = CampaignRunner.Run(Campaign.Create(c.Scenario, c.Test, c.Variant), CampaignStrategy.Random, Profiles.For(c.Expected));
        Assert.False(r.FoundBug);
        Assert.Null(r.DeadlockWaitFor);
    }
}
