using OrderedLocks.Scenarios;
using OrderedLocks.Testing;
using Xunit;

namespace OrderedLocks.Coyote.Tests;

/// <summary>The harness itself: rewriting is real, traces are saved and replay the bug.</summary>
public sealed class HarnessTests
{
    [Fact]
    public void AssembliesUnderTest_AreRewritten()
    {
        foreach (System.Reflection.Assembly assembly in Profiles.UnderTest)
        {
            Assert.True(CampaignRunner.IsRewritten(assembly), $"{assembly.GetName().Name} is not Coyote-rewritten in {assembly.Location}.");
        }
    }

    [Fact]
    public void HarnessAssembly_IsNotRewritten_AndIsRejectedAsUnderTest()
    {
        // The harness drives Coyote and is deliberately left alone: asking for it must fail loudly.
        var options = new CampaignOptions { AssembliesUnderTest = new[] { typeof(CampaignRunner).Assembly } };
        Assert.Throws<CampaignIntegrityException>(() => CampaignRunner.EnsureRewritten(Campaign.Create("x", () => Task.CompletedTask), options));
    }

    [Fact]
    public void BugTrace_IsWrittenAndReplaysTheBug()
    {
        string dir = Path.Combine(Path.GetTempPath(), "orderedlocks-coyote-" + Guid.NewGuid().ToString("N"));
        try
        {
            ScenarioCase c = ScenarioRegistry.Get("abba", "raw-lock");
            var campaign = Campaign.Create(c.Scenario, c.Test, c.Variant);
            CampaignResult r = CampaignRunner.Run(campaign, CampaignStrategy.Random, Profiles.For(Expectation.Bug, dir));
            Assert.True(r.FoundBug);
            Assert.NotNull(r.TraceFile);
            Assert.True(File.Exists(r.TraceFile));
            Assert.Equal(CampaignRunner.TraceFileName("abba", "raw-lock", CampaignStrategy.Random), Path.GetFileName(r.TraceFile));

            ReplayResult replay = CampaignRunner.ReplayFile(campaign, r.TraceFile!);
            Assert.True(replay.Reproduced, "Replaying the saved trace did not hit the bug again.");
            Assert.Contains(ScenarioRegistry.Deadlock, replay.BugReports[0], StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void UserTestMethod_CanBeRunAsCampaign()
    {
        // What a user does with their own method: no registry involved.
        var campaign = Campaign.Create("user-counter", UserCounterAsync);
        IReadOnlyList<CampaignResult> results = CampaignRunner.Run(campaign, CampaignStrategies.Default, new CampaignOptions { Iterations = 50, Seed = 1, AssembliesUnderTest = Profiles.UnderTest });
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.False(r.FoundBug, r.FirstBugReport));
        string table = CampaignTable.Format(results);
        Assert.Contains("user-counter", table, StringComparison.Ordinal);
        Assert.Contains("pct", table, StringComparison.Ordinal);
    }

    private static async Task UserCounterAsync()
    {
        var l = new OrderedLock("counter");
        int count = 0;
        async Task IncrementAsync()
        {
            using (await l.AcquireAsync())
            {
                int seen = count;
                await Task.Yield();
                count = seen + 1;
            }
        }

        await Task.WhenAll(new[] { Task.Run(IncrementAsync), Task.Run(IncrementAsync) });
        Microsoft.Coyote.Specifications.Specification.Assert(count == 2, "Lost update.");
    }
}
