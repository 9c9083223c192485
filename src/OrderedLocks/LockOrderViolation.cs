using System.Diagnostics;

namespace OrderedLocks;

/// <summary>
/// What an out-of-order acquisition looked like: the lock being acquired, the locks the current
/// thread and flow held, and for learned checking the cycle with where each edge was first seen.
/// </summary>
public sealed class LockOrderViolation
{
    internal LockOrderViolation(
        LockViolationKind kind,
        LockDescription acquiring,
        IReadOnlyList<HeldLockDescription> held,
        IReadOnlyList<LockOrderEdge> cycle,
        string message)
    {
        Kind = kind;
        Acquiring = acquiring;
        Held = held;
        Cycle = cycle;
        Message = message;
    }

    /// <summary>Gets the kind of violation.</summary>
    public LockViolationKind Kind { get; }

    /// <summary>Gets the lock whose acquisition was checked.</summary>
    public LockDescription Acquiring { get; }

    /// <summary>Gets the locks held by the acquiring thread and flow, innermost first.</summary>
    public IReadOnlyList<HeldLockDescription> Held { get; }

    /// <summary>
    /// Gets, for <see cref="LockViolationKind.PotentialDeadlock"/>, the edges of the cycle in
    /// order: the new edge (held to acquiring) first, then the learned path back. Empty otherwise.
    /// </summary>
    public IReadOnlyList<LockOrderEdge> Cycle { get; }

    /// <summary>Gets the full, human-readable report.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;
}

/// <summary>A lock as it appears in a report: its name, rank and id.</summary>
/// <param name="Name">The lock's name.</param>
/// <param name="Rank">The lock's rank (0 when none was declared).</param>
/// <param name="HasRank">Whether a rank was declared.</param>
/// <param name="Id">The lock's creation id.</param>
public sealed record LockDescription(string Name, int Rank, bool HasRank, int Id)
{
    /// <summary>
    /// Gets the name of the lock's <see cref="LockClass"/>, or <see langword="null"/> when it has none.
    /// </summary>
    public string? ClassName { get; init; }

    internal static LockDescription Of(OrderedLockBase lockObject) =>
        new(lockObject.Name, lockObject.Rank, lockObject.HasRank, lockObject.Id) { ClassName = lockObject.LockClass?.Name };

    /// <summary>Describes the lock, for example <c>'accounts' (rank 10, id 3)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        (HasRank ? $"'{Name}' (rank {Rank}, id {Id}" : $"'{Name}' (no rank, id {Id}")
        + (ClassName is null ? ")" : $", class '{ClassName}')");
}

/// <summary>A held lock in a report, with how the hold is recorded.</summary>
/// <param name="Lock">The lock.</param>
/// <param name="HeldBy">
/// "this thread" for a synchronous hold, or "this async flow" for an asynchronous hold of the
/// current flow or of the flow that forked it.
/// </param>
public sealed record HeldLockDescription(LockDescription Lock, string HeldBy)
{
    /// <summary>Describes the hold.</summary>
    /// <returns>The lock and its holder.</returns>
    public override string ToString() => $"{Lock} held by {HeldBy}";
}

/// <summary>
/// One edge of the learned lock order: <see cref="From"/> was held when <see cref="To"/> was acquired.
/// For an edge between lock classes (<see cref="LockDescription.ClassName"/> set), the locks are the
/// members with which the edge was first seen; they need not be alive any more.
/// </summary>
/// <param name="From">The lock that was held.</param>
/// <param name="To">The lock that was acquired while holding it.</param>
/// <param name="ThreadId">Managed id of the thread that first took the edge.</param>
/// <param name="StackTrace">Where the edge was first seen, or the current acquisition for the new edge.</param>
public sealed record LockOrderEdge(LockDescription From, LockDescription To, int ThreadId, StackTrace? StackTrace)
{
    /// <summary>Describes the edge and where it was seen.</summary>
    /// <returns>The edge as text.</returns>
    public override string ToString() => $"{From.Name} -> {To.Name} (thread {ThreadId})";
}
