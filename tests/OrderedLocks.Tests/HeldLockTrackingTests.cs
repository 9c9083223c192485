using System.Runtime.CompilerServices;
using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// Held-lock tracking per thread (sync holds) and per async flow (async holds). Each test states
/// the decided semantics it checks. "Sees the hold" is observed three ways: IsHeldByCurrentFlow,
/// a lower-ranked acquisition failing Strict checking, and re-acquisition failing as SelfDeadlock.
/// </summary>
public sealed class HeldLockTrackingTests
{
    private const LockOrderChecking Strict = LockOrderChecking.Strict;

    /// <summary>An awaitable that always resumes on a new dedicated thread (the flow's context flows along).</summary>
    private readonly struct ResumeOnNewThread : INotifyCompletion
    {
        public ResumeOnNewThread GetAwaiter() => this;

        public bool IsCompleted => false;

        public void OnCompleted(Action continuation) => new Thread(() => continuation()) { IsBackground = true }.Start();

        public void GetResult()
        {
        }
    }

    private static (OrderedLock Lower, OrderedLock Lock) TwoLocks() =>
        (new OrderedLock("lower", rank: 1, checking: Strict), new OrderedLock("tracked", rank: 2, checking: Strict));

    /// <summary>Whether taking <paramref name="lower"/> fails Strict checking: the thread/flow sees a hold above it.</summary>
    private static bool LowerAcquisitionFails(OrderedLock lower)
    {
        try
        {
            lower.TryAcquire(out LockScope scope);
            scope.Dispose();
            return false;
        }
        catch (LockOrderException ex) when (ex.Kind == LockViolationKind.OrderViolation)
        {
            return true;
        }
    }

    // Decided: a sync hold (Acquire/TryAcquire) belongs to the thread, like Monitor. Another
    // thread, even one forked while it is held, does not see it and waits like any contender.
    [Fact]
    public async Task SyncHold_BelongsToThread_OtherThreadsAndForksDoNotSeeIt()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();

        (bool heldHere, bool lowerFailsHere, bool otherSees, bool otherLowerFails, bool otherTry) = await TestThreads.Run(() =>
        {
            using LockScope scope = l.Acquire();
            bool here = l.IsHeldByCurrentFlow;
            bool lowerHere = LowerAcquisitionFails(lower);
            (bool sees, bool lowerThere, bool tried) = Task.Run(() =>
            {
                bool got = l.TryAcquire(TestTimeouts.Expire, out LockScope s); // a contender: times out, no self-deadlock
                s.Dispose();
                return (l.IsHeldByCurrentFlow, LowerAcquisitionFails(lower), got);
            }).Result;
            return (here, lowerHere, sees, lowerThere, tried);
        }).WaitAsync(TestTimeouts.Hang);

