namespace OrderedLocks.Samples;

/// <summary>Parameters of the deadlock scenario.</summary>
/// <param name="HangTimeout">How long the raw variant may make no progress before it counts as deadlocked.</param>
/// <param name="Rounds">Rounds of AcquireAll per thread in the fixed variant.</param>
/// <param name="Timeout">Upper bound for the variants that must finish.</param>
public sealed record DeadlockOptions(TimeSpan HangTimeout, int Rounds = 20_000, TimeSpan? Timeout = null)
{
    /// <summary>Initializes the defaults: a 1 s hang timeout.</summary>
    public DeadlockOptions()
        : this(TimeSpan.FromSeconds(1))
    {
    }

    internal TimeSpan FinishTimeout => Timeout ?? TimeSpan.FromSeconds(60);
}

/// <summary>
/// The article's thread_1 / thread_2 with x_lock and y_lock taken in opposite orders: raw it
/// deadlocks; strict checking raises in one thread instead; AcquireAll never deadlocks.
/// </summary>
public static class Deadlock
{
    /// <summary>The three variants.</summary>
    public static IReadOnlyList<ScenarioStep> Steps(DeadlockOptions options) => new ScenarioStep[]
    {
        new("Deadlock", "raw lock, x→y / y→x", "deadlock (detected by timeout)", log => DescribeRaw(RunRaw(options, log))),
        new("Deadlock", "OrderedLock, strict", "LockOrderException, no hang", log => DescribeStrict(RunStrict(options, log))),
        new("Deadlock", "AcquireAll", "completes, no deadlock", log => DescribeFixed(RunAcquireAll(options, log))),
    };

    /// <summary>
    /// Raw: two threads take x then y and y then x with <c>lock</c>. A barrier makes both hold
    /// their first lock before asking for the second, so the deadlock happens every time.
    /// </summary>
    public static DeadlockResult RunRaw(DeadlockOptions options, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        var pair = new RawPair(log);
        DateTime start = DateTime.UtcNow;
        ThreadsResult threads = BackgroundThreads.Run(options.HangTimeout, ("thread_1", pair.Thread1), ("thread_2", pair.Thread2));
        if (!threads.Completed)
        {
            log.WriteLine($"  no progress for {options.HangTimeout.TotalSeconds:0.#} s: {string.Join(" and ", threads.Stuck)} are deadlocked (each holds the lock the other wants).");
            log.WriteLine("  They are background threads, so they will not keep this process alive.");
        }

        return new DeadlockResult(Deadlocked: !threads.Completed, Violation: null, Completed: threads.Completed, DateTime.UtcNow - start);
    }

    /// <summary>
    /// Strict: the same program with <see cref="OrderedLock"/>s. thread_2 asks for x_lock while
    /// holding y_lock, which comes later in the global order: it gets a
    /// <see cref="LockOrderException"/> before blocking, releases y_lock, and thread_1 finishes.
    /// </summary>
    public static DeadlockResult RunStrict(DeadlockOptions options, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        var pair = new OrderedPair(log);
        DateTime start = DateTime.UtcNow;
        ThreadsResult threads = BackgroundThreads.Run(options.FinishTimeout, ("thread_1", pair.Thread1), ("thread_2", pair.Thread2));
        LockOrderException? violation = threads.Errors.Select(e => e.Error).OfType<LockOrderException>().FirstOrDefault();
        if (violation is not null)
        {
            string thread = threads.Errors.First(e => e.Error == violation).Thread;
            log.WriteLine($"  {thread} got a LockOrderException before blocking:");
            foreach (string line in violation.Message.Split('\n'))
            {
                log.WriteLine("    " + line.TrimEnd('\r'));
            }
        }

        foreach ((string thread, Exception error) in threads.Errors.Where(e => e.Error is not LockOrderException))
        {
            log.WriteLine($"  {thread} failed unexpectedly: {error}");
        }

        return new DeadlockResult(Deadlocked: !threads.Completed, violation, threads.Completed, DateTime.UtcNow - start);
    }

