using OrderedLocks.Checking;
using OrderedLocks.Internal;

namespace OrderedLocks;

// AcquireAll: the C# form of the article's acquire(*locks). Sorts by the global order, drops
// duplicates, checks the whole set against what the flow holds before taking anything, then
// acquires in order; on timeout, cancellation or exception part-way it releases what it took, in
// reverse order, and leaves no waiter queued.
public sealed partial class OrderedLock
{
    /// <summary>
    /// Acquires every lock of <paramref name="locks"/> in the global order (rank, then id),
    /// whatever order they are passed in. Duplicates are acquired once.
    /// </summary>
    /// <param name="locks">The locks; any mix of ordered lock kinds.</param>
    /// <returns>A scope that releases them all, in reverse order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="locks"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="locks"/> is empty.</exception>
    /// <exception cref="LockOrderException">
    /// The set cannot be taken in order from what the current thread and flow already hold (a held
    /// lock comes after one of the set), or a non-reentrant lock of the set is already held.
    /// Raised before anything is acquired.
    /// </exception>
    public static LockSetScope AcquireAll(params OrderedLockBase[] locks) =>
        AcquireAllCore(locks, Timeout.Infinite, CancellationToken.None, out LockSetScope scope) ? scope : throw new InvalidOperationException();

    /// <summary>Acquires every lock of <paramref name="locks"/> in the global order, or is cancelled.</summary>
    /// <param name="cancellationToken">Cancels the wait; whatever was taken is released.</param>
    /// <param name="locks">The locks.</param>
    /// <returns>A scope that releases them all, in reverse order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="locks"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="locks"/> is empty.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; nothing is held.</exception>
    /// <exception cref="LockOrderException">The set cannot be taken in order; nothing is held.</exception>
    public static LockSetScope AcquireAll(CancellationToken cancellationToken, params OrderedLockBase[] locks) =>
        AcquireAllCore(locks, Timeout.Infinite, cancellationToken, out LockSetScope scope) ? scope : throw new InvalidOperationException();

    /// <summary>
    /// Tries to acquire every lock of <paramref name="locks"/> in the global order within
    /// <paramref name="timeout"/> (for the whole set).
    /// </summary>
    /// <param name="timeout">How long to wait in all.</param>
    /// <param name="scope">The scope holding the set, or <see langword="default"/> on timeout.</param>
    /// <param name="locks">The locks.</param>
    /// <returns>Whether all were acquired. On timeout none is held.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="locks"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="locks"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="LockOrderException">The set cannot be taken in order; nothing is held.</exception>
    public static bool TryAcquireAll(TimeSpan timeout, out LockSetScope scope, params OrderedLockBase[] locks) =>
        AcquireAllCore(locks, Timeouts.ToMilliseconds(timeout, nameof(timeout)), CancellationToken.None, out scope);

    /// <summary>Acquires every lock of <paramref name="locks"/> in the global order, asynchronously.</summary>
    /// <param name="locks">The locks.</param>
    /// <returns>A scope that releases them all, in reverse order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="locks"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="locks"/> is empty.</exception>
    /// <exception cref="LockOrderException">Thrown before anything waits: the set cannot be taken in order.</exception>
    public static ValueTask<LockSetScope> AcquireAllAsync(params OrderedLockBase[] locks) =>
        AcquireAllAsync((IReadOnlyList<OrderedLockBase>)locks, CancellationToken.None);

    /// <summary>Acquires every lock of <paramref name="locks"/> in the global order, asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the wait; whatever was taken is released.</param>
    /// <param name="locks">The locks.</param>
    /// <returns>A scope that releases them all, in reverse order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="locks"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="locks"/> is empty.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; nothing is held.</exception>
    /// <exception cref="LockOrderException">Thrown before anything waits: the set cannot be taken in order.</exception>
    public static ValueTask<LockSetScope> AcquireAllAsync(CancellationToken cancellationToken, params OrderedLockBase[] locks) =>
        AcquireAllAsync((IReadOnlyList<OrderedLockBase>)locks, cancellationToken);

    /// <summary>Acquires every lock of <paramref name="locks"/> in the global order, asynchronously.</summary>
    /// <param name="locks">The locks.</param>
    /// <param name="cancellationToken">Cancels the wait; whatever was taken is released.</param>
    /// <returns>A scope that releases them all, in reverse order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="locks"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="locks"/> is empty.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; nothing is held.</exception>
    /// <exception cref="LockOrderException">Thrown before anything waits: the set cannot be taken in order.</exception>
    public static ValueTask<LockSetScope> AcquireAllAsync(IReadOnlyList<OrderedLockBase> locks, CancellationToken cancellationToken = default)
    {
        OrderedLockBase[] sorted = SortAndCheck(locks, nameof(locks));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LockSetScope>(cancellationToken);
        }

        // Record every pending hold in the caller's flow now, synchronously: writes made inside the
        // async part below would not reach the caller.
        var nodes = new HoldNode?[sorted.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            nodes[i] = sorted[i].PrepareAsyncHold(check: false);
        }

