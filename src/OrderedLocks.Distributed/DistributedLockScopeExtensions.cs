namespace OrderedLocks.Distributed;

/// <summary>
/// The server's handle-lost signal on the scopes of <see cref="OrderedDistributedLock"/>: a token
/// that is cancelled when the server side of the hold is gone (the connection dropped, the
/// backend was terminated, the server restarted) before the scope was disposed.
/// </summary>
/// <remarks>
/// When the token fires, mutual exclusion is over: another process may already hold the lock.
/// Stop the work, and do not commit what was written under the lock unless the data store
/// itself rejects stale writers (fencing; see docs/distributed.md). Monitoring starts when the
/// token is first read (DistributedLock polls the connection), so read it right after acquiring.
/// </remarks>
public static class DistributedLockScopeExtensions
{
    /// <param name="scope">The scope of an acquisition.</param>
    extension(LockScope scope)
    {
        /// <summary>
        /// Gets a token cancelled when the server-side hold is lost;
        /// <see cref="CancellationToken.None"/> when the scope is not (or no longer) a held
        /// distributed lock, or when the server-side lock type cannot detect a loss.
        /// </summary>
        public CancellationToken HandleLostToken =>
            scope.Lock is OrderedDistributedLock distributed ? distributed.HandleLostTokenOf(scope) : CancellationToken.None;
    }

    /// <param name="scope">The scope of an AcquireAll.</param>
    extension(LockSetScope scope)
    {
        /// <summary>
        /// Gets a token cancelled when the server-side hold of any distributed lock of the set is
        /// lost; <see cref="CancellationToken.None"/> when the set holds none. With several
        /// distributed locks, each read links a new source: read it once per hold.
        /// </summary>
        /// <remarks>Read it while the set is held.</remarks>
        public CancellationToken HandleLostToken => HandleLostTokenOfSet(scope);
    }

    private static CancellationToken HandleLostTokenOfSet(LockSetScope scope)
    {
        List<CancellationToken>? tokens = null;
        foreach (OrderedLockBase member in scope.Locks)
        {
            if (member is OrderedDistributedLock distributed && distributed.CurrentHandleLostToken() is { CanBeCanceled: true } token)
            {
                (tokens ??= new List<CancellationToken>()).Add(token);
            }
        }

        return tokens switch
        {
            null => CancellationToken.None,
            { Count: 1 } => tokens[0],
            _ => CancellationTokenSource.CreateLinkedTokenSource(tokens.ToArray()).Token,
        };
    }
}
