using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// The learned graph under a race: two threads that close the same cycle at the same moment.
/// </summary>
[Collection(GlobalPolicyCollection.Name)]
public sealed class LearnedRaceTests
{
    // Each round: thread 1 holds x, thread 2 holds y, both pass a barrier and try the other lock
    // (without waiting, so the real ABBA cannot hang the test). The two new edges x → y and
    // y → x close one cycle; whichever way their publication and their searches interleave, the
    // inversion must be reported exactly once: never missed, and never by both threads (the
    // earlier edge used to report as well when the later one had already reported and been kept).
    [Fact]
    public async Task TwoThreadsClosingOneCycleAtOnce_ReportItExactlyOnce()
    {
        using var policy = new PolicyScope(onViolation: LockViolationAction.Report);
        var reports = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        policy.OnReported(v =>
        {
            string name = v.Acquiring.Name;
            if (v.Kind == LockViolationKind.PotentialDeadlock && name.StartsWith("race-", StringComparison.Ordinal))
            {
                reports.AddOrUpdate(name[..name.LastIndexOf('-')], 1, (_, n) => n + 1);
            }
        });

        const int rounds = 300;
        using var barrier = new Barrier(2);
        var pairs = new (OrderedLock X, OrderedLock Y)[rounds];
        for (int i = 0; i < rounds; i++)
        {
            pairs[i] = (new OrderedLock($"race-{i}-x", checking: LockOrderChecking.Learned), new OrderedLock($"race-{i}-y", checking: LockOrderChecking.Learned));
        }

        Task<int> first = TestThreads.Run(() => Side(pairs, barrier, takeXFirst: true));
        Task<int> second = TestThreads.Run(() => Side(pairs, barrier, takeXFirst: false));
        await Task.WhenAll(new Task[] { first, second }).WaitAsync(TimeSpan.FromSeconds(60));

        var wrong = Enumerable.Range(0, rounds)
            .Select(i => (Pair: $"race-{i}", Count: reports.GetValueOrDefault($"race-{i}")))
            .Where(p => p.Count != 1)
            .ToArray();
        Assert.True(wrong.Length == 0, $"{wrong.Length} of {rounds} cycles were not reported exactly once: " + string.Join(", ", wrong.Take(10).Select(p => $"{p.Pair}: {p.Count}")));
    }

    private static int Side((OrderedLock X, OrderedLock Y)[] pairs, Barrier barrier, bool takeXFirst)
    {
        int taken = 0;
        foreach ((OrderedLock x, OrderedLock y) in pairs)
        {
            OrderedLock mine = takeXFirst ? x : y;
            OrderedLock theirs = takeXFirst ? y : x;
            using (mine.Acquire())
            {
                barrier.SignalAndWait();
                if (theirs.TryAcquire(TimeSpan.Zero, out LockScope scope))
                {
                    scope.Dispose();
                    taken++;
                }

                barrier.SignalAndWait(); // both tried before either lets go
            }
        }

        return taken;
    }
}
