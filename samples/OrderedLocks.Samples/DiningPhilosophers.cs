namespace OrderedLocks.Samples;

/// <summary>Parameters of the dining philosophers.</summary>
/// <param name="Philosophers">How many philosophers (and forks) sit at the table.</param>
/// <param name="Meals">Meals per philosopher in the fixed variant.</param>
/// <param name="HangTimeout">How long the raw variant may make no progress before it counts as deadlocked.</param>
public sealed record DiningOptions(int Philosophers = 5, int Meals = 2_000, TimeSpan? HangTimeout = null)
{
    internal TimeSpan Hang => HangTimeout ?? TimeSpan.FromSeconds(1);

    internal static TimeSpan FinishTimeout => TimeSpan.FromSeconds(60);
}

/// <summary>What a dining variant did.</summary>
/// <param name="Deadlocked">Whether the philosophers hung.</param>
/// <param name="Meals">Meals eaten in all.</param>
/// <param name="Violations">Philosophers that got a LockOrderException.</param>
/// <param name="Elapsed">How long it ran.</param>
/// <param name="Excerpt">The first violation's message, shortened.</param>
public sealed record DiningResult(bool Deadlocked, int Meals, IReadOnlyList<string> Violations, TimeSpan Elapsed, string? Excerpt = null);

/// <summary>
/// Five philosophers, five forks; each takes the left fork, then the right. Raw, everyone holds a
/// left fork and waits for ever. With ordered locks and strict checking, the philosopher whose
/// right fork comes first in the global order is stopped with an exception; with
/// <see cref="OrderedLock.AcquireAll(OrderedLockBase[])"/> everyone eats.
/// </summary>
public static class DiningPhilosophers
{
    /// <summary>The three variants.</summary>
    public static IReadOnlyList<ScenarioStep> Steps(DiningOptions options) => new ScenarioStep[]
    {
        new("DiningPhilosophers", "raw lock, left then right", "deadlock (detected by timeout)", log =>
        {
            DiningResult r = RunRaw(options, log);
            return r.Deadlocked
                ? new StepResult($"deadlock: all {options.Philosophers} hold a left fork, hung {r.Elapsed.TotalSeconds:0.0} s", true)
                : new StepResult("completed (a deadlock was expected)", false);
        }),
        new("DiningPhilosophers", "OrderedLock, strict", "LockOrderException for one, others eat", log =>
        {
            DiningResult r = RunStrict(options, log);
            return r is { Deadlocked: false, Violations.Count: 1 }
                ? new StepResult($"{r.Violations[0]}: LockOrderException ({r.Excerpt}); the other {options.Philosophers - 1} ate", true)
                : new StepResult(r.Deadlocked ? "hung" : $"{r.Violations.Count} violations (one expected)", false);
        }),
        new("DiningPhilosophers", "AcquireAll(left, right)", "everyone eats", log =>
        {
            DiningResult r = RunAcquireAll(options, log);
            int expected = options.Philosophers * options.Meals;
            return !r.Deadlocked && r.Meals == expected
                ? new StepResult($"{r.Meals:N0} meals eaten, no deadlock", true)
                : new StepResult(r.Deadlocked ? "hung" : $"{r.Meals} meals (expected {expected})", false);
        }),
    };

    /// <summary>Raw: <c>lock</c> on fork objects; a barrier makes every philosopher hold the left fork first.</summary>
    public static DiningResult RunRaw(DiningOptions options, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        var table = new RawTable(options.Philosophers);
        DateTime start = DateTime.UtcNow;
        ThreadsResult threads = BackgroundThreads.Run(options.Hang, Philosophers(options.Philosophers, table.Dine));
        if (!threads.Completed)
        {
            log.WriteLine($"  every philosopher holds the left fork and waits for the right one: no progress for {options.Hang.TotalSeconds:0.#} s.");
        }

        return new DiningResult(!threads.Completed, table.Meals, Array.Empty<string>(), DateTime.UtcNow - start);
    }

