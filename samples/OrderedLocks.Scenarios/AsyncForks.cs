using Microsoft.Coyote.Specifications;

namespace OrderedLocks.Scenarios;

/// <summary>
/// Async tracking under forks (what the article's thread-only locks cannot do): a parent holding a
/// lock forks children that acquire another lock, await and release. Mutual exclusion holds in
/// every schedule, the children's acquisitions are checked as nested under the parent's hold, and
/// nothing hangs. A fire-and-forget child that wants the parent's own lock is the documented
/// hazard: without <see cref="LockOrderPolicy.SuppressInheritance"/> it is a self-deadlock error
/// in the schedules where it runs before the parent releases.
/// </summary>
public static class AsyncForks
{
    /// <summary>Parent holds an outer lock and awaits forked children contending for an inner one.</summary>
    /// <returns>The scenario.</returns>
    public static Task ChildrenUnderParentAsync() =>
        Verification.ForkedChildrenAsync(() => CampaignLocks.Ordered("inner"), parentHoldsSameLock: false);

    /// <summary>Reentrant lock: forked children nest inside the parent's hold one at a time (stack discipline).</summary>
    /// <returns>The scenario.</returns>
    public static Task ReentrantChildrenAsync() =>
        Verification.ForkedChildrenAsync(() => CampaignLocks.Reentrant("shared"), parentHoldsSameLock: true);

    /// <summary>
    /// Fire-and-forget child started under the parent's hold, wanting the same (non-reentrant)
    /// lock: Coyote finds the schedule where the child asks before the parent released, which the
    /// library reports as a self-deadlock instead of letting it hang.
    /// </summary>
    /// <returns>The scenario.</returns>
    public static async Task FireAndForgetInheritsAsync()
    {
        var l = new OrderedLock("shared");
        Task child;
        using (await l.AcquireAsync())
        {
            child = Task.Run(async () =>
            {
                using (await l.AcquireAsync())
                {
                    await Task.Yield();
                }
            });
        }

        await child;
    }

    /// <summary>The same fork inside <see cref="LockOrderPolicy.SuppressInheritance"/>: the child simply waits.</summary>
    /// <returns>The scenario.</returns>
    public static async Task FireAndForgetSuppressedAsync()
    {
        var l = new OrderedLock("shared");
        bool childRan = false;
        Task child;
        using (await l.AcquireAsync())
        {
            using (LockOrderPolicy.SuppressInheritance())
            {
                child = Task.Run(async () =>
                {
                    using (await l.AcquireAsync())
                    {
                        await Task.Yield();
                        childRan = true;
                    }
                });
            }
        }

        await child;
        Specification.Assert(childRan && !l.IsLocked, "The background child should have taken and released the lock.");
    }
}
