using System.Collections.Concurrent;
using System.Diagnostics;
using Medallion.Threading;
using OrderedLocks.Checking;
using OrderedLocks.Internal;

namespace OrderedLocks.Distributed;

/// <summary>
/// A non-reentrant lock that excludes every process that uses the same distributed lock — on any
/// machine — through an <see cref="IDistributedLock"/> of the DistributedLock library (PostgreSQL
/// advisory locks, SQL Server, Redis, ...). Inside the process it is an ordinary ordered lock: it
/// has a place in the global order, is checked like <see cref="OrderedLock"/>, and can be mixed
/// with in-process and file locks in <see cref="OrderedLock.AcquireAll(OrderedLockBase[])"/>.
/// </summary>
/// <remarks>
/// <para><b>The rank is the cross-machine contract.</b> The global order compares ranks, then
/// creation ids, and ids are per process; so every distributed lock has a declared rank, and two
/// distributed locks of one process may share a rank only if they are the same server-side lock
/// (the same <see cref="IDistributedLock.Name"/>). Every service must declare the same rank for the
/// same lock (one shared constants file); see docs/distributed.md.</para>
/// <para>An acquisition first checks the order (nothing is sent to the server when it is
/// violated), then takes an in-process lock (threads of this process queue here, and a thread
/// that already holds the lock gets a self-deadlock exception instead of waiting for itself), then
/// the server lock. Timeouts and cancellation cover both waits; on any failure nothing is held, on
/// the server or here.</para>
/// <para>The server side can be lost while held (the connection drops, the backend is
/// terminated, the server restarts): <see cref="DistributedLockScopeExtensions"/> exposes the
/// library's handle-lost token on the scope. Exclusion is then over: stop writing and do not
/// commit work protected by the lock. Use one instance per server-side lock in a process.</para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq} over {InnerLock.Name,nq}")]
public sealed class OrderedDistributedLock : OrderedLockBase
{
    // Rank -> name of the server-side lock that first claimed it in this process. Ranks of
    // distributed locks must be unique per server-side lock: equal ranks fall back to per-process
    // ids, which two processes may order differently (an ABBA across machines).
    private static readonly ConcurrentDictionary<int, string> s_rankOwners = new();

    private readonly IDistributedLock _inner;

    // The server-side hold while the lock is held; null when free. Written only by the holder of
    // the in-process lock (after taking it, before releasing it), so that lock protects it.
    private IDistributedSynchronizationHandle? _handle;

    /// <summary>Initializes an ordered lock over <paramref name="distributedLock"/>.</summary>
    /// <param name="distributedLock">The server-side lock, for example a <c>PostgresDistributedLock</c>.</param>
    /// <param name="rank">
    /// The declared level, the same in every process and on every machine: lower ranks are
    /// acquired first.
    /// </param>
    /// <param name="name">The name used in diagnostics; defaults to <see cref="IDistributedLock.Name"/>.</param>
    /// <param name="checking">This lock's checking mode; <see langword="null"/> follows <see cref="LockOrderPolicy.Checking"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="distributedLock"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// Another distributed lock of this process (a different server-side lock) already has
    /// <paramref name="rank"/>.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="checking"/> is not a defined mode.</exception>
    public OrderedDistributedLock(IDistributedLock distributedLock, int rank, string? name = null, LockOrderChecking? checking = null)
        : base(string.IsNullOrEmpty(name) ? distributedLock?.Name : name, rank, checking)
    {
        ArgumentNullException.ThrowIfNull(distributedLock);
        _inner = distributedLock;
        string owner = s_rankOwners.GetOrAdd(rank, distributedLock.Name);
        if (owner != distributedLock.Name)
        {
            throw new ArgumentException(
                $"Rank {rank} is already used by the distributed lock '{owner}' in this process, so '{distributedLock.Name}' cannot have it too. " +
                "Distributed locks of equal rank would be ordered by per-process creation ids, which differ between processes and machines (an ABBA deadlock across services). " +
                "Give every server-side lock its own rank, from one constants file that all services share.",
                nameof(rank));
        }
    }

