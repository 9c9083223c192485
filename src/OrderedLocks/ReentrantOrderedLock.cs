using System.Diagnostics;
using OrderedLocks.Checking;
using OrderedLocks.Internal;

namespace OrderedLocks;

/// <summary>
/// A reentrant ordered lock (the article's RLock): its holder may acquire it again and must
/// release it as many times. It has the same place in the global order as any ordered lock, and
/// re-acquiring it never counts as an order violation against itself.
/// </summary>
/// <remarks>
/// <para><b>Who the holder is.</b> A synchronous first acquisition makes the <em>thread</em> the
/// holder, exactly like <see cref="Monitor"/>: the thread's synchronous code may re-enter, and
/// only that thread may release. An asynchronous acquisition on that thread is not a re-entry: it
/// may be another task's continuation run inline there (the holder completed a
/// <see cref="TaskCompletionSource"/> or cancelled a token), so it waits for the hold like any
/// contender. An asynchronous first acquisition makes the
/// <em>async flow</em> the holder: re-entry follows the awaited call chain (the hold is found in
/// the flow's chain of held locks), across awaits and thread hops.</para>
/// <para><b>What a forked task gets.</b> A task forked while its parent holds the lock starts with
/// the parent's chain. Re-entry is granted only to a flow whose chain contains the
/// <em>innermost</em> frame of the lock (stack discipline): a fork may nest inside its
/// ancestor's hold, like a synchronous callee, but two forks are never inside at the same time —
/// a second fork (or the parent itself) waits until the first one's frame is released, and never
/// waits for the ancestor's outer hold, so an ancestor awaiting its forks cannot hang. A task
/// whose chain holds no frame of the lock is an ordinary contender and waits for the whole hold.</para>
/// <para>Release happens by disposing the scope. Scopes of a thread-held lock must be disposed on
/// that thread (<see cref="SynchronizationLockException"/> otherwise); scopes of a flow-held lock
/// are the ownership token and may be disposed in any flow.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed partial class ReentrantOrderedLock : OrderedLockBase
{
    // Frame bookkeeping. For a thread-held lock only the holding thread changes it (nothing else
    // passes the _ownerThreadId check); for a flow-held lock every change happens under _frameGate.
    // _frameGate is a leaf lock: nothing is acquired under it and completions run after leaving it.
    private readonly object _frameGate = new();
    private Frame[] _frames = new Frame[4];
    private int _depth;
    private int _lastSeq;

    // Token of the underlying hold; 0 when free.
    private int _baseToken;

    // Sequence number of the current hold's first frame (written under _frameGate). Frames get
    // increasing sequence numbers, so a scope whose Seq is below it belongs to an earlier hold.
    private int _baseSeq;

    // Whether the first (base) acquisition was recorded on the holding thread's list.
    private bool _baseTrackedOnThread;

    // Flow-held: the node of the innermost frame (the frame re-entry is granted against).
    private HoldNode? _flowTop;

    // Flows waiting for the innermost frame to change (see Decision.WaitFrame). Swapped out under
    // _frameGate whenever the innermost frame changes, and completed after leaving it.
    private List<FrameWaiter>? _frameWaiters;

    /// <summary>Initializes a new reentrant lock.</summary>
    /// <param name="name">The name used in diagnostics; defaults to "ReentrantOrderedLock#id".</param>
    /// <param name="rank">The declared level: lower ranks are acquired first.</param>
    /// <param name="checking">This lock's checking mode; <see langword="null"/> follows <see cref="LockOrderPolicy.Checking"/>.</param>
    /// <param name="lockClass">
    /// The lock class whose node of the learned order this lock shares (see <see cref="OrderedLocks.LockClass"/>);
    /// <see langword="null"/> gives the lock a node of its own.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="checking"/> is not a defined mode.</exception>
    public ReentrantOrderedLock(string? name = null, int? rank = null, LockOrderChecking? checking = null, LockClass? lockClass = null)
        : base(name, rank, checking)
    {
        LockClass = lockClass;
    }

    /// <summary>
    /// Gets how many times the current thread or async flow holds the lock (0 when it is not the holder).
    /// </summary>
    public int RecursionCount => IsHeldByCurrentFlow ? Volatile.Read(ref _depth) : 0;

    /// <summary>
    /// Gets a value indicating whether the current thread (synchronous holder) or async flow
    /// (holder of the innermost frame) holds the lock.
    /// </summary>
    /// <remarks>
    /// A synchronous hold counts for synchronous code on its thread only: inside an asynchronous
    /// acquisition or wait, a hold taken synchronously by this thread is not the caller's (the
    /// caller may be another task's continuation run inline on the holder's thread).
    /// </remarks>
    public bool IsHeldByCurrentFlow
    {
        get
        {
            if (IsOwnedByCurrentThread)
            {
                return true;
            }

            HoldNode? top = Volatile.Read(ref _flowTop);
            return top is not null && ChainContains(HeldLocks.FlowTop, top);
        }
    }

    internal override bool IsReentrant => true;

    private protected override string KindName => nameof(ReentrantOrderedLock);

    private string DebuggerDisplay => $"{this} depth {Volatile.Read(ref _depth)}{(_ownerThreadId != 0 ? $", held by thread {_ownerThreadId}" : _flowTop is not null ? ", held by an async flow" : string.Empty)}";

    internal override bool IsReentryForCurrentFlow() => IsHeldByCurrentFlow;

    internal override bool IsHeldForCondition() => IsHeldByCurrentFlow;

    internal override LockScope HandOffScope(in LockScope scope) =>
        throw new InvalidOperationException($"{this} is reentrant: its hold belongs to the thread or flow that took it (re-entries are counted for that holder), so its scope cannot be handed off. Release it where it was acquired, or use an OrderedLock for a hold that moves between threads.");

    internal override bool IsScopeHeld(in LockScope scope)
    {
        int seq = scope.Seq;
        lock (_frameGate)
        {
            for (int i = _depth - 1; i >= 0; i--)
            {
                if (_frames[i].Seq == seq)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool ChainContains(HoldNode? chain, HoldNode target)
    {
        for (HoldNode? node = chain; node is not null; node = node.Parent)
        {
            if (ReferenceEquals(node, target))
            {
                return true;
            }
        }

        return false;
    }

    // Wakes every frame waiter taken out of the list (outside _frameGate).
    private static void SignalFrameWaiters(List<FrameWaiter>? waiters)
    {
        if (waiters is not null)
        {
            foreach (FrameWaiter waiter in waiters)
            {
                waiter.Completion.TrySetResult(true);
            }
        }
    }

    // Removes a frame waiter that gave up; false when it was already signalled.
    private bool TryAbandon(FrameWaiter waiter)
    {
        lock (_frameGate)
        {
            return _frameWaiters is not null && _frameWaiters.Remove(waiter);
        }
    }

    // A flow waiting for the innermost frame to change; completed with true when it changes,
    // with false when the wait is abandoned (timeout, cancellation).
    private sealed class FrameWaiter
    {
        internal readonly TaskCompletionSource<bool> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        internal readonly ReentrantOrderedLock Owner;

        internal FrameWaiter(ReentrantOrderedLock owner) => Owner = owner;
    }

    // A frame of the lock: one acquisition (the first, or a re-entry) not yet released.
    private struct Frame
    {
        internal int Seq;
        internal HoldNode? Node;
    }
}
