using OrderedLocks.Tests.Condition;
using Xunit;

namespace OrderedLocks.Tests.Reentrant;

/// <summary>
/// ReentrantOrderedLock's own contract (issue 3): who the holder is (thread or async flow), what a
/// forked task gets (stack discipline: nest inside the innermost frame, siblings wait), release
/// only by the holder, re-entry never checked against itself, and nothing left after timeouts or
/// cancellation.
/// </summary>
public sealed class ReentrantOrderedLockTests
{
    [Fact]
    public void Acquire_Reentered_RecursionCountFollowsDepth()
    {
        var lockObject = new ReentrantOrderedLock("r", checking: LockOrderChecking.Strict);
        Assert.Equal(0, lockObject.RecursionCount);
        Assert.False(lockObject.IsHeldByCurrentFlow);

        LockScope outer = lockObject.Acquire();
        LockScope inner = lockObject.Acquire();
        Assert.True(lockObject.TryAcquire(out LockScope third));
        Assert.Equal(3, lockObject.RecursionCount);
        Assert.True(lockObject.IsHeldByCurrentFlow);

        third.Dispose();
        inner.Dispose();
        Assert.Equal(1, lockObject.RecursionCount);
        Assert.True(lockObject.IsLocked);
        outer.Dispose();

        Assert.Equal(0, lockObject.RecursionCount);
        Assert.False(lockObject.IsLocked);
        Assert.False(lockObject.IsHeldByCurrentFlow);
    }

    [Fact]
    public void Dispose_OnAnotherThread_ThrowsAndKeepsTheHold()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        LockScope scope = lockObject.Acquire();

        Task foreignDispose = Concurrent.RunThread(() => scope.Dispose(), "foreign disposer");
        SynchronizationLockException error = Assert.Throws<SynchronizationLockException>(() => Concurrent.Join(foreignDispose, "the foreign dispose"));
        Assert.Contains("only the holder may release", error.Message);

        Assert.True(lockObject.IsHeldByCurrentFlow);
        Assert.Equal(1, lockObject.RecursionCount);
        Assert.False(lockObject.IsFreeForOthers());

