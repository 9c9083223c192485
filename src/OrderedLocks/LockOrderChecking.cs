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
    /// Every acquisition must be above every lock the current thread and async flow hold, in the
    /// global order (declared <see cref="OrderedLockBase.Rank"/>, then creation
    /// <see cref="OrderedLockBase.Id"/>). A violation is raised <em>before</em> blocking, so a
    /// wrong order fails deterministically instead of deadlocking sometimes (lock leveling).
    /// </summary>
    Strict = 1,

    /// <summary>
    /// No ranks needed: every held-to-acquired pair is recorded in one process-wide lock-order
    /// graph (like Linux lockdep). An acquisition that would close a cycle of any length is
    /// reported at once, even when no deadlock happens in that run; the report shows where each
    /// edge of the cycle was first seen.
    /// </summary>
    Learned = 2,
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
    /// <summary>Strict checking: the lock is not above every lock held by the current flow.</summary>
    OrderViolation = 0,

    /// <summary>Learned checking: the acquisition closes a cycle in the lock-order graph.</summary>
    PotentialDeadlock = 1,

    /// <summary>
    /// A non-reentrant lock is acquired by the thread or async flow that already holds it
    /// (or by a task forked from the flow that holds it): waiting would never end.
    /// </summary>
    SelfDeadlock = 2,
}
