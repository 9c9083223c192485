using Microsoft.Coyote.Runtime;
using Microsoft.Coyote.Specifications;

namespace OrderedLocks.Scenarios;

/// <summary>
/// Self-verification campaigns: invariants asserted inside the critical sections of the
/// OrderedLocks primitives (exclusion counter, recursion counts, FIFO wake-ups, no lost wake-up,
/// nothing held after cancellation). Each takes the primitive as a parameter so the Coyote test
/// project can run the same campaign against seeded buggy copies, which it must catch.
/// </summary>
public static class Verification
{
    private const int Workers = 3;
    private const int Rounds = 2;

    /// <summary>Mutual exclusion with synchronous holders: at most one inside, every entry counted.</summary>
    /// <param name="create">Creates the lock under test.</param>
    /// <returns>The campaign body.</returns>
    public static async Task ExclusionSyncAsync(Func<ICampaignLock> create)
    {
        ICampaignLock l = create();
        var section = new Section();
        var workers = new Task[Workers];
        for (int i = 0; i < Workers; i++)
        {
            workers[i] = Task.Run(() =>
            {
                for (int r = 0; r < Rounds; r++)
                {
                    using (l.Enter())
                    {
                        section.Enter();
                        SchedulingPoint.Interleave(); // let Coyote switch inside the critical section
                        section.Exit();
                    }
                }
            });
        }

        await Task.WhenAll(workers);
        section.AssertCompleted(Workers * Rounds);
        Specification.Assert(!l.IsLocked, "The lock is still held after every holder released it.");
    }

    /// <summary>Mutual exclusion with asynchronous holders that await inside the critical section.</summary>
    /// <param name="create">Creates the lock under test.</param>
    /// <returns>The campaign body.</returns>
    public static async Task ExclusionAsyncAsync(Func<ICampaignLock> create)
    {
        ICampaignLock l = create();
        var section = new Section();
        var workers = new Task[Workers];
        for (int i = 0; i < Workers; i++)
        {
            workers[i] = Task.Run(async () =>
            {
                for (int r = 0; r < Rounds; r++)
                {
                    using (await l.EnterAsync())
                    {
                        section.Enter();
                        await Task.Yield();
                        section.Exit();
                    }
                }
            });
        }

        await Task.WhenAll(workers);
        section.AssertCompleted(Workers * Rounds);
        Specification.Assert(!l.IsLocked, "The lock is still held after every holder released it.");
    }

    /// <summary>Mutual exclusion with synchronous and asynchronous holders mixed.</summary>
    /// <param name="create">Creates the lock under test.</param>
    /// <returns>The campaign body.</returns>
    public static async Task ExclusionMixedAsync(Func<ICampaignLock> create)
    {
        ICampaignLock l = create();
        var section = new Section();
        Task sync = Task.Run(() =>
        {
            for (int r = 0; r < Rounds; r++)
            {
                using (l.Enter())
                {
                    section.Enter();
                    SchedulingPoint.Interleave();
                    section.Exit();
                }
            }
        });
        Task async1 = Task.Run(() => AsyncHolderAsync(l, section));
        Task async2 = Task.Run(() => AsyncHolderAsync(l, section));
        await Task.WhenAll(new[] { sync, async1, async2 });
        section.AssertCompleted(3 * Rounds);
        Specification.Assert(!l.IsLocked, "The lock is still held after every holder released it.");

        static async Task AsyncHolderAsync(ICampaignLock l, Section section)
        {
            for (int r = 0; r < Rounds; r++)
            {
                using (await l.EnterAsync())
                {
                    section.Enter();
                    await Task.Yield();
                    section.Exit();
                }
            }
        }
    }

    /// <summary>
    /// Cancellation: a waiter is cancelled while another flow holds the lock. Whether it got the
    /// lock or was cancelled, nothing stays held and the lock keeps working.
    /// </summary>
    /// <param name="create">Creates the lock under test.</param>
    /// <returns>The campaign body.</returns>
    public static async Task CancellationAsync(Func<ICampaignLock> create)
    {
        ICampaignLock l = create();
        var section = new Section();
        using var cts = new CancellationTokenSource();
        Task holder = Task.Run(async () =>
        {
            using (await l.EnterAsync())
            {
                section.Enter();
                await Task.Yield();
                section.Exit();
            }
        });
        Task waiter = Task.Run(async () =>
        {
            try
            {
                IDisposable hold = await l.EnterAsync(cts.Token);
                // An infinite, cancellable wait returns holding the lock or throws: never "not acquired".
                Specification.Assert(hold is not LockScope { IsAcquired: false }, "An infinite cancellable wait returned without the lock.");

                using (hold)
                {
                    section.Enter();
                    await Task.Yield();
                    section.Exit();
                }
            }
            catch (OperationCanceledException)
            {
                // Cancelled before it got the lock: it must hold nothing (checked below).
            }
        });
        Task canceller = Task.Run(cts.Cancel);
        await Task.WhenAll(new[] { holder, waiter, canceller });
        Specification.Assert(!l.IsLocked, "A cancelled acquisition left the lock held.");

        // The lock still works: a new holder gets it (a leaked waiter or hold would hang here).
        using (await l.EnterAsync())
        {
            section.Enter();
            section.Exit();
        }
    }