        return AcquireSortedAsync(sorted, nodes, cancellationToken);
    }

    /// <summary>
    /// Tries to acquire every lock of <paramref name="locks"/> in the global order within
    /// <paramref name="timeout"/>, asynchronously.
    /// </summary>
    /// <param name="locks">The locks.</param>
    /// <param name="timeout">How long to wait in all.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The scope holding the set, or one with <see cref="LockSetScope.Count"/> 0 on timeout (nothing held).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="locks"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="locks"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; nothing is held.</exception>
    /// <exception cref="LockOrderException">Thrown before anything waits: the set cannot be taken in order.</exception>
    public static ValueTask<LockSetScope> TryAcquireAllAsync(IReadOnlyList<OrderedLockBase> locks, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        OrderedLockBase[] sorted = SortAndCheck(locks, nameof(locks));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LockSetScope>(cancellationToken);
        }

        var nodes = new HoldNode?[sorted.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            nodes[i] = sorted[i].PrepareAsyncHold(check: false);
        }

        return AcquireSortedAsync(sorted, nodes, cancellationToken, timeoutMs);
    }

    private static bool AcquireAllCore(OrderedLockBase[] locks, int timeoutMs, CancellationToken cancellationToken, out LockSetScope scope)
    {
        OrderedLockBase[] sorted = SortAndCheck(locks, nameof(locks));
        cancellationToken.ThrowIfCancellationRequested();
        long deadline = timeoutMs == Timeout.Infinite ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        var scopes = new LockScope[sorted.Length];
        int taken = 0;
        try
        {
            for (; taken < sorted.Length; taken++)
            {
                LockScope one = sorted[taken].AcquireForSet(Remaining(deadline), cancellationToken, checkedByCaller: true);
                if (!one.IsAcquired)
                {
                    LockSetScope.ReleaseInReverse(scopes, taken);
                    scope = default;
                    return false;
                }

                scopes[taken] = one;
            }
        }
        catch
        {
            LockSetScope.ReleaseInReverse(scopes, taken);
            throw;
        }

        scope = new LockSetScope(scopes);
        return true;
    }

    private static async ValueTask<LockSetScope> AcquireSortedAsync(OrderedLockBase[] sorted, HoldNode?[] nodes, CancellationToken cancellationToken, int timeoutMs = Timeout.Infinite)
    {
        long deadline = timeoutMs == Timeout.Infinite ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        var scopes = new LockScope[sorted.Length];
        int taken = 0;
        try
        {
            for (; taken < sorted.Length; taken++)
            {
                LockScope one = await sorted[taken].AcquireForSetAsync(nodes[taken], Remaining(deadline), cancellationToken).ConfigureAwait(false);
                if (!one.IsAcquired)
                {
                    break;
                }

                scopes[taken] = one;
            }
        }
        catch
        {
            FailPending(nodes, taken);
            LockSetScope.ReleaseInReverse(scopes, taken);
            throw;
        }

        if (taken < sorted.Length)
        {
            FailPending(nodes, taken);
            LockSetScope.ReleaseInReverse(scopes, taken);
            return default;
        }

        return new LockSetScope(scopes);

        static void FailPending(HoldNode?[] nodes, int from)
        {
            for (int i = from; i < nodes.Length; i++)
            {
                nodes[i]?.Fail();
            }
        }
    }

    // Validates, sorts by the global order, drops duplicates, and checks the whole set against
    // the current holds, before anything is acquired.
    private static OrderedLockBase[] SortAndCheck(IReadOnlyList<OrderedLockBase> locks, string paramName)
    {
        if (locks is null)
        {
            ThrowHelper.ThrowArgumentNull(paramName);
        }

        int count = locks.Count;
        if (count == 0)
        {
            ThrowHelper.ThrowEmptyLockSet(paramName);
        }

        var sorted = new OrderedLockBase[count];
        for (int i = 0; i < count; i++)
        {
            sorted[i] = locks[i] ?? throw NullMember(paramName, i, count);
        }

        Array.Sort(sorted, static (a, b) => a.OrderKey.CompareTo(b.OrderKey));
        int distinct = 1;
        for (int i = 1; i < count; i++)
        {
            if (!ReferenceEquals(sorted[i], sorted[distinct - 1]))
            {
                sorted[distinct++] = sorted[i];
            }
        }

        if (distinct < count)
        {
            Array.Resize(ref sorted, distinct);
        }

        // A member the caller already holds is a self-deadlock, whatever the mode: say so before
        // anything else (an earlier member's order violation would hide it), as a single
        // acquisition does, and before anything is acquired or waited for.
        for (int i = 0; i < sorted.Length; i++)
        {
            OrderedLockBase member = sorted[i];
            if (!member.IsReentrant)
            {
                OrderChecker.ThrowIfSelfDeadlock(member, member.EffectiveChecking);
            }
        }

        for (int i = 0; i < sorted.Length; i++)
        {
            OrderedLockBase member = sorted[i];
            LockOrderChecking mode = member.EffectiveChecking;
            if (mode != LockOrderChecking.Off && !member.IsReentryForCurrentFlow())
            {
                OrderChecker.CheckSlow(member, mode, sorted.AsSpan(0, i), selfIsDeadlock: !member.IsReentrant);
            }
        }

        return sorted;
    }

    private static ArgumentNullException NullMember(string paramName, int index, int count) =>
        new(paramName, $"Lock number {index} of the {count} locks passed is null. Pass only non-null locks; nothing was acquired.");

    private static int Remaining(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return Timeout.Infinite;
        }

        long remaining = deadline - Environment.TickCount64;
        return remaining <= 0 ? 0 : (int)Math.Min(remaining, int.MaxValue);
    }
}
