using System.Diagnostics;
using OrderedLocks.Checking;
using OrderedLocks.Internal;

namespace OrderedLocks;

/// <summary>
/// A non-reentrant lock that also excludes other processes on the same machine: an operating
/// system file lock on <see cref="LockFilePath"/> (the protected path with <c>.lock</c> appended).
/// Inside the process it is an ordinary ordered lock: it has a place in the global order, is
/// checked like <see cref="OrderedLock"/>, and can be mixed with other ordered locks in
/// <see cref="OrderedLock.AcquireAll(OrderedLockBase[])"/>.
/// </summary>
/// <remarks>
/// <para>The C# form of the article's <c>multiprocessing.Lock</c> around the shared
/// <c>ticket.txt</c>: processes do not share memory, but they share the file system.</para>
/// <para>A process that dies while holding the lock does not leave it locked: the operating system
/// releases file locks when the process ends. The lock file itself is created on first use and
/// left in place (deleting it would let two processes lock two different files).</para>
/// <para>Other processes are waited for by polling with a short backoff (up to
/// <see cref="MaxPollInterval"/>), so a cross-process hand-over can take that long. Timeouts and
/// cancellation cover both the in-process wait and the wait for other processes; on failure
/// nothing is held.</para>
/// <para>The global order compares ranks, then creation ids, and ids are per process: give file
/// locks that several processes nest with other locks a declared <c>rank</c>, so that every
/// process uses the same order. Use one instance per path in a process: two instances for the
/// same path exclude each other only through the operating system (a thread holding one and
/// acquiring the other would wait for itself). Same machine only; on Unix,
/// <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING=1</c> turns the operating system lock off.</para>
/// </remarks>
public sealed class OrderedFileLock : OrderedLockBase
{
    /// <summary>The longest pause between two attempts to take the operating system lock.</summary>
    public static readonly TimeSpan MaxPollInterval = TimeSpan.FromMilliseconds(MaxPollMs);

    private const int MaxPollMs = 50;

    // How "locked by another process" surfaces as IOException.HResult: on Windows the HRESULTs of
    // ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION; on Unix the raw errno of flock's EWOULDBLOCK
    // (11 on Linux, 35 on macOS and the BSDs).
    private const int SharingViolation = unchecked((int)0x80070020);
    private const int LockViolation = unchecked((int)0x80070021);
    private const int LinuxWouldBlock = 11;
    private const int BsdWouldBlock = 35;

    // The open lock file while the lock is held; null when free. Written only by the holder of the
    // in-process lock (between taking and releasing it), so the in-process lock protects it.
    private FileStream? _file;

    /// <summary>Initializes a new cross-process lock for <paramref name="path"/>.</summary>
    /// <param name="path">
    /// The file (or any name) that the processes agree on. The operating system lock is taken on
    /// <c>path + ".lock"</c>, so <paramref name="path"/> itself stays free for reading and writing.
    /// </param>
    /// <param name="name">The name used in diagnostics; defaults to the file name.</param>
    /// <param name="rank">The declared level: lower ranks are acquired first.</param>
    /// <param name="checking">This lock's checking mode; <see langword="null"/> follows <see cref="LockOrderPolicy.Checking"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <param name="lockClass">
    /// The lock class whose node of the learned order this lock shares (see <see cref="OrderedLocks.LockClass"/>);
    /// <see langword="null"/> gives the lock a node of its own.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="checking"/> is not a defined mode.</exception>
    public OrderedFileLock(string path, string? name = null, int? rank = null, LockOrderChecking? checking = null, LockClass? lockClass = null)
        : base(string.IsNullOrEmpty(name) ? (string.IsNullOrEmpty(path) ? null : System.IO.Path.GetFileName(path)) : name, rank, checking)
    {
        LockClass = lockClass;
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        LockFilePath = Path + ".lock";
    }

    /// <summary>Gets the full path of the protected file.</summary>
    public string Path { get; }

    /// <summary>Gets the full path of the file that carries the operating system lock.</summary>
    public string LockFilePath { get; }

