namespace OrderedLocks;

/// <summary>
/// Thrown before an acquisition blocks, when it violates the lock order (strict checking), closes
/// a cycle in the learned lock order, or would deadlock on a lock the caller already holds.
/// Nothing is left held: the acquisition did not take place.
/// </summary>
public sealed class LockOrderException : InvalidOperationException
{
    /// <summary>Initializes a new instance with a message and no violation details.</summary>
    /// <param name="message">The message.</param>
    public LockOrderException(string message)
        : base(message)
    {
        Violation = null;
    }

    /// <summary>Initializes a new instance with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public LockOrderException(string message, Exception innerException)
        : base(message, innerException)
    {
        Violation = null;
    }

    internal LockOrderException(LockOrderViolation violation)
        : base(violation.Message)
    {
        Violation = violation;
    }

    /// <summary>Gets the details of the violation (null only for user-constructed instances).</summary>
    public LockOrderViolation? Violation { get; }

    /// <summary>Gets the kind of violation, when known.</summary>
    public LockViolationKind? Kind => Violation?.Kind;
}
