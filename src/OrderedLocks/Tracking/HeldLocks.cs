using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace OrderedLocks;

/// <summary>
/// Held-lock tracking: synchronous holds per thread, asynchronous holds per async flow.
/// </summary>
/// <remarks>
/// <para>Semantics (see docs/held-lock-tracking.md for the full table):</para>
/// <list type="bullet">
/// <item>A synchronous acquisition (<c>Acquire</c>, <c>TryAcquire</c>) belongs to the thread, like
/// <see cref="Monitor"/>: it is recorded in a per-thread list that costs no allocation. Holding a
/// synchronous scope across an <c>await</c> is a bug, as with <c>lock</c>.</item>
/// <item>An asynchronous acquisition (<c>AcquireAsync</c>) belongs to the async flow: it is pushed on
/// an immutable chain in an <see cref="AsyncLocal{T}"/>, synchronously, before the first await, so it
/// lands in the caller's flow and follows it across awaits and thread hops.</item>
/// <item>Forks (<c>Task.Run</c>, unawaited calls, timers) start with their parent's chain: they see
/// the parent's asynchronous holds as inherited while the parent still holds them. Order checks
/// count inherited holds (a parent that awaits a child under a lock makes every lock of the child
/// nested under it), and acquiring a non-reentrant lock held by the flow that forked you is a
/// self-deadlock error, never a silent hang. Forks never own inherited holds.</item>
/// <item>An asynchronous acquisition never counts the thread's synchronous holds as its own: the
/// code that calls it may be an unrelated task's continuation run inline on the holder's thread
/// (the holder completed a TaskCompletionSource or cancelled a token inside its section), and such a
/// continuation carries the very same execution context as the holder's own code, so nothing
/// without an allocation per synchronous acquisition can tell them apart. While an asynchronous
/// acquisition runs its synchronous checks, <see cref="AsyncCaller"/> hides the thread's list.</item>
/// <item>Release marks nothing: a node is valid only while its lock still carries its token, so
/// every copy of a chain sees a release at once.</item>
/// </list>
/// </remarks>
internal static class HeldLocks
{
    private static readonly AsyncLocal<HoldNode?> s_flow = new();

    // Set (for good) before the first asynchronous hold is recorded anywhere in the process. Until
    // then no flow can have a chain, so synchronous code skips reading the AsyncLocal (an
    // execution-context lookup, and an interface call when the context carries other values).
    // Monotonic: a flow that later carries a node was given it after the flag was set, and every
    // way a chain reaches another thread (await, fork, thread start) orders the write before it.
    private static volatile bool s_flowInUse;

    [ThreadStatic]
    private static ThreadHolds? t_thread;

    // True while an asynchronous acquisition (or a condition's asynchronous wait) runs its
    // synchronous part on this thread: the thread's synchronous holds are then not the caller's.
    [ThreadStatic]
    private static bool t_asyncCaller;

