using System.Diagnostics;

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

    internal LockSetScope(SetFrame frame, int count)
    {
        _frame = frame;
        _generation = frame.Generation;
        _count = count;
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
            ReleaseFrame(_frame, _generation, _count);
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

    // Releases an inline set: the second lock first; both releases are attempted.
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

    // Only the first Dispose of any copy wins the frame's generation; later ones (and copies
    // disposed after the frame was reused for another set) find it moved on and do nothing.
    private static void ReleaseFrame(SetFrame frame, int generation, int count)
    {
        if (Interlocked.CompareExchange(ref frame.Generation, generation + 1, generation) != generation)
        {
            return;
        }

        try
        {
            ReleaseInReverse(frame.Scopes.AsSpan(0, count));
        }
        finally
        {
            frame.Recycle(count);
        }
    }

    // Releases scopes[^1] .. scopes[0]; every release is attempted even if one throws.
    internal static void ReleaseInReverse(ReadOnlySpan<LockScope> scopes)
    {
        HeldLocks.ThreadHolds? holds = HeldLocks.ThreadHoldsOrNull;
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
    /// The member scopes of a synchronous set of three to eight locks. Each thread keeps one spare
    /// frame: a set takes it (or a new one) and its release gives it back to the releasing thread.
    /// </summary>
    internal sealed class SetFrame
    {
        internal readonly LockScope[] Scopes = new LockScope[FrameCapacity];

        // Moves on with every release, so stale copies of a released set's scope are recognised.
        internal int Generation;

        // The thread whose spare frame this becomes when released: the last thread that rented
        // it. Written by that thread only; read by whichever thread releases the set.
        private HeldLocks.ThreadHolds? _home;

        // Takes the thread's spare frame, or a new one.
        internal static SetFrame Rent(HeldLocks.ThreadHolds holds)
        {
            SetFrame frame = holds.SpareFrame ?? new SetFrame();
            holds.SpareFrame = null;
            frame._home = holds;
            return frame;
        }

        // Drops the member scopes (no stale references to locks) and becomes its home thread's
        // spare again unless that thread has one. Released on another thread, the plain write may
        // race with the home thread's Rent: then a frame is dropped (garbage), never shared, since
        // only the one release that won the generation recycles a frame.
        internal void Recycle(int count)
        {
            LockScope[] scopes = Scopes;
            for (int i = 0; i < count && i < scopes.Length; i++)
            {
                scopes[i] = default; // plain zeroing stores (Array.Clear calls out for a few elements)
            }

            HeldLocks.ThreadHolds? home = _home;
            if (home is not null && home.SpareFrame is null)
            {
                home.SpareFrame = this;
            }
        }
    }
}
