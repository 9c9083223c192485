using Microsoft.Coyote.Specifications;

namespace OrderedLocks.Scenarios;

/// <summary>
/// Campaigns for paths the earlier campaigns did not reach (issue 12): a reentrant lock with a
/// condition, ranked locks in AcquireAll, a learned cycle of three locks, double and foreign-thread
/// disposal, TryAcquireAll with a timeout. Each fixed variant runs against the real library (so a
/// bug seeded in the library fails it, see tools/mutation) and has a seeded buggy twin written
/// here that the same campaign must catch.
/// </summary>
public static class GapCampaigns
{
    // ---- reentrant lock with a condition ----

    /// <summary>
    /// A consumer re-enters a reentrant lock (depth 2) and waits on a condition; the producer must
    /// get the lock to notify. The wait gives up both levels and restores them.
    /// </summary>
    /// <returns>The campaign body.</returns>
    public static async Task ReentrantConditionAsync()
    {
        var l = new ReentrantOrderedLock("reentrant-condition");
        var ready = new OrderedCondition(l);
        bool produced = false;
        int depthAfterWait = 0;

        Task consumer = Task.Run(() =>
        {
            using (l.Acquire())
            using (l.Acquire())
            {
                ready.WaitFor(() => produced);
                depthAfterWait = l.RecursionCount;
            }
        });
        Task producer = Task.Run(() =>
        {
            using (l.Acquire())
            {
                produced = true;
                ready.NotifyAll();
            }
        });

        await Task.WhenAll(new[] { consumer, producer });
        Specification.Assert(depthAfterWait == 2, $"The wait must restore the recursion (2), got {depthAfterWait}.");
        Specification.Assert(!l.IsLocked, "The reentrant lock is still held.");
    }

    /// <summary>
    /// Seeded bug: a "condition wait" that gives up only the innermost level of the reentrant lock.
    /// The outer level stays held, so the producer can never notify.
    /// </summary>
    /// <returns>The campaign body.</returns>
    public static async Task ReentrantWaitReleasesOneLevelAsync()
    {
        var l = new ReentrantOrderedLock("one-level-wait");
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool produced = false;

        Task consumer = Task.Run(() =>
        {
            using (l.Acquire())
            {
                LockScope inner = l.Acquire();
                while (!Volatile.Read(ref produced))
                {
                    inner.Dispose(); // BUG: one level only
                    signal.Task.Wait();
                    inner = l.Acquire();
                }

                inner.Dispose();
            }
        });
        Task producer = Task.Run(() =>
        {
            using (l.Acquire())
            {
                Volatile.Write(ref produced, true);
                signal.TrySetResult();
            }
        });

        await Task.WhenAll(new[] { consumer, producer });
    }

    // ---- ranked locks in AcquireAll ----

    /// <summary>
    /// A lock of rank 2 created before a lock of rank 1: one task takes both with AcquireAll, the
    /// other nests them in rank order. AcquireAll must take them by rank too, or the two deadlock.
    /// </summary>
    /// <returns>The campaign body.</returns>
    public static Task RankedAcquireAllAsync() => RankedAsync(useLibrary: true);

    /// <summary>Seeded bug: the set is taken in creation-id order (rank ignored).</summary>
    /// <returns>The campaign body.</returns>
    public static Task RankedSortedByIdAsync() => RankedAsync(useLibrary: false);

    private static async Task RankedAsync(bool useLibrary)
    {
        var high = new OrderedLock("rank-2-created-first", rank: 2, checking: LockOrderChecking.Off);
        var low = new OrderedLock("rank-1-created-second", rank: 1, checking: LockOrderChecking.Off);
        int inside = 0;

        Task set = Task.Run(() =>
        {
            if (useLibrary)
            {
                using (OrderedLock.AcquireAll(high, low))
                {
                    inside++;
                }
            }
            else
            {
                // BUG: sorted by creation id only: high (id smaller) before low.
                OrderedLockBase[] byId = new OrderedLockBase[] { high, low }.OrderBy(x => x.Id).ToArray();
#pragma warning disable OL0003 // BUG variant: two locks nested in creation-id order instead of one AcquireAll
                using (((OrderedLock)byId[0]).Acquire())
                using (((OrderedLock)byId[1]).Acquire())
                {
                    inside++;
                }
#pragma warning restore OL0003
            }
        });
        Task nested = Task.Run(() =>
        {
            using (low.Acquire())
            using (high.Acquire())
            {
                inside++;
            }
        });

        await Task.WhenAll(new[] { set, nested });
        Specification.Assert(inside == 2 && !high.IsLocked && !low.IsLocked, "Both tasks must complete and release.");
    }

