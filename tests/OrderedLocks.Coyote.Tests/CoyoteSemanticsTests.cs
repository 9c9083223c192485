using OrderedLocks.Testing;
using Xunit;

namespace OrderedLocks.Coyote.Tests;

/// <summary>
/// Facts about Coyote 1.7.11's models that the campaigns depend on, pinned so a Coyote change
/// that alters them is noticed.
/// </summary>
public sealed class CoyoteSemanticsTests
{
    [Fact]
    public void InfiniteDelay_WithCancellableToken_CompletesUnderCoyote()
    {
        // Under Coyote, Task.Delay(Timeout.Infinite, token) completes without the token being
        // cancelled (delays are modelled as scheduling, their length ignored). Code that reads
        // "the delay finished" as "the timeout elapsed" misbehaves only under Coyote.
        var campaign = Campaign.Create("infinite-delay", async () =>
        {
            using var cts = new CancellationTokenSource();
            Task delay = Task.Delay(Timeout.Infinite, cts.Token);
            Task first = await Task.WhenAny(new[] { delay, Task.Delay(Timeout.Infinite, cts.Token) });
            Microsoft.Coyote.Specifications.Specification.Assert(!first.IsCompleted, "An infinite delay completed without cancellation.");
        });
        CampaignResult r = CampaignRunner.Run(campaign, CampaignStrategy.Random, new CampaignOptions { Iterations = 20, Seed = 1, AssembliesUnderTest = Profiles.UnderTest, DeadlockTimeoutMs = 5000 });
        Assert.True(r.FoundBug, "Coyote no longer completes infinite delays: revisit the cancellation campaigns.");
        Assert.Contains("An infinite delay completed without cancellation", r.FirstBugReport, StringComparison.Ordinal);
    }
}
