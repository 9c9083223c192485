using System.Diagnostics;
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
    public static LockSetScope AcquireAll(params OrderedLockBase[] locks)
    {
        if (locks is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(locks));
        }

        return AcquireAllCore(locks, nameof(locks), Timeout.Infinite, CancellationToken.None);
    }

    /// <summary>
    /// Acquires every lock of <paramref name="locks"/> in the global order (rank, then id),
    /// whatever order they are passed in. Duplicates are acquired once. With C# 13 and later, a
    /// call with separate arguments binds here and passes them without allocating an array.
    /// </summary>
    /// <param name="locks">The locks; any mix of ordered lock kinds.</param>
    /// <returns>A scope that releases them all, in reverse order.</returns>
    /// <exception cref="ArgumentNullException">One of the locks is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="locks"/> is empty.</exception>
    /// <exception cref="LockOrderException">
    /// The set cannot be taken in order from what the current thread and flow already hold, or a
    /// non-reentrant lock of the set is already held. Raised before anything is acquired.
    /// </exception>
    public static LockSetScope AcquireAll(params ReadOnlySpan<OrderedLockBase> locks) =>
        AcquireAllCore(locks, nameof(locks), Timeout.Infinite, CancellationToken.None);

    /// <summary>Acquires every lock of <paramref name="locks"/> in the global order, or is cancelled.</summary>
    /// <param name="cancellationToken">Cancels the wait; whatever was taken is released.</param>
    /// <param name="locks">The locks.</param>
    /// <returns>A scope that releases them all, in reverse order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="locks"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="locks"/> is empty.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; nothing is held.</exception>
    /// <exception cref="LockOrderException">The set cannot be taken in order; nothing is held.</exception>
    public static LockSetScope AcquireAll(CancellationToken cancellationToken, params OrderedLockBase[] locks)
    {
        if (locks is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(locks));
        }

        return AcquireAllCore(locks, nameof(locks), Timeout.Infinite, cancellationToken);
    }

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
    public static bool TryAcquireAll(TimeSpan timeout, out LockSetScope scope, params OrderedLockBase[] locks)
    {
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        if (locks is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(locks));
        }

        scope = AcquireAllCore(locks, nameof(locks), timeoutMs, CancellationToken.None);
        return scope.Count != 0;
    }

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

    // The synchronous set: returns the scope by value (built in the caller's frame: a write
    // through an out parameter costs a checked GC write barrier per reference), with Count 0 when
    // the timeout ran out (nothing is then held). Sets are never empty, so Count 0 means failure.
    // Inlined into the public entries, so the commonest set is tried before AcquireSet's frame
    // (which zeroes a stack buffer for the sort on entry) is set up.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static LockSetScope AcquireAllCore(ReadOnlySpan<OrderedLockBase> locks, string paramName, int timeoutMs, CancellationToken cancellationToken)
    {
        if (locks.Length == 2 && timeoutMs == Timeout.Infinite && !cancellationToken.CanBeCanceled
            && locks[0] is OrderedLock x && locks[1] is OrderedLock y)
        {
            LockSetScope pair = TryAcquirePairFast(x, y);
            if (pair.Count != 0)
            {
                return pair;
            }
        }

        return AcquireSet(locks, paramName, timeoutMs, cancellationToken);
    }

    // Any synchronous set: sort, check, acquire in order.
    private static LockSetScope AcquireSet(ReadOnlySpan<OrderedLockBase> locks, string paramName, int timeoutMs, CancellationToken cancellationToken)
    {
        // Sort into a buffer on the stack; the member scopes go inline (one or two locks) or into
        // the thread's reusable frame (up to eight): a synchronous AcquireAll of up to eight locks
        // allocates nothing once the thread has done one. The stack buffer is passed on its own,
        // never behind a choice between it and an array: the JIT then knows the sort's writes go
        // to the stack and emits no GC write barrier for them (four to eight helper calls per
        // set otherwise).
        SmallLockBuffer buffer = default;
        ReadOnlySpan<OrderedLockBase> sorted = locks.Length <= SmallLockBuffer.Capacity
            ? SortDistinctSmallSet(locks, buffer, paramName)
            : SortDistinct(locks, new OrderedLockBase?[locks.Length], paramName);
        HeldLocks.ThreadHolds holds = HeldLocks.CurrentThreadHoldsOrCreate;
        if (!IsFreshStrictSet(sorted, holds))
        {
            CheckSet(sorted, holds);
        }

        cancellationToken.ThrowIfCancellationRequested();

        long deadline = timeoutMs == Timeout.Infinite ? long.MaxValue : Timeouts.Deadline(timeoutMs);
        if (sorted.Length <= 2)
        {
            return AcquireSmallSet(sorted, holds, deadline, cancellationToken);
        }

        LockSetScope.SetFrame? frame = sorted.Length <= LockSetScope.FrameCapacity ? LockSetScope.SetFrame.Rent(holds) : null;
        LockScope[] scopes = frame?.Scopes ?? new LockScope[sorted.Length];
        int taken;
        try
        {
            taken = AcquireMembers(sorted, scopes, holds, deadline, cancellationToken);
        }
        catch
        {
            Abandon(scopes, CountAcquired(scopes, sorted.Length), frame);
            throw;
        }

        if (taken < sorted.Length)
        {
            Abandon(scopes, taken, frame);
            return default;
        }

        return frame is not null ? new LockSetScope(frame, taken, sorted[taken - 1], scopes[taken - 1].Token) : new LockSetScope(scopes);

        // The scopes taken before a failure are the leading acquired ones (the rest are default:
        // a new array, or a frame cleared when it was last recycled).
        static int CountAcquired(LockScope[] scopes, int count)
        {
            int acquired = 0;
            while (acquired < count && scopes[acquired].IsAcquired)
            {
                acquired++;
            }

            return acquired;
        }

        static void Abandon(LockScope[] scopes, int taken, LockSetScope.SetFrame? frame)
        {
            try
            {
                LockSetScope.ReleaseInReverse(scopes.AsSpan(0, taken));
            }
            finally
            {
                frame?.Recycle(taken);
            }
        }
    }

    // The commonest set, two distinct plain locks with nothing held yet under Strict or Off
    // checking: the sorted pair is in order by construction and there is no edge to learn, so
    // the set needs no buffer, no set check and no loop. Anything else returns an empty scope
    // (Count 0) with nothing taken.
    private static LockSetScope TryAcquirePairFast(OrderedLock x, OrderedLock y)
    {
        if (x.OrderKey > y.OrderKey)
        {
            (x, y) = (y, x);
        }

        HeldLocks.ThreadHolds holds = HeldLocks.CurrentThreadHoldsOrCreate;
        int threadId = holds.ThreadId;
        if (ReferenceEquals(x, y) || holds.Count != 0 || x.IsOwnedByThread(threadId) || y.IsOwnedByThread(threadId)
            || y.EffectiveChecking is not (LockOrderChecking.Strict or LockOrderChecking.Off)
            || HeldLocks.FlowTop is not null)
        {
            return default;
        }

        LockScope first = x.AcquireInSet(holds, Timeout.Infinite, CancellationToken.None);
        LockScope second;
        try
        {
            second = y.AcquireInSet(holds, Timeout.Infinite, CancellationToken.None);
        }
        catch
        {
            first.Dispose();
            throw;
        }

        return new LockSetScope(first, second);
    }

    // One or two locks: the scopes live in the LockSetScope itself.
    private static LockSetScope AcquireSmallSet(ReadOnlySpan<OrderedLockBase> sorted, HeldLocks.ThreadHolds holds, long deadline, CancellationToken cancellationToken)
    {
        LockScope first = AcquireMember(sorted[0], holds, deadline, cancellationToken);
        if (!first.IsAcquired || sorted.Length == 1)
        {
            return new LockSetScope(first, default);
        }

        LockScope second;
        try
        {
            second = AcquireMember(sorted[1], holds, deadline, cancellationToken);
        }
        catch
        {
            first.Dispose();
            throw;
        }

        if (!second.IsAcquired)
        {
            first.Dispose();
            return default;
        }

        return new LockSetScope(first, second);
    }

    // Acquires the sorted members into `scopes` in order; returns how many were taken (fewer than
    // all on timeout). No exception handling here, so the loop keeps its state in registers (in
    // a try block the JIT keeps it in memory); the caller releases what was taken if one throws.
    private static int AcquireMembers(ReadOnlySpan<OrderedLockBase> sorted, Span<LockScope> scopes, HeldLocks.ThreadHolds holds, long deadline, CancellationToken cancellationToken)
    {
        for (int i = 0; i < sorted.Length; i++)
        {
            OrderedLockBase member = sorted[i];
            int remaining = deadline == long.MaxValue ? Timeout.Infinite : Timeouts.Remaining(deadline);
            if (member is OrderedLock plain)
            {
                // The scope is built in its slot: copying a returned scope into the frame would
                // write both of its references with a GC write barrier each, the null one too.
                int token = plain.AcquireTokenInSet(holds, remaining, cancellationToken, out byte tracking);
                if (token == 0)
                {
                    return i;
                }

                scopes[i] = new LockScope(plain, token, tracking, null);
                continue;
            }

            LockScope one = member.AcquireForSet(remaining, cancellationToken, checkedByCaller: true);
            if (!one.IsAcquired)
            {
                return i;
            }

            scopes[i] = one;
        }

        return sorted.Length;
    }

    // The common kind directly (no virtual call, the thread's list already in hand); others virtually.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static LockScope AcquireMember(OrderedLockBase member, HeldLocks.ThreadHolds holds, long deadline, CancellationToken cancellationToken)
    {
        int remaining = deadline == long.MaxValue ? Timeout.Infinite : Timeouts.Remaining(deadline);
        return member is OrderedLock plain
            ? plain.AcquireInSet(holds, remaining, cancellationToken)
            : member.AcquireForSet(remaining, cancellationToken, checkedByCaller: true);
    }

    private static async ValueTask<LockSetScope> AcquireSortedAsync(OrderedLockBase[] sorted, HoldNode?[] nodes, CancellationToken cancellationToken, int timeoutMs = Timeout.Infinite)
    {
        long deadline = Timeouts.Deadline(timeoutMs);
        var scopes = new LockScope[sorted.Length];
        int taken = 0;
        try
        {
            for (; taken < sorted.Length; taken++)
            {
                LockScope one = await sorted[taken].AcquireForSetAsync(nodes[taken], Timeouts.Remaining(deadline), cancellationToken).ConfigureAwait(false);
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
            LockSetScope.ReleaseInReverse(scopes.AsSpan(0, taken));
            throw;
        }

        if (taken < sorted.Length)
        {
            FailPending(nodes, taken);
            LockSetScope.ReleaseInReverse(scopes.AsSpan(0, taken));
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
    // the current holds, before anything is acquired (asynchronous forms keep the sorted array).
    private static OrderedLockBase[] SortAndCheck(IReadOnlyList<OrderedLockBase> locks, string paramName)
    {
        if (locks is null)
        {
            ThrowHelper.ThrowArgumentNull(paramName);
        }

        var copy = new OrderedLockBase[locks.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = locks[i];
        }

        var work = new OrderedLockBase?[copy.Length];
        ReadOnlySpan<OrderedLockBase> sorted = SortDistinct(copy, work, paramName);

        // Asynchronous set acquisition: the thread's synchronous holds are not the caller's.
        using (HeldLocks.AsyncCaller())
        {
            CheckSet(sorted);
        }

        return sorted.ToArray();
    }

    // SortDistinct for one to eight locks, inlined into the caller so that writes to its stack
    // buffer are known to be stack writes.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<OrderedLockBase> SortDistinctSmallSet(ReadOnlySpan<OrderedLockBase> locks, Span<OrderedLockBase?> work, string paramName)
    {
        Debug.Assert(locks.Length <= SmallLockBuffer.Capacity && work.Length >= locks.Length, "A small set and room for it.");
        if (locks.Length == 0)
        {
            ThrowHelper.ThrowEmptyLockSet(paramName);
        }

        return locks.Length <= 4 ? SortDistinctTiny(locks, work, paramName) : SortDistinctEight(locks, work, paramName);
    }

    // Copies `locks` into `work` sorted by the global order, without duplicates; returns the
    // filled part. Insertion sort: sets are small, and no comparison delegate is needed.
    private static ReadOnlySpan<OrderedLockBase> SortDistinct(ReadOnlySpan<OrderedLockBase> locks, Span<OrderedLockBase?> work, string paramName)
    {
        int count = locks.Length;
        if (count <= SmallLockBuffer.Capacity)
        {
            return SortDistinctSmallSet(locks, work, paramName);
        }

        int filled = 0;
        for (int i = 0; i < count; i++)
        {
            OrderedLockBase item = locks[i] ?? throw NullMember(paramName, i, count);
            long key = item.OrderKey;
            int at = filled;
            while (at > 0 && work[at - 1]!.OrderKey > key)
            {
                at--;
            }

            if (at > 0 && ReferenceEquals(work[at - 1], item))
            {
                continue; // a duplicate: keys are unique per lock
            }

            for (int j = filled; j > at; j--)
            {
                work[j] = work[j - 1];
            }

            work[at] = item;
            filled++;
        }

        return System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref work[0]!, filled);
    }

    // SortDistinct for one to four locks (the commonest sets): a sorting network (pairs compared
    // in a fixed sequence, each pair put in order without a branch) over locals, then one write of
    // each lock. Four locks take five compare-and-swaps where the counting sort below takes
    // sixteen rounds of two compares (AcquireAll(4), median of the interleaved runner: from
    // 1.33-1.45x to 1.16-1.22x four nested Acquire calls; docs/benchmarks.md). Equal keys are the
    // same lock passed again: sorted, they are adjacent.
    internal static ReadOnlySpan<OrderedLockBase> SortDistinctTiny(ReadOnlySpan<OrderedLockBase> locks, Span<OrderedLockBase?> work, string paramName)
    {
        int count = locks.Length;
        OrderedLockBase a = locks[0] ?? throw NullMember(paramName, 0, count);
        long ka = a.OrderKey;
        if (count == 1)
        {
            work[0] = a;
            return System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref work[0]!, 1);
        }

        OrderedLockBase b = locks[1] ?? throw NullMember(paramName, 1, count);
        long kb = b.OrderKey;
        if (count == 2)
        {
            InOrder(ref ka, ref a, ref kb, ref b);
            work[0] = a;
            work[1] = b;
            return System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref work[0]!, ka == kb ? 1 : 2);
        }

        OrderedLockBase c = locks[2] ?? throw NullMember(paramName, 2, count);
        long kc = c.OrderKey;
        bool duplicates;
        if (count == 3)
        {
            InOrder(ref ka, ref a, ref kb, ref b);
            InOrder(ref kb, ref b, ref kc, ref c);
            InOrder(ref ka, ref a, ref kb, ref b);
            work[0] = a;
            work[1] = b;
            work[2] = c;
            duplicates = (ka == kb) | (kb == kc);
        }
        else
        {
            OrderedLockBase d = locks[3] ?? throw NullMember(paramName, 3, count);
            long kd = d.OrderKey;
            InOrder(ref ka, ref a, ref kb, ref b);
            InOrder(ref kc, ref c, ref kd, ref d);
            InOrder(ref ka, ref a, ref kc, ref c);
            InOrder(ref kb, ref b, ref kd, ref d);
            InOrder(ref kb, ref b, ref kc, ref c);
            work[0] = a;
            work[1] = b;
            work[2] = c;
            work[3] = d;
            duplicates = (ka == kb) | (kb == kc) | (kc == kd);
        }

        int filled = duplicates ? DropAdjacentDuplicates(work[..count]) : count;
        return System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref work[0]!, filled);
    }

    // SortDistinct for five to eight locks: the same, with Batcher's 19-comparator odd-even merge
    // network for eight (AcquireAllTests.SmallSetSorts compares it with a plain sort) and the
    // missing places filled with a key above every lock's. A lock whose key is that maximum (the largest rank and creation id) takes the
    // counting sort instead, so a filler never sorts before a lock.
    internal static ReadOnlySpan<OrderedLockBase> SortDistinctEight(ReadOnlySpan<OrderedLockBase> locks, Span<OrderedLockBase?> work, string paramName)
    {
        int count = locks.Length;
        KeyBuffer keyBuffer = default;
        Span<long> keys = keyBuffer;
        bool atMaximum = false;
        for (int i = 0; i < count; i++)
        {
            long key = (locks[i] ?? throw NullMember(paramName, i, count)).OrderKey;
            keys[i] = key;
            atMaximum |= key == long.MaxValue;
        }

        if (atMaximum)
        {
            return SortDistinctSmall(locks, work, paramName);
        }

        for (int i = count; i < SmallLockBuffer.Capacity; i++)
        {
            keys[i] = long.MaxValue;
        }

        long k0 = keys[0], k1 = keys[1], k2 = keys[2], k3 = keys[3], k4 = keys[4], k5 = keys[5], k6 = keys[6], k7 = keys[7];
        OrderedLockBase l0 = locks[0], l1 = locks[1], l2 = locks[2], l3 = locks[3], l4 = locks[4];
        OrderedLockBase l5 = count > 5 ? locks[5] : l4, l6 = count > 6 ? locks[6] : l4, l7 = count > 7 ? locks[7] : l4;
        InOrder(ref k0, ref l0, ref k1, ref l1);
        InOrder(ref k2, ref l2, ref k3, ref l3);
        InOrder(ref k4, ref l4, ref k5, ref l5);
        InOrder(ref k6, ref l6, ref k7, ref l7);
        InOrder(ref k0, ref l0, ref k2, ref l2);
        InOrder(ref k1, ref l1, ref k3, ref l3);
        InOrder(ref k4, ref l4, ref k6, ref l6);
        InOrder(ref k5, ref l5, ref k7, ref l7);
        InOrder(ref k1, ref l1, ref k2, ref l2);
        InOrder(ref k5, ref l5, ref k6, ref l6);
        InOrder(ref k0, ref l0, ref k4, ref l4);
        InOrder(ref k1, ref l1, ref k5, ref l5);
        InOrder(ref k2, ref l2, ref k6, ref l6);
        InOrder(ref k3, ref l3, ref k7, ref l7);
        InOrder(ref k2, ref l2, ref k4, ref l4);
        InOrder(ref k3, ref l3, ref k5, ref l5);
        InOrder(ref k1, ref l1, ref k2, ref l2);
        InOrder(ref k3, ref l3, ref k4, ref l4);
        InOrder(ref k5, ref l5, ref k6, ref l6);

        // The fillers (key at the maximum, no lock's) are now last: the first `count` are the locks.
        work[0] = l0;
        work[1] = l1;
        work[2] = l2;
        work[3] = l3;
        work[4] = l4;
        bool duplicates = (k0 == k1) | (k1 == k2) | (k2 == k3) | (k3 == k4);
        if (count > 5)
        {
            work[5] = l5;
            duplicates |= k4 == k5;
        }

        if (count > 6)
        {
            work[6] = l6;
            duplicates |= k5 == k6;
        }

        if (count > 7)
        {
            work[7] = l7;
            duplicates |= k6 == k7;
        }

        int filled = duplicates ? DropAdjacentDuplicates(work[..count]) : count;
        return System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref work[0]!, filled);
    }

    // Puts the pair (key x, lock x), (key y, lock y) in key order, with conditional moves.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void InOrder(ref long kx, ref OrderedLockBase x, ref long ky, ref OrderedLockBase y)
    {
        bool swap = ky < kx;
        long low = swap ? ky : kx;
        long high = swap ? kx : ky;
        OrderedLockBase first = swap ? y : x;
        OrderedLockBase second = swap ? x : y;
        kx = low;
        ky = high;
        x = first;
        y = second;
    }

    // Drops the repeats of a sorted span in place (equal locks are adjacent); returns the count left.
    private static int DropAdjacentDuplicates(Span<OrderedLockBase?> sorted)
    {
        int filled = 1;
        for (int k = 1; k < sorted.Length; k++)
        {
            if (!ReferenceEquals(sorted[k], sorted[filled - 1]))
            {
                sorted[filled++] = sorted[k];
            }
        }

        return filled;
    }

    // SortDistinct for up to eight locks when one key is at the maximum (see SortDistinctEight),
    // without data-dependent branches: each lock's place is the number of keys below its own,
    // plus the equal keys (the same lock passed again) before it. Duplicates then sit next to
    // each other and are dropped in one pass. (It was the path of every set of up to eight:
    // n * n rounds of two compares, slower than the networks from four locks up.)
    internal static ReadOnlySpan<OrderedLockBase> SortDistinctSmall(ReadOnlySpan<OrderedLockBase> locks, Span<OrderedLockBase?> work, string paramName)
    {
        KeyBuffer keyBuffer = default;
        Span<long> keys = keyBuffer;
        int count = locks.Length;
        for (int i = 0; i < count; i++)
        {
            keys[i] = (locks[i] ?? throw NullMember(paramName, i, count)).OrderKey;
        }

        bool duplicates = false;
        for (int i = 0; i < count; i++)
        {
            long key = keys[i];
            int place = 0;
            for (int j = 0; j < count; j++)
            {
                long other = keys[j];
                place += (other < key ? 1 : 0) + (other == key && j < i ? 1 : 0);
            }

            work[place] = locks[i];
        }

        int filled = count;
        for (int k = 1; k < count; k++)
        {
            duplicates |= ReferenceEquals(work[k], work[k - 1]);
        }

        if (duplicates)
        {
            filled = DropAdjacentDuplicates(work[..count]);
        }

        return System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref work[0]!, filled);
    }

    [System.Runtime.CompilerServices.InlineArray(SmallLockBuffer.Capacity)]
    private struct KeyBuffer
    {
        private long _element;
    }

    // The common synchronous set, in one pass: nothing held by the thread or flow, no member
    // owned by the thread already, and no member that learns edges (Strict or Off only). Such a
    // sorted set is in order by construction, so it needs no further check. Otherwise false, and
    // CheckSet decides (it reports a self-deadlock found here with the full description).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool IsFreshStrictSet(ReadOnlySpan<OrderedLockBase> sorted, HeldLocks.ThreadHolds holds)
    {
        if (holds.Count != 0 || HeldLocks.FlowTop is not null)
        {
            return false;
        }

        int threadId = holds.ThreadId;
        bool plain = true;
        for (int i = 0; i < sorted.Length; i++)
        {
            OrderedLockBase member = sorted[i];
            plain &= member.EffectiveChecking is LockOrderChecking.Strict or LockOrderChecking.Off;
            plain &= !member.IsOwnedByThread(threadId);
        }

        return plain;
    }

    // Checks a sorted set against the current holds, once, before anything is acquired.
    private static void CheckSet(ReadOnlySpan<OrderedLockBase> sorted, HeldLocks.ThreadHolds? holds = null)
    {
        // A member the caller already holds is a self-deadlock, whatever the mode: say so before
        // anything else (an earlier member's order violation would hide it), as a single
        // acquisition does, and before anything is acquired or waited for.
        // `holds`: the current thread's list, for a synchronous set (saves the thread-static
        // lookups); an asynchronous set passes none and checks under HeldLocks.AsyncCaller.
        bool mayHold = holds is not null ? holds.Count > 0 || HeldLocks.FlowTop is not null : HeldLocks.MayHoldAny;
        int threadId = holds?.ThreadId ?? 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            OrderedLockBase member = sorted[i];
            if (mayHold)
            {
                if (!member.IsReentrant)
                {
                    OrderChecker.ThrowIfSelfDeadlock(member, member.EffectiveChecking);
                }
            }
            else if (holds is not null ? member.IsOwnedByThread(threadId) : member.IsOwnedByCurrentThread)
            {
                if (!member.IsReentrant)
                {
                    OrderChecker.ThrowIfSelfDeadlock(member, LockOrderChecking.Off);
                }
            }
        }

        for (int i = 0; i < sorted.Length; i++)
        {
            OrderedLockBase member = sorted[i];
            LockOrderChecking mode = member.EffectiveChecking;
            if (mode == LockOrderChecking.Off || (!mayHold && (i == 0 || mode == LockOrderChecking.Strict)))
            {
                // Nothing held: a sorted set is in strict order by construction, and the first
                // member has no edge to learn.
                continue;
            }

            if (!member.IsReentryForCurrentFlow())
            {
                OrderChecker.CheckSlow(member, mode, sorted[..i], selfIsDeadlock: !member.IsReentrant);
            }
        }
    }

    // Room for the sorted copy of a small set, on the stack.
    [System.Runtime.CompilerServices.InlineArray(Capacity)]
    private struct SmallLockBuffer
    {
        internal const int Capacity = 8;

        private OrderedLockBase? _element;
    }

    private static ArgumentNullException NullMember(string paramName, int index, int count) =>
        new(paramName, $"Lock number {index} of the {count} locks passed is null. Pass only non-null locks; nothing was acquired.");
}