    /// <summary>Gets the server-side lock this lock puts into the global order.</summary>
    public IDistributedLock InnerLock => _inner;

    /// <summary>
    /// Gets a value indicating whether the current thread holds the lock synchronously, or the
    /// current async flow holds it.
    /// </summary>
    /// <remarks>Asynchronous holds are tracked only while checking is on.</remarks>
    public bool IsHeldByCurrentFlow =>
        (_ownerThreadId == Environment.CurrentManagedThreadId && IsLocked) || HeldLocks.FindHold(this).Found;

    private protected override string KindName => nameof(OrderedDistributedLock);

    /// <summary>Acquires the lock, blocking until no thread of this process and no other process holds it.</summary>
    /// <param name="cancellationToken">Cancels the wait (here and on the server); the lock is then not held.</param>
    /// <returns>The scope that holds the lock; dispose it to release (also on the server).</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">
    /// The acquisition violates the lock order, or the current thread or flow already holds the
    /// lock. Raised before anything is sent to the server; nothing is held.
    /// </exception>
    /// <exception cref="DistributedLockFailedException">The server could not be reached or failed. Nothing is held.</exception>
    public LockScope Acquire(CancellationToken cancellationToken = default)
    {
        TryAcquireCore(Timeout.Infinite, cancellationToken, check: true, out LockScope scope);
        return scope;
    }

    /// <summary>Acquires the lock within <paramref name="timeout"/>, or throws <see cref="TimeoutException"/>.</summary>
    /// <param name="timeout">How long to wait in all (here and on the server).</param>
    /// <param name="cancellationToken">Cancels the wait; the lock is then not held.</param>
    /// <returns>The scope that holds the lock; dispose it to release.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="TimeoutException">The lock was not acquired in time. Nothing is held.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">The acquisition violates the lock order. Nothing was sent to the server.</exception>
    /// <exception cref="DistributedLockFailedException">The server could not be reached or failed. Nothing is held.</exception>
    public LockScope Acquire(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!TryAcquireCore(Timeouts.ToMilliseconds(timeout, nameof(timeout)), cancellationToken, check: true, out LockScope scope))
        {
            throw TimedOut(timeout);
        }

