using OrderedLocks.Scenarios;
using OrderedLocks.Testing;
using Xunit;
using Xunit.Abstractions;

namespace OrderedLocks.Coyote.Tests;

/// <summary>
/// The fast profile of every scenario and self-verification campaign in the registry: a buggy
/// variant must be caught (with its expected message) by every strategy, a fixed one never.
/// </summary>
public sealed class ScenarioCampaignTests
{
    private readonly ITestOutputHelper _output;

    public ScenarioCampaignTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (ScenarioCase c in ScenarioRegistry.All)
        {
            foreach (CampaignStrategy s in Profiles.Strategies)
            {
                data.Add(c.Scenario, c.Variant, s.ShortName());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Campaign_MatchesExpectation(string scenario, string variant, string strategy)
    {
        ScenarioCase c = ScenarioRegistry.Get(scenario, variant);
        CampaignResult r = CampaignRunner.Run(Campaign.Create(c.Scenario, c.Test, c.Variant), CampaignStrategies.Parse(strategy), Profiles.For(c.Expected));
        _output.WriteLine(Profiles.Describe(r));

        Assert.Empty(r.UncontrolledInvocations);
        if (c.Expected == Expectation.Bug)
        {
            Assert.True(r.FoundBug, $"The buggy variant {c.Id} escaped {r.IterationsRun} iterations of {strategy}.");
            Assert.True(c.Matches(r.FoundBug, r.FirstBugReport), $"{c.Id}: the report does not contain '{c.ExpectedMessage}': {r.FirstBugReport}");
        }
        else
        {
            Assert.False(r.FoundBug, $"The fixed variant {c.Id} reported a bug: {r.FirstBugReport}");
            Assert.Equal(Profiles.FastNoBugIterations, r.IterationsRun);
        }
    }

    [Fact]
    public void Registry_EveryArticleScenarioHasBuggyAndFixedVariants()
    {
        foreach (IGrouping<string, ScenarioCase> scenario in ScenarioRegistry.All.Where(c => c.Kind == ScenarioKind.Article).GroupBy(c => c.Scenario))
        {
            Assert.Contains(scenario, c => c.Expected == Expectation.Bug);
            Assert.Contains(scenario, c => c.Expected == Expectation.NoBug);
        }
    }
}