    /// <summary>Gets a value indicating whether the current code is an asynchronous acquisition's check.</summary>
    internal static bool InAsyncCaller
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_asyncCaller;
    }

    /// <summary>
    /// Marks the current thread as running an asynchronous acquisition until the returned scope is
    /// disposed: <see cref="CurrentThreadHolds"/>, <see cref="MayHoldAny"/>, <see cref="FindHold"/>
    /// and <see cref="Snapshot"/> then ignore the thread's synchronous holds. Nests.
    /// </summary>
    internal static AsyncCallerScope AsyncCaller()
    {
        bool previous = t_asyncCaller;
        t_asyncCaller = true;
        return new AsyncCallerScope(previous);
    }

    internal readonly struct AsyncCallerScope : IDisposable
    {
        private readonly bool _previous;

        internal AsyncCallerScope(bool previous) => _previous = previous;

        public void Dispose() => t_asyncCaller = _previous;
    }

    /// <summary>Gets the top of the current flow's chain (may include stale nodes).</summary>
    internal static HoldNode? FlowTop
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => s_flowInUse ? s_flow.Value : null;
    }

    internal static ThreadHolds? CurrentThreadHolds
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_asyncCaller ? null : t_thread;
    }

    /// <summary>Gets a value indicating whether the current thread or flow may hold any lock.</summary>
    internal static bool MayHoldAny
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (t_thread is { Count: > 0 } && !t_asyncCaller) || (s_flowInUse && s_flow.Value is not null);
    }

    /// <summary>Gets the current thread's list of synchronous holds, creating it on first use.</summary>
    internal static ThreadHolds CurrentThreadHoldsOrCreate
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_thread ?? CreateThreadHolds();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ThreadHolds CreateThreadHolds() => t_thread = new ThreadHolds();

    /// <summary>Records a synchronous hold on the current thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PushThread(OrderedLockBase lockObject, int token)
    {
        ThreadHolds holds = t_thread ??= new ThreadHolds();
        holds.Push(lockObject, token);
    }

    /// <summary>Gets the current thread's list of synchronous holds, if it has one (what <see cref="PopThread"/> uses).</summary>
    internal static ThreadHolds? ThreadHoldsOrNull
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_thread;
    }

    /// <summary>Forgets a synchronous hold on the current thread (no-op if it is not there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PopThread(OrderedLockBase lockObject, int token) => t_thread?.Remove(lockObject, token);

    /// <summary>
    /// Pushes a pending asynchronous hold on the current flow's chain and returns it. Must be
    /// called synchronously in the caller's flow (not inside an async method), so the write lands
    /// in the caller's execution context.
    /// </summary>
    internal static HoldNode PushFlow(OrderedLockBase lockObject, int depth = 1)
    {
        HoldNode? parent = s_flow.Value;
        while (parent is not null && parent.IsFinished)
        {
            parent = parent.Parent; // drop released and failed holds from the top of the chain
        }

        var node = new HoldNode(lockObject, parent) { Depth = depth };
        s_flowInUse = true;
        s_flow.Value = node;
        return node;
    }

    /// <summary>Gets the top of the current flow's chain without the released and failed holds on top of it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static HoldNode? LiveFlowTop()
    {
        HoldNode? top = s_flowInUse ? s_flow.Value : null;
        while (top is not null && top.IsFinished)
        {
            top = top.Parent;
        }

        return top;
    }

    /// <summary>
    /// Pushes a pending asynchronous hold on <paramref name="liveTop"/>, the current flow's
    /// <see cref="LiveFlowTop"/> just read, and returns it (see <see cref="PushFlow"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static HoldNode PushFlowOn(OrderedLockBase lockObject, HoldNode? liveTop)
    {
        var node = new HoldNode(lockObject, liveTop) { Depth = 1 };
        s_flowInUse = true;
        s_flow.Value = node;
        return node;
    }

    /// <summary>Drops <paramref name="node"/> from the top of the current flow's chain, if it is there.</summary>
    internal static void PopFlowIfTop(HoldNode node)
    {
        if (ReferenceEquals(s_flow.Value, node))
        {
            HoldNode? parent = node.Parent;
            while (parent is not null && parent.IsFinished)
            {
                parent = parent.Parent;
            }

            s_flow.Value = parent;
        }
    }

    /// <summary>
    /// Replaces the current flow's chain (used by <see cref="LockOrderPolicy.SuppressInheritance"/>)
    /// and returns the previous one.
    /// </summary>
    internal static HoldNode? ReplaceFlow(HoldNode? value)
    {
        HoldNode? previous = FlowTop;
        if (value is not null)
        {
            s_flowInUse = true;
        }

        if (value is not null || previous is not null)
        {
            s_flow.Value = value;
        }
        return previous;
    }

    /// <summary>Finds a valid hold of <paramref name="lockObject"/> by the current thread or flow.</summary>
    internal static HeldLockInfo FindHold(OrderedLockBase lockObject)
    {
        ThreadHolds? holds = CurrentThreadHolds;
        if (holds is not null)
        {
            for (int i = holds.Count - 1; i >= 0; i--)
            {
                ref ThreadHolds.Entry entry = ref holds.Items[i];
                if (ReferenceEquals(entry.Lock, lockObject) && lockObject.IsHeldWithToken(entry.Token))
                {
                    return new HeldLockInfo(lockObject, HoldOrigin.Thread);
                }
            }
        }

        for (HoldNode? node = FlowTop; node is not null; node = node.Parent)
        {
            if (ReferenceEquals(node.Lock, lockObject) && node.IsValid)
            {
                return new HeldLockInfo(lockObject, HoldOrigin.Flow);
            }
        }

        return default;
    }

    /// <summary>Lists the valid holds of the current thread and flow, innermost first (for messages).</summary>
    internal static List<HeldLockInfo> Snapshot()
    {
        var result = new List<HeldLockInfo>();
        ThreadHolds? holds = CurrentThreadHolds;
        if (holds is not null)
        {
            for (int i = holds.Count - 1; i >= 0; i--)
            {
                ref ThreadHolds.Entry entry = ref holds.Items[i];
                if (entry.Lock is not null && entry.Lock.IsHeldWithToken(entry.Token))
                {
                    result.Add(new HeldLockInfo(entry.Lock, HoldOrigin.Thread));
                }
            }
        }

        for (HoldNode? node = FlowTop; node is not null; node = node.Parent)
        {
            if (node.IsValid && !result.Exists(h => ReferenceEquals(h.Lock, node.Lock)))
            {
                result.Add(new HeldLockInfo(node.Lock, HoldOrigin.Flow));
            }
        }

        return result;
    }

    /// <summary>Per-thread list of synchronous holds. Entries go stale by token, like flow nodes.</summary>
    internal sealed class ThreadHolds
    {
        internal Entry[] Items = new Entry[8];
        internal int Count;

        // A synchronous AcquireAll's reusable frame for the member scopes (see LockSetScope).
        internal LockSetScope.SetFrame? SpareFrame;

        // The owning thread's managed id, read once: cheaper than Environment.CurrentManagedThreadId
        // on the acquisition fast path, which has the list in hand anyway.
        internal readonly int ThreadId = Environment.CurrentManagedThreadId;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal void Push(OrderedLockBase lockObject, int token)
        {
            if (Count == Items.Length)
            {
                Compact();
            }

            Items[Count++] = new Entry(lockObject, token);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal void Remove(OrderedLockBase lockObject, int token)
        {
            int last = Count - 1;
            if (last >= 0 && ReferenceEquals(Items[last].Lock, lockObject) && Items[last].Token == token)
            {
                Items[last] = default;
                Count = last;
                return;
            }

            RemoveSlow(lockObject, token);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void RemoveSlow(OrderedLockBase lockObject, int token)
        {
            for (int i = Count - 1; i >= 0; i--)
            {
                if (ReferenceEquals(Items[i].Lock, lockObject) && Items[i].Token == token)
                {
                    Array.Copy(Items, i + 1, Items, i, Count - i - 1);
                    Items[--Count] = default;
                    return;
                }
            }
        }

        // Drops entries whose hold ended elsewhere (a scope disposed on another thread), then grows.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Compact()
        {
            int kept = 0;
            for (int i = 0; i < Count; i++)
            {
                if (Items[i].Lock.IsHeldWithToken(Items[i].Token))
                {
                    Items[kept++] = Items[i];
                }
            }

            Array.Clear(Items, kept, Count - kept);
            Count = kept;
            if (Count == Items.Length)
            {
                Array.Resize(ref Items, Items.Length * 2);
            }

            Debug.Assert(Count < Items.Length, "Room for one more entry.");
        }

        internal struct Entry
        {
            internal OrderedLockBase Lock;
            internal int Token;

            internal Entry(OrderedLockBase lockObject, int token)
            {
                Lock = lockObject;
                Token = token;
            }
        }
    }
}

/// <summary>Where a hold is recorded.</summary>
internal enum HoldOrigin
{
    None,
    Thread,
    Flow,
    Set,
}

/// <summary>A held lock and where its hold is recorded.</summary>
internal readonly struct HeldLockInfo
{
    internal HeldLockInfo(OrderedLockBase lockObject, HoldOrigin origin)
    {
        Lock = lockObject;
        Origin = origin;
    }

    internal OrderedLockBase? Lock { get; }

    internal HoldOrigin Origin { get; }

    internal bool Found => Lock is not null;
}