        scope.Dispose();
        Assert.True(lockObject.IsFreeForOthers());
    }

    [Fact]
    public void Dispose_Twice_ReleasesOneLevelOnce()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        using LockScope outer = lockObject.Acquire();
        LockScope inner = lockObject.Acquire();

        inner.Dispose();
        inner.Dispose();
        Assert.Equal(1, lockObject.RecursionCount);
        Assert.True(outer.IsHeld);
        Assert.False(inner.IsHeld);
    }

    [Fact]
    public void Dispose_StaleScopeAfterTheHoldMovedOn_DoesNotReleaseTheNewHolder()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        LockScope stale = lockObject.Acquire();
        stale.Dispose();

        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task holder = Concurrent.RunThread(() =>
        {
            using (lockObject.Acquire())
            {
                held.SetResult();
                release.Task.Wait(TestTimeouts.HangGuard);
            }
        }, "new holder");
        Concurrent.Join(held.Task, "the new holder");

        stale.Dispose(); // another thread holds it now: a stale scope is harmless
        Assert.True(lockObject.IsLocked);
        Assert.False(lockObject.TryAcquire(out _));

        release.SetResult();
        Concurrent.Join(holder, "the new holder to finish");
        Assert.False(lockObject.IsLocked);
    }

    [Fact]
    public void Acquire_ByANonHolderThread_WaitsUntilTheLastLevelIsReleased()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        LockScope outer = lockObject.Acquire();
        LockScope inner = lockObject.Acquire();
        int entered = 0;

        Task contender = Concurrent.RunThread(() =>
        {
            Assert.Equal(0, lockObject.RecursionCount);
            using (lockObject.Acquire())
            {
                Interlocked.Exchange(ref entered, 1);
                Assert.Equal(1, lockObject.RecursionCount);
            }
        }, "contender");

        Concurrent.WaitUntil(() => lockObject.QueuedWaiterCount == 1, "the contender is queued");
        inner.Dispose();
        Assert.Equal(0, Volatile.Read(ref entered));
        Assert.Equal(1, lockObject.QueuedWaiterCount);

        outer.Dispose();
        Concurrent.Join(contender, "the contender");
        Assert.Equal(1, Volatile.Read(ref entered));
        Assert.False(lockObject.IsLocked);
    }

    [Fact]
    public async Task AcquireAsync_ReentryFollowsTheAwaitedCallChainAcrossThreadHops()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);

        using (await lockObject.AcquireAsync())
        {
            await Task.Yield();
            await Task.Run(() => { }); // likely resumes elsewhere: the hold follows the flow, not the thread
            Assert.True(lockObject.IsHeldByCurrentFlow);
            Assert.Equal(1, lockObject.RecursionCount);
            int depthInCallee = await CalleeAsync(lockObject, levels: 3);
            Assert.Equal(4, depthInCallee);
            Assert.Equal(1, lockObject.RecursionCount);
        }

        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, lockObject.RecursionCount);

        static async Task<int> CalleeAsync(ReentrantOrderedLock lockObject, int levels)
        {
            using (await lockObject.AcquireAsync())
            {
                await Task.Yield();
                return levels == 1 ? lockObject.RecursionCount : await CalleeAsync(lockObject, levels - 1);
            }
        }
    }

    [Fact]
    public async Task AcquireAsync_FlowHeld_AnUnrelatedThreadWaitsForTheWholeHold()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        LockScope outer = await lockObject.AcquireAsync();
        LockScope inner = await lockObject.AcquireAsync();

        Task<bool> outsider = Concurrent.RunThread(() =>
        {
            bool heldHere = lockObject.IsHeldByCurrentFlow;
            bool got = lockObject.TryAcquire(TestTimeouts.ExpectedTimeout, out LockScope s);
            s.Dispose();
            return heldHere || got;
        }, "outsider", unrelated: true);
        Assert.False(await Concurrent.Within(outsider, "the outsider's timed attempt"));

        inner.Dispose();
        outer.Dispose();
        Assert.False(lockObject.IsLocked);
        Assert.True(lockObject.IsFreeForOthers());
    }

    // An asynchronous acquisition on the thread that holds the lock synchronously is not a re-entry:
    // it may be an unrelated task's continuation run inline on the holder's thread (issue 12), which
    // would then be inside together with the holder. It waits for the synchronous hold.
    [Fact]
    public async Task SyncHold_AcquireAsyncOnTheSameThread_WaitsForTheSyncHold()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        Task<LockScope> attempt;
        using (lockObject.Acquire())
        {
            attempt = lockObject.AcquireAsync().AsTask();
            Assert.False(attempt.IsCompleted, "no re-entry for an asynchronous acquisition");
            Assert.Equal(1, lockObject.RecursionCount);
        }

        using (LockScope later = await attempt.WaitAsync(TestTimeouts.HangGuard))
        {
            Assert.True(later.IsHeld);
        }

        Assert.False(lockObject.IsLocked);
    }

    [Fact]
    public async Task Fork_NestsInsideTheInnermostFrame_SiblingsAndTheParentWait()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var inside = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var leave = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using (await lockObject.AcquireAsync())
        {
            Task first = Task.Run(async () =>
            {
                using (await lockObject.AcquireAsync())
                {
                    inside.SetResult(lockObject.RecursionCount);
                    await leave.Task;
                }
            });
            Assert.Equal(2, await Concurrent.Within(inside.Task, "the first fork to enter"));

            // A sibling fork shares only the parent's (outer) frame: it waits for the first fork's frame.
            Task<bool> sibling = Task.Run(async () =>
            {
                LockScope s = await lockObject.TryAcquireAsync(TestTimeouts.ExpectedTimeout);
                bool got = s.IsAcquired;
                s.Dispose();
                return got;
            });
            Assert.False(await Concurrent.Within(sibling, "the sibling's timed attempt"));

            // The parent holds only the outer frame now: it waits too (timed out here), never re-enters past the fork.
            LockScope parentTry = await lockObject.TryAcquireAsync(TestTimeouts.ExpectedTimeout);
            Assert.False(parentTry.IsAcquired);

            leave.SetResult();
            await Concurrent.Within(first, "the first fork to leave");
            Assert.Equal(1, lockObject.RecursionCount);

            using (await lockObject.AcquireAsync())
            {
                Assert.Equal(2, lockObject.RecursionCount);
            }
        }

        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, lockObject.QueuedWaiterCount);
    }

    [Fact]
    public async Task Forks_OfTheHolder_NeverOverlapInside()
    {
        const int forks = 4;
        const int rounds = 25;
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        int inside = 0;
        int maxInside = 0;
        int entries = 0;

        using (await lockObject.AcquireAsync())
        {
            var workers = new Task[forks];
            for (int i = 0; i < forks; i++)
            {
                workers[i] = Task.Run(async () =>
                {
                    for (int r = 0; r < rounds; r++)
                    {
                        using (await lockObject.AcquireAsync())
                        {
                            int now = Interlocked.Increment(ref inside);
                            InterlockedMax(ref maxInside, now);
                            Interlocked.Increment(ref entries);
                            await Task.Yield();
                            Interlocked.Decrement(ref inside);
                        }
                    }
                });
            }

            await Concurrent.Within(Task.WhenAll(workers), "the forks");
        }

        Assert.Equal(1, maxInside);
        Assert.Equal(forks * rounds, entries);
        Assert.False(lockObject.IsLocked);
    }

    [Fact]
    public async Task SuppressedFork_IsAnOrdinaryContender()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        Task<bool> background;
        using (await lockObject.AcquireAsync())
        {
            using (LockOrderPolicy.SuppressInheritance())
            {
                background = Task.Run(async () =>
                {
                    LockScope s = await lockObject.TryAcquireAsync(TestTimeouts.ExpectedTimeout);
                    bool got = s.IsAcquired;
                    s.Dispose();
                    return got;
                });
            }

            Assert.False(await Concurrent.Within(background, "the suppressed fork's timed attempt"));
        }

        Assert.False(lockObject.IsLocked);
    }

    // Re-acquiring a held reentrant lock is a re-entry, never an order violation against itself,
    // even with a higher-ranked lock taken in between.
    [Fact]
    public void Reentry_UnderAHigherRankedLock_IsNotAnOrderViolation()
    {
        var low = new ReentrantOrderedLock("low", rank: 1, checking: LockOrderChecking.Strict);
        var high = new OrderedLock("high", rank: 2, checking: LockOrderChecking.Strict);

        using (low.Acquire())
        using (high.Acquire())
        using (low.Acquire())
        {
            Assert.Equal(2, low.RecursionCount);
        }

        Assert.False(low.IsLocked);
        Assert.False(high.IsLocked);
    }

    [Fact]
    public async Task Reentry_Async_UnderAHigherRankedLock_IsNotAnOrderViolation()
    {
        var low = new ReentrantOrderedLock("low", rank: 1, checking: LockOrderChecking.Strict);
        var high = new OrderedLock("high", rank: 2, checking: LockOrderChecking.Strict);

        using (await low.AcquireAsync())
        using (await high.AcquireAsync())
        using (await low.AcquireAsync())
        {
            Assert.Equal(2, low.RecursionCount);
        }

        Assert.False(low.IsLocked);
        Assert.False(high.IsLocked);
    }

    [Fact]
    public void Reentry_WithLearnedChecking_IsNotACycle()
    {
        var lockObject = new ReentrantOrderedLock("learned", checking: LockOrderChecking.Learned);
        var other = new OrderedLock("other", checking: LockOrderChecking.Learned);

        // learned -> other is learned; the re-entry of 'learned' under 'other' is no other -> learned edge.
        using (lockObject.Acquire())
        using (other.Acquire())
        using (lockObject.Acquire())
        {
            Assert.Equal(2, lockObject.RecursionCount);
        }

        using (lockObject.Acquire())
        using (other.Acquire())
        {
            Assert.True(lockObject.IsHeldByCurrentFlow);
        }

        Assert.False(lockObject.IsLocked);
    }

    [Fact]
    public void TryAcquire_TimesOut_LeavesNothingHeldOrQueued()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        LockScope held = lockObject.Acquire();

        Task<bool> contender = Concurrent.RunThread(() =>
        {
            bool got = lockObject.TryAcquire(TestTimeouts.ExpectedTimeout, out LockScope s);
            return got || s.IsAcquired || lockObject.RecursionCount != 0;
        }, "timed contender");
        Assert.False(Concurrent.Join(contender, "the timed contender"));

        Assert.Equal(0, lockObject.QueuedWaiterCount);
        Assert.Equal(1, lockObject.RecursionCount);
        held.Dispose();
        Assert.False(lockObject.IsLocked);
        Assert.True(lockObject.IsFreeForOthers());
    }

    [Fact]
    public void Acquire_Cancelled_ThrowsAndLeavesNothingHeldOrQueued()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        using var cancel = new CancellationTokenSource();
        LockScope held = lockObject.Acquire();

        Task contender = Concurrent.RunThread(() => lockObject.Acquire(cancel.Token).Dispose(), "cancelled contender");
        Concurrent.WaitUntil(() => lockObject.QueuedWaiterCount == 1, "the contender is queued");
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Concurrent.Join(contender, "the cancelled contender"));

        Assert.Equal(0, lockObject.QueuedWaiterCount);
        held.Dispose();
        Assert.False(lockObject.IsLocked);
    }

    [Fact]
    public async Task AcquireAsync_Cancelled_ThrowsAndLeavesNothingHeldOrQueued()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        using var cancel = new CancellationTokenSource();
        LockScope held = await lockObject.AcquireAsync();
        Task<bool> contender;
        using (LockOrderPolicy.SuppressInheritance())
        {
            // Not a fork of the holder: an ordinary contender.
            contender = Task.Run(async () =>
            {
                try
                {
                    (await lockObject.AcquireAsync(cancel.Token)).Dispose();
                    return false;
                }
                catch (OperationCanceledException)
                {
                    return lockObject.RecursionCount == 0;
                }
            });
        }

        await Concurrent.WaitUntilAsync(() => lockObject.QueuedWaiterCount == 1, "the async contender is queued");
        cancel.Cancel();
        Assert.True(await Concurrent.Within(contender, "the cancelled async contender"));
        Assert.Equal(0, lockObject.QueuedWaiterCount);
        held.Dispose();
        Assert.False(lockObject.IsLocked);
    }

    [Fact]
    public async Task AcquireAsync_AlreadyCancelled_FailsWithoutTouchingTheLock()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await lockObject.AcquireAsync(cancel.Token));
        Assert.Throws<OperationCanceledException>(() => lockObject.Acquire(cancel.Token));
        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, lockObject.RecursionCount);
    }

    [Fact]
    public void TryAcquire_TimeoutOutOfRange_Throws()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        Assert.Throws<ArgumentOutOfRangeException>(() => lockObject.TryAcquire(TimeSpan.FromMilliseconds(-2), out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => lockObject.TryAcquire(TimeSpan.FromMilliseconds((double)int.MaxValue + 1), out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = lockObject.TryAcquireAsync(TimeSpan.FromMilliseconds(-2)); });
        Assert.False(lockObject.IsLocked);
    }

    [Fact]
    public async Task ForkTimesOutWaitingForASiblingsFrame_LeavesNothingBehind()
    {
        var lockObject = new ReentrantOrderedLock(checking: LockOrderChecking.Strict);
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leave = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (await lockObject.AcquireAsync())
        {
            Task first = Task.Run(async () =>
            {
                using (await lockObject.AcquireAsync())
                {
                    inside.SetResult();
                    await leave.Task;
                }
            });
            await Concurrent.Within(inside.Task, "the first fork to enter");

            using var cancel = new CancellationTokenSource();
            Task<bool> cancelled = Task.Run(async () =>
            {
                try
                {
                    (await lockObject.AcquireAsync(cancel.Token)).Dispose();
                    return false;
                }
                catch (OperationCanceledException)
                {
                    return true;
                }
            });
            cancel.CancelAfter(TestTimeouts.ExpectedTimeout);
            Assert.True(await Concurrent.Within(cancelled, "the cancelled sibling"));

            leave.SetResult();
            await Concurrent.Within(first, "the first fork");
            Assert.Equal(1, lockObject.RecursionCount);
        }

        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, lockObject.QueuedWaiterCount);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