    // ---- a learned cycle of three locks ----

    /// <summary>
    /// Three tasks nest a→b, b→c, c→a with learned checking: whichever acquisition closes the cycle
    /// is reported as a potential deadlock (it throws before blocking), in every schedule, so the
    /// three never deadlock. A check that only finds cycles of two locks misses it and deadlocks.
    /// </summary>
    /// <returns>The campaign body.</returns>
    public static Task LearnedThreeCycleAsync() => ThreeCycleAsync(LockOrderChecking.Learned);

    /// <summary>Seeded bug: the same cycle with no order check: Coyote finds the deadlock.</summary>
    /// <returns>The campaign body.</returns>
    public static Task UncheckedThreeCycleAsync() => ThreeCycleAsync(LockOrderChecking.Off);

    private static async Task ThreeCycleAsync(LockOrderChecking mode)
    {
        var a = new OrderedLock("cycle-a", checking: mode);
        var b = new OrderedLock("cycle-b", checking: mode);
        var c = new OrderedLock("cycle-c", checking: mode);
        int reports = 0;

#pragma warning disable OL0001 // the three-lock cycle on purpose: each flow nests its two locks, a->b, b->c, c->a
        void Nest(OrderedLock first, OrderedLock second)
        {
            using (first.Acquire())
            {
                try
                {
                    using (second.Acquire())
                    {
                    }
                }
                catch (LockOrderException e) when (e.Kind == LockViolationKind.PotentialDeadlock)
                {
                    Interlocked.Increment(ref reports);
                }
            }
        }
#pragma warning restore OL0001

        Task t1 = Task.Run(() => Nest(a, b));
        Task t2 = Task.Run(() => Nest(b, c));
        Task t3 = Task.Run(() => Nest(c, a));
        await Task.WhenAll(new[] { t1, t2, t3 });
        if (mode == LockOrderChecking.Learned)
        {
            Specification.Assert(reports == 1, $"Exactly one acquisition closes the cycle a→b→c→a and must be reported, got {reports}.");
        }

        Specification.Assert(!a.IsLocked && !b.IsLocked && !c.IsLocked, "Nothing may stay held.");
    }

    // ---- double and foreign-thread dispose ----

    /// <summary>
    /// A stale scope disposed again while another task holds the lock must not release that
    /// task's hold; a reentrant lock's scope disposed by a task that is not the holder is refused.
    /// Exclusion is asserted throughout.
    /// </summary>
    /// <returns>The campaign body.</returns>
    public static async Task DoubleAndForeignDisposeAsync()
    {
        var l = new OrderedLock("double-dispose");
        var r = new ReentrantOrderedLock("foreign-dispose");
        var section = new Verification.Section();
        LockScope first = l.Acquire();
        first.Dispose();
        var acquired = new TaskCompletionSource<LockScope>(TaskCreationOptions.RunContinuationsAsynchronously);
        var leave = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool refused = false;
        bool stillHeld = false;

        Task stale = Task.Run(() => first.Dispose()); // a second dispose of the released scope
        Task holder = Task.Run(() =>
        {
            using (l.Acquire())
            {
                section.Enter();
                Microsoft.Coyote.Runtime.SchedulingPoint.Interleave();
                section.Exit();
            }
        });
        Task contender = Task.Run(() =>
        {
            using (l.Acquire())
            {
                section.Enter();
                section.Exit();
            }
        });
        Task reentrantHolder = Task.Run(() =>
        {
            using (LockScope held = r.Acquire())
            {
                acquired.SetResult(held);
                leave.Task.Wait(); // keeps the thread (and the hold) until the foreign dispose was tried
            }
        });
        Task foreign = Task.Run(async () =>
        {
            LockScope notMine = await acquired.Task;
            try
            {
                notMine.Dispose(); // not the holder's thread
            }
            catch (SynchronizationLockException)
            {
                refused = true;
            }

            stillHeld = r.IsLocked;
            leave.SetResult();
        });

        await Task.WhenAll(new[] { stale, holder, contender, reentrantHolder, foreign });
        Specification.Assert(refused && stillHeld, "A reentrant scope disposed by another thread must be refused and the hold kept.");
        section.AssertCompleted(2);
        Specification.Assert(!l.IsLocked && !r.IsLocked, "Nothing may stay held.");
    }

