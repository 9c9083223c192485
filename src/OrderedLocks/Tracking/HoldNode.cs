using System.Diagnostics;

namespace OrderedLocks;

/// <summary>
/// One asynchronous hold in an async flow's chain of held locks. The chain is an immutable linked
/// list kept in an <see cref="AsyncLocal{T}"/>: a task forked while the flow holds a lock starts
/// with the same chain (it sees the hold as inherited), and a node goes stale by itself when the
/// hold ends, because validity is checked against the lock's current token rather than stored:
/// every copy of the chain, in every fork, sees the release at once (no stale "held" state).
/// </summary>
[DebuggerDisplay("{Lock.Name,nq} token {Token} valid {IsValid}")]
internal sealed class HoldNode
{
    internal HoldNode(OrderedLockBase lockObject, HoldNode? parent)
    {
        Lock = lockObject;
        Parent = parent;
    }

    internal OrderedLockBase Lock { get; }

    internal HoldNode? Parent { get; }

    // Marks a node whose acquisition failed (timeout, cancellation, exception). Tokens are odd.
    internal const int FailedToken = 2;

    // The hold's token once granted; 0 while the acquisition is pending; FailedToken when it
    // failed. Written by the acquiring flow (or the code that completed its wait).
    internal int Token;

    // For re-entrant locks: the recursion depth this node represents (1 for the first hold).
    internal int Depth;

    internal bool IsValid
    {
        get
        {
            int token = Volatile.Read(ref Token);
            return (token & 1) != 0 && Lock.IsHeldWithToken(token);
        }
    }

    // Released or failed: can be dropped from a chain. Pending nodes are not finished.
    internal bool IsFinished
    {
        get
        {
            int token = Volatile.Read(ref Token);
            return token != 0 && ((token & 1) == 0 || !Lock.IsHeldWithToken(token));
        }
    }

    internal void Grant(int token) => Volatile.Write(ref Token, token);

    internal void Fail() => Volatile.Write(ref Token, FailedToken);
}
