namespace OrderedLocks;

/// <summary>
/// How acquisitions of ordered locks are checked against the global lock order.
/// </summary>
public enum LockOrderChecking
{
    /// <summary>
    /// No checking and no held-lock tracking: the cheapest mode. Mutual exclusion, timeouts and
    /// cancellation work as usual; a thread that re-acquires a non-reentrant lock it holds
    /// synchronously still gets an exception instead of a hang, but async self-deadlocks and
    /// order violations are not detected.
    /// </summary>
    Off = 0,

    /// <summary>
    /// The article's rule, lock leveling: every acquisition must be above every lock the current
    /// thread and async flow hold, in the global order (declared <see cref="OrderedLockBase.Rank"/>,
    /// then creation <see cref="OrderedLockBase.Id"/>). A violation is raised <em>before</em>
    /// blocking, so a wrong order fails deterministically instead of deadlocking sometimes. For
    /// locks without ranks the order is the order of creation, which the program did not choose:
    /// nesting an older lock inside a newer one throws even if no code takes them the other way.
    /// Choose it explicitly when every lock has a rank, or to enforce creation order.
    /// </summary>
    Strict = 1,

    /// <summary>
    /// No ranks needed: every held-to-acquired pair is recorded in one process-wide lock-order
    /// graph (like Linux lockdep). An acquisition that would close a cycle of any length is
    /// reported at once, even when no deadlock happens in that run; the report shows where each
    /// edge of the cycle was first seen. Ranks are ignored.
    /// </summary>
    Learned = 2,

    /// <summary>
    /// The default. Declared ranks are checked strictly where both locks have one and the ranks
    /// differ (a lower rank taken under a higher one throws before blocking, on its first
    /// occurrence); every other pair (a lock without a rank, or two equal ranks) is checked by the
    /// learned order, as in <see cref="Learned"/>: it throws only when the program has taken the
    /// two locks (or a chain of locks) in the other order before. Never throws on code that nests
    /// its locks consistently, whatever order they were created in.
    /// </summary>
    Hybrid = 3,
}

/// <summary>What happens when an acquisition violates the lock order.</summary>
public enum LockViolationAction
{
    /// <summary>
    /// Raise <see cref="LockOrderException"/> before the acquisition blocks (after calling any
    /// <see cref="LockOrderPolicy.ViolationReported"/> handlers). Nothing is left held.
    /// </summary>
    Throw = 0,

    /// <summary>
    /// Call the <see cref="LockOrderPolicy.ViolationReported"/> handlers and go on with the
    /// acquisition. Self-deadlocks (re-acquiring a non-reentrant lock you hold) still throw,
    /// because going on would hang.
    /// </summary>
    Report = 1,
}

/// <summary>The kind of a <see cref="LockOrderViolation"/>.</summary>
public enum LockViolationKind
{
    /// <summary>
    /// Strict checking, or a declared rank under <see cref="LockOrderChecking.Hybrid"/>: the lock is
    /// not above a lock held by the current flow in the global order.
    /// </summary>
    OrderViolation = 0,

    /// <summary>
    /// Learned (or <see cref="LockOrderChecking.Hybrid"/>) checking: the acquisition closes a cycle
    /// in the learned lock-order graph.
    /// </summary>
    PotentialDeadlock = 1,

    /// <summary>
    /// A non-reentrant lock is acquired by the thread or async flow that already holds it
    /// (or by a task forked from the flow that holds it): waiting would never end.
    /// </summary>
    SelfDeadlock = 2,
}
