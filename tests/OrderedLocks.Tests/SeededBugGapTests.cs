using System.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// Tests written for the seeded bugs that the suite used to miss (issue 12): each one targets a
/// specific mistake in the runtime and fails when that mistake is put back (see the mutation
/// table in docs/design.md and tools/mutation/).
/// </summary>
/// <remarks>The real-thread stress tests run alone (no other test class beside them), so that
/// the two threads they need are not starved by the rest of the suite.</remarks>
[Collection(StressCollection.Name)]
public sealed class SeededBugGapTests
{
    /// <summary>How long a real-thread stress loop runs at most.</summary>
    private static readonly TimeSpan StressBudget = TimeSpan.FromSeconds(3);

    // A two-lock TryAcquireAll (the small-set path, no array) whose second lock times out must give
    // the first one back.
    [Fact]
    public async Task TryAcquireAll_TwoLocks_SecondTimesOut_GivesBackTheFirst()
    {
        var first = new OrderedLock("first", rank: 1);
        var second = new OrderedLock("second", rank: 2);
        LockScope other = await Locks.HoldElsewhereAsync(second);

        bool acquired = await TestThreads.Run(() => OrderedLock.TryAcquireAll(TestTimeouts.Expire, out LockSetScope _, second, first))
            .WaitAsync(TestTimeouts.Hang);

        Assert.False(acquired);
        Assert.False(first.IsLocked, "the first lock of the set must be released when the second times out");
        Assert.Equal(0, second.QueuedWaiterCount);
        Assert.True(other.IsHeld);
        other.Dispose();
        Locks.AssertFree(first, second);
    }

    [Fact]
    public async Task TryAcquireAllAsync_TwoLocks_SecondTimesOut_GivesBackTheFirst()
    {
        var first = new OrderedLock("first", rank: 1);
        var second = new OrderedLock("second", rank: 2);
        LockScope other = await Locks.HoldElsewhereAsync(second);

        LockSetScope set = await OrderedLock.TryAcquireAllAsync(new[] { second, first }, TestTimeouts.Expire).AsTask().WaitAsync(TestTimeouts.Hang);

        Assert.Equal(0, set.Count);
        Assert.False(first.IsLocked, "the first lock of the set must be released when the second times out");
        other.Dispose();
        Locks.AssertFree(first, second);
    }

    // Two threads taking and releasing the lock in a tight loop: the uncontended fast path is tried
    // on every acquisition, while the other thread barges or spins. A fast path that stores
    // "locked" without a compare-and-swap (or ignores its result) lets both in. The loop is bounded
    // by time; the overlap and the lost increments are both checked.
    [Fact]
    public async Task FastPath_TwoThreadsHammering_NeverBothInside()
    {
        var l = new OrderedLock("fast", checking: LockOrderChecking.Off);
        int inside = 0;
        int overlaps = 0;
        long counter = 0;
        long[] entries = new long[2];
        var watch = Stopwatch.StartNew();

        void Worker(int index)
        {
            long mine = 0;
            while ((mine & 1023) != 0 || (watch.Elapsed < StressBudget && Volatile.Read(ref overlaps) == 0))
            {
                using (l.Acquire())
                {
                    if (Interlocked.Increment(ref inside) != 1)
                    {
                        Interlocked.Increment(ref overlaps);
                    }

                    long seen = counter;
                    Thread.SpinWait(2);
                    counter = seen + 1;
                    Interlocked.Decrement(ref inside);
                }

                mine++;
            }

            entries[index] = mine;
        }

        Task a = TestThreads.Run(() => Worker(0));
        Task b = TestThreads.Run(() => Worker(1));
        await Task.WhenAll(new[] { a, b }).WaitAsync(TestTimeouts.Hang);

        Assert.Equal(0, Volatile.Read(ref overlaps));
        Assert.Equal(entries[0] + entries[1], counter);
        Assert.True(entries[0] > 1000 && entries[1] > 1000, $"too few acquisitions ran: {entries[0]} and {entries[1]}");
        Locks.AssertFree(l);
    }

    // A synchronous waiter cancelled at the very moment the lock is handed to it. To reach the
    // hand-off a waiter must first lose to a barging thread once (then it re-queues at the head and
    // the next release grants it the lock directly). The barger's release and the cancellation are
    // then fired together. Whether the waiter returns the lock or throws, nothing may stay locked
    // or queued afterwards: a waiter that throws after being granted leaks the lock.
    [Fact]
    public async Task SyncWaiter_CancelledWhileHandedTheLock_NeverLeaksIt()
    {
        var l = new OrderedLock("handoff", checking: LockOrderChecking.Off);
        var watch = Stopwatch.StartNew();
        int handoffRounds = 0;
        int rounds = 0;

        while (watch.Elapsed < StressBudget)
        {
            rounds++;
            using var cts = new CancellationTokenSource();
            LockScope holder = l.Acquire();
            bool waiterCancelled = false;
            var waiterStarted = new ManualResetEventSlim();
            Task waiter = TestThreads.Run(() =>
            {
                waiterStarted.Set();
                try
                {
                    l.Acquire(cts.Token).Dispose();
                }
                catch (OperationCanceledException)
                {
                    waiterCancelled = true;
                }
            });

            waiterStarted.Wait(TestTimeouts.Hang);
            var queued = Stopwatch.StartNew();
            while (l.QueuedWaiterCount == 0 && queued.Elapsed < TestTimeouts.Hang)
            {
                Thread.Yield();
            }

            // The barger spins on TryAcquire and takes the lock as soon as it is released, before
            // the woken waiter runs; then it waits until the waiter re-queued behind it.
            using var go = new Barrier(2);
            bool barged = false;
            Task barger = TestThreads.Run(() =>
            {
                LockScope taken = default;
                var spin = Stopwatch.StartNew();
                while (!l.TryAcquire(out taken) && spin.Elapsed < TestTimeouts.Expire)
                {
                }

                if (taken.IsAcquired)
                {
                    // Barged past the woken waiter: it must re-queue (for hand-off) behind us.
                    var requeue = Stopwatch.StartNew();
                    while (l.QueuedWaiterCount == 0 && requeue.Elapsed < TestTimeouts.Expire && !waiter.IsCompleted)
                    {
                        Thread.SpinWait(8);
                    }

                    barged = l.QueuedWaiterCount == 1;
                }

                go.SignalAndWait(TestTimeouts.Hang);
                taken.Dispose(); // the release that hands the lock to the re-queued waiter...
            });
            Task canceller = TestThreads.Run(() =>
            {
                go.SignalAndWait(TestTimeouts.Hang);
                cts.Cancel(); // ...and the cancellation, at the same moment
            });

            holder.Dispose();
            await Task.WhenAll(new[] { barger, canceller, waiter }).WaitAsync(TestTimeouts.Hang);
            if (barged)
            {
                handoffRounds++;
            }

            Assert.False(l.IsLocked, $"round {rounds}: the lock leaked (waiter {(waiterCancelled ? "threw" : "returned")}, barged {barged})");
            Assert.Equal(0, l.QueuedWaiterCount);
        }

        Assert.True(handoffRounds >= 3, $"the hand-off state was reached in only {handoffRounds} of {rounds} rounds");
    }
}

/// <summary>Real-thread stress tests: run without any other test class in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StressCollection
{
    public const string Name = "Real-thread stress";
}