        return scope;
    }

    /// <summary>Tries to acquire the lock, waiting at most <paramref name="timeout"/> in all.</summary>
    /// <param name="timeout">How long to wait: <see cref="TimeSpan.Zero"/> to try once, <see cref="Timeout.InfiniteTimeSpan"/> without a limit.</param>
    /// <param name="scope">The scope that holds the lock, or <see langword="default"/> on timeout.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether the lock was acquired. On timeout nothing is held.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">The acquisition violates the lock order. Nothing was sent to the server.</exception>
    /// <exception cref="DistributedLockFailedException">The server could not be reached or failed. Nothing is held.</exception>
    public bool TryAcquire(TimeSpan timeout, out LockScope scope, CancellationToken cancellationToken = default) =>
        TryAcquireCore(Timeouts.ToMilliseconds(timeout, nameof(timeout)), cancellationToken, check: true, out scope);

    /// <summary>Acquires the lock asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the wait (here and on the server); the lock is then not held.</param>
    /// <returns>The scope that holds the lock; dispose it to release (on any thread).</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">Thrown synchronously, before anything is sent to the server: the acquisition violates the lock order.</exception>
    /// <exception cref="DistributedLockFailedException">The server could not be reached or failed. Nothing is held.</exception>
    public ValueTask<LockScope> AcquireAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LockScope>(cancellationToken);
        }

        return StartAsync(PrepareAsyncHold(check: true), Timeout.Infinite, cancellationToken);
    }

    /// <summary>Tries to acquire the lock asynchronously, waiting at most <paramref name="timeout"/> in all.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The scope that holds the lock, or one whose <see cref="LockScope.IsAcquired"/> is false on timeout (nothing held).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">Thrown synchronously, before anything is sent to the server: the acquisition violates the lock order.</exception>
    /// <exception cref="DistributedLockFailedException">The server could not be reached or failed. Nothing is held.</exception>
    public ValueTask<LockScope> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LockScope>(cancellationToken);
        }

        return StartAsync(PrepareAsyncHold(check: true), timeoutMs, cancellationToken);
    }

    // The handle-lost token of the hold `scope` carries; None when the scope no longer holds the lock.
    internal CancellationToken HandleLostTokenOf(in LockScope scope) =>
        IsScopeHeld(scope) ? Volatile.Read(ref _handle)?.HandleLostToken ?? CancellationToken.None : CancellationToken.None;

    // The handle-lost token of the current hold, whoever holds it; None when free.
    internal CancellationToken CurrentHandleLostToken() =>
        IsLocked ? Volatile.Read(ref _handle)?.HandleLostToken ?? CancellationToken.None : CancellationToken.None;

    internal override HoldNode? PrepareAsyncHold(bool check) => PrepareExclusiveAsyncHold(check);

    internal override LockScope AcquireForSet(int timeoutMs, CancellationToken cancellationToken, bool checkedByCaller)
    {
        TryAcquireCore(timeoutMs, cancellationToken, check: !checkedByCaller, out LockScope scope);
        return scope;
    }

    internal override ValueTask<LockScope> AcquireForSetAsync(HoldNode? node, int timeoutMs, CancellationToken cancellationToken) =>
        AcquireCoreAsync(node, TryLockFast(), timeoutMs, cancellationToken);

    internal override bool IsScopeHeld(in LockScope scope) => ResolveToken(scope.Token) != 0;

    internal override void ReleaseScope(in LockScope scope)
    {
        // The server first, then this process's waiters; the in-process lock is released even
        // when the server release fails.
        if (ReleaseWithOuter(scope) is Exception serverError)
        {
            throw Failed("Releasing", serverError);
        }
    }

    internal override bool IsHeldForCondition() => IsHeldExclusivelyForCondition();

    internal override WaitHold ReleaseForWait(string operation)
    {
        WaitHold hold = ReleaseExclusiveForWait(operation, out Exception? serverError);
        if (serverError is not null)
        {
            throw Failed("Releasing (for a condition wait)", serverError);
        }

        return hold;
    }

    internal override void ReacquireAfterWait(WaitHold hold) => ReacquireExclusiveAfterWait(hold);

    internal override ValueTask ReacquireAfterWaitAsync(WaitHold hold) => ReacquireExclusiveAfterWaitAsync(hold);

    // The outer resource is the lock on the server.
    private protected override bool AcquireOuter(long deadline, CancellationToken cancellationToken) => LockOnServer(deadline, cancellationToken);

    private protected override ValueTask<bool> AcquireOuterAsync(long deadline, CancellationToken cancellationToken) => LockOnServerAsync(deadline, cancellationToken);

    private protected override Exception? ReleaseOuter() => ReleaseOnServer();

    private bool TryAcquireCore(int timeoutMs, CancellationToken cancellationToken, bool check, out LockScope scope)
    {
        cancellationToken.ThrowIfCancellationRequested();
        LockOrderChecking mode = EffectiveChecking;
        if (check && mode != LockOrderChecking.Off)
        {
            OrderChecker.Check(this, mode); // before anything is sent to the server
        }

        long deadline = Timeouts.Deadline(timeoutMs);
        int token = TryLockFast();
        if (token == 0)
        {
            token = LockContended(timeoutMs, cancellationToken);
            if (token == 0)
            {
                scope = default;
                return false;
            }
        }

        bool locked = false;
        try
        {
            locked = LockOnServer(deadline, cancellationToken);
        }
        finally
        {
            if (!locked)
            {
                Unlock(token); // timed out, cancelled or failed: leave nothing held
            }
        }

        if (!locked)
        {
            scope = default;
            return false;
        }

        scope = HoldOnThread(token, mode);
        return true;
    }

    // Still on the caller's thread: a thread that holds the lock synchronously would wait for
    // itself, which is reported at once (also with checking off), before anything is awaited.
    private ValueTask<LockScope> StartAsync(HoldNode? node, int timeoutMs, CancellationToken cancellationToken)
    {
        int token = TryLockFast();
        if (token == 0 && IsOwnedByCurrentThread)
        {
            node?.Fail();
            OrderChecker.Raise(SelfDeadlockOnThread(), alwaysThrow: true);
        }

        return AcquireCoreAsync(node, token, timeoutMs, cancellationToken);
    }

    // Takes the in-process lock (unless fastToken already holds it), then the server lock.
    private async ValueTask<LockScope> AcquireCoreAsync(HoldNode? node, int fastToken, int timeoutMs, CancellationToken cancellationToken)
    {
        long deadline = Timeouts.Deadline(timeoutMs);
        int token = fastToken;
        bool locked = false;
        try
        {
            if (token == 0)
            {
                token = await LockSlowAsync(timeoutMs, cancellationToken).ConfigureAwait(false);
                if (token == 0)
                {
                    return default;
                }
            }

            locked = await LockOnServerAsync(deadline, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!locked)
            {
                node?.Fail();
                if (token != 0)
                {
                    Unlock(token);
                }
            }
        }

        return locked ? HoldInFlow(token, node) : default;
    }

    // Called while holding the in-process lock: one wait on the server, until the deadline.
    private bool LockOnServer(long deadline, CancellationToken cancellationToken)
    {
        Debug.Assert(IsLocked && _handle is null, "The in-process lock is held and the server lock is not.");
        IDistributedSynchronizationHandle? handle;
        try
        {
            handle = _inner.TryAcquire(ToTimeSpan(Timeouts.Remaining(deadline)), cancellationToken);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw Cancelled(ex, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Failed("Acquiring", ex);
        }

        Volatile.Write(ref _handle, handle);
        return handle is not null;
    }

    private async ValueTask<bool> LockOnServerAsync(long deadline, CancellationToken cancellationToken)
    {
        Debug.Assert(IsLocked && _handle is null, "The in-process lock is held and the server lock is not.");
        IDistributedSynchronizationHandle? handle;
        try
        {
            handle = await _inner.TryAcquireAsync(ToTimeSpan(Timeouts.Remaining(deadline)), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw Cancelled(ex, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Failed("Acquiring", ex);
        }

        Volatile.Write(ref _handle, handle);
        return handle is not null;
    }

    // Called by the holder: releases the server lock; returns what went wrong, if anything.
    private Exception? ReleaseOnServer()
    {
        IDistributedSynchronizationHandle? handle = Interlocked.Exchange(ref _handle, null);
        try
        {
            handle?.Dispose();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static TimeSpan ToTimeSpan(int remainingMs) =>
        remainingMs == Timeout.Infinite ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(remainingMs);

    private OperationCanceledException Cancelled(OperationCanceledException inner, CancellationToken cancellationToken) =>
        new($"Waiting for {this} on the server ({_inner.Name}) was cancelled. Nothing is held: not here, not on the server.", inner, cancellationToken);

    private DistributedLockFailedException Failed(string operation, Exception inner) =>
        new(this, $"{operation} {this} on the server ({_inner.GetType().Name} '{_inner.Name}') failed: {inner.Message.TrimEnd('.')}. " +
            (operation == "Acquiring"
                ? "Nothing is held by this acquisition (AcquireAll released what it had taken). Check the connection to the server and retry."
                : "The lock is released in this process; if the server session is gone, the server released its lock when the session ended."),
            inner);

    private TimeoutException TimedOut(TimeSpan timeout) =>
        new($"{this} was not acquired within {timeout} (another thread or process holds it, here or on the server '{_inner.Name}'). Nothing is held.");
}
