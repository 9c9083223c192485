using System.Runtime.CompilerServices;
using OrderedLocks.Checking;
using OrderedLocks.Internal;

namespace OrderedLocks;

// Acquisition and release of the reentrant lock. Three outcomes for every acquisition:
//   Reenter  - the current thread (thread-held) or flow (its chain contains the innermost frame)
//              is the holder: push a frame, no check, no wait.
//   WaitFrame - the flow's chain holds an outer frame of this lock but another flow holds the
//              innermost one (a sibling fork, or the parent after re-entering): wait until the
//              innermost frame changes, then decide again. Never waits for the outer hold.
//   Contend  - no frame of this lock in the thread or chain: check the order and wait for the
//              underlying lock like any contender.
public sealed partial class ReentrantOrderedLock
{
    private enum Decision
    {
        Reenter,
        WaitFrame,
        Contend,
    }

    /// <summary>Acquires the lock, or re-enters it when the current thread or flow holds it.</summary>
    /// <returns>The scope of this acquisition; dispose it to release one level.</returns>
    /// <exception cref="LockOrderException">A first acquisition violates the lock order. Nothing is held.</exception>
    public LockScope Acquire() => AcquireSync(Timeout.Infinite, CancellationToken.None);

    /// <summary>Acquires or re-enters the lock, or is cancelled.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The scope of this acquisition.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first; nothing more is held.</exception>
    /// <exception cref="LockOrderException">A first acquisition violates the lock order. Nothing is held.</exception>
    public LockScope Acquire(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return AcquireSync(Timeout.Infinite, cancellationToken);
    }

    /// <summary>Tries to acquire or re-enter the lock without waiting.</summary>
    /// <param name="scope">The scope, or <see langword="default"/> when the lock was held by another flow.</param>
    /// <returns>Whether the lock was acquired.</returns>
    /// <exception cref="LockOrderException">A first acquisition violates the lock order. Nothing is held.</exception>
    public bool TryAcquire(out LockScope scope) => TryAcquire(TimeSpan.Zero, out scope, CancellationToken.None);

    /// <summary>Tries to acquire or re-enter the lock, waiting at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="scope">The scope, or <see langword="default"/> on timeout.</param>
    /// <returns>Whether the lock was acquired. On timeout nothing more is held and no waiter stays queued.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="LockOrderException">A first acquisition violates the lock order. Nothing is held.</exception>
    public bool TryAcquire(TimeSpan timeout, out LockScope scope) => TryAcquire(timeout, out scope, CancellationToken.None);

    /// <summary>Tries to acquire or re-enter the lock within <paramref name="timeout"/>, or until cancelled.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="scope">The scope, or <see langword="default"/> on timeout.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether the lock was acquired.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first; nothing more is held.</exception>
    /// <exception cref="LockOrderException">A first acquisition violates the lock order. Nothing is held.</exception>
    public bool TryAcquire(TimeSpan timeout, out LockScope scope, CancellationToken cancellationToken)
    {
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        cancellationToken.ThrowIfCancellationRequested();
        scope = AcquireSync(timeoutMs, cancellationToken);
        return scope.IsAcquired;
    }

