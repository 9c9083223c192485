using OrderedLocks.Scenarios;

namespace OrderedLocks.Coyote.Tests.Mutants;

/// <summary>
/// The naive async reentrant lock: the holder is whoever carries the owner token in an
/// <see cref="AsyncLocal{T}"/>. Every task forked under the hold inherits the token and "re-enters"
/// concurrently with its siblings — the bug ReentrantOrderedLock's stack discipline prevents.
/// </summary>
public sealed class ForkOwnershipLock : ICampaignLock
{
    private static readonly AsyncLocal<object?> s_owner = new();
    private readonly MiniLock _inner = new();
    private object? _ownerToken;
    private int _depth;

    public bool IsLocked => _inner.IsLocked;

    public IDisposable Enter() => throw new NotSupportedException("Async only.");

    public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken = default)
    {
        object? current = s_owner.Value;
        if (current is not null && ReferenceEquals(current, Volatile.Read(ref _ownerToken)))
        {
            Interlocked.Increment(ref _depth); // BUG: a forked child is taken for the holder
            return new ValueTask<IDisposable>(new Exit(this));
        }

        var token = new object();
        s_owner.Value = token; // non-async method: the value lands in the caller's flow (and its forks)
        ValueTask<IDisposable> pending = _inner.EnterAsync(cancellationToken);
        return Complete(pending, token);
    }

    private async ValueTask<IDisposable> Complete(ValueTask<IDisposable> pending, object token)
    {
        IDisposable hold = await pending;
        Volatile.Write(ref _ownerToken, token);
        _depth = 1;
        return new Exit(this, hold);
    }

    private sealed class Exit : IDisposable
    {
        private readonly ForkOwnershipLock _owner;
        private IDisposable? _hold;
        private int _done;

        internal Exit(ForkOwnershipLock owner, IDisposable? hold = null)
        {
            _owner = owner;
            _hold = hold;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0)
            {
                return;
            }

            if (Interlocked.Decrement(ref _owner._depth) == 0)
            {
                Volatile.Write(ref _owner._ownerToken, null);
                _hold?.Dispose();
                _hold = null;
            }
        }
    }
}
