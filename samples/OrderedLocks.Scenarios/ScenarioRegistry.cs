namespace OrderedLocks.Scenarios;

/// <summary>
/// Every scenario variant with its expected outcome: the article's scenarios (raw .NET vs
/// OrderedLocks) and the self-verification campaigns of the primitives.
/// </summary>
public static class ScenarioRegistry
{
    /// <summary>The report fragment of a deadlock among controlled operations.</summary>
    public const string Deadlock = "Deadlock detected";

    /// <summary>
    /// A lost or early wake-up: the threads deadlock, or (Monitor.Wait may wake without a Pulse
    /// under Coyote, as the CLR allows) a line is said out of turn.
    /// </summary>
    public const string LostWakeup = Deadlock + "|should be";

    /// <summary>Gets every case, article scenarios first.</summary>
    public static IReadOnlyList<ScenarioCase> All { get; } = Build();

    /// <summary>Finds the case with this scenario and variant.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="variant">The variant.</param>
    /// <returns>The case.</returns>
    /// <exception cref="KeyNotFoundException">No such case.</exception>
    public static ScenarioCase Get(string scenario, string variant) =>
        All.FirstOrDefault(c => c.Scenario == scenario && c.Variant == variant)
        ?? throw new KeyNotFoundException($"No scenario '{scenario}/{variant}'. Known: {string.Join(", ", All.Select(c => c.Id))}.");