    /// <summary>
    /// Gets a value indicating whether the current thread holds the lock synchronously, or the
    /// current async flow holds it.
    /// </summary>
    /// <remarks>Asynchronous holds are tracked only while checking is on.</remarks>
    public bool IsHeldByCurrentFlow =>
        (_ownerThreadId == Environment.CurrentManagedThreadId && IsLocked) || HeldLocks.FindHold(this).Found;

    private protected override string KindName => nameof(OrderedFileLock);

    /// <summary>Acquires the lock, blocking until no thread of this process and no other process holds it.</summary>
    /// <param name="cancellationToken">Cancels the wait; the lock is then not held.</param>
    /// <returns>The scope that holds the lock; dispose it to release.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">
    /// The acquisition violates the lock order, or the current thread or flow already holds the lock.
    /// Nothing is held.
    /// </exception>
    /// <exception cref="IOException">The lock file cannot be created or opened (other than being locked).</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file cannot be opened for writing.</exception>
    public LockScope Acquire(CancellationToken cancellationToken = default)
    {
        TryAcquireCore(Timeout.Infinite, cancellationToken, check: true, out LockScope scope);
        return scope;
    }

    /// <summary>Tries to acquire the lock, waiting at most <paramref name="timeout"/> in all.</summary>
    /// <param name="timeout">How long to wait: <see cref="TimeSpan.Zero"/> to try once, <see cref="Timeout.InfiniteTimeSpan"/> without a limit.</param>
    /// <param name="scope">The scope that holds the lock, or <see langword="default"/> on timeout.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether the lock was acquired. On timeout nothing is held.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">The acquisition violates the lock order. Nothing is held.</exception>
    /// <exception cref="IOException">The lock file cannot be created or opened (other than being locked).</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file cannot be opened for writing.</exception>
    public bool TryAcquire(TimeSpan timeout, out LockScope scope, CancellationToken cancellationToken = default) =>
        TryAcquireCore(Timeouts.ToMilliseconds(timeout, nameof(timeout)), cancellationToken, check: true, out scope);

