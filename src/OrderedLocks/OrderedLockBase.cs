using System.Diagnostics;
using System.Runtime.CompilerServices;
using OrderedLocks.Checking;

namespace OrderedLocks;

/// <summary>
/// A lock with a place in one global order: first its declared <see cref="Rank"/>, then its
/// creation <see cref="Id"/>. All ordered locks (<see cref="OrderedLock"/> and the other kinds)
/// derive from this class, so they can be mixed in <see cref="OrderedLock.AcquireAll(OrderedLockBase[])"/> and are checked
/// against each other.
/// </summary>
/// <remarks>
/// The order is total: two different locks never compare equal, because ids are unique (a
/// process-wide counter, never a hash code). Lower ranks must be acquired first.
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public abstract partial class OrderedLockBase : IComparable<OrderedLockBase>
{
    private static int s_lastId;

    private readonly LockOrderChecking? _checking;

    // Node of this lock in the learned lock-order graph; created on first use by learned checking.
    // Only this field keeps it alive: the graph refers to it weakly, so it goes with the lock.
    private LockGraphNode? _graphNode;

    private protected OrderedLockBase(string? name, int? rank, LockOrderChecking? checking)
    {
        if (checking is { } mode && !LockOrderPolicy.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(checking), mode, "Unknown lock-order checking mode.");
        }

        Id = Interlocked.Increment(ref s_lastId);
        Name = string.IsNullOrEmpty(name) ? $"{GetType().Name}#{Id}" : name!;
        HasRank = rank.HasValue;
        Rank = rank ?? 0;
        _checking = checking;
        OrderKey = ((long)Rank << 32) | (uint)Id;
    }

    /// <summary>Gets the name used in diagnostics (given at construction, or "Kind#Id").</summary>
    public string Name { get; }

    /// <summary>
    /// Gets the declared rank (level). Lower ranks are acquired first. Locks without a declared
    /// rank have rank 0 and are ordered among themselves by <see cref="Id"/>.
    /// </summary>
    public int Rank { get; }

    /// <summary>Gets a value indicating whether a rank was declared at construction.</summary>
    public bool HasRank { get; }

    /// <summary>
    /// Gets the unique creation id: a process-wide counter, so locks created earlier have smaller
    /// ids. Breaks ties between equal ranks.
    /// </summary>
    public int Id { get; }

    /// <summary>
    /// Gets the checking mode set for this lock, or <see langword="null"/> when it follows
    /// <see cref="LockOrderPolicy.Checking"/>.
    /// </summary>
    public LockOrderChecking? Checking => _checking;

    /// <summary>Gets the checking mode in force for this lock now.</summary>
    public LockOrderChecking EffectiveChecking
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _checking ?? LockOrderPolicy.s_checking;
    }

    /// <summary>Gets a value indicating whether some thread or flow holds the lock now.</summary>
    /// <remarks>A snapshot for diagnostics: it may be stale as soon as it returns.</remarks>
    public bool IsLocked => (Volatile.Read(ref _state) & LockedBit) != 0;

    // (Rank, Id) packed into one comparable number: rank in the high half, id in the low half.
    internal long OrderKey { get; }

    /// <summary>
    /// Gets the lock class this lock shares its node of the learned lock-order graph with, or
    /// <see langword="null"/> when the lock has a node of its own (see <see cref="OrderedLocks.LockClass"/>).
    /// </summary>
    public LockClass? LockClass { get; private protected init; }

    internal LockGraphNode InstanceNode =>
        _graphNode ?? Interlocked.CompareExchange(ref _graphNode, new LockGraphNode(this), null) ?? _graphNode!;

    private protected abstract string KindName { get; }

    private string DebuggerDisplay
    {
        get
        {
            int state = Volatile.Read(ref _state);
            string holder = (state & LockedBit) == 0
                ? "free"
                : _ownerThreadId != 0 ? $"held by thread {_ownerThreadId}" : "held by an async flow";
            return $"{KindName} '{Name}' (rank {Rank}, id {Id}), {holder}{((state & WaitersBit) != 0 ? ", waiters queued" : string.Empty)}";
        }
    }

    /// <summary>
    /// Compares two locks by the global order: rank first, then creation id.
    /// </summary>
    /// <param name="other">The lock to compare with.</param>
    /// <returns>Negative when this lock is acquired before <paramref name="other"/>.</returns>
    public int CompareTo(OrderedLockBase? other) => other is null ? 1 : OrderKey.CompareTo(other.OrderKey);

    /// <summary>Describes the lock: name, rank and id.</summary>
    /// <returns>For example <c>'accounts' (rank 10, id 3)</c>.</returns>
    public override string ToString() =>
        HasRank ? $"'{Name}' (rank {Rank}, id {Id})" : $"'{Name}' (no rank, id {Id})";

    // --- Hooks for acquisition through the shared machinery (AcquireAll, conditions) ---

    // Re-entrant locks return true when the current flow already holds them, which makes
    // AcquireAll and order checks treat the acquisition as a re-entry (no check, no wait).
    internal virtual bool IsReentryForCurrentFlow() => false;

    // Whether finding this lock among the current holds makes an acquisition a self-deadlock.
    internal virtual bool IsReentrant => false;

    internal abstract LockScope AcquireForSet(int timeoutMs, CancellationToken cancellationToken, bool checkedByCaller);

    internal abstract ValueTask<LockScope> AcquireForSetAsync(HoldNode? node, int timeoutMs, CancellationToken cancellationToken);

    internal abstract HoldNode? PrepareAsyncHold(bool check);

    internal abstract void ReleaseScope(in LockScope scope);

    // Whether the scope still holds the lock (see LockScope.IsHeld).
    internal abstract bool IsScopeHeld(in LockScope scope);

    // LockScope.HandOff: detaches the hold from the current thread or flow (non-reentrant kinds).
    internal virtual LockScope HandOffScope(in LockScope scope) => HandOffExclusive(scope);

    // Condition support: gives up the current flow's hold completely (any recursion), and takes it
    // back with the same recursion after the wait. The release throws SynchronizationLockException
    // when the current thread or flow does not hold the lock.
    internal abstract WaitHold ReleaseForWait(string operation);

    internal abstract void ReacquireAfterWait(WaitHold hold);

    internal abstract ValueTask ReacquireAfterWaitAsync(WaitHold hold);

    // Whether the current thread or flow holds the lock (condition precondition checks).
    internal abstract bool IsHeldForCondition();
}
