using OrderedLocks.Checking;

namespace OrderedLocks;

// Release and condition-wait support of the reentrant lock.
public sealed partial class ReentrantOrderedLock
{
    internal override void ReleaseScope(in LockScope scope)
    {
        if (scope.Node is null)
        {
            ReleaseThreadFrame(scope.Seq);
        }
        else
        {
            ReleaseFlowFrame(scope.Seq, scope.Node);
        }
    }

    private void ReleaseThreadFrame(int seq)
    {
        if (_ownerThreadId != Environment.CurrentManagedThreadId)
        {
            lock (_frameGate)
            {
                if (!IsLocked || _ownerThreadId == 0 || seq < _baseSeq)
                {
                    return; // the scope's hold is over (the lock is free or held anew): a stale scope
                }
            }

            throw new SynchronizationLockException(
                $"{this} is held by thread {_ownerThreadId}; only the holder may release it, and this is thread {Environment.CurrentManagedThreadId}. Dispose the scope on the thread that acquired it (a synchronous hold belongs to its thread, like Monitor).");
        }

        int index = FindFrame(seq);
        if (index < 0)
        {
            return; // already released: disposing twice is harmless
        }

        RemoveFrameAt(index);
        if (_depth == 0)
        {
            int token;
            bool tracked;
            lock (_frameGate)
            {
                token = _baseToken;
                tracked = _baseTrackedOnThread;
                _baseToken = 0;
                _ownerThreadId = 0;
            }

            Unlock(token);
            if (tracked)
            {
                HeldLocks.PopThread(this, token);
            }
        }
    }

    private void ReleaseFlowFrame(int seq, HoldNode node)
    {
        int token = 0;
        List<FrameWaiter>? frameWaiters;
        lock (_frameGate)
        {
            int index = FindFrame(seq);
            if (index < 0)
            {
                return; // already released
            }

            RemoveFrameAt(index);
            node.Fail(); // the frame is over: drop it from every chain's view
            if (ReferenceEquals(_flowTop, node))
            {
                _flowTop = null;
                for (int i = _depth - 1; i >= 0; i--)
                {
                    if (_frames[i].Node is { } inner)
                    {
                        _flowTop = inner;
                        break;
                    }
                }
            }

            if (_depth == 0)
            {
                token = _baseToken;
                _baseToken = 0;
                _flowTop = null;
                _ownerThreadId = 0;
            }

            frameWaiters = _frameWaiters;
            _frameWaiters = null;
        }

        SignalFrameWaiters(frameWaiters);
        if (token != 0)
        {
            Unlock(token);
        }
    }

    private int FindFrame(int seq)
    {
        for (int i = _depth - 1; i >= 0; i--)
        {
            if (_frames[i].Seq == seq)
            {
                return i;
            }
        }

        return -1;
    }

    private void RemoveFrameAt(int index)
    {
        int last = _depth - 1;
        if (index != last)
        {
            Array.Copy(_frames, index + 1, _frames, index, last - index);
        }

        _frames[last] = default;
        _depth = last;
    }

    internal override WaitHold ReleaseForWait(string operation)
    {
        if (!IsHeldByCurrentFlow)
        {
            throw NotHeld(this, operation);
        }

        int token;
        List<FrameWaiter>? frameWaiters;
        var hold = new WaitHold();
        lock (_frameGate)
        {
            token = _baseToken;
            hold.OriginalToken = token;
            hold.ThreadOwned = _ownerThreadId != 0;
            hold.TrackedOnThread = _baseTrackedOnThread;
            hold.Depth = _depth;
            hold.Frames = _frames.AsSpan(0, _depth).ToArray();
            hold.FlowTop = _flowTop;
            Array.Clear(_frames, 0, _depth);
            _depth = 0;
            _baseToken = 0;
            _flowTop = null;
            _ownerThreadId = 0;
            frameWaiters = _frameWaiters;
            _frameWaiters = null;
        }

        SignalFrameWaiters(frameWaiters);
        if (hold.TrackedOnThread)
        {
            HeldLocks.PopThread(this, token);
        }

        Unlock(token);
        return hold;
    }

    internal override void ReacquireAfterWait(WaitHold hold)
    {
        CheckBeforeReacquire();
        int token = TryLockFast();
        if (token == 0)
        {
            token = LockSlow(Timeout.Infinite, CancellationToken.None);
        }

        Restore(hold, token);
    }

    internal override async ValueTask ReacquireAfterWaitAsync(WaitHold hold)
    {
        CheckBeforeReacquire();
        int token = TryLockFast();
        if (token == 0)
        {
            token = await LockSlowAsync(Timeout.Infinite, CancellationToken.None).ConfigureAwait(false);
        }

        Restore(hold, token);
    }

    private void CheckBeforeReacquire()
    {
        LockOrderChecking mode = EffectiveChecking;
        if (mode != LockOrderChecking.Off && HeldLocks.MayHoldAny)
        {
            OrderChecker.CheckSlow(this, mode, ReadOnlySpan<OrderedLockBase>.Empty, selfIsDeadlock: false);
        }
    }

    private void Restore(WaitHold hold, int token)
    {
        var frames = (Frame[])hold.Frames!;
        lock (_frameGate)
        {
            if (_frames.Length < frames.Length)
            {
                _frames = new Frame[Math.Max(frames.Length, _frames.Length * 2)];
            }

            frames.CopyTo(_frames, 0);
            _depth = hold.Depth;
            _baseSeq = frames.Length > 0 ? frames[0].Seq : _baseSeq; // frames are kept in push order
            _baseToken = token;
            _baseTrackedOnThread = hold.TrackedOnThread;
            _flowTop = hold.FlowTop;
            _ownerThreadId = hold.ThreadOwned ? Environment.CurrentManagedThreadId : 0;
            foreach (Frame frame in frames)
            {
                frame.Node?.Grant(token);
            }
        }

        if (hold.TrackedOnThread)
        {
            HeldLocks.PushThread(this, token);
        }
    }
}
