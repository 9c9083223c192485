namespace OrderedLocks.Distributed;

/// <summary>
/// The server behind an <see cref="OrderedDistributedLock"/> failed while the lock was being
/// acquired or released (unreachable, restarted, the connection dropped). The message names the
/// lock and says what is held afterwards; <see cref="Exception.InnerException"/> is the
/// DistributedLock or database exception.
/// </summary>
public sealed class DistributedLockFailedException : Exception
{
    /// <summary>Initializes a new exception.</summary>
    /// <param name="lockObject">The lock whose server operation failed.</param>
    /// <param name="message">What happened, naming the lock.</param>
    /// <param name="innerException">The exception of the server-side lock.</param>
    public DistributedLockFailedException(OrderedDistributedLock lockObject, string message, Exception innerException)
        : base(message, innerException)
    {
        Lock = lockObject;
    }

    /// <summary>Gets the lock whose server operation failed.</summary>
    public OrderedDistributedLock Lock { get; }
}