    private static ScenarioCase[] Build()
    {
        const ScenarioKind V = ScenarioKind.Verification;
        return new ScenarioCase[]
        {
            // 1. Ticket race
            new("ticket", "raw-check-then-buy", Expectation.Bug, "Oversold", "Clients check then buy with nothing held: the last ticket is sold twice.", TicketRace.RawCheckThenBuyAsync),
            new("ticket", "ordered-lock", Expectation.NoBug, null, "The purchase under an OrderedLock: sold exactly once.", TicketRace.OrderedLockAsync),

            // 2. ABBA deadlock
            new("abba", "raw-lock", Expectation.Bug, Deadlock, "thread_1 locks x then y, thread_2 y then x, with lock.", AbbaDeadlock.RawLockAsync),
            new("abba", "raw-semaphoreslim", Expectation.Bug, Deadlock, "The same with SemaphoreSlim.WaitAsync.", AbbaDeadlock.RawSemaphoreSlimAsync),
            new("abba", "acquire-all", Expectation.NoBug, null, "AcquireAll(x, y) and AcquireAll(y, x): one global order.", AbbaDeadlock.AcquireAllAsync),
            new("abba", "acquire-all-async", Expectation.NoBug, null, "AcquireAllAsync with an await inside.", AbbaDeadlock.AcquireAllAsyncAsync),
            new("abba", "strict-nested", Expectation.NoBug, null, "Nested in the wrong order, strict ranks: thread_2 gets LockOrderException in every schedule, never a hang.", AbbaDeadlock.StrictNestedDeterministicAsync),
            new("abba", "strict-nested-unhandled", Expectation.Bug, "Lock order violation", "The same, exception unhandled: reported at once, not as a deadlock.", AbbaDeadlock.StrictNestedUnhandledAsync),
            new("abba", "learned-nested", Expectation.NoBug, null, "Nested in inconsistent order, learned order: exactly one PotentialDeadlock report in every schedule.", AbbaDeadlock.LearnedNestedAsync),
            new("abba", "checking-off-nested", Expectation.Bug, Deadlock, "Seeded bug (missing order check): the nested ABBA with checking off deadlocks.", AbbaDeadlock.CheckingOffNestedAsync),
            new("abba", "checking-off-nested-async", Expectation.Bug, Deadlock, "Seeded bug: the nested ABBA between two async flows with checking off deadlocks; the report names the locks.", AbbaDeadlockAsync.CheckingOffNestedAsync),

            // 3. The poem
            new("poem", "raw-monitor", Expectation.Bug, LostWakeup, "Monitor.Wait/Pulse, TianMao started first: the first Pulse is lost.", Poem.RawMonitorAsync),
            new("poem", "condition-no-predicate", Expectation.Bug, Deadlock, "OrderedCondition Wait/Notify as in the article: a notify with no waiter is not remembered either.", Poem.OrderedConditionNoPredicateAsync),
            new("poem", "wait-for", Expectation.NoBug, null, "OrderedCondition.WaitFor on whose turn it is: completes in every schedule.", Poem.WaitForAsync),
            new("poem", "wait-for-async", Expectation.NoBug, null, "AcquireAsync + WaitForAsync.", Poem.WaitForAsyncAsync),

            // 4. Seeker and hider
            new("seeker-hider", "raw-monitor", Expectation.Bug, LostWakeup, "Monitor.Wait/Pulse: the seeker's first Pulse can come before the hider waits.", SeekerHider.RawMonitorAsync),
            new("seeker-hider", "wait-for", Expectation.NoBug, null, "WaitFor on the game's phase.", SeekerHider.WaitForAsync),

            // 5. Dining philosophers
            new("dining", "raw-lock", Expectation.Bug, Deadlock, "Five philosophers, left fork then right fork: everyone holds the left one.", DiningPhilosophers.RawLockAsync),
            new("dining", "acquire-all", Expectation.NoBug, null, "Both forks with AcquireAll; fork exclusivity asserted.", DiningPhilosophers.AcquireAllAsync),
            new("dining", "acquire-all-async", Expectation.NoBug, null, "AcquireAllAsync, await while eating.", DiningPhilosophers.AcquireAllAsyncAsync),

            // 6. Async tracking under forks
            new("async-forks", "children-under-parent", Expectation.NoBug, null, "Parent holds a lock, forks children that acquire/await/release another: exclusion in every schedule.", AsyncForks.ChildrenUnderParentAsync),
            new("async-forks", "reentrant-children", Expectation.NoBug, null, "Reentrant lock: forked children nest in the parent's hold one at a time.", AsyncForks.ReentrantChildrenAsync),
            new("async-forks", "fire-and-forget", Expectation.Bug, "Self-deadlock", "A child forked under the hold wants the same lock: self-deadlock error in some schedules, never a hang.", AsyncForks.FireAndForgetInheritsAsync),
            new("async-forks", "fire-and-forget-suppressed", Expectation.NoBug, null, "The same fork inside SuppressInheritance: the child waits.", AsyncForks.FireAndForgetSuppressedAsync),

            // Self-verification of the primitives
            new("verify-ordered-lock", "exclusion-sync", Expectation.NoBug, null, "OrderedLock.Acquire: at most one holder.", () => Verification.ExclusionSyncAsync(() => CampaignLocks.Ordered()), V),
            new("verify-ordered-lock", "exclusion-async", Expectation.NoBug, null, "OrderedLock.AcquireAsync with awaits inside.", () => Verification.ExclusionAsyncAsync(() => CampaignLocks.Ordered()), V),
            new("verify-ordered-lock", "exclusion-mixed", Expectation.NoBug, null, "Sync and async holders mixed.", () => Verification.ExclusionMixedAsync(() => CampaignLocks.Ordered()), V),
            new("verify-ordered-lock", "cancellation", Expectation.NoBug, null, "A cancelled waiter leaves nothing held or queued.", () => Verification.CancellationAsync(() => CampaignLocks.Ordered()), V),
            new("verify-acquire-all", "overlapping-sets", Expectation.NoBug, null, "AcquireAll/AcquireAllAsync with overlapping sets: exclusion per lock, no deadlock.", Verification.AcquireAllOverlappingAsync, V),
            new("verify-reentrant", "recursion", Expectation.NoBug, null, "ReentrantOrderedLock: recursion counts and exclusion, sync and async.", Verification.ReentrantRecursionAsync, V),
            new("verify-reentrant", "exclusion-mixed", Expectation.NoBug, null, "ReentrantOrderedLock: sync and async holders mixed.", () => Verification.ExclusionMixedAsync(() => CampaignLocks.Reentrant()), V),
            new("verify-reentrant", "cancellation", Expectation.NoBug, null, "ReentrantOrderedLock: a cancelled waiter leaves nothing held.", () => Verification.CancellationAsync(() => CampaignLocks.Reentrant()), V),
            new("verify-condition", "no-lost-wakeup", Expectation.NoBug, null, "OrderedCondition: producers/consumers with WaitFor, nobody waits forever.", () => Verification.ConditionNoLostWakeupAsync(CampaignLocks.Condition), V),
            new("verify-condition", "fifo", Expectation.NoBug, null, "OrderedCondition: Notify(1) wakes waiters in the order they waited.", () => Verification.ConditionFifoAsync(CampaignLocks.Condition), V),

            // Issue 12: who holds a synchronous hold, and the paths earlier campaigns missed
            new("holder-identity", "reentrant-inline", Expectation.NoBug, null, "A sync holder of a ReentrantOrderedLock completes a TCS (default options) inside: the awaiting tasks acquire asynchronously and wait.", () => HolderIdentity.HolderCompletesTcsAsync(() => CampaignLocks.Reentrant(), inline: true), V),
            new("holder-identity", "reentrant-async-continuations", Expectation.NoBug, null, "The same with RunContinuationsAsynchronously.", () => HolderIdentity.HolderCompletesTcsAsync(() => CampaignLocks.Reentrant(), inline: false), V),
            new("holder-identity", "ordered-inline", Expectation.NoBug, null, "The same with an OrderedLock: no false self-deadlock, exclusion kept.", () => HolderIdentity.HolderCompletesTcsAsync(() => CampaignLocks.Ordered(), inline: true), V),
            new("holder-identity", "hand-off", Expectation.NoBug, null, "A sync holder hands its scope to another task (HandOff) and takes the lock again: it waits for the release, one inside at a time.", () => HolderIdentity.HandOffToAnotherTaskAsync(handOff: true), V),
            new("holder-identity", "hand-off-missing", Expectation.Bug, "Self-deadlock", "Seeded bug: the same without HandOff: the holder's thread still counts as the holder and its second acquisition is refused.", () => HolderIdentity.HandOffToAnotherTaskAsync(handOff: false), V),
            new("holder-identity", "thread-id-owner", Expectation.Bug, "Mutual exclusion violated|still held", "Seeded bug: the sync holder is identified by thread id alone, so an inline continuation re-enters beside the holder.", () => HolderIdentity.HolderCompletesTcsAsync(HolderIdentity.ThreadIdOwnerLock, inline: true), V),
            new("gaps", "reentrant-condition", Expectation.NoBug, null, "A consumer at depth 2 of a ReentrantOrderedLock waits on a condition; the wait gives up and restores both levels.", GapCampaigns.ReentrantConditionAsync, V),
            new("gaps", "reentrant-wait-one-level", Expectation.Bug, Deadlock, "Seeded bug: a wait that gives up one level of the reentrant lock only.", GapCampaigns.ReentrantWaitReleasesOneLevelAsync, V),
            new("gaps", "ranked-acquire-all", Expectation.NoBug, null, "AcquireAll of a rank-2 lock created before a rank-1 lock, against nesting in rank order.", GapCampaigns.RankedAcquireAllAsync, V),
            new("gaps", "ranked-sorted-by-id", Expectation.Bug, Deadlock, "Seeded bug: the set taken in creation-id order, rank ignored.", GapCampaigns.RankedSortedByIdAsync, V),
            new("gaps", "learned-three-cycle", Expectation.NoBug, null, "a→b, b→c, c→a with learned checking: exactly one potential-deadlock report, never a hang.", GapCampaigns.LearnedThreeCycleAsync, V),
            new("gaps", "unchecked-three-cycle", Expectation.Bug, Deadlock, "Seeded bug: the same cycle unchecked deadlocks.", GapCampaigns.UncheckedThreeCycleAsync, V),
            new("gaps", "double-and-foreign-dispose", Expectation.NoBug, null, "A stale scope disposed again and a reentrant scope disposed by a non-holder change nothing.", GapCampaigns.DoubleAndForeignDisposeAsync, V),
            new("gaps", "raw-semaphore-double-release", Expectation.Bug, "Mutual exclusion violated", "Seeded bug: a SemaphoreSlim released twice by a stale holder.", GapCampaigns.RawSemaphoreDoubleReleaseAsync, V),
            new("gaps", "try-acquire-all-timeout", Expectation.NoBug, null, "TryAcquireAllAsync of two locks with a timeout: all or nothing in every schedule.", GapCampaigns.TryAcquireAllTimeoutAsync, V),
            new("gaps", "try-acquire-all-keeps-first", Expectation.Bug, "must be free", "Seeded bug: the attempt keeps the first lock when the second times out.", GapCampaigns.TryAcquireAllKeepsFirstAsync, V),
        };
    }
}
