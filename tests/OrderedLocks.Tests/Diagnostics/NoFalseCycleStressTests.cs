using System.Runtime.CompilerServices;
using OrderedLocks.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests.Diagnostics;

/// <summary>
/// Adversarial: heavy contention where no deadlock is possible (every flow takes its locks in one
/// order), sync and async, timed and untimed, while another thread asks for deadlocks all the
/// time. Any reported cycle is a false one. Bounded by operation counts, not by time.
/// </summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class NoFalseCycleStressTests
{
    private const int Workers = 6;
    private const int OperationsPerWorker = 1500;
    private const int MinChecksWithWaiters = 20;

    [Theory]
    [InlineData(LockOrderChecking.Off, false)]
    [InlineData(LockOrderChecking.Off, true)]
    [InlineData(LockOrderChecking.Learned, false)]
    public async Task FindDeadlocks_ConsistentOrderUnderContention_NeverReportsACycle(LockOrderChecking checking, bool capture)
    {
        using var scope = new DiagnosticsScope(checking, LockViolationAction.Throw, capture);
        OrderedLockBase[] locks =
        {
            new OrderedLock("stress-0", rank: 0),
            new ReentrantOrderedLock("stress-1", rank: 1),
            new OrderedLock("stress-2", rank: 2),
            new OrderedLock("stress-3", rank: 3),
        };
        var falseCycles = new List<string>();
        int checks = 0;
        var checksWithWaiters = new StrongBox<int>();
        using var done = new CancellationTokenSource();
        Task checker = Waits.Thread(() =>
        {
            while (!done.IsCancellationRequested)
            {
                checksWithWaiters.Value += LockDiagnostics.WaitCount > 0 ? 1 : 0;
                foreach (LockWaitCycle c in Waits.CyclesAmong(LockDiagnostics.FindDeadlocks(), locks))
                {
                    lock (falseCycles)
                    {
                        falseCycles.Add(c.ToReport());
                    }
                }

                checks++;
            }
        });

        Task[] workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() => WorkAsync(w, locks, checksWithWaiters))).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(2));
        done.Cancel();
        Waits.Finish(checker);

        Assert.True(checks > 0 && checksWithWaiters.Value > 0, $"The checker must have looked while waits were in progress ({checksWithWaiters.Value} of {checks} checks).");
        Assert.True(falseCycles.Count == 0, "False cycles:\n" + string.Join("\n", falseCycles.Take(3)));
        Assert.All(locks, l => Assert.False(l.IsLocked));
    }

    // Runs OperationsPerWorker operations, and more (up to 20 times as many) until the checker has
    // looked during waits often enough: on a quiet machine contention can be rare.
    private static async Task WorkAsync(int seed, OrderedLockBase[] locks, StrongBox<int> checksWithWaiters)
    {
        var random = new Random(seed * 7919);
        for (int i = 0; i < OperationsPerWorker * 20 && (i < OperationsPerWorker || Volatile.Read(ref checksWithWaiters.Value) < MinChecksWithWaiters); i++)
        {
            // A random ascending subset, taken one by one (nested), in the global order.
            var chosen = locks.Where(_ => random.Next(2) == 0).ToList();
            var scopes = new Stack<LockScope>();
            bool async = random.Next(2) == 0;
            try
            {
                foreach (OrderedLockBase l in chosen)
                {
                    bool timed = random.Next(4) == 0;
                    LockScope s = (l, async, timed) switch
                    {
                        (OrderedLock o, true, false) => await o.AcquireAsync(),
                        (OrderedLock o, true, true) => await o.TryAcquireAsync(TimeSpan.FromMilliseconds(1)),
                        (OrderedLock o, false, false) => o.Acquire(),
                        (OrderedLock o, false, true) => o.TryAcquire(TimeSpan.FromMilliseconds(1), out LockScope t) ? t : default,
                        (ReentrantOrderedLock r, true, _) => await r.AcquireAsync(),
                        (ReentrantOrderedLock r, false, _) => r.Acquire(),
                        _ => throw new InvalidOperationException(),
                    };
                    if (!s.IsAcquired)
                    {
                        break;
                    }

                    scopes.Push(s);
                }

                if (async && random.Next(8) == 0)
                {
                    // Only asynchronous holds may cross an await (a synchronous hold belongs to its thread).
                    await Task.Yield();
                }
            }
            finally
            {
                while (scopes.Count > 0)
                {
                    scopes.Pop().Dispose();
                }
            }
        }
    }
}
