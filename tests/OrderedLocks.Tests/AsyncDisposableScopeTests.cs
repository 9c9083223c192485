using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// Every scope the API returns works with <c>await using</c> (issue 11, item 8), releases exactly
/// what <c>using</c> releases, and the struct scopes are not boxed on the way.
/// </summary>
public sealed class AsyncDisposableScopeTests
{
    public static TheoryData<LockOrderChecking> Modes => Locks.Modes;

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AwaitUsing_AcquireAsync_ReleasesAtEndOfBlock(LockOrderChecking mode)
    {
        var l = new OrderedLock("account", checking: mode);

        await using (await l.AcquireAsync())
        {
            Assert.True(l.IsLocked);
            Assert.Equal(mode != LockOrderChecking.Off, l.IsHeldByCurrentFlow); // Off tracks no holds
        }

        Assert.False(l.IsLocked);
        Assert.True(l.TryAcquire(out LockScope again), "the lock was not released by DisposeAsync");
        again.Dispose();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AwaitUsing_AcquireAllAsync_ReleasesEveryLock(LockOrderChecking mode)
    {
        var a = new OrderedLock("a", checking: mode);
        var b = new OrderedLock("b", checking: mode);
        var c = new OrderedLock("c", checking: mode);

        await using (await OrderedLock.AcquireAllAsync(c, a))
        {
            Assert.True(a.IsLocked && c.IsLocked);
        }

        // Three locks: the array-backed set.
        await using (await OrderedLock.AcquireAllAsync(c, b, a))
        {
            Assert.True(a.IsLocked && b.IsLocked && c.IsLocked);
        }

        Assert.False(a.IsLocked || b.IsLocked || c.IsLocked);
    }

    [Fact]
    public async Task AwaitUsing_ReentrantLock_UnwindsOneLevelPerScope()
    {
        var l = new ReentrantOrderedLock("tree");

        await using (await l.AcquireAsync())
        {
            await using (await l.AcquireAsync())
            {
                Assert.Equal(2, l.RecursionCount);
            }

            Assert.Equal(1, l.RecursionCount);
            Assert.True(l.IsLocked);
        }

        Assert.False(l.IsLocked);
    }

    [Fact]
    public async Task AwaitUsing_FileLock_ReleasesTheFileLock()
    {
        string path = Path.Combine(Path.GetTempPath(), "orderedlocks-await-using-" + Guid.NewGuid().ToString("N"));
        try
        {
            var first = new OrderedFileLock(path);
            var second = new OrderedFileLock(path);
            await using (await first.AcquireAsync())
            {
                Assert.True(first.IsHeldByCurrentFlow);
            }

            Assert.False(first.IsLocked);

            LockScope after = await second.TryAcquireAsync(TimeSpan.Zero);
            Assert.True(after.IsAcquired, "DisposeAsync did not release the file lock");
            await after.DisposeAsync();
        }
        finally
        {
            File.Delete(path + ".lock");
        }
    }

    [Fact]
    public async Task DisposeAsync_Twice_ReleasesOnce()
    {
        var l = new OrderedLock("once");
        LockScope scope = await l.AcquireAsync();
        LockScope copy = scope;

        await scope.DisposeAsync();
        LockScope later = l.Acquire();
        ValueTask stale = copy.DisposeAsync(); // a stale copy must not release the later hold (not awaited: 'later' is thread-owned)
        Assert.True(stale.IsCompletedSuccessfully);

        Assert.True(later.IsHeld);
        later.Dispose();
        Assert.False(l.IsLocked);
    }

    [Fact]
    public void DisposeAsync_IsCompletedAtOnce()
    {
        var l = new OrderedLock("sync");
        LockScope scope = l.Acquire();

        ValueTask release = scope.DisposeAsync();

        Assert.True(release.IsCompletedSuccessfully);
        Assert.False(l.IsLocked);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void AwaitUsingOfSyncScope_Uncontended_AllocatesNothing(LockOrderChecking mode)
    {
        // The sync uncontended path stays at 0 B with await using: the struct scope is disposed
        // through a constrained call (no boxing) and the async method completes synchronously.
        var l = new OrderedLock("alloc", checking: mode);
        var set1 = new OrderedLock("alloc-a", checking: mode);
        var set2 = new OrderedLock("alloc-b", checking: mode);
        int notCompleted = 0;
        for (int i = 0; i < 100; i++)
        {
            notCompleted += ReleaseWithAwaitUsingAsync(l.Acquire()).IsCompletedSuccessfully ? 0 : 1;
            notCompleted += ReleaseSetWithAwaitUsingAsync(OrderedLock.AcquireAll(set1, set2)).IsCompletedSuccessfully ? 0 : 1;
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
        {
            notCompleted += ReleaseWithAwaitUsingAsync(l.Acquire()).IsCompletedSuccessfully ? 0 : 1;
            notCompleted += ReleaseSetWithAwaitUsingAsync(OrderedLock.AcquireAll(set1, set2)).IsCompletedSuccessfully ? 0 : 1;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(0, notCompleted);
        Assert.False(l.IsLocked || set1.IsLocked || set2.IsLocked);
    }

    private static async ValueTask ReleaseWithAwaitUsingAsync(LockScope scope)
    {
        await using (scope)
        {
        }
    }

    private static async ValueTask ReleaseSetWithAwaitUsingAsync(LockSetScope scope)
    {
        await using (scope)
        {
        }
    }
}