    /// <summary>
    /// Fixed: both threads take both locks with <see cref="OrderedLock.AcquireAll(OrderedLockBase[])"/>,
    /// passing them in opposite orders; the locks are always taken in the global order.
    /// </summary>
    public static DeadlockResult RunAcquireAll(DeadlockOptions options, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        var xLock = new OrderedLock("x_lock", checking: LockOrderChecking.Strict);
        var yLock = new OrderedLock("y_lock", checking: LockOrderChecking.Strict);
        int counter = 0;
        int rounds = options.Rounds;
        DateTime start = DateTime.UtcNow;
        ThreadsResult threads = BackgroundThreads.Run(
            options.FinishTimeout,
            ("thread_1", () =>
            {
                for (int i = 0; i < rounds; i++)
                {
                    using (OrderedLock.AcquireAll(xLock, yLock))
                    {
                        counter++;
                    }
                }
            }),
            ("thread_2", () =>
            {
                for (int i = 0; i < rounds; i++)
                {
                    using (OrderedLock.AcquireAll(yLock, xLock))
                    {
                        counter++;
                    }
                }
            }));
        log.WriteLine($"  AcquireAll(x_lock, y_lock) and AcquireAll(y_lock, x_lock), {rounds:N0} rounds each: counter = {counter:N0} (expected {2 * rounds:N0}).");
        bool ok = threads.Completed && threads.Errors.Count == 0 && counter == 2 * rounds;
        return new DeadlockResult(Deadlocked: !threads.Completed, null, ok, DateTime.UtcNow - start);
    }

    private static StepResult DescribeRaw(DeadlockResult r) => r.Deadlocked
        ? new StepResult($"deadlock: hung {r.Elapsed.TotalSeconds:0.0} s (threads left in background)", true)
        : new StepResult("completed (a deadlock was expected)", false);

    private static StepResult DescribeStrict(DeadlockResult r) => r switch
    {
        { Deadlocked: true } => new StepResult("hung (expected a LockOrderException)", false),
        { Violation: { } v } => new StepResult($"thread_2: LockOrderException before blocking: {Messages.Excerpt(v)}", r.Completed),
        _ => new StepResult("completed without a LockOrderException (one was expected)", false),
    };

    private static StepResult DescribeFixed(DeadlockResult r) => r.Completed
        ? new StepResult("completed, no deadlock", true)
        : new StepResult(r.Deadlocked ? "hung" : "failed", false);

    // The raw program: lock objects per run, so a hung run never affects the next one.
    private sealed class RawPair(TextWriter log)
    {
        private readonly object _xLock = new();
        private readonly object _yLock = new();
        private readonly Barrier _bothHoldOne = new(2);

#pragma warning disable OL0001 // ABBA deadlock: thread_1 locks x_lock then y_lock, thread_2 y_lock then x_lock
        internal void Thread1()
        {
            lock (_xLock)
            {
                log.WriteLine("  thread_1 holds x_lock, wants y_lock");
                _bothHoldOne.SignalAndWait();
                lock (_yLock)
                {
                    log.WriteLine("  thread_1 holds both");
                }
            }
        }

        internal void Thread2()
        {
            lock (_yLock)
            {
                log.WriteLine("  thread_2 holds y_lock, wants x_lock");
                _bothHoldOne.SignalAndWait();
                lock (_xLock)
                {
                    log.WriteLine("  thread_2 holds both");
                }
            }
        }
#pragma warning restore OL0001
    }

    // The same program with ordered locks: x_lock is created first, so it comes first.
    private sealed class OrderedPair(TextWriter log)
    {
        private readonly OrderedLock _xLock = new("x_lock", checking: LockOrderChecking.Strict);
        private readonly OrderedLock _yLock = new("y_lock", checking: LockOrderChecking.Strict);
        private readonly Barrier _bothHoldOne = new(2);

#pragma warning disable OL0001 // ABBA order: thread_1 takes x_lock then y_lock, thread_2 y_lock then x_lock (strict checking raises)
        internal void Thread1()
        {
            using (_xLock.Acquire())
            {
                log.WriteLine("  thread_1 holds x_lock, wants y_lock");
                _bothHoldOne.SignalAndWait();
                using (_yLock.Acquire())
                {
                    log.WriteLine("  thread_1 holds both");
                }
            }
        }

        internal void Thread2()
        {
            using (_yLock.Acquire())
            {
                log.WriteLine("  thread_2 holds y_lock, wants x_lock");
                _bothHoldOne.SignalAndWait();
                using (_xLock.Acquire())
                {
                    log.WriteLine("  thread_2 holds both");
                }
            }
        }
#pragma warning restore OL0001
    }
}

/// <summary>What a deadlock variant did.</summary>
/// <param name="Deadlocked">Whether the threads hung (detected by the timeout).</param>
/// <param name="Violation">The lock-order exception raised, if any.</param>
/// <param name="Completed">Whether the variant finished as it should.</param>
/// <param name="Elapsed">How long it ran.</param>
public sealed record DeadlockResult(bool Deadlocked, LockOrderException? Violation, bool Completed, TimeSpan Elapsed);