    /// <summary>Strict: ordered forks taken left then right; the philosopher whose order is inverted is stopped.</summary>
    public static DiningResult RunStrict(DiningOptions options, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        var table = new OrderedTable(options.Philosophers);
        DateTime start = DateTime.UtcNow;
        ThreadsResult threads = BackgroundThreads.Run(DiningOptions.FinishTimeout, Philosophers(options.Philosophers, table.Dine));
        var violations = threads.Errors.Where(e => e.Error is LockOrderException).Select(e => e.Thread).ToArray();
        foreach ((string name, Exception error) in threads.Errors)
        {
            log.WriteLine($"  {name}: {error.GetType().Name}: {error.Message.Split('\n')[0].TrimEnd('\r')}");
        }

        string? excerpt = threads.Errors.Select(e => e.Error).OfType<LockOrderException>().Select(Messages.Excerpt).FirstOrDefault();
        return new DiningResult(!threads.Completed, table.Meals, violations, DateTime.UtcNow - start, excerpt);
    }

    /// <summary>Fixed: each meal takes both forks with AcquireAll.</summary>
    public static DiningResult RunAcquireAll(DiningOptions options, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        int n = options.Philosophers;
        var forks = new OrderedLock[n];
        for (int i = 0; i < n; i++)
        {
            forks[i] = new OrderedLock($"fork {i}", checking: LockOrderChecking.Strict);
        }

        int meals = 0;
        DateTime start = DateTime.UtcNow;
        ThreadsResult threads = BackgroundThreads.Run(DiningOptions.FinishTimeout, Philosophers(n, seat =>
        {
            OrderedLock left = forks[seat];
            OrderedLock right = forks[(seat + 1) % n];
            for (int meal = 0; meal < options.Meals; meal++)
            {
                using (OrderedLock.AcquireAll(left, right))
                {
                    Interlocked.Increment(ref meals); // two philosophers who share no fork eat at the same time
                }
            }
        }));
        log.WriteLine($"  {n} philosophers, {options.Meals:N0} meals each with AcquireAll(left, right): {meals:N0} meals eaten.");
        return new DiningResult(!threads.Completed, threads.Errors.Count == 0 ? Volatile.Read(ref meals) : -1, Array.Empty<string>(), DateTime.UtcNow - start);
    }

    private static (string, Action)[] Philosophers(int n, Action<int> dine)
    {
        var bodies = new (string, Action)[n];
        for (int i = 0; i < n; i++)
        {
            int seat = i;
            bodies[i] = ($"philosopher {seat}", () => dine(seat));
        }

        return bodies;
    }

    private sealed class RawTable
    {
        private readonly object[] _forks;
        private readonly Barrier _everyoneHoldsLeft;
        private int _meals;

        internal RawTable(int n)
        {
            _forks = new object[n];
            for (int i = 0; i < n; i++)
            {
                _forks[i] = new object();
            }

            _everyoneHoldsLeft = new Barrier(n);
        }

        internal int Meals => Volatile.Read(ref _meals);

#pragma warning disable OL0003 // dining philosophers: everyone takes the left fork, then the right (a cycle of waits)
        internal void Dine(int seat)
        {
            lock (_forks[seat])
            {
                _everyoneHoldsLeft.SignalAndWait();
                lock (_forks[(seat + 1) % _forks.Length])
                {
                    Interlocked.Increment(ref _meals);
                }
            }
        }
#pragma warning restore OL0003
    }

    private sealed class OrderedTable
    {
        private readonly OrderedLock[] _forks;
        private readonly Barrier _everyoneHoldsLeft;
        private int _meals;

        internal OrderedTable(int n)
        {
            _forks = new OrderedLock[n];
            for (int i = 0; i < n; i++)
            {
                _forks[i] = new OrderedLock($"fork {i}", checking: LockOrderChecking.Strict);
            }

            _everyoneHoldsLeft = new Barrier(n);
        }

        internal int Meals => Volatile.Read(ref _meals);

#pragma warning disable OL0003 // dining philosophers: left fork then right; the last philosopher inverts the order (strict checking raises)
        internal void Dine(int seat)
        {
            using (_forks[seat].Acquire())
            {
                _everyoneHoldsLeft.SignalAndWait();
                using (_forks[(seat + 1) % _forks.Length].Acquire())
                {
                    Interlocked.Increment(ref _meals);
                }
            }
        }
#pragma warning restore OL0003
    }
}
