using OrderedLocks.Checking;

namespace OrderedLocks;

// Held-lock bookkeeping shared by the non-reentrant kinds (OrderedLock, OrderedFileLock): the
// flow hold that an async acquisition pushes, and condition waits, which give up the hold and
// take it back under a new token (the holder's scope keeps working through the token alias).
public abstract partial class OrderedLockBase
{
    // Checks the order (optionally) and pushes a pending hold on the caller's chain; null when
    // checking is off (asynchronous holds are then not tracked).
    private protected HoldNode? PrepareExclusiveAsyncHold(bool check)
    {
        LockOrderChecking mode = EffectiveChecking;
        if (mode == LockOrderChecking.Off)
        {
            return Diagnostics.LockDiagnostics.s_trackHolds ? HeldLocks.PushFlow(this) : null;
        }

        // One read of the flow's chain serves the check and the push. An asynchronous acquisition
        // is not the thread's synchronous code, so only the flow's holds count for it: with none
        // (the common case) there is nothing to check.
        HoldNode? top = HeldLocks.LiveFlowTop();
        if (check && top is not null)
        {
            // The thread's synchronous holds belong to whoever took them, not to this caller.
            using (HeldLocks.AsyncCaller())
            {
                OrderChecker.CheckSlow(this, mode, ReadOnlySpan<OrderedLockBase>.Empty, selfIsDeadlock: true);
            }
        }

        return HeldLocks.PushFlowOn(this, top);
    }

    // Whether the current thread (synchronous hold) or flow (tracked asynchronous hold) holds
    // this non-reentrant lock.
    private protected bool IsHeldExclusivelyForCondition()
    {
        if (CurrentToken() == 0)
        {
            return false;
        }

        if (IsOwnedByCurrentThread || HeldLocks.FindHold(this).Found)
        {
            return true;
        }

        // With checking off, asynchronous holds are not tracked: accept any asynchronous holder.
        return EffectiveChecking == LockOrderChecking.Off && _ownerThreadId == 0;
    }

    // Records what a condition wait must restore and forgets the hold on the thread's list. The
    // caller then releases the lock with the returned token.
    private protected WaitHold CaptureExclusiveHold(string operation, out int token)
    {
        if (!IsHeldExclusivelyForCondition())
        {
            throw NotHeld(this, operation);
        }

        token = CurrentToken();
        var hold = new WaitHold
        {
            OriginalToken = ScopeTokenOf(token),
            ThreadOwned = IsOwnedByCurrentThread,
        };

        for (HoldNode? node = HeldLocks.FlowTop; node is not null; node = node.Parent)
        {
            if (ReferenceEquals(node.Lock, this) && Volatile.Read(ref node.Token) == token)
            {
                hold.Node = node;
                break;
            }
        }

        HeldLocks.ThreadHolds? holds = HeldLocks.CurrentThreadHolds;
        if (hold.ThreadOwned && holds is not null)
        {
            for (int i = holds.Count - 1; i >= 0; i--)
            {
                if (ReferenceEquals(holds.Items[i].Lock, this) && holds.Items[i].Token == token)
                {
                    hold.TrackedOnThread = true;
                    holds.Remove(this, token);
                    break;
                }
            }
        }

        _ownerThreadId = 0;
        return hold;
    }

    // Checks the re-acquisition after a wait like any acquisition.
    private protected void CheckExclusiveReacquire()
    {
        LockOrderChecking mode = EffectiveChecking;
        if (mode != LockOrderChecking.Off)
        {
            OrderChecker.Check(this, mode);
        }
    }

    // Records the re-taken hold where the original was, under the new token.
    private protected void RestoreExclusiveHold(WaitHold hold, int token)
    {
        if (hold.ThreadOwned)
        {
            _ownerThreadId = Environment.CurrentManagedThreadId;
        }

        if (hold.TrackedOnThread)
        {
            HeldLocks.PushThread(this, token);
        }

        hold.Node?.Grant(token);
        SetAlias(hold.OriginalToken, token);
    }