    /// <summary>
    /// <c>AcquireAll</c> with overlapping sets passed in different orders: each lock exclusive,
    /// no deadlock, everything released afterwards.
    /// </summary>
    /// <returns>The campaign body.</returns>
    public static async Task AcquireAllOverlappingAsync()
    {
        var a = new OrderedLock("a");
        var b = new OrderedLock("b");
        var c = new OrderedLock("c");
        var sections = new[] { new Section(), new Section(), new Section() };
        Task t1 = Task.Run(() => Hold(new[] { c, a }, new[] { 2, 0 }));
        Task t2 = Task.Run(() => Hold(new[] { b, c }, new[] { 1, 2 }));
        Task t3 = Task.Run(() => HoldAsync(new[] { a, b, c }, new[] { 0, 1, 2 }));
        await Task.WhenAll(new[] { t1, t2, t3 });
        Specification.Assert(!a.IsLocked && !b.IsLocked && !c.IsLocked, "AcquireAll left a lock held.");

        void Hold(OrderedLock[] set, int[] ids)
        {
            using (OrderedLock.AcquireAll(set))
            {
                foreach (int id in ids)
                {
                    sections[id].Enter();
                }

                SchedulingPoint.Interleave();
                foreach (int id in ids)
                {
                    sections[id].Exit();
                }
            }
        }

        async Task HoldAsync(OrderedLock[] set, int[] ids)
        {
            using (await OrderedLock.AcquireAllAsync(set))
            {
                foreach (int id in ids)
                {
                    sections[id].Enter();
                }

                await Task.Yield();
                foreach (int id in ids)
                {
                    sections[id].Exit();
                }
            }
        }
    }

    /// <summary>
    /// Reentrant lock: recursion counts are right at every depth, holders exclude each other,
    /// synchronously and asynchronously.
    /// </summary>
    /// <returns>The campaign body.</returns>
    public static async Task ReentrantRecursionAsync()
    {
        var r = new ReentrantOrderedLock("reentrant");
        var section = new Section();
        Task sync = Task.Run(() =>
        {
            using (r.Acquire())
            {
                Specification.Assert(r.RecursionCount == 1, $"Recursion count {r.RecursionCount} after one Acquire.");
                using (r.Acquire())
                {
                    Specification.Assert(r.RecursionCount == 2, $"Recursion count {r.RecursionCount} after two Acquires.");
                    section.Enter();
                    SchedulingPoint.Interleave();
                    section.Exit();
                }

                Specification.Assert(r.RecursionCount == 1, $"Recursion count {r.RecursionCount} after one release of two.");
            }

            Specification.Assert(r.RecursionCount == 0, "Still held after the last release.");
        });
        Task async = Task.Run(async () =>
        {
            using (await r.AcquireAsync())
            {
                Specification.Assert(r.RecursionCount == 1, $"Async recursion count {r.RecursionCount} after one AcquireAsync.");
                await Task.Yield();
                using (await r.AcquireAsync())
                {
                    Specification.Assert(r.RecursionCount == 2, $"Async recursion count {r.RecursionCount} after two.");
                    section.Enter();
                    await Task.Yield();
                    section.Exit();
                }

                Specification.Assert(r.RecursionCount == 1, $"Async recursion count {r.RecursionCount} after one release of two.");
            }
        });
        await Task.WhenAll(new[] { sync, async });
        section.AssertCompleted(2);
        Specification.Assert(!r.IsLocked, "The reentrant lock is still held after every release.");
    }

    /// <summary>
    /// Forks under a lock (article scenario 6, and the reentrant stack discipline): a parent holding
    /// a lock forks children that acquire, await and release; the children exclude each other in
    /// every schedule and the parent, awaiting them, never hangs.
    /// </summary>
    /// <param name="create">Creates the lock the children contend for. For a reentrant lock the parent holds that same lock.</param>
    /// <param name="parentHoldsSameLock">Whether the parent holds the children's lock (reentrant) or an outer one.</param>
    /// <returns>The campaign body.</returns>
    public static async Task ForkedChildrenAsync(Func<ICampaignLock> create, bool parentHoldsSameLock)
    {
        ICampaignLock inner = create();
        ICampaignLock outer = parentHoldsSameLock ? inner : CampaignLocks.Wrap(new OrderedLock("outer", rank: -1));
        var section = new Section();
        using (await outer.EnterAsync())
        {
            var children = new Task[Workers];
            for (int i = 0; i < Workers; i++)
            {
                children[i] = Task.Run(async () =>
                {
                    using (await inner.EnterAsync())
                    {
                        section.Enter();
                        await Task.Yield();
                        section.Exit();
                    }
                });
            }

            await Task.WhenAll(children);
        }

        section.AssertCompleted(Workers);
        Specification.Assert(!inner.IsLocked && !outer.IsLocked, "A lock is still held after the parent released.");

    }

