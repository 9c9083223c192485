using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace OrderedLocks.Samples.Tests;

/// <summary>The cross-process lock, with real child processes.</summary>
public sealed class OrderedFileLockTests : IDisposable
{
    private static readonly TimeSpan s_short = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);

    private readonly string _dir = Repo.TempDirectory();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void Acquire_ChildHolds_ParentWaitsUntilChildReleases()
    {
        string path = Path.Combine(_dir, "ticket.txt");
        using Process child = Repo.StartChild("hold", path, "1500");
        Assert.Equal("acquired", Repo.ReadLine(child));
        var fileLock = new OrderedFileLock(path);

        Assert.False(fileLock.TryAcquire(s_short, out _));
        Assert.False(fileLock.IsLocked); // a failed attempt leaves nothing held

        var clock = Stopwatch.StartNew();
        using (fileLock.Acquire())
        {
            Assert.True(fileLock.IsHeldByCurrentFlow);
        }

        Assert.True(child.WaitForExit(s_long));
        Assert.Equal("released", Repo.ReadLine(child));
        Assert.False(fileLock.IsLocked);
    }

    [Fact]
    public void ChildKilledWhileHolding_LockIsReleasedByTheOperatingSystem()
    {
        string path = Path.Combine(_dir, "shared.json");
        using Process child = Repo.StartChild("hold", path, "forever");
        Assert.Equal("acquired", Repo.ReadLine(child));
        var fileLock = new OrderedFileLock(path);
        Assert.False(fileLock.TryAcquire(s_short, out _));

        child.Kill(entireProcessTree: true);
        Assert.True(child.WaitForExit(s_long));

        Assert.True(fileLock.TryAcquire(TimeSpan.FromSeconds(10), out LockScope scope), "the dead child's lock was not released");
        scope.Dispose();
        Assert.True(File.Exists(fileLock.LockFilePath));
    }

    [Fact]
    public void ParentHolds_ChildTryAcquireTimesOut_ThenSucceedsAfterRelease()
    {
        string path = Path.Combine(_dir, "data.txt");
        var fileLock = new OrderedFileLock(path);
        using (fileLock.Acquire())
        {
            using Process blocked = Repo.StartChild("try", path, "300");
            Assert.Equal("timeout", Repo.ReadLine(blocked));
            Assert.True(blocked.WaitForExit(s_long));
        }

        using Process free = Repo.StartChild("try", path, "10000");
        Assert.Equal("acquired", Repo.ReadLine(free));
        Assert.True(free.WaitForExit(s_long));
    }

    [Fact]
    public void Counter_TwoProcessesAndParentThreads_NoLostUpdate()
    {
        string path = Path.Combine(_dir, "counter");
        string counter = Path.Combine(_dir, "counter.txt");
        File.WriteAllText(counter, "0");
        const int PerProcess = 150;
        using Process first = Repo.StartChild("count", path, counter, PerProcess.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using Process second = Repo.StartChild("count", path, counter, PerProcess.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var fileLock = new OrderedFileLock(path);
        Parallel.For(0, 2, _ =>
        {
            for (int i = 0; i < PerProcess / 2; i++)
            {
                using (fileLock.Acquire())
                {
                    int value = int.Parse(File.ReadAllText(counter), System.Globalization.CultureInfo.InvariantCulture);
                    File.WriteAllText(counter, (value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        });

        Assert.Equal("counted", Repo.ReadLine(first));
        Assert.Equal("counted", Repo.ReadLine(second));
        Assert.True(first.WaitForExit(s_long) && second.WaitForExit(s_long));
        Assert.Equal(3 * PerProcess, int.Parse(File.ReadAllText(counter), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AcquireAsync_ChildHolds_TimeoutAndCancellationLeaveNothingHeld()
    {
        string path = Path.Combine(_dir, "async.txt");
        using Process child = Repo.StartChild("hold", path, "forever");
        Assert.Equal("acquired", Repo.ReadLine(child));
        var fileLock = new OrderedFileLock(path, checking: LockOrderChecking.Strict);
        try
        {
            LockScope timedOut = await fileLock.TryAcquireAsync(s_short);
            Assert.False(timedOut.IsAcquired);
            Assert.False(fileLock.IsLocked);

            using var cts = new CancellationTokenSource(s_short);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await fileLock.AcquireAsync(cts.Token));
            Assert.False(fileLock.IsLocked);
            Assert.False(fileLock.IsHeldByCurrentFlow);
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            Assert.True(child.WaitForExit(s_long));
        }

        using (await fileLock.AcquireAsync())
        {
            Assert.True(fileLock.IsHeldByCurrentFlow);
        }
    }

    [Fact]
    public void AcquireAll_MixesFileLockAndOrderedLock_InTheGlobalOrder()
    {
        var accounts = new OrderedLock("accounts", rank: 20, checking: LockOrderChecking.Strict);
        var file = new OrderedFileLock(Path.Combine(_dir, "ledger.json"), rank: 10, checking: LockOrderChecking.Strict);

        using (LockSetScope both = OrderedLock.AcquireAll(accounts, file))
        {
            Assert.Equal(new OrderedLockBase[] { file, accounts }, both.Locks);
            Assert.True(file.IsLocked && accounts.IsLocked);

            using Process child = Repo.StartChild("try", file.Path, "200");
            Assert.Equal("timeout", Repo.ReadLine(child)); // the set holds the OS lock too
            Assert.True(child.WaitForExit(s_long));
        }

        Assert.False(file.IsLocked || accounts.IsLocked);
    }

    [Fact]
    public async Task TryAcquireAll_ChildHoldsTheFile_TimesOutAndReleasesTheOtherLocks()
    {
        var accounts = new OrderedLock("accounts", rank: 20, checking: LockOrderChecking.Strict);
        var file = new OrderedFileLock(Path.Combine(_dir, "set.json"), rank: 30, checking: LockOrderChecking.Strict);
        using Process child = Repo.StartChild("hold", file.Path, "forever");
        Assert.Equal("acquired", Repo.ReadLine(child));
        try
        {
            Assert.False(OrderedLock.TryAcquireAll(s_short, out _, accounts, file));
            Assert.False(accounts.IsLocked || file.IsLocked); // accounts was taken first, then given back

            LockSetScope none = await OrderedLock.TryAcquireAllAsync(new OrderedLockBase[] { file, accounts }, s_short);
            Assert.Equal(0, none.Count);
            Assert.False(accounts.IsLocked || file.IsLocked);
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            Assert.True(child.WaitForExit(s_long));
        }

        using (LockSetScope both = await OrderedLock.AcquireAllAsync(file, accounts))
        {
            Assert.Equal(new OrderedLockBase[] { accounts, file }, both.Locks);
        }

        Assert.False(accounts.IsLocked || file.IsLocked);
    }

    [Fact]
    public void Acquire_InvertedNestedOrder_StrictCheckingRaisesBeforeBlocking()
    {
        var file = new OrderedFileLock(Path.Combine(_dir, "ledger.json"), rank: 10, checking: LockOrderChecking.Strict);
        var accounts = new OrderedLock("accounts", rank: 20, checking: LockOrderChecking.Strict);

        using (accounts.Acquire())
        {
            LockOrderException ex = Assert.Throws<LockOrderException>(() => file.Acquire());
            Assert.Equal(LockViolationKind.OrderViolation, ex.Kind);
            Assert.Contains("ledger.json", ex.Message, StringComparison.Ordinal);
        }

        Assert.False(file.IsLocked);
        using (file.Acquire())
        using (accounts.Acquire())
        {
            Assert.True(file.IsHeldByCurrentFlow);
        }
    }

    [Fact]
    public void Acquire_SameThreadTwice_SelfDeadlockExceptionInsteadOfHang()
    {
        var file = new OrderedFileLock(Path.Combine(_dir, "self.json"), checking: LockOrderChecking.Off);
        using (file.Acquire())
        {
            LockOrderException ex = Assert.Throws<LockOrderException>(() => file.Acquire());
            Assert.Equal(LockViolationKind.SelfDeadlock, ex.Kind);
        }
    }

    [Fact]
    public async Task AcquireAsync_ThreadHoldsItSynchronously_WaitsAsAnOrdinaryContender_SameFlowThrows()
    {
        // A synchronous hold is not the hold of an asynchronous acquisition on the same thread (it may
        // be another flow's continuation run inline): AcquireAsync waits for it and completes once the
        // synchronous scope is released, here from another thread (docs/held-lock-tracking.md).
        var file = new OrderedFileLock(Path.Combine(_dir, "self-async.json"), checking: LockOrderChecking.Off);
        LockScope held = default;
        Task<LockScope>? pending = null;
        await Task.Run(() =>
        {
            held = file.Acquire();
            pending = file.AcquireAsync().AsTask();
        });
        Task<LockScope> attempt = pending!;
        await Task.Delay(200);
        Assert.False(attempt.IsCompleted, "AcquireAsync must wait behind the thread's synchronous hold");
        held.Dispose(); // released from another thread than the one that acquired it
        (await attempt.WaitAsync(TimeSpan.FromSeconds(30))).Dispose();

        // The same async flow re-acquiring is a self-deadlock, thrown before waiting.
        var tracked = new OrderedFileLock(Path.Combine(_dir, "self-flow.json"), checking: LockOrderChecking.Strict);
        using (await tracked.AcquireAsync())
        {
            LockOrderException ex = Assert.Throws<LockOrderException>(() => tracked.AcquireAsync());
            Assert.Equal(LockViolationKind.SelfDeadlock, ex.Kind);
        }

        Assert.False(file.IsLocked || tracked.IsLocked);
    }

    [Fact]
    public async Task Condition_OnFileLock_WaitReleasesAndReacquiresTheOsLock()
    {
        string path = Path.Combine(_dir, "cond.json");
        var file = new OrderedFileLock(path, checking: LockOrderChecking.Strict);
        var cond = new OrderedCondition(file);
        var ready = new StrongBox<bool>();
        Task notifier = WaitForNotifier(file, cond, ready, path);
        await notifier.WaitAsync(s_long);
        Assert.False(file.IsLocked);
    }

    // The waiting side: holds the lock, starts the notifier, waits with the OS lock given up, and
    // checks that the OS lock is held again after the wait (a child process cannot take it).
    private static async Task WaitForNotifier(OrderedFileLock file, OrderedCondition cond, StrongBox<bool> ready, string path)
    {
        Task notifier;
        using (file.Acquire())
        {
            notifier = Task.Run(() => Notify(file, cond, ready));
            Assert.True(cond.WaitFor(() => ready.Value, s_long));
            Assert.True(file.IsHeldByCurrentFlow);

            using Process child = Repo.StartChild("try", path, "200");
            Assert.Equal("timeout", Repo.ReadLine(child));
            Assert.True(child.WaitForExit(s_long));
        }

        await notifier;
    }

    private static void Notify(OrderedFileLock file, OrderedCondition cond, StrongBox<bool> ready)
    {
        using (file.Acquire())
        {
            ready.Value = true;
            cond.NotifyAll();
        }
    }
}
