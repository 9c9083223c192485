using Microsoft.Coyote;
using Microsoft.Coyote.Specifications;
using Microsoft.Coyote.SystematicTesting;
using OrderedLocks.Testing;
using Xunit;

namespace OrderedLocks.Coyote.Tests.Diagnostics;

/// <summary>
/// An iteration that ends on a bug while other tasks are in the middle of a contended wait must
/// leave nothing behind that a later iteration or campaign trips over. Coyote ties every monitor
/// it has seen to the iteration that first entered it, and keeps that tie while a task of an
/// ended iteration still owns the monitor (paused at a scheduling point inside it) or is queued
/// for it: a static monitor in the library (the wait registry's gate, until this test) then fails
/// every later iteration of every campaign in the process ("Accessing 'lock(…)' that was created
/// in a previous test iteration"). Iterations cut by the step bound did not do this when tried
/// (300 and 1,000 iterations of the contention below at bounds of 25 and 12 steps), so the tests
/// end iterations with a bug.
/// </summary>
public sealed class CutIterationTests
{
    [Fact]
    public void IterationsEndedByAnotherTasksBug_MidWait_DoNotFailLaterCampaigns()
    {
        // Every iteration ends with a bug raised while the other tasks are somewhere in their waits.
        var failing = Campaign.Create("bug-mid-wait", ContendThenFailAsync);
        var options = new CampaignOptions { Iterations = 200, Seed = 11, StopAtFirstBug = false, AssembliesUnderTest = Profiles.UnderTest, DeadlockTimeoutMs = 5000 };
        CampaignResult first = CampaignRunner.Run(failing, CampaignStrategy.Random, options);
        Assert.True(first.FoundBug, "the seeded assertion was not hit");
        Assert.Contains("seeded failure", first.FirstBugReport, StringComparison.Ordinal);

        AssertLaterCampaignsAreClean();
    }

    [Fact]
    public void UsersOwnEngine_WithoutTheHarness_SurvivesIterationsEndedMidWait()
    {
        // A user's campaign that drives Coyote's engine directly never resets the library's wait
        // registry (waits are tracked by default): iterations ended mid-wait must not poison it either.
        Assert.True(CampaignRunner.IsRewritten(typeof(OrderedLock).Assembly), "OrderedLocks.dll is not Coyote-rewritten here");
        Assert.True(CampaignRunner.IsRewritten(typeof(CutIterationTests).Assembly), "the test assembly is not Coyote-rewritten");
        Configuration config = Configuration.Create()
            .WithTestingIterations(200)
            .WithRandomGeneratorSeed(5)
            .WithTestIterationsRunToCompletion()
            .WithTelemetryEnabled(false)
            .WithConsoleLoggingEnabled(false);
        using (TestingEngine failingEngine = TestingEngine.Create(config, ContendThenFailAsync))
        {
            failingEngine.Run();
            Assert.True(failingEngine.TestReport.NumOfFoundBugs > 0, "the seeded assertion was not hit");
            Assert.Empty(failingEngine.TestReport.UncontrolledInvocations);
        }

        Configuration clean = Configuration.Create()
            .WithTestingIterations(100)
            .WithRandomGeneratorSeed(6)
            .WithTelemetryEnabled(false)
            .WithConsoleLoggingEnabled(false);
        using TestingEngine engine = TestingEngine.Create(clean, ContendAsync);
        engine.Run();
        Assert.True(engine.TestReport.NumOfFoundBugs == 0, string.Join("\n", engine.TestReport.BugReports));
        Assert.Empty(engine.TestReport.UncontrolledInvocations);
    }

    private static void AssertLaterCampaignsAreClean()
    {
        var options = new CampaignOptions { Iterations = 100, Seed = 3, AssembliesUnderTest = Profiles.UnderTest, DeadlockTimeoutMs = 5000 };
        foreach (CampaignStrategy strategy in Profiles.Strategies)
        {
            CampaignResult later = CampaignRunner.Run(Campaign.Create("after-cut", ContendAsync), strategy, options);
            Assert.False(later.FoundBug, Profiles.Describe(later));
            Assert.Equal(100u, later.IterationsRun);
        }
    }

    // Three tasks contend for two locks (in order), sync and async, so most schedules record waits.
    private static async Task ContendAsync()
    {
        var a = new OrderedLock("a", rank: 1);
        var b = new OrderedLock("b", rank: 2);
        var tasks = new Task[]
        {
            Task.Run(async () =>
            {
                for (int i = 0; i < 2; i++)
                {
                    using (await a.AcquireAsync())
                    {
                        await Task.Yield();
                    }
                }
            }),
            Task.Run(() =>
            {
                using (a.Acquire())
                using (b.Acquire())
                {
                }
            }),
            Task.Run(async () =>
            {
                using (await b.AcquireAsync())
                {
                    await Task.Yield();
                }
            }),
        };
        await Task.WhenAll(tasks);
    }

    private static async Task ContendThenFailAsync()
    {
        var a = new OrderedLock("a");
        var waits = new Task[]
        {
            Task.Run(() =>
            {
                using (a.Acquire())
                {
                }
            }),
            Task.Run(async () =>
            {
                using (await a.AcquireAsync())
                {
                    await Task.Yield();
                }
            }),
        };
        using (await a.AcquireAsync())
        {
            await Task.Yield();
        }

        Specification.Assert(false, "seeded failure while others wait");
        await Task.WhenAll(waits);
    }
}