    /// <summary>
    /// Condition, no lost wake-up: two producers and two consumers over a one-slot buffer with
    /// <c>WaitFor</c> and <c>NotifyAll</c>; every item is consumed and nobody waits forever.
    /// </summary>
    /// <param name="create">Creates the condition under test.</param>
    /// <returns>The campaign body.</returns>
    public static async Task ConditionNoLostWakeupAsync(Func<ICampaignCondition> create)
    {
        ICampaignCondition cond = create();
        const int PerProducer = 2;
        int? slot = null;
        int consumed = 0;
        var tasks = new Task[4];
        for (int p = 0; p < 2; p++)
        {
            int producer = p;
            tasks[p] = Task.Run(() =>
            {
                for (int k = 0; k < PerProducer; k++)
                {
                    using (cond.Lock.Enter())
                    {
                        cond.WaitFor(() => slot is null);
                        slot = (producer * 10) + k;
                        cond.NotifyAll();
                    }
                }
            });
        }

        for (int c = 0; c < 2; c++)
        {
            tasks[2 + c] = Task.Run(async () =>
            {
                for (int k = 0; k < PerProducer; k++)
                {
                    using (await cond.Lock.EnterAsync())
                    {
                        await cond.WaitForAsync(() => slot is not null);
                        Specification.Assert(slot is not null, "WaitFor returned while its predicate is false.");
                        slot = null;
                        consumed++;
                        cond.NotifyAll();
                    }
                }
            });
        }

        await Task.WhenAll(tasks);
        Specification.Assert(consumed == 2 * PerProducer, $"Consumed {consumed} of {2 * PerProducer} items.");
        Specification.Assert(!cond.Lock.IsLocked, "The condition's lock is still held at the end.");
    }

    /// <summary>
    /// Condition, FIFO: three waiters queue in a known order; <c>Notify(1)</c> three times, one at a
    /// time, must wake them in that order (the order they started waiting).
    /// </summary>
    /// <param name="create">Creates the condition under test.</param>
    /// <returns>The campaign body.</returns>
    public static async Task ConditionFifoAsync(Func<ICampaignCondition> create)
    {
        ICampaignCondition cond = create();
        var waitOrder = new List<int>();
        var wakeOrder = new List<int>();
        using var queued = new SemaphoreSlim(0);
        using var woken = new SemaphoreSlim(0);
        var tasks = new Task[Workers + 1];
        for (int i = 0; i < Workers; i++)
        {
            int id = i;
            tasks[i] = Task.Run(() =>
            {
                using (cond.Lock.Enter())
                {
                    waitOrder.Add(id);
                    queued.Release(); // still holding the lock: the notifier gets it only after Wait queued us
                    cond.Wait();      // the notification itself is what is checked
                    wakeOrder.Add(id);
                    woken.Release();
                }
            });
        }

        tasks[Workers] = Task.Run(async () =>
        {
            for (int k = 0; k < Workers; k++)
            {
                await queued.WaitAsync();
            }

            for (int k = 0; k < Workers; k++)
            {
                using (cond.Lock.Enter())
                {
                    cond.Notify(1);
                }

                await woken.WaitAsync(); // one wake-up at a time
            }
        });
        await Task.WhenAll(tasks);
        for (int i = 0; i < Workers; i++)
        {
            Specification.Assert(wakeOrder[i] == waitOrder[i], $"Not FIFO: waited in order {string.Join(",", waitOrder)}, woke in order {string.Join(",", wakeOrder)}.");
        }
    }

    /// <summary>Counts holders inside a critical section and asserts there is never more than one.</summary>
    public sealed class Section
    {
        private int _inside;
        private int _completed;

        /// <summary>Records an entry; fails if somebody else is inside.</summary>
        public void Enter()
        {
            _inside++;
            Specification.Assert(_inside == 1, $"Mutual exclusion violated: {_inside} holders inside the critical section.");
        }

        /// <summary>Records an exit.</summary>
        public void Exit()
        {
            _inside--;
            _completed++;
        }

        /// <summary>Asserts how many critical sections completed.</summary>
        /// <param name="expected">The expected count.</param>
        public void AssertCompleted(int expected) =>
            Specification.Assert(_completed == expected, $"{_completed} critical sections completed, expected {expected}.");
    }
}