    // A scope passed to another thread or flow, which will release it: from now on the hold
    // belongs to nobody here, so the current thread or flow waits for it like any contender
    // instead of reporting a self-deadlock. Only the code that holds the scope may detach it.
    private protected LockScope HandOffExclusive(in LockScope scope)
    {
        int token = ResolveToken(scope.Token);
        if (token == 0)
        {
            throw new InvalidOperationException($"{this}: this scope no longer holds the lock (it was released), so there is nothing to hand off. Hand off a scope while it is held.");
        }

        HoldNode? node = scope.Node;
        if (node is not null)
        {
            // A flow hold: its node stops counting in every copy of the chain (this flow and its forks).
            node.Fail();
        }
        else if (_ownerThreadId != 0)
        {
            if (_ownerThreadId != Environment.CurrentManagedThreadId || HeldLocks.InAsyncCaller)
            {
                throw new InvalidOperationException($"{this} is held synchronously by thread {_ownerThreadId}; only that thread can hand its scope off, and this is thread {Environment.CurrentManagedThreadId}. Call HandOff() on the holding thread before passing the scope on.");
            }

            _ownerThreadId = 0;
            if (scope.Tracking == LockScope.TrackedOnThread)
            {
                HeldLocks.PopThread(this, token);
            }
        }

        return new LockScope(this, scope.Token, LockScope.NotTracked, null);
    }

    // Kinds that guard an outer resource besides the in-process lock (OrderedFileLock's operating
    // system file lock, OrderedDistributedLock's server lock) share the release and condition
    // bookkeeping below and supply the outer resource through these three hooks. The outer
    // resource is taken after the in-process lock and given up before it.
    private protected virtual bool AcquireOuter(long deadline, CancellationToken cancellationToken) => true;

    private protected virtual ValueTask<bool> AcquireOuterAsync(long deadline, CancellationToken cancellationToken) => new(true);

    // Gives the outer resource up; returns what failed (the in-process lock is released anyway).
    private protected virtual Exception? ReleaseOuter() => null;

    // ReleaseScope of an outer-resource kind: returns the outer release's failure, if any.
    private protected Exception? ReleaseWithOuter(in LockScope scope)
    {
        int token = ResolveToken(scope.Token);
        if (token == 0)
        {
            return null; // already released: disposing twice is harmless
        }

        // Other processes may take the outer resource from now on; this process's waiters only
        // once the in-process lock is released right after.
        Exception? outerError = ReleaseOuter();
        _ownerThreadId = 0;
        if (Unlock(token) && scope.Tracking == LockScope.TrackedOnThread)
        {
            HeldLocks.PopThread(this, token);
        }

        return outerError;
    }

    // ReleaseForWait of the non-reentrant kinds: a condition wait gives up the lock completely,
    // an outer resource included, so other processes may take it while this flow waits.
    private protected WaitHold ReleaseExclusiveForWait(string operation, out Exception? outerError)
    {
        WaitHold hold = CaptureExclusiveHold(operation, out int token);
        outerError = ReleaseOuter();
        Unlock(token);
        return hold;
    }

    // ReacquireAfterWait of the non-reentrant kinds (the outer resource, if any, after the lock).
    private protected void ReacquireExclusiveAfterWait(WaitHold hold)
    {
        CheckExclusiveReacquire();
        int token = TryLockFast();
        if (token == 0)
        {
            token = LockContended(Timeout.Infinite, CancellationToken.None);
        }

        bool locked = false;
        try
        {
            locked = AcquireOuter(long.MaxValue, CancellationToken.None);
        }
        finally
        {
            if (!locked)
            {
                Unlock(token);
            }
        }

        RestoreExclusiveHold(hold, token);
    }

    // ReacquireAfterWaitAsync of the non-reentrant kinds.
    private protected async ValueTask ReacquireExclusiveAfterWaitAsync(WaitHold hold)
    {
        CheckExclusiveReacquire();
        int token = TryLockFast();
        if (token == 0)
        {
            token = await LockSlowAsync(Timeout.Infinite, CancellationToken.None).ConfigureAwait(false);
        }

        bool locked = false;
        try
        {
            locked = await AcquireOuterAsync(long.MaxValue, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            if (!locked)
            {
                Unlock(token);
            }
        }

        RestoreExclusiveHold(hold, token);
    }
}
