using Medallion.Threading;
using OrderedLocks.Distributed;
using Xunit;
using Xunit.Abstractions;

namespace OrderedLocks.Distributed.Tests;

[Collection(PostgresCollection.Name)]
public sealed class OrderedDistributedLockTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private readonly PostgresFixture _pg;

    private readonly ITestOutputHelper _output;

    public OrderedDistributedLockTests(PostgresFixture pg, ITestOutputHelper output)
    {
        _pg = pg;
        _output = output;
    }

    // Whether the token is cancelled within Long (polled: DistributedLock may dispose its source).
    private static bool Fires(CancellationToken token)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!token.IsCancellationRequested && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        return token.IsCancellationRequested;
    }

    [Fact]
    public void Acquire_TakesTheServerLock_DisposeReleasesIt()
    {
        (OrderedDistributedLock l, _, long key) = _pg.NewLock("orders", checking: LockOrderChecking.Strict);
        using (LockScope scope = l.Acquire())
        {
            Assert.True(scope.IsHeld);
            Assert.Equal((1, 0), _pg.AdvisoryLocks(key));
            // Another session (another process) cannot take it now.
            Assert.Null(_pg.RawLock(key).TryAcquire(TimeSpan.Zero));
        }

        Assert.Equal((0, 0), _pg.AdvisoryLocks(key));
        using var other = _pg.RawLock(key).TryAcquire(TimeSpan.Zero);
        Assert.NotNull(other);
    }

    [Fact]
    public async Task AcquireAsync_IsExcludedByAnotherSession_AndGetsItWhenReleased()
    {
        (OrderedDistributedLock l, _, long key) = _pg.NewLock("stock");
        Task<LockScope> waiting;
        using (_pg.HoldElsewhere(key))
        {
            waiting = l.AcquireAsync().AsTask();
            await Task.Delay(Short);
            Assert.False(waiting.IsCompleted);
            Assert.Equal((1, 1), _pg.AdvisoryLocks(key)); // the foreign hold, and our wait on the server
        }

        LockScope scope = await waiting.WaitAsync(Long);
        Assert.True(scope.IsHeld);
        Assert.Equal((1, 0), _pg.AdvisoryLocks(key));
        scope.Dispose();
        Assert.Equal((0, 0), _pg.AdvisoryLocks(key));
    }

    [Fact]
    public void Properties_NameRankIdAndInnerLock()
    {
        (long key, int rank) = PostgresFixture.NextKey();
        var raw = _pg.RawLock(key);
        var named = new OrderedDistributedLock(raw, rank, "payments");
        Assert.Equal("payments", named.Name);
        Assert.Equal(rank, named.Rank);
        Assert.True(named.HasRank);
        Assert.Same(raw, named.InnerLock);
        Assert.Contains("'payments'", named.ToString(), StringComparison.Ordinal);

        var unnamed = new OrderedDistributedLock(raw, rank);
        Assert.Equal(raw.Name, unnamed.Name); // the same server-side lock may share the rank
        Assert.True(unnamed.Id > named.Id);
    }

    [Fact]
    public void Constructor_RankOfAnotherServerLock_ThrowsNamingBoth()
    {
        (long first, int rank) = PostgresFixture.NextKey();
        (long second, _) = PostgresFixture.NextKey();
        _ = new OrderedDistributedLock(_pg.RawLock(first), rank, "first");
        var ex = Assert.Throws<ArgumentException>(() => new OrderedDistributedLock(_pg.RawLock(second), rank, "second"));
        Assert.Contains(_pg.RawLock(first).Name, ex.Message, StringComparison.Ordinal);
        Assert.Contains(_pg.RawLock(second).Name, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"Rank {rank}", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new OrderedDistributedLock(null!, rank));
    }

    [Fact]
    public void Strict_RankViolation_RaisesBeforeAnythingIsSentToTheServer()
    {
        var audit = new OrderedLock("audit", rank: int.MaxValue - 1, checking: LockOrderChecking.Strict);
        (OrderedDistributedLock accounts, CountingLock counter, long key) = _pg.NewLock("accounts", checking: LockOrderChecking.Strict);
        using (audit.Acquire())
        {
            var ex = Assert.Throws<LockOrderException>(() => accounts.Acquire());
            Assert.Contains("'accounts'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("'audit'", ex.Message, StringComparison.Ordinal);
            Assert.Throws<LockOrderException>(() => accounts.TryAcquire(Long, out _));
            Assert.Throws<LockOrderException>(() => OrderedLock.AcquireAll(accounts));
        }

        Assert.Equal(0, counter.Calls);
        Assert.Equal((0, 0), _pg.AdvisoryLocks(key));
        Assert.False(accounts.IsLocked);
    }

    [Fact]
    public async Task Strict_RankViolation_Async_ThrowsSynchronouslyWithoutAServerCall()
    {
        (OrderedDistributedLock low, CountingLock lowCounter, long lowKey) = _pg.NewLock("low", checking: LockOrderChecking.Strict);
        (OrderedDistributedLock high, CountingLock highCounter, long highKey) = _pg.NewLock("high", checking: LockOrderChecking.Strict);
        using (await high.AcquireAsync())
        {
            Assert.Equal(1, highCounter.Calls);
            Assert.Throws<LockOrderException>(() => { _ = low.AcquireAsync(); });
            Assert.Throws<LockOrderException>(() => { _ = OrderedLock.AcquireAllAsync(low); });
            Assert.Equal((1, 0), _pg.AdvisoryLocks(highKey));
        }

        Assert.Equal(0, lowCounter.Calls);
        Assert.Equal((0, 0), _pg.AdvisoryLocks(lowKey, highKey));
    }

    [Fact]
    public void SelfDeadlock_RaisesWithoutAServerCall_EvenWithCheckingOff()
    {
        (OrderedDistributedLock l, CountingLock counter, long key) = _pg.NewLock("reports", checking: LockOrderChecking.Off);
        using (l.Acquire())
        {
            var ex = Assert.Throws<LockOrderException>(() => l.Acquire());
            Assert.Equal(LockViolationKind.SelfDeadlock, ex.Violation!.Kind);
            Assert.Contains("'reports'", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(1, counter.Calls);
        Assert.Equal((0, 0), _pg.AdvisoryLocks(key));
    }

    [Fact]
    public void Learned_InconsistentOrder_IsReportedBeforeTheSecondServerCall()
    {
        (OrderedDistributedLock a, CountingLock aCounter, _) = _pg.NewLock("learned-a", checking: LockOrderChecking.Learned);
        (OrderedDistributedLock b, CountingLock bCounter, long bKey) = _pg.NewLock("learned-b", checking: LockOrderChecking.Learned);
        using (a.Acquire())
        using (b.Acquire())
        {
        }

        using (b.Acquire())
        {
            Assert.Throws<LockOrderException>(() => a.Acquire());
        }

        Assert.Equal(1, aCounter.Calls);
        Assert.Equal(2, bCounter.Calls);
        Assert.Equal((0, 0), _pg.AdvisoryLocks(bKey));
    }

    [Fact]
    public void Off_OutOfOrderNesting_IsAllowedAndReachesTheServer()
    {
        (OrderedDistributedLock low, CountingLock lowCounter, long lowKey) = _pg.NewLock("off-low", checking: LockOrderChecking.Off);
        (OrderedDistributedLock high, _, long highKey) = _pg.NewLock("off-high", checking: LockOrderChecking.Off);
        using (high.Acquire())
        using (low.Acquire())
        {
            Assert.Equal((2, 0), _pg.AdvisoryLocks(lowKey, highKey));
        }

        Assert.Equal(1, lowCounter.Calls);
        Assert.Equal((0, 0), _pg.AdvisoryLocks(lowKey, highKey));
    }

    [Fact]
    public async Task AcquireAll_MixOfInProcessFileAndDistributed_TakesThemInTheGlobalOrder()
    {
        (OrderedDistributedLock d1, _, long k1) = _pg.NewLock("mix-d1", checking: LockOrderChecking.Strict);
        (OrderedDistributedLock d2, _, long k2) = _pg.NewLock("mix-d2", checking: LockOrderChecking.Strict);
        (OrderedDistributedLock d3, _, long k3) = _pg.NewLock("mix-d3", checking: LockOrderChecking.Strict);
        var local = new OrderedLock("mix-local", rank: d1.Rank, checking: LockOrderChecking.Strict); // d1's rank, created later: between d1 and d2
        string path = Path.Combine(Path.GetTempPath(), $"orderedlocks-mix-{Guid.NewGuid():N}");
        var file = new OrderedFileLock(path, "mix-file", rank: d3.Rank + 1, checking: LockOrderChecking.Strict);
        try
        {
            CountingLock.TakeLog();
            using (LockSetScope set = OrderedLock.AcquireAll(file, d3, local, d1, d2))
            {
                Assert.Equal(new OrderedLockBase[] { d1, local, d2, d3, file }, set.Locks);
                Assert.Equal(new[] { d1.InnerLock.Name, d2.InnerLock.Name, d3.InnerLock.Name }, CountingLock.TakeLog());
                Assert.Equal((3, 0), _pg.AdvisoryLocks(k1, k2, k3));
                Assert.True(local.IsLocked && file.IsLocked);
                // Inside the set, a lower-ranked lock is a violation (checked before the server).
                Assert.Throws<LockOrderException>(() => d1.Acquire());
            }

            Assert.Equal((0, 0), _pg.AdvisoryLocks(k1, k2, k3));
            Assert.False(local.IsLocked || file.IsLocked || d1.IsLocked || d2.IsLocked || d3.IsLocked);

            using (LockSetScope set = await OrderedLock.AcquireAllAsync(d3, file, d2, local, d1))
            {
                Assert.Equal(new OrderedLockBase[] { d1, local, d2, d3, file }, set.Locks);
                Assert.Equal(new[] { d1.InnerLock.Name, d2.InnerLock.Name, d3.InnerLock.Name }, CountingLock.TakeLog());
                Assert.Equal((3, 0), _pg.AdvisoryLocks(k1, k2, k3));
            }

            Assert.Equal((0, 0), _pg.AdvisoryLocks(k1, k2, k3));
        }
        finally
        {
            File.Delete(file.LockFilePath);
        }
    }

    [Fact]
    public void TryAcquireAll_MemberHeldElsewhere_TimesOutAndReleasesWhatItTookOnTheServer()
    {
        (OrderedDistributedLock d1, _, long k1) = _pg.NewLock("partial-1");
        (OrderedDistributedLock d2, _, long k2) = _pg.NewLock("partial-2");
        (OrderedDistributedLock d3, _, long k3) = _pg.NewLock("partial-3");
        using (_pg.HoldElsewhere(k3))
        {
            Assert.False(OrderedLock.TryAcquireAll(Short, out LockSetScope scope, d1, d2, d3));
            Assert.Equal(0, scope.Count);
            Assert.Equal((0, 0), _pg.AdvisoryLocks(k1, k2)); // d1 and d2 were taken, then released on the server
            Assert.Equal((1, 0), _pg.AdvisoryLocks(k3)); // only the foreign hold; our wait is gone
            Assert.False(d1.IsLocked || d2.IsLocked || d3.IsLocked);
        }
    }

    [Fact]
    public async Task TryAcquireAllAsync_MemberHeldElsewhere_TimesOutAndReleasesWhatItTookOnTheServer()
    {
        (OrderedDistributedLock d1, _, long k1) = _pg.NewLock("apartial-1");
        (OrderedDistributedLock d2, _, long k2) = _pg.NewLock("apartial-2");
        using (_pg.HoldElsewhere(k2))
        {
            LockSetScope scope = await OrderedLock.TryAcquireAllAsync(new[] { d2, d1 }, Short);
            Assert.Equal(0, scope.Count);
            Assert.Equal((0, 0), _pg.AdvisoryLocks(k1));
            Assert.Equal((1, 0), _pg.AdvisoryLocks(k2));
        }

        using (LockSetScope scope = await OrderedLock.TryAcquireAllAsync(new[] { d2, d1 }, Long))
        {
            Assert.Equal(2, scope.Count);
        }
    }

    [Fact]
    public void Timeout_WhileWaitingOnTheServer_SaysWhatHappenedAndLeavesNothingHeld()
    {
        (OrderedDistributedLock l, _, long key) = _pg.NewLock("invoices");
        using (_pg.HoldElsewhere(key))
        {
            Assert.False(l.TryAcquire(Short, out LockScope none));
            Assert.False(none.IsAcquired);
            var ex = Assert.Throws<TimeoutException>(() => l.Acquire(Short));
            Assert.Contains("'invoices'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing is held", ex.Message, StringComparison.Ordinal);
            Assert.Equal((1, 0), _pg.AdvisoryLocks(key));
            Assert.False(l.IsLocked);
        }

        using LockScope scope = l.Acquire(Long);
        Assert.True(scope.IsHeld);
    }

    [Fact]
    public async Task TryAcquireAsync_Timeout_LeavesNothingHeld()
    {
        (OrderedDistributedLock l, _, long key) = _pg.NewLock("receipts");
        using (_pg.HoldElsewhere(key))
        {
            LockScope none = await l.TryAcquireAsync(Short);
            Assert.False(none.IsAcquired);
            Assert.Equal((1, 0), _pg.AdvisoryLocks(key));
            Assert.False(l.IsLocked);
        }
    }

    [Fact]
    public async Task Cancellation_WhileWaitingOnTheServer_SaysWhatHappenedAndLeavesNothingHeld()
    {
        (OrderedDistributedLock l, _, long key) = _pg.NewLock("shipments");
        using (_pg.HoldElsewhere(key))
        {
            using var cts = new CancellationTokenSource(Short);
            Task<LockScope> waiting = l.AcquireAsync(cts.Token).AsTask();
            var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
            Assert.Contains("'shipments'", ex.Message, StringComparison.Ordinal);
            Assert.Equal(cts.Token, ex.CancellationToken);

            using var syncCts = new CancellationTokenSource(Short);
            var syncEx = Assert.ThrowsAny<OperationCanceledException>(() => l.Acquire(syncCts.Token));
            Assert.Contains("'shipments'", syncEx.Message, StringComparison.Ordinal);

            // AcquireAll cancelled while a member waits on the server: the member taken first is released too.
            (OrderedDistributedLock first, _, long firstKey) = _pg.NewLock("shipments-before");
            using var setCts = new CancellationTokenSource(Short);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => OrderedLock.AcquireAllAsync(setCts.Token, l, first).AsTask());
            Assert.Equal((0, 0), _pg.AdvisoryLocks(firstKey));
            Assert.False(first.IsLocked);

            Assert.Equal((1, 0), _pg.AdvisoryLocks(key)); // the foreign hold only: no wait of ours is left
            Assert.False(l.IsLocked);
        }

        using LockScope scope = l.Acquire();
        Assert.Equal((1, 0), _pg.AdvisoryLocks(key));
    }

    [Fact]
    public async Task BackendTerminatedWhileHolding_FiresHandleLostToken_AndLeavesNothingHeld()
    {
        (OrderedDistributedLock l, _, long key) = _pg.NewLock("ledger");
        LockScope scope = await l.AcquireAsync();
        CancellationToken lost = scope.HandleLostToken;
        Assert.True(lost.CanBeCanceled);
        Assert.False(lost.IsCancellationRequested);

        int[] pids = _pg.HolderPids(key);
        Assert.Single(pids);
        _pg.TerminateBackend(pids[0]);

        var fired = new TaskCompletionSource();
        using (lost.Register(() => fired.TrySetResult()))
        {
            await fired.Task.WaitAsync(Long);
        }

        Assert.True(scope.HandleLostToken.IsCancellationRequested); // still the hold's token until disposed
        Assert.Equal((0, 0), _pg.AdvisoryLocks(key)); // the server released it with the session
        // The release cannot reach the dead session; whatever it reports, nothing stays held.
        try
        {
            scope.Dispose();
            _output.WriteLine("release after the backend was terminated: no exception");
        }
        catch (DistributedLockFailedException ex)
        {
            _output.WriteLine("release after the backend was terminated: " + ex.Message);
            Assert.Contains("'ledger'", ex.Message, StringComparison.Ordinal);
        }

        Assert.False(l.IsLocked);
        Assert.False(scope.HandleLostToken.CanBeCanceled); // a released scope has nothing to lose

        using LockScope again = l.Acquire(Long);
        Assert.Equal((1, 0), _pg.AdvisoryLocks(key));
    }

    [Fact]
    public void HandleLostToken_OfASet_FiresWhenAnyDistributedMemberIsLost()
    {
        (OrderedDistributedLock d1, _, long k1) = _pg.NewLock("set-lost-1");
        (OrderedDistributedLock d2, _, long k2) = _pg.NewLock("set-lost-2");
        var local = new OrderedLock("set-lost-local", rank: d2.Rank + 1);
        using LockSetScope set = OrderedLock.AcquireAll(d1, d2, local);
        CancellationToken lost = set.HandleLostToken;
        Assert.True(lost.CanBeCanceled);
        Assert.False(lost.IsCancellationRequested);
        Assert.False(default(LockSetScope).HandleLostToken.CanBeCanceled);

        foreach (int pid in _pg.HolderPids(k2))
        {
            _pg.TerminateBackend(pid);
        }

        Assert.True(Fires(lost), "the set's handle-lost token did not fire");
        Assert.Equal(0, _pg.AdvisoryLocks(k2).Granted);
        try
        {
            set.Dispose();
        }
        catch (Exception ex) when (ex is DistributedLockFailedException or AggregateException)
        {
            // reported; the locks are released below either way
        }

        Assert.False(d1.IsLocked || d2.IsLocked || local.IsLocked);
        Assert.Equal((0, 0), _pg.AdvisoryLocks(k1, k2));
    }

    [Fact]
    public void ServerRestartedBetweenAcquisitions_FailsClearlyOrSucceeds_AndLeavesNothingHeld()
    {
        using var own = OrderedLocks.PostgresHarness.ThrowawayPostgres.StartNew();
        (OrderedDistributedLock l, _, long key) = _pg.NewLock("restart", connectionString: own.ConnectionString);
        using (l.Acquire(Long))
        {
        }

        own.Restart(); // pooled connections (and DistributedLock's shared connection) are now dead

        var outcomes = new List<string>();
        LockScope scope = default;
        for (int attempt = 0; attempt < 3 && !scope.IsAcquired; attempt++)
        {
            try
            {
                scope = l.Acquire(Long);
                outcomes.Add("acquired");
            }
            catch (DistributedLockFailedException ex)
            {
                Assert.Contains("'restart'", ex.Message, StringComparison.Ordinal);
                Assert.Contains("Nothing is held", ex.Message, StringComparison.Ordinal);
                Assert.Same(l, ex.Lock);
                Assert.NotNull(ex.InnerException);
                Assert.False(l.IsLocked);
                outcomes.Add("failed: " + ex.InnerException!.GetType().Name);
            }
        }

        _output.WriteLine("after the restart: " + string.Join("; ", outcomes));
        Assert.True(scope.IsHeld, "not acquired after the restart: " + string.Join("; ", outcomes));
        scope.Dispose();
        Assert.False(l.IsLocked);
        using var check = new Npgsql.NpgsqlConnection(own.ConnectionString);
        check.Open();
        using var command = check.CreateCommand();
        command.CommandText = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'";
        Assert.Equal(0L, (long)command.ExecuteScalar()!);
    }

    [Fact]
    public void ServerRestartedWhileHolding_FiresHandleLostToken()
    {
        using var own = OrderedLocks.PostgresHarness.ThrowawayPostgres.StartNew();
        (OrderedDistributedLock l, _, _) = _pg.NewLock("restart-held", connectionString: own.ConnectionString);
        LockScope scope = l.Acquire(Long);
        CancellationToken lost = scope.HandleLostToken;
        own.Restart();
        Assert.True(Fires(lost), "the handle-lost token did not fire after the restart");
        try
        {
            scope.Dispose();
        }
        catch (DistributedLockFailedException ex)
        {
            Assert.Contains("'restart-held'", ex.Message, StringComparison.Ordinal);
        }

        Assert.False(l.IsLocked);
    }

    [Fact]
    public async Task Condition_WaitGivesUpTheServerLock_AndTakesItBack()
    {
        (OrderedDistributedLock l, _, long key) = _pg.NewLock("condition");
        var condition = new OrderedCondition(l);
        bool ready = false;
        Task waiter = Task.Run(async () =>
        {
            using (await l.AcquireAsync())
            {
                await condition.WaitForAsync(() => ready);
                Assert.Equal((1, 0), _pg.AdvisoryLocks(key));
            }
        });

        // While the waiter waits it does not hold the server lock: another session can take it.
        // The waiter is counted as it queues, just before it gives the lock up (so that a notify
        // in between is not lost), so the release is awaited too, within the same bound.
        for (int i = 0; i < 1500 && (condition.WaiterCount == 0 || _pg.AdvisoryLocks(key) != (0, 0)); i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1, condition.WaiterCount);
        Assert.Equal((0, 0), _pg.AdvisoryLocks(key));
        using (await l.AcquireAsync())
        {
            Assert.Equal((1, 0), _pg.AdvisoryLocks(key));
            ready = true;
            condition.NotifyAll();
        }

        await waiter.WaitAsync(Long);
        Assert.Equal((0, 0), _pg.AdvisoryLocks(key));
    }
}