        Assert.True(heldHere);
        Assert.True(lowerFailsHere);
        Assert.False(otherSees);
        Assert.False(otherLowerFails);
        Assert.False(otherTry);
        Locks.AssertFree(lower, l);
    }

    // Decided: `var s = await l.AcquireAsync();` records the hold in the caller's flow; it
    // survives awaits and resumption on another thread, and releasing there clears it.
    [Fact]
    public async Task AsyncHold_AcquireAwaitResumeOnAnotherThreadRelease_TrackedThroughout()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();

        await Task.Run(async () =>
        {
            LockScope scope = await l.AcquireAsync();
            int acquiredOn = Environment.CurrentManagedThreadId;
            await Task.Yield();
            await new ResumeOnNewThread();

            Assert.NotEqual(acquiredOn, Environment.CurrentManagedThreadId);
            Assert.True(l.IsHeldByCurrentFlow);
            Assert.True(LowerAcquisitionFails(lower));
            Assert.Equal(LockViolationKind.SelfDeadlock, Assert.Throws<LockOrderException>(() => { _ = l.AcquireAsync(); }).Kind);

            scope.Dispose(); // released on a thread other than the acquiring one

            Assert.False(l.IsHeldByCurrentFlow);
            Assert.False(LowerAcquisitionFails(lower));
            Locks.AssertFree(l);
        }).WaitAsync(TestTimeouts.Hang);
    }

    // Decided: ConfigureAwait(false) changes nothing: the hold is in the flow, not the context.
    [Fact]
    public async Task AsyncHold_ConfigureAwaitFalse_StillTracked()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();
        LockScope other = await Locks.HoldElsewhereAsync(l);

        await RunAsync().WaitAsync(TestTimeouts.Hang);
        Locks.AssertFree(lower, l);

        async Task RunAsync()
        {
            Task<LockScope> pending = l.AcquireAsync().AsTask(); // contended: completes after the release below
            _ = TestThreads.Run(other.Dispose);
            LockScope scope = await pending.ConfigureAwait(false);
            await Task.Delay(1).ConfigureAwait(false);

            Assert.True(l.IsHeldByCurrentFlow);
            Assert.True(LowerAcquisitionFails(lower));
            scope.Dispose();
            Assert.False(l.IsHeldByCurrentFlow);
        }
    }

    // Decided: a contended AcquireAsync records the hold synchronously (pending) in the caller's
    // flow; once granted the caller sees it, although the grant happened on another thread.
    [Fact]
    public async Task AsyncHold_ContendedAcquisition_VisibleToCallerAfterAwait()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();
        LockScope other = await Locks.HoldElsewhereAsync(l);
        ValueTask<LockScope> pending = l.AcquireAsync();
        Assert.False(l.IsHeldByCurrentFlow, "a pending acquisition is not a hold");
        Assert.False(LowerAcquisitionFails(lower));

        other.Dispose();
        using LockScope scope = await pending.AsTask().WaitAsync(TestTimeouts.Hang);

        Assert.True(l.IsHeldByCurrentFlow);
        Assert.True(LowerAcquisitionFails(lower));
    }

    // Decided: a Task.Run child started while the parent holds A (async) inherits the view: A
    // counts as held by its ancestor for order checks, and acquiring A itself throws
    // SelfDeadlock instead of hanging. The child never becomes A's owner.
    [Fact]
    public async Task ForkedChild_WhileParentHolds_InheritsViewButNeverOwns()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();

        using LockScope parent = await l.AcquireAsync();
        (bool sees, bool lowerFails, LockViolationKind? selfAsync, LockViolationKind? selfSync) = await Task.Run(() =>
        {
            LockOrderException? a = Record.Exception(() => { _ = l.AcquireAsync(); }) as LockOrderException;
            LockOrderException? s = Record.Exception(() => l.TryAcquire(out _)) as LockOrderException;
            return (l.IsHeldByCurrentFlow, LowerAcquisitionFails(lower), a?.Kind, s?.Kind);
        }).WaitAsync(TestTimeouts.Hang);

        Assert.True(sees);
        Assert.True(lowerFails);
        Assert.Equal(LockViolationKind.SelfDeadlock, selfAsync);
        Assert.Equal(LockViolationKind.SelfDeadlock, selfSync);
        Assert.True(parent.IsHeld, "the parent still owns A");
        Assert.Equal(0, l.QueuedWaiterCount);
    }

    // Decided: if the parent releases A before the child acquires it, the child sees the release
    // (no stale held state) and acquires normally. A later, new hold by the parent is not
    // inherited: the child waits for it like any contender.
    [Fact]
    public async Task ForkedChild_ParentReleasesWhileChildRuns_ChildSeesReleaseAndAcquires()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();
        var parentReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var parentHoldsAgain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var childQueued = new TaskCompletionSource<Task<LockScope>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var childFirstPartDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var childLooked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<(bool, bool, bool, bool)> child;

        using (await l.AcquireAsync())
        {
            child = Task.Run(async () =>
            {
                bool sawHold = l.IsHeldByCurrentFlow;
                childLooked.SetResult();
                await parentReleased.Task;
                bool seesAfterRelease = l.IsHeldByCurrentFlow;
                bool lowerFails = LowerAcquisitionFails(lower);
                bool acquired;
                using (LockScope scope = await l.AcquireAsync())
                {
                    acquired = scope.IsHeld;
                }

                using (l.Acquire())
                {
                }

                childFirstPartDone.SetResult();
                await parentHoldsAgain.Task;
                Task<LockScope> waiting = l.AcquireAsync().AsTask(); // the parent's new hold: wait, no self-deadlock
                childQueued.SetResult(waiting);
                (await waiting).Dispose();
                return (sawHold, seesAfterRelease, lowerFails, acquired);
            });
            await childLooked.Task.WaitAsync(TestTimeouts.Hang);
        }

        parentReleased.SetResult();
        await Task.WhenAny(new[] { childFirstPartDone.Task, child }).Unwrap().WaitAsync(TestTimeouts.Hang);
        Assert.False(child.IsCompleted, child.Exception?.ToString());
        LockScope again = await l.AcquireAsync();
        parentHoldsAgain.SetResult();
        Task<LockScope> childWait = await childQueued.Task.WaitAsync(TestTimeouts.Hang);
        await Poll.WaitersAsync(l, 1);
        Assert.False(childWait.IsCompleted);
        again.Dispose();

        (bool sawHold, bool seesAfterRelease, bool lowerFails, bool acquired) = await child.WaitAsync(TestTimeouts.Hang);
        Assert.True(sawHold);
        Assert.False(seesAfterRelease);
        Assert.False(lowerFails);
        Assert.True(acquired);
        Locks.AssertFree(lower, l);
    }

    // Decided: fire-and-forget forks are forks: started under A, they inherit the view, so one
    // that takes A gets an immediate SelfDeadlock instead of a silent wait.
    [Fact]
    public async Task FireAndForget_TakesParentsLock_GetsImmediateSelfDeadlock()
    {
        (_, OrderedLock l) = TwoLocks();
        var outcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);

        using (LockScope parent = await l.AcquireAsync())
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    (await l.AcquireAsync()).Dispose();
                    outcome.SetResult(null);
                }
                catch (Exception ex)
                {
                    outcome.SetResult(ex);
                }
            });

            // Still inside the parent's hold: the child's answer must not depend on a release.
            Exception? error = await outcome.Task.WaitAsync(TestTimeouts.Hang);
            Assert.Equal(LockViolationKind.SelfDeadlock, Assert.IsType<LockOrderException>(error).Kind);
            Assert.True(parent.IsHeld);
        }

        Locks.AssertFree(l);
    }

    // Decided: tasks started inside LockOrderPolicy.SuppressInheritance() do not inherit; they
    // wait for A like any contender (fire-and-forget under a lock). The parent's own view is
    // restored when the suppression scope ends.
    [Fact]
    public async Task FireAndForget_InsideSuppressInheritance_WaitsLikeContender()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();
        var acquired = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        LockScope parent = await l.AcquireAsync();
        using (LockOrderPolicy.SuppressInheritance())
        {
            Assert.False(l.IsHeldByCurrentFlow, "inside the scope the flow starts clean");
            _ = Task.Run(async () =>
            {
                try
                {
                    bool lowerFails = LowerAcquisitionFails(lower);
                    using LockScope scope = await l.AcquireAsync();
                    acquired.SetResult(!lowerFails && scope.IsHeld);
                }
                catch (Exception ex)
                {
                    acquired.SetException(ex);
                }
            });
        }

        Assert.True(l.IsHeldByCurrentFlow, "the parent's view is restored");
        Assert.True(LowerAcquisitionFails(lower));
        await Poll.WaitersAsync(l, 1);
        await Locks.AssertPendingAsync(acquired.Task, "the uninherited fork");

        parent.Dispose();

        Assert.True(await acquired.Task.WaitAsync(TestTimeouts.Hang));
        await Poll.UntilAsync(() => !l.IsLocked, "the fork releases");
        Locks.AssertFree(lower, l);
    }

    private static async void TakeLockAsyncVoid(OrderedLock l, TaskCompletionSource<Exception?> outcome, TaskCompletionSource? holding = null, Task? release = null)
    {
        try
        {
            using LockScope scope = await l.AcquireAsync();
            holding?.SetResult();
            if (release is not null)
            {
                await release;
            }

            outcome.SetResult(null);
        }
        catch (Exception ex)
        {
            outcome.SetResult(ex);
        }
    }

    // Decided: async void methods behave like fire-and-forget forks: called under A they inherit
    // the view (SelfDeadlock on A); inside SuppressInheritance they wait for A. Their own holds
    // never leak into the caller's flow.
    [Fact]
    public async Task AsyncVoid_UnderLock_BehavesLikeFireAndForgetFork()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();
        var inherited = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var suppressed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        LockScope parent = await l.AcquireAsync();
        TakeLockAsyncVoid(l, inherited);
        Exception? error = await inherited.Task.WaitAsync(TestTimeouts.Hang);
        Assert.Equal(LockViolationKind.SelfDeadlock, Assert.IsType<LockOrderException>(error).Kind);

        using (LockOrderPolicy.SuppressInheritance())
        {
            TakeLockAsyncVoid(l, suppressed, holding, release.Task);
        }

        await Poll.WaitersAsync(l, 1);
        parent.Dispose();
        await holding.Task.WaitAsync(TestTimeouts.Hang);

        Assert.True(l.IsLocked, "the async void method holds A now");
        Assert.False(l.IsHeldByCurrentFlow, "its hold does not leak into the caller's flow");
        Assert.False(LowerAcquisitionFails(lower));
        release.SetResult();
        Assert.Null(await suppressed.Task.WaitAsync(TestTimeouts.Hang));
        await Poll.UntilAsync(() => !l.IsLocked, "the async void method releases");
        Locks.AssertFree(lower, l);
    }

    private static async Task<LockScope> AcquireInAsyncHelper(OrderedLock l) => await l.AcquireAsync();

    private static ValueTask<LockScope> AcquireInPlainHelper(OrderedLock l) => l.AcquireAsync();

    // Decided (documented limitation): `async Task<LockScope> H() => await l.AcquireAsync();`
    // records the hold only in H's flow, which ends when H returns; the caller does not see it.
    // Release still works, since the scope is the token.
    [Fact]
    public async Task AsyncHelperMethod_RecordsHoldOnlyInHelperFlow_ReleaseStillWorks()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();

        LockScope scope = await AcquireInAsyncHelper(l);

        Assert.True(scope.IsHeld);
        Assert.True(l.IsLocked);
        Assert.False(l.IsHeldByCurrentFlow);
        Assert.False(LowerAcquisitionFails(lower));
        scope.Dispose();
        Locks.AssertFree(lower, l);
    }

    // Decided: a non-async helper returning the ValueTask records the hold in the caller's flow.
    [Fact]
    public async Task PlainHelperReturningValueTask_RecordsHoldInCaller()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();

        using (LockScope scope = await AcquireInPlainHelper(l))
        {
            Assert.True(l.IsHeldByCurrentFlow);
            Assert.True(LowerAcquisitionFails(lower));
        }

        Assert.False(l.IsHeldByCurrentFlow);
        Locks.AssertFree(lower, l);
    }

    private static async Task ReleaseInAnotherAsyncMethod(LockScope scope)
    {
        await Task.Yield();
        scope.Dispose();
    }

    // Decided: a scope disposed inside a different async method than the one that acquired it
    // releases correctly, and the hold disappears from every flow's view (the acquirer's, and
    // that of a fork started while it was held).
    [Fact]
    public async Task ScopeDisposedInDifferentAsyncMethod_HoldDisappearsFromEveryFlow()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<(bool Before, bool After)> fork;

        var forkLooked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LockScope scope = await l.AcquireAsync();
        fork = Task.Run(async () =>
        {
            bool before = l.IsHeldByCurrentFlow;
            forkLooked.SetResult();
            await released.Task;
            return (before, l.IsHeldByCurrentFlow || LowerAcquisitionFails(lower));
        });
        await forkLooked.Task.WaitAsync(TestTimeouts.Hang);
        await ReleaseInAnotherAsyncMethod(scope);
        released.SetResult();

        Assert.False(l.IsHeldByCurrentFlow);
        Assert.False(LowerAcquisitionFails(lower));
        (bool before, bool after) = await fork.WaitAsync(TestTimeouts.Hang);
        Assert.True(before);
        Assert.False(after);
        Locks.AssertFree(lower, l);
        (await l.AcquireAsync()).Dispose(); // no stale self-deadlock
    }

    // Decided: disposing a sync scope from another thread is a documented hand-off: allowed,
    // and the original thread no longer sees the hold (no stale order or self-deadlock error).
    [Fact]
    public async Task SyncScope_DisposedOnAnotherThread_OriginalThreadNoLongerSeesHold()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();
        var handedOver = new TaskCompletionSource<LockScope>(TaskCreationOptions.RunContinuationsAsynchronously);
        var releasedElsewhere = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<(bool, bool, bool)> owner = TestThreads.Run(() =>
        {
            LockScope scope = l.Acquire();
            handedOver.SetResult(scope);
            releasedElsewhere.Task.Wait(TestTimeouts.Hang);
            bool sees = l.IsHeldByCurrentFlow;
            bool lowerFails = LowerAcquisitionFails(lower);
            bool reacquired = l.TryAcquire(out LockScope again);
            again.Dispose();
            return (sees, lowerFails, reacquired);
        });
        LockScope received = await handedOver.Task.WaitAsync(TestTimeouts.Hang);
        await TestThreads.Run(received.Dispose).WaitAsync(TestTimeouts.Hang);
        releasedElsewhere.SetResult();

        (bool sees, bool lowerFails, bool reacquired) = await owner.WaitAsync(TestTimeouts.Hang);
        Assert.False(sees);
        Assert.False(lowerFails);
        Assert.True(reacquired);
        Locks.AssertFree(lower, l);
    }

    // Decided: the same for an async scope disposed by an unrelated flow.
    [Fact]
    public async Task AsyncScope_DisposedByUnrelatedFlow_OriginalFlowNoLongerSeesHold()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();

        LockScope scope = await l.AcquireAsync();
        Assert.True(l.IsHeldByCurrentFlow);
        using (LockOrderPolicy.SuppressInheritance())
        {
            await TestThreads.Run(scope.Dispose).WaitAsync(TestTimeouts.Hang);
        }

        Assert.False(l.IsHeldByCurrentFlow);
        Assert.False(LowerAcquisitionFails(lower));
        using LockScope again = await l.AcquireAsync();
        Assert.True(again.IsHeld);
    }

    // A failed asynchronous acquisition (timeout or cancellation) leaves no hold in the flow.
    [Fact]
    public async Task FailedAsyncAcquisition_LeavesNoHoldInFlow()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();
        LockScope other = await Locks.HoldElsewhereAsync(l);
        using var cancel = new CancellationTokenSource();

        LockScope timedOut = await l.TryAcquireAsync(TestTimeouts.Expire).AsTask().WaitAsync(TestTimeouts.Hang);
        Task<LockScope> cancelled = l.AcquireAsync(cancel.Token).AsTask();
        await Poll.WaitersAsync(l, 1);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TestTimeouts.Hang));

        Assert.False(timedOut.IsAcquired);
        other.Dispose();
        Assert.False(l.IsHeldByCurrentFlow);
        Assert.False(LowerAcquisitionFails(lower));
        using LockScope scope = await l.AcquireAsync();
        Assert.True(l.IsHeldByCurrentFlow);
    }

    // A fork's own holds stay in the fork: they never leak into the parent's flow.
    [Fact]
    public async Task ForkedChildOwnHold_NotVisibleToParent()
    {
        (OrderedLock lower, OrderedLock l) = TwoLocks();

        LockScope childScope = await Task.Run(async () => await l.AcquireAsync()).WaitAsync(TestTimeouts.Hang);

        Assert.True(l.IsLocked);
        Assert.False(l.IsHeldByCurrentFlow);
        Assert.False(LowerAcquisitionFails(lower));
        childScope.Dispose(); // hand-off back from the child
        Locks.AssertFree(lower, l);
    }
}
