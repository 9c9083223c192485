using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace OrderedLocks;

/// <summary>
/// A held ordered lock. Disposing the scope releases the lock; disposing it again does nothing.
/// Works with <c>using</c> and with <c>await using</c> (the release itself is synchronous).
/// </summary>
/// <remarks>
/// <para>The scope is the ownership token of a non-reentrant <see cref="OrderedLock"/>: whoever has
/// it may release the hold, on any thread and in any async flow (a documented hand-off, as with
/// <see cref="SemaphoreSlim"/>). Held-lock tracking stays right either way: the hold disappears from
/// every thread and flow that recorded it, because records are validated against the lock's
/// current token. A reentrant lock accepts the release only from its holder.</para>
/// <para>A scope copied and disposed twice releases once: each hold has a unique token, so a stale
/// copy can never release a later hold of the same lock.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public readonly struct LockScope : IDisposable, IAsyncDisposable
{
    private readonly OrderedLockBase? _lock;
    private readonly HoldNode? _node;
    private readonly int _token;

    // Packed to keep the scope at 24 bytes (it is returned by value on every acquisition):
    // reentrant locks store their frame's sequence number (never 0); other locks store whether
    // the hold was recorded on the thread's list (a Tracked* value). A flow-tracked hold is the
    // one with a node.
    private readonly int _seqOrTracking;

    internal const byte NotTracked = 0;
    internal const byte TrackedOnThread = 1;
    internal const byte TrackedOnFlow = 2;

    internal LockScope(OrderedLockBase lockObject, int token, byte tracking, HoldNode? node, int seq = 0)
    {
        _lock = lockObject;
        _token = token;
        _node = node;
        _seqOrTracking = seq != 0 ? seq : tracking;
    }

    /// <summary>Gets the lock this scope holds, or <see langword="null"/> for a default scope.</summary>
    public OrderedLockBase? Lock => _lock;

    /// <summary>
    /// Gets a value indicating whether this scope came from a successful acquisition (false for
    /// <see langword="default"/> and for a timed-out <c>TryAcquireAsync</c>), whether or not it has
    /// been released since.
    /// </summary>
    public bool IsAcquired => _lock is not null;

    /// <summary>
    /// Gets a value indicating whether this scope still holds its lock (false after it was
    /// disposed, and for a default or failed scope).
    /// </summary>
    public bool IsHeld => _lock is not null && _lock.IsScopeHeld(this);

    internal int Token => _token;

    // Reentrant locks only.
    internal int Seq => _seqOrTracking;

    // Non-reentrant locks only.
    internal byte Tracking => _node is not null ? TrackedOnFlow : (byte)_seqOrTracking;

    internal HoldNode? Node => _node;

    private string DebuggerDisplay => _lock is null ? "(no lock)" : $"{_lock} {(IsHeld ? "held" : "released")}";

    /// <summary>
    /// Detaches this hold from the current thread or async flow, so that another thread or flow can
    /// own it and release it later. Call it on the holding side, just before passing the scope on,
    /// and pass on the returned scope.
    /// </summary>
    /// <returns>
    /// A scope for the same hold that belongs to nobody in particular: disposing it (on any thread,
    /// once) releases the lock.
    /// </returns>
    /// <remarks>
    /// <para>Without it, a thread that hands its synchronous scope to another thread still counts as
    /// the holder: acquiring the lock again on that thread reports
    /// <see cref="LockViolationKind.SelfDeadlock"/> at once, because a scope still in the thread's
    /// hands and one given away look the same. After <c>HandOff()</c> the thread's (or flow's)
    /// later acquisitions wait for the release like any contender, and order checks no longer count
    /// the hold for it. The receiver's order checks do not count it either: the handed hold is not
    /// recorded anywhere, and a condition wait on it reports that the lock is not held.</para>
    /// <para>Works for <see cref="OrderedLock"/>, <see cref="OrderedFileLock"/> and the other
    /// non-reentrant kinds. A <see cref="ReentrantOrderedLock"/> hold cannot be handed off: it
    /// belongs to its holder, like <see cref="Monitor"/>.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">
    /// The scope is default or already released, it is held synchronously by another thread, or
    /// its lock is reentrant. Nothing changes.
    /// </exception>
    public LockScope HandOff() => _lock is null
        ? throw new InvalidOperationException("This scope holds no lock (it is default or a failed TryAcquire), so there is nothing to hand off.")
        : _lock.HandOffScope(this);

    /// <summary>Releases the lock, if this scope still holds it.</summary>
    /// <exception cref="SynchronizationLockException">
    /// The scope belongs to a reentrant lock and the current thread or flow is not its holder.
    /// </exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Dispose()
    {
        if (_lock is OrderedLock plain)
        {
            plain.Release(this); // the common kind: no virtual call, so the release inlines
        }
        else
        {
            _lock?.ReleaseScope(this);
        }
    }

    /// <summary>
    /// Releases the lock, if this scope still holds it, for <c>await using</c>. The release is
    /// synchronous and never waits: the returned task is already complete (faulted if the release failed).
    /// </summary>
    /// <returns>A completed task.</returns>
    /// <exception cref="SynchronizationLockException">
    /// (In the returned task.) The scope belongs to a reentrant lock and the current thread or flow is not its holder.
    /// </exception>
    public ValueTask DisposeAsync()
    {
        // `await using` on a struct calls this through a constrained call: no boxing, and a
        // completed ValueTask allocates nothing; only a failed release allocates its task.
        try
        {
            Dispose();
            return default;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }
}
