using OrderedLocks.Coyote.Tests.Mutants;
using OrderedLocks.Scenarios;
using OrderedLocks.Testing;
using Xunit;
using Xunit.Abstractions;

namespace OrderedLocks.Coyote.Tests;

/// <summary>
/// Seeded mutants: the self-verification campaigns that pass on the real primitives must catch
/// each buggy copy (and pass on the unmutated copy, the control), so they can fail.
/// </summary>
public sealed class MutantCampaignTests
{
    private readonly ITestOutputHelper _output;

    public MutantCampaignTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Mutants() => new()
    {
        "check-then-act/exclusion-sync",
        "check-then-act/exclusion-async",
        "release-without-wake/exclusion-sync",
        "release-without-wake/exclusion-async",
        "notify-before-enqueue/no-lost-wakeup",
        "notify-all-wakes-one/no-lost-wakeup",
        "lifo-wake-up/fifo",
        "fork-inherits-ownership/forked-children",
    };

    public static TheoryData<string> Controls() => new()
    {
        "mini-lock/exclusion-sync",
        "mini-lock/exclusion-async",
        "mini-lock/exclusion-mixed",
        "mini-condition/no-lost-wakeup",
        "mini-condition/fifo",
    };

    [Theory]
    [MemberData(nameof(Mutants))]
    public void Mutant_IsCaughtByEveryStrategy(string id)
    {
        foreach (CampaignStrategy strategy in Profiles.Strategies)
        {
            CampaignResult r = CampaignRunner.Run(Campaign.Create("mutant", Body(id), id), strategy, Profiles.For(Expectation.Bug));
            _output.WriteLine(Profiles.Describe(r));
            Assert.Empty(r.UncontrolledInvocations);
            Assert.True(r.FoundBug, $"Mutant {id} escaped {r.IterationsRun} iterations of {strategy.ShortName()}.");
        }
    }

    [Theory]
    [MemberData(nameof(Controls))]
    public void UnmutatedCopy_Passes(string id)
    {
        foreach (CampaignStrategy strategy in Profiles.Strategies)
        {
            CampaignResult r = CampaignRunner.Run(Campaign.Create("control", Body(id), id), strategy, Profiles.For(Expectation.NoBug));
            _output.WriteLine(Profiles.Describe(r));
            Assert.Empty(r.UncontrolledInvocations);
            Assert.False(r.FoundBug, $"The unmutated copy {id} failed: {r.FirstBugReport}");
        }
    }

    internal static Func<Task> Body(string id) => id switch
    {
        "check-then-act/exclusion-sync" => () => Verification.ExclusionSyncAsync(() => new MiniLock(Mutation.CheckThenActFastPath)),
        "check-then-act/exclusion-async" => () => Verification.ExclusionAsyncAsync(() => new MiniLock(Mutation.CheckThenActFastPath)),
        "release-without-wake/exclusion-sync" => () => Verification.ExclusionSyncAsync(() => new MiniLock(Mutation.ReleaseWithoutWake)),
        "release-without-wake/exclusion-async" => () => Verification.ExclusionAsyncAsync(() => new MiniLock(Mutation.ReleaseWithoutWake)),
        "notify-before-enqueue/no-lost-wakeup" => () => Verification.ConditionNoLostWakeupAsync(() => new MiniCondition(Mutation.NotifyBeforeEnqueue)),
        "notify-all-wakes-one/no-lost-wakeup" => () => Verification.ConditionNoLostWakeupAsync(() => new MiniCondition(Mutation.NotifyAllWakesOne)),
        "lifo-wake-up/fifo" => () => Verification.ConditionFifoAsync(() => new MiniCondition(Mutation.LifoWakeUp)),
        "fork-inherits-ownership/forked-children" => () => Verification.ForkedChildrenAsync(() => new ForkOwnershipLock(), parentHoldsSameLock: true),
        "mini-lock/exclusion-sync" => () => Verification.ExclusionSyncAsync(() => new MiniLock()),
        "mini-lock/exclusion-async" => () => Verification.ExclusionAsyncAsync(() => new MiniLock()),
        "mini-lock/exclusion-mixed" => () => Verification.ExclusionMixedAsync(() => new MiniLock()),
        "mini-condition/no-lost-wakeup" => () => Verification.ConditionNoLostWakeupAsync(() => new MiniCondition()),
        "mini-condition/fifo" => () => Verification.ConditionFifoAsync(() => new MiniCondition()),
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown mutant."),
    };
}
