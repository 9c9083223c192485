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
    // Sets of one or two locks (the common case) are kept inline, so a synchronous AcquireAll of
    // two locks allocates nothing; larger sets keep their scopes in an array.
    private readonly LockScope _first;
    private readonly LockScope _second;
    private readonly LockScope[]? _scopes;

    internal LockSetScope(LockScope[] scopes) => _scopes = scopes;

    internal LockSetScope(LockScope first, LockScope second)
    {
        _first = first;
        _second = second;
    }

    /// <summary>Gets the number of distinct locks held (duplicates were dropped).</summary>
    public int Count => _scopes?.Length ?? (_second.IsAcquired ? 2 : _first.IsAcquired ? 1 : 0);

    /// <summary>Gets the locks in the order they were acquired (the global order).</summary>
    public IReadOnlyList<OrderedLockBase> Locks
    {
        get
        {
            var locks = new OrderedLockBase[Count];
            for (int i = 0; i < locks.Length; i++)
            {
                locks[i] = (_scopes is null ? (i == 0 ? _first : _second) : _scopes[i]).Lock!;
            }

            return locks;
        }
    }

    /// <summary>Releases every lock of the set, in reverse acquisition order.</summary>
    /// <exception cref="AggregateException">Releasing one or more locks failed; the others were released.</exception>
    public void Dispose()
    {
        if (_scopes is not null)
        {
            ReleaseInReverse(_scopes, _scopes.Length);
        }
        else if (_first.IsAcquired)
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
        try
        {
            second.Dispose();
        }
        finally
        {
            first.Dispose();
        }
    }

    // Releases scopes[count-1] .. scopes[0]; every release is attempted even if one throws.
    internal static void ReleaseInReverse(LockScope[] scopes, int count)
    {
        List<Exception>? errors = null;
        for (int i = count - 1; i >= 0; i--)
        {
            try
            {
                scopes[i].Dispose();
            }
            catch (Exception ex)
            {
                (errors ??= new List<Exception>()).Add(ex);
            }
        }

        if (errors is not null)
        {
            throw errors.Count == 1 ? errors[0] : new AggregateException("Releasing the lock set failed.", errors);
        }
    }
}