    /// <summary>Acquires or re-enters the lock asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The scope of this acquisition.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first; nothing more is held.</exception>
    /// <exception cref="LockOrderException">Thrown before anything waits: a first acquisition violates the lock order.</exception>
    public ValueTask<LockScope> AcquireAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LockScope>(cancellationToken);
        }

        return AcquireForSetAsync(PrepareAsyncHold(check: true), Timeout.Infinite, cancellationToken);
    }

    /// <summary>Tries to acquire or re-enter the lock asynchronously within <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The scope, or one whose <see cref="LockScope.IsAcquired"/> is false on timeout.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first; nothing more is held.</exception>
    /// <exception cref="LockOrderException">Thrown before anything waits: a first acquisition violates the lock order.</exception>
    public ValueTask<LockScope> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LockScope>(cancellationToken);
        }

        return AcquireForSetAsync(PrepareAsyncHold(check: true), timeoutMs, cancellationToken);
    }

    internal override LockScope AcquireForSet(int timeoutMs, CancellationToken cancellationToken, bool checkedByCaller) =>
        AcquireSync(timeoutMs, cancellationToken, checkedByCaller);

    // Pushes a pending node on the caller's chain (synchronously, so it lands in the caller's
    // flow) and checks the order when this will be a first acquisition.
    internal override HoldNode? PrepareAsyncHold(bool check)
    {
        HoldNode? chain = HeldLocks.FlowTop;
        if (check)
        {
            // An asynchronous acquisition is never the thread's synchronous code: a synchronous
            // hold of this thread is neither a re-entry for it nor part of its order checks.
            using (HeldLocks.AsyncCaller())
            {
                if (!IsHeldByCurrentFlow && !ChainHoldsFrame(chain))
                {
                    LockOrderChecking mode = EffectiveChecking;
                    if (mode != LockOrderChecking.Off && HeldLocks.MayHoldAny)
                    {
                        OrderChecker.CheckSlow(this, mode, ReadOnlySpan<OrderedLockBase>.Empty, selfIsDeadlock: false);
                    }
                }
            }
        }

        return HeldLocks.PushFlow(this);
    }

    internal override ValueTask<LockScope> AcquireForSetAsync(HoldNode? node, int timeoutMs, CancellationToken cancellationToken)
    {
        // A lock held synchronously by this thread is not re-entered here: the caller may be an
        // unrelated task's continuation run inline on the holder's thread, which would then be
        // inside at the same time as the holder (and could not release on another thread). It
        // waits like any contender (Decide returns Contend: a thread-held lock has no flow frame).
        HoldNode pending = node!;
        Decision decision = Decide(pending.Parent, pending, out LockScope entered, out FrameWaiter? frameWaiter);
        if (decision == Decision.Reenter)
        {
            return new ValueTask<LockScope>(entered);
        }

        return AcquireSlowAsync(pending, decision, frameWaiter, timeoutMs, cancellationToken);
    }

    private async ValueTask<LockScope> AcquireSlowAsync(HoldNode node, Decision decision, FrameWaiter? frameWaiter, int timeoutMs, CancellationToken cancellationToken)
    {
        long deadline = Timeouts.Deadline(timeoutMs);
        try
        {
            while (decision == Decision.WaitFrame)
            {
                if (!await WaitFrameChangeAsync(frameWaiter!, Timeouts.Remaining(deadline), cancellationToken).ConfigureAwait(false))
                {
                    node.Fail();
                    return default;
                }

                decision = Decide(node.Parent, node, out LockScope entered, out frameWaiter);
                if (decision == Decision.Reenter)
                {
                    return entered;
                }
            }

            int token = await LockSlowAsync(Timeouts.Remaining(deadline), cancellationToken).ConfigureAwait(false);
            if (token == 0)
            {
                node.Fail();
                return default;
            }

            return SetUpBase(token, node, trackOnThread: false);
        }
        catch
        {
            node.Fail();
            throw;
        }
    }

    private LockScope AcquireSync(int timeoutMs, CancellationToken cancellationToken, bool checkedByCaller = false)
    {
        int tid = Environment.CurrentManagedThreadId;
        if (_ownerThreadId == tid && _depth > 0)
        {
            return PushThreadFrame();
        }

        long deadline = Timeouts.Deadline(timeoutMs);
        HoldNode? chain = HeldLocks.FlowTop;
        if (Volatile.Read(ref _flowTop) is not null)
        {
            // Possibly a synchronous re-entry into a flow-held lock: frames there carry nodes.
            var node = new HoldNode(this, chain);
            Decision decision;
            while ((decision = Decide(chain, node, out LockScope entered, out FrameWaiter? frameWaiter)) != Decision.Contend)
            {
                if (decision == Decision.Reenter)
                {
                    HeldLocks.ReplaceFlow(node);
                    return entered;
                }

                if (!WaitFrameChange(frameWaiter!, Timeouts.Remaining(deadline), cancellationToken))
                {
                    return default;
                }
            }
        }

        LockOrderChecking mode = EffectiveChecking;
        if (!checkedByCaller && mode != LockOrderChecking.Off && HeldLocks.MayHoldAny)
        {
            OrderChecker.CheckSlow(this, mode, ReadOnlySpan<OrderedLockBase>.Empty, selfIsDeadlock: false);
        }

        int token = TryLockFast();
        if (token == 0)
        {
            token = timeoutMs == 0 ? 0 : LockSlow(Timeouts.Remaining(deadline), cancellationToken);
            if (token == 0)
            {
                return default;
            }
        }

        return SetUpBase(token, null, trackOnThread: mode != LockOrderChecking.Off);
    }

    // Decides, under _frameGate, and performs a flow re-entry when that is the decision.
    private Decision Decide(HoldNode? chain, HoldNode node, out LockScope entered, out FrameWaiter? frameWaiter)
    {
        entered = default;
        frameWaiter = null;
        lock (_frameGate)
        {
            HoldNode? top = _flowTop;
            if (top is null || _depth == 0)
            {
                return Decision.Contend;
            }

            if (ChainContains(chain, top))
            {
                node.Depth = _depth + 1;
                node.Grant(_baseToken);
                int seq = PushFrameLocked(node);
                _flowTop = node;
                entered = new LockScope(this, _baseToken, LockScope.TrackedOnFlow, node, seq);
                return Decision.Reenter;
            }

            if (ChainHoldsFrameLocked(chain))
            {
                frameWaiter = new FrameWaiter(this);
                (_frameWaiters ??= new List<FrameWaiter>()).Add(frameWaiter);
                return Decision.WaitFrame;
            }

            return Decision.Contend;
        }
    }

    private LockScope SetUpBase(int token, HoldNode? node, bool trackOnThread)
    {
        lock (_frameGate)
        {
            _baseToken = token;
            _depth = 0;
            if (Diagnostics.LockDiagnostics.s_captureStacks) CaptureHold(token);
            int seq = PushFrameLocked(node);
            _baseSeq = seq;
            if (node is null)
            {
                _ownerThreadId = Environment.CurrentManagedThreadId;
                _baseTrackedOnThread = trackOnThread;
                if (trackOnThread)
                {
                    HeldLocks.PushThread(this, token);
                }

                return new LockScope(this, token, LockScope.TrackedOnThread, null, seq);
            }

            node.Depth = 1;
            node.Grant(token);
            _flowTop = node;
            _baseTrackedOnThread = false;
            return new LockScope(this, token, LockScope.TrackedOnFlow, node, seq);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private LockScope PushThreadFrame()
    {
        int depth = _depth;
        if (depth == _frames.Length)
        {
            Array.Resize(ref _frames, depth * 2);
        }

        int seq = ++_lastSeq;
        _frames[depth] = new Frame { Seq = seq };
        _depth = depth + 1;
        return new LockScope(this, _baseToken, LockScope.TrackedOnThread, null, seq);
    }

    private int PushFrameLocked(HoldNode? node)
    {
        if (_depth == _frames.Length)
        {
            Array.Resize(ref _frames, _depth * 2);
        }

        int seq = ++_lastSeq;
        _frames[_depth++] = new Frame { Seq = seq, Node = node };
        return seq;
    }

    private bool ChainHoldsFrame(HoldNode? chain)
    {
        if (Volatile.Read(ref _flowTop) is null)
        {
            return false;
        }

        lock (_frameGate)
        {
            return ChainHoldsFrameLocked(chain);
        }
    }

    private bool ChainHoldsFrameLocked(HoldNode? chain)
    {
        for (HoldNode? node = chain; node is not null; node = node.Parent)
        {
            if (ReferenceEquals(node.Lock, this))
            {
                for (int i = 0; i < _depth; i++)
                {
                    if (ReferenceEquals(_frames[i].Node, node))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    // Blocks until the innermost frame changes; false on timeout. The waiter never stays listed.
    private bool WaitFrameChange(FrameWaiter waiter, int timeoutMs, CancellationToken cancellationToken)
    {
        bool changed;
        try
        {
            changed = timeoutMs == Timeout.Infinite && !cancellationToken.CanBeCanceled
                ? WaitInfinite(waiter.Completion.Task)
                : waiter.Completion.Task.Wait(timeoutMs, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            if (TryAbandon(waiter))
            {
                throw;
            }

            return true; // signalled while being cancelled: decide again
        }

        return changed || !TryAbandon(waiter);

        static bool WaitInfinite(Task task)
        {
            task.Wait();
            return true;
        }
    }

    private static async ValueTask<bool> WaitFrameChangeAsync(FrameWaiter waiter, int timeoutMs, CancellationToken cancellationToken)
    {
        bool changed;
        using (WaitAbandonment.Arm(timeoutMs, cancellationToken, s_abandonFrameWaiter, waiter))
        {
            changed = await waiter.Completion.Task.ConfigureAwait(false);
        }

        if (!changed)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        return changed;
    }

    private static readonly Action<object?> s_abandonFrameWaiter = static state =>
    {
        var waiter = (FrameWaiter)state!;
        if (waiter.Owner.TryAbandon(waiter))
        {
            waiter.Completion.TrySetResult(false);
        }
    };
}