    /// <summary>Acquires the lock asynchronously; other processes are waited for with <see cref="Task.Delay(int, CancellationToken)"/>.</summary>
    /// <param name="cancellationToken">Cancels the wait; the lock is then not held.</param>
    /// <returns>The scope that holds the lock; dispose it to release (on any thread).</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled first. Nothing is held.</exception>
    /// <exception cref="LockOrderException">Thrown synchronously, before anything waits: the acquisition violates the lock order.</exception>
    /// <exception cref="IOException">The lock file cannot be created or opened (other than being locked).</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file cannot be opened for writing.</exception>
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
    /// <exception cref="LockOrderException">Thrown synchronously, before anything waits: the acquisition violates the lock order.</exception>
    /// <exception cref="IOException">The lock file cannot be created or opened (other than being locked).</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file cannot be opened for writing.</exception>
    public ValueTask<LockScope> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        int timeoutMs = Timeouts.ToMilliseconds(timeout, nameof(timeout));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LockScope>(cancellationToken);
        }

        return StartAsync(PrepareAsyncHold(check: true), timeoutMs, cancellationToken);
    }

    internal override HoldNode? PrepareAsyncHold(bool check) => PrepareExclusiveAsyncHold(check);

    internal override LockScope AcquireForSet(int timeoutMs, CancellationToken cancellationToken, bool checkedByCaller)
    {
        TryAcquireCore(timeoutMs, cancellationToken, check: !checkedByCaller, out LockScope scope);
        return scope;
    }

    internal override ValueTask<LockScope> AcquireForSetAsync(HoldNode? node, int timeoutMs, CancellationToken cancellationToken) =>
        AcquireCoreAsync(node, TryLockFast(), timeoutMs, cancellationToken);

    internal override bool IsScopeHeld(in LockScope scope) => ResolveToken(scope.Token) != 0;

    internal override void ReleaseScope(in LockScope scope) => ReleaseWithOuter(scope);

    internal override bool IsHeldForCondition() => IsHeldExclusivelyForCondition();

    internal override WaitHold ReleaseForWait(string operation) => ReleaseExclusiveForWait(operation, out _);

    internal override void ReacquireAfterWait(WaitHold hold) => ReacquireExclusiveAfterWait(hold);

    internal override ValueTask ReacquireAfterWaitAsync(WaitHold hold) => ReacquireExclusiveAfterWaitAsync(hold);

    // The outer resource is the operating system lock on the lock file.
    private protected override bool AcquireOuter(long deadline, CancellationToken cancellationToken) => LockFile(deadline, cancellationToken);

    private protected override ValueTask<bool> AcquireOuterAsync(long deadline, CancellationToken cancellationToken) => LockFileAsync(deadline, cancellationToken);

    private protected override Exception? ReleaseOuter()
    {
        CloseFile();
        return null;
    }

    private void CloseFile()
    {
        FileStream? file = Interlocked.Exchange(ref _file, null);
        file?.Dispose();
    }

    private bool TryAcquireCore(int timeoutMs, CancellationToken cancellationToken, bool check, out LockScope scope)
    {
        cancellationToken.ThrowIfCancellationRequested();
        LockOrderChecking mode = EffectiveChecking;
        if (check && mode != LockOrderChecking.Off)
        {
            OrderChecker.Check(this, mode);
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
            locked = LockFile(deadline, cancellationToken);
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

    // Still on the caller's thread. A synchronous hold of this thread is not the caller's (the
    // caller may be another flow's continuation run inline here), so it simply waits for it.
    private ValueTask<LockScope> StartAsync(HoldNode? node, int timeoutMs, CancellationToken cancellationToken)
    {
        int token = TryLockFast();
        return AcquireCoreAsync(node, token, timeoutMs, cancellationToken);
    }

    // Takes the in-process lock (unless fastToken already holds it), then the operating system lock.
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

            locked = await LockFileAsync(deadline, cancellationToken).ConfigureAwait(false);
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

    // Called while holding the in-process lock: polls for the operating system lock until the deadline.
    private bool LockFile(long deadline, CancellationToken cancellationToken)
    {
        int pause = 1;
        while (true)
        {
            if (TryLockFile())
            {
                return true;
            }

            int remaining = Timeouts.Remaining(deadline);
            if (remaining == 0)
            {
                return false;
            }

            int sleep = remaining == Timeout.Infinite ? pause : Math.Min(pause, remaining);
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.WaitHandle.WaitOne(sleep);
                cancellationToken.ThrowIfCancellationRequested();
            }
            else
            {
                Thread.Sleep(sleep);
            }

            pause = Math.Min(pause * 2, MaxPollMs);
        }
    }

    private async ValueTask<bool> LockFileAsync(long deadline, CancellationToken cancellationToken)
    {
        int pause = 1;
        while (true)
        {
            if (TryLockFile())
            {
                return true;
            }

            int remaining = Timeouts.Remaining(deadline);
            if (remaining == 0)
            {
                return false;
            }

            await Task.Delay(remaining == Timeout.Infinite ? pause : Math.Min(pause, remaining), cancellationToken).ConfigureAwait(false);
            pause = Math.Min(pause * 2, MaxPollMs);
        }
    }

    // One attempt at the operating system lock: an exclusive open of the lock file (flock on Unix,
    // a share-none handle on Windows). Called only by the holder of the in-process lock.
    private bool TryLockFile()
    {
        Debug.Assert(IsLocked && _file is null, "The in-process lock is held and the file is not open yet.");
        try
        {
            _file = new FileStream(LockFilePath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
            return true;
        }
        catch (IOException ex) when (IsLockedByAnother(ex))
        {
            return false; // another process holds it
        }
    }

    private static bool IsLockedByAnother(IOException ex) => OperatingSystem.IsWindows()
        ? ex.HResult is SharingViolation or LockViolation
        : ex.HResult is LinuxWouldBlock or BsdWouldBlock && ex is not FileNotFoundException and not DirectoryNotFoundException;
}
