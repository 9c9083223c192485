using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace OrderedLocks;

/// <summary>
/// Several ordered locks taken at once by <see cref="OrderedLock.AcquireAll(OrderedLockBase[])"/>
/// in the global order. Disposing releases them in reverse order; disposing again does nothing.
/// Works with <c>using</c> and with <c>await using</c> (the release itself is synchronous).
/// </summary>
[DebuggerDisplay("{Count} locks")]
public readonly struct LockSetScope : IDisposable, IAsyncDisposable
{
    /// <summary>The largest synchronous set whose scopes live in a per-thread reusable frame.</summary>
    internal const int FrameCapacity = 8;

    // Where the member scopes live, by kind of set:
    // - one or two locks (the common case): inline, in _first and _second;
    // - a synchronous set of three to eight locks: a frame reused by the thread (no allocation
    //   once the thread has one), valid while its generation is _generation;
    // - an asynchronous set, or more than eight locks: an array of their own.
    // The scope stays small (it is returned by value; copying member scopes with their object
    // references costs a GC write barrier each, measured at about 2 ns per reference).
    // A frame set also keeps its last member's scope in _first: when that member is a plain
    // OrderedLock, its own release decides which copy of the set releases (see ReleaseFrame).
    private readonly LockScope _first;
    private readonly LockScope _second;
    private readonly LockScope[]? _scopes;
    private readonly SetFrame? _frame;
    private readonly int _generation;
    private readonly int _count;

    internal LockSetScope(LockScope[] scopes)
    {
        _scopes = scopes;
        _count = scopes.Length;
    }

    internal LockSetScope(LockScope first, LockScope second)
    {
        _first = first;
        _second = second;
        _count = second.IsAcquired ? 2 : first.IsAcquired ? 1 : 0;
    }

    // `lastLock` and `lastToken`: the last member and its scope's token, as scalars (copying its
    // scope out of the frame made the JIT read it with one wide load over narrower stores).
    internal LockSetScope(SetFrame frame, int count, OrderedLockBase lastLock, int lastToken)
    {
        _frame = frame;
        _generation = frame.Generation;
        _count = count;
        _first = new LockScope(lastLock, lastToken, LockScope.NotTracked, null);
    }

    /// <summary>Gets the number of distinct locks acquired (duplicates were dropped).</summary>
    public int Count => _count;

    /// <summary>
    /// Gets the locks in the order they were acquired (the global order), while the set holds
    /// them; empty once the set has been released.
    /// </summary>
    public IReadOnlyList<OrderedLockBase> Locks
    {
        get
        {
            ReadOnlySpan<LockScope> scopes = HeldScopes();
            if (scopes.IsEmpty || !scopes[0].IsHeld)
            {
                return Array.Empty<OrderedLockBase>();
            }

            var locks = new OrderedLockBase[scopes.Length];
            for (int i = 0; i < locks.Length; i++)
            {
                locks[i] = scopes[i].Lock!;
            }

            return locks;
        }
    }

    // The member scopes; empty for a default set and for a frame already released (and reused).
    private ReadOnlySpan<LockScope> HeldScopes()
    {
        if (_frame is not null)
        {
            return Volatile.Read(ref _frame.Generation) == _generation ? _frame.Scopes.AsSpan(0, _count) : default;
        }

        if (_scopes is not null)
        {
            return _scopes;
        }

        return _count switch
        {
            0 => default,
            1 => new[] { _first },
            _ => new[] { _first, _second },
        };
    }

    /// <summary>Releases every lock of the set, in reverse acquisition order.</summary>
    /// <exception cref="AggregateException">Releasing one or more locks failed; the others were released.</exception>
    public void Dispose()
    {
        if (_frame is not null)
        {
            ReleaseFrame(_frame, _generation, _count, _first.Lock, _first.Token);
        }
        else if (_scopes is not null)
        {
            ReleaseInReverse(_scopes);
        }
        else if (_count != 0)
        {
            ReleaseInline(_first, _second);
        }
    }

    /// <summary>
    /// Releases every lock of the set, in reverse acquisition order, for <c>await using</c>. The
    /// release is synchronous and never waits: the returned task is already complete (faulted if a
    /// release failed; the other locks are released all the same).
    /// </summary>
    /// <returns>A completed task.</returns>
    /// <exception cref="AggregateException">(In the returned task.) Releasing one or more locks failed.</exception>
    public ValueTask DisposeAsync()
    {
        try
        {
            Dispose();
            return default;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    // Releases an inline set: the second lock first; both releases are attempted. Always inlined:
    // left to the JIT's judgement, some compilations called it instead (the two scopes copied
    // through the stack), and AcquireAll(2) measured 51 ns there against 34 ns in the others,
    // in the same process.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReleaseInline(LockScope first, LockScope second)
    {
        HeldLocks.ThreadHolds? holds = HeldLocks.ThreadHoldsOrNull;
        try
        {
            ReleaseMember(second, holds);
        }
        finally
        {
            ReleaseMember(first, holds);
        }
    }

    // One member's release; `holds` is the releasing thread's list, looked up once per set.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void ReleaseMember(in LockScope scope, HeldLocks.ThreadHolds? holds)
    {
        if (scope.Lock is OrderedLock plain)
        {
            plain.ReleaseInSet(scope, holds);
        }
        else
        {
            scope.Dispose();
        }
    }

    // Exactly one Dispose among all copies of a set releases it and gives the frame back; the
    // others (and copies disposed after the frame was reused for another set) touch nothing.
    // Which one is decided by an atomic step that the release needs anyway when the last member
    // is a plain OrderedLock: its unlock succeeds for one caller only, because the token held in
    // this scope (not read from the frame) identifies that hold and no later one. Until the
    // winner recycles the frame, nobody else can rent it, so reading the other members from it is
    // safe. For the other kinds, whose release may throw or belong to a holder, the frame's
    // generation is compare-exchanged first, as before.
    // Not inlined: inlined into every Dispose (pairs included), it made the JIT keep the whole
    // scope in memory and copy it at every use, 25 ns more per pair set.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReleaseFrame(SetFrame frame, int generation, int count, OrderedLockBase? lastLock, int lastToken)
    {
        HeldLocks.ThreadHolds? holds;
        int rest = count;
        if (lastLock is OrderedLock plain)
        {
            holds = HeldLocks.ThreadHoldsOrNull;

            // The marking is read from the frame: if the frame has moved on, the unlock fails
            // (the token is this set's) before the marking is used.
            if (!plain.TryReleaseInSet(lastToken, frame.Scopes[count - 1].Tracking, holds))
            {
                return;
            }

            Volatile.Write(ref frame.Generation, generation + 1); // stale copies' Locks now see it released
            rest = count - 1; // the last member is released
        }
        else
        {
            if (Interlocked.CompareExchange(ref frame.Generation, generation + 1, generation) != generation)
            {
                return;
            }

            holds = HeldLocks.ThreadHoldsOrNull;
        }

        try
        {
            ReleaseInReverse(frame.Scopes.AsSpan(0, rest), holds);
        }
        finally
        {
            frame.Recycle(count);
        }
    }

    // Releases scopes[^1] .. scopes[0]; every release is attempted even if one throws.
    internal static void ReleaseInReverse(ReadOnlySpan<LockScope> scopes) =>
        ReleaseInReverse(scopes, HeldLocks.ThreadHoldsOrNull);

    // The same, with the releasing thread's list already looked up.
    private static void ReleaseInReverse(ReadOnlySpan<LockScope> scopes, HeldLocks.ThreadHolds? holds)
    {
        int i = scopes.Length - 1;
        try
        {
            for (; i >= 0; i--)
            {
                ReleaseMember(scopes[i], holds);
            }
        }
        catch (Exception ex)
        {
            ReleaseRestAfterFailure(scopes[..i], ex); // scopes[i] is the one that failed
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void ReleaseRestAfterFailure(ReadOnlySpan<LockScope> rest, Exception first)
    {
        var errors = new List<Exception> { first };
        for (int i = rest.Length - 1; i >= 0; i--)
        {
            try
            {
                rest[i].Dispose();
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        }

        throw errors.Count == 1 ? errors[0] : new AggregateException("Releasing the lock set failed.", errors);
    }

    /// <summary>
    /// The member scopes of a synchronous set of three to eight locks. Each thread keeps one
    /// frame (its list's <c>SpareFrame</c>) and uses it whenever it is free; a set taken while it
    /// is in use (a set inside a set, a set still held elsewhere, or one never disposed) gets a
    /// new frame, which the thread keeps from then on.
    /// </summary>
    internal sealed class SetFrame
    {
        internal readonly LockScope[] Scopes = new LockScope[FrameCapacity];

        // Moves on with every release, so stale copies of a released set's scope are recognised.
        internal int Generation;

        // 1 from Rent until the release that won the set (on any thread) has cleared the scopes;
        // then 0, published with a release write: the home thread reads it with an acquire read
        // before it reuses the frame, so it sees the cleared scopes. Only the home thread rents
        // (sets it to 1), so no atomic operation is needed, and no reference is written on
        // either side (each reference written to a heap object costs a GC write barrier).
        private int _inUse;

        // Takes the thread's frame when it is free, or a new one.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static SetFrame Rent(HeldLocks.ThreadHolds holds)
        {
            SetFrame? frame = holds.SpareFrame;
            if (frame is null || Volatile.Read(ref frame._inUse) != 0)
            {
                return RentNew(holds);
            }

            frame._inUse = 1;
            return frame;
        }

        // The thread's frame is missing or in use: a new one, which becomes the thread's frame.
        // The one in use is left to its set and is garbage after that set's release, so a set that
        // is never disposed costs one frame, not one per later set on the thread.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static SetFrame RentNew(HeldLocks.ThreadHolds holds)
        {
            var frame = new SetFrame { _inUse = 1 };
            holds.SpareFrame = frame;
            return frame;
        }

        // Drops the member scopes (no stale references to locks) and frees the frame for its
        // thread's next set. Called once per set, by the release that won it.
        internal void Recycle(int count)
        {
            LockScope[] scopes = Scopes;
            for (int i = 0; i < count && i < scopes.Length; i++)
            {
                scopes[i] = default; // plain zeroing stores (Array.Clear calls out for a few elements)
            }

            Volatile.Write(ref _inUse, 0);
        }
    }
}