    /// <summary>Seeded bug: a semaphore released twice by a stale holder lets two holders in.</summary>
    /// <returns>The campaign body.</returns>
    public static async Task RawSemaphoreDoubleReleaseAsync()
    {
        var gate = new SemaphoreSlim(1, 2);
        var section = new Verification.Section();
        await gate.WaitAsync();
        gate.Release();

        Task stale = Task.Run(() => gate.Release()); // BUG: nothing guards a second release
        Task[] holders = new Task[2];
        for (int i = 0; i < holders.Length; i++)
        {
            holders[i] = Task.Run(async () =>
            {
                await gate.WaitAsync();
                section.Enter();
                await Task.Yield();
                section.Exit();
                gate.Release();
            });
        }

        await Task.WhenAll(new[] { stale, holders[0], holders[1] });
    }

    // ---- TryAcquireAll with a timeout ----

    /// <summary>
    /// One task holds the second lock until the attempt is over; another tries the pair with a
    /// timeout, which must fire. The failed attempt must hold nothing: the first lock is free after.
    /// </summary>
    /// <returns>The campaign body.</returns>
    public static Task TryAcquireAllTimeoutAsync() => TryAllAsync(seededKeepsFirst: false);

    /// <summary>Seeded bug: the attempt keeps the first lock when the second times out.</summary>
    /// <returns>The campaign body.</returns>
    public static Task TryAcquireAllKeepsFirstAsync() => TryAllAsync(seededKeepsFirst: true);

    private static async Task TryAllAsync(bool seededKeepsFirst)
    {
        // The default checking mode (Hybrid), as users get it. The holder keeps the second lock
        // until the attempt is over, so the 1 ms timeout fires in every schedule and the seeded
        // twin fails at its first iteration under every strategy. (An earlier version released
        // after its own 1 ms delay: the seeded bug then showed only in schedules where the
        // attempt's timer won that race, and it escaped 1,000 random iterations under Hybrid.)
        var first = new OrderedLock("try-first", rank: 1);
        var second = new OrderedLock("try-second", rank: 2);
        var firstSection = new Verification.Section();
        bool leaked = false;

        var attemptDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task holder = Task.Run(async () =>
        {
            using (await second.AcquireAsync())
            {
                holding.SetResult();
                await attemptDone.Task; // held until the attempt gave up: its timeout must fire
            }
        });
        Task attempt = Task.Run(async () =>
        {
            await holding.Task;
            await AttemptAsync();
            attemptDone.SetResult();
        });

        async Task AttemptAsync()
        {
            if (!seededKeepsFirst)
            {
                LockSetScope set = await OrderedLock.TryAcquireAllAsync(new[] { second, first }, TimeSpan.FromMilliseconds(1));
                using (set)
                {
                    if (set.Count == 2)
                    {
                        firstSection.Enter();
                        firstSection.Exit();
                    }
                }
            }
            else
            {
                LockScope a = await first.AcquireAsync();
                LockScope b = await second.TryAcquireAsync(TimeSpan.FromMilliseconds(1));
                if (b.IsAcquired)
                {
                    firstSection.Enter();
                    firstSection.Exit();
                    b.Dispose();
                    a.Dispose();
                }
                else
                {
                    leaked = true; // BUG: `a` is not given back
                }
            }
        }

        Task later = Task.Run(async () =>
        {
            await attempt;
            LockScope again = await first.TryAcquireAsync(TimeSpan.Zero);
            Specification.Assert(again.IsAcquired, $"The first lock must be free after the attempt (leaked: {leaked}).");
            again.Dispose();
        });

        await Task.WhenAll(new[] { holder, attempt, later });
        Specification.Assert(!first.IsLocked && !second.IsLocked, "Nothing may stay held.");
    }
}
