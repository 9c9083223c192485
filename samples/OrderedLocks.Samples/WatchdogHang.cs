using OrderedLocks.Diagnostics;

namespace OrderedLocks.Samples;

/// <summary>Parameters of the watchdog scenario.</summary>
/// <param name="Interval">The watchdog's check interval.</param>
/// <param name="Timeout">Upper bound for the whole step (the watchdog breaks the hang long before).</param>
public sealed record WatchdogOptions(TimeSpan Interval, TimeSpan Timeout)
{
    /// <summary>Initializes the defaults: a 500 ms interval, a 30 s bound.</summary>
    public WatchdogOptions()
        : this(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30))
    {
    }
}

/// <summary>
/// The article's thread_1 / thread_2 deadlock with checking Off (nothing stops the wrong order):
/// it hangs, and a <see cref="LockWatchdog"/> finds the hang at its first check after it formed,
/// reports who holds and waits for what with both stacks, and fails one waiter to end it.
/// </summary>
public static class WatchdogHang
{
    /// <summary>The step (the demo shows it as a Deadlock row).</summary>
    public static IReadOnlyList<ScenarioStep> Steps(WatchdogOptions options) => new ScenarioStep[]
    {
        new("Deadlock", "OrderedLock, checking Off + watchdog", "hang found within one interval, both stacks", log => Run(options, log)),
    };

    /// <summary>Runs the hang under a watchdog.</summary>
    public static StepResult Run(WatchdogOptions options, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        bool capture = LockDiagnostics.CaptureStacks;
        bool onWait = LockDiagnostics.DetectDeadlocksOnWait;
        LockDiagnostics.CaptureStacks = true;        // both stacks in the report
        LockDiagnostics.DetectDeadlocksOnWait = true; // only to note the moment the hang forms
        var xLock = new OrderedLock("x_lock", checking: LockOrderChecking.Off);
        var yLock = new OrderedLock("y_lock", checking: LockOrderChecking.Off);
        int formedAtCheck = -1;
        DateTime formedAt = default;
        LockDeadlockEventArgs? found = null;
        int foundAtCheck = -1;
        DateTime foundAt = default;
        using var reported = new ManualResetEventSlim();
        using LockWatchdog watchdog = LockWatchdog.Start(new LockWatchdogOptions
        {
            Interval = options.Interval,
            LongWaitThreshold = null,
            OnDeadlock = LockWatchdogAction.FailWaiter,
        });
        Action<LockWaitCycle> formed = c =>
        {
            if (c.Participants.Any(p => p.WaitingFor.Id == xLock.Id) && Interlocked.CompareExchange(ref formedAtCheck, watchdog.CheckCount, -1) == -1)
            {
                formedAt = DateTime.UtcNow;
            }
        };
        LockDiagnostics.DeadlockDetectedOnWait += formed;
        watchdog.DeadlockDetected += (_, e) =>
        {
            if (e.Cycle.Participants.Any(p => p.WaitingFor.Id == xLock.Id))
            {
                foundAtCheck = watchdog.CheckCount;
                foundAt = DateTime.UtcNow;
                found = e;
                reported.Set();
            }
        };

        try
        {
            var bothHoldOne = new Barrier(2);
            ThreadsResult threads = BackgroundThreads.Run(
                options.Timeout,
                ("thread_1", () => Nested(xLock, yLock, bothHoldOne, log, "thread_1")),
                ("thread_2", () => Nested(yLock, xLock, bothHoldOne, log, "thread_2")));
            // The watchdog fails the waiter before it raises DeadlockDetected, so the threads may
            // finish before the handler has run on the watchdog's thread: wait for the report.
            if (!reported.Wait(options.Timeout) || found is null)
            {
                return new StepResult("no deadlock reported by the watchdog", false);
            }

            log.WriteLine($"  The watchdog (interval {options.Interval.TotalMilliseconds:0} ms) reported, {(foundAt - formedAt).TotalMilliseconds:0} ms after the hang formed:");
            foreach (string line in found.Cycle.ToReport().Split('\n'))
            {
                log.WriteLine("    " + line.TrimEnd('\r'));
            }

            Exception? failure = threads.Errors.Select(e => e.Error).FirstOrDefault();
            string victim = threads.Errors.Select(e => e.Thread).FirstOrDefault() ?? "nobody";
            log.WriteLine($"  {victim} got {failure?.GetType().Name ?? "no exception"}; the other thread then finished.");
            bool bothStacks = found.Cycle.Participants.All(p => p.WaitStack is not null && p.HolderStack is not null);
            int checks = foundAtCheck - formedAtCheck;
            bool ok = threads.Completed && failure is LockDeadlockException && bothStacks && formedAtCheck >= 0 && checks <= 1;
            string when = checks <= 1 ? "at the first check after it formed" : $"{checks} checks after it formed";
            return new StepResult($"hang found {when} ({(foundAt - formedAt).TotalMilliseconds:0} ms, interval {options.Interval.TotalMilliseconds:0} ms): {found.Cycle.Summary}; both stacks; {victim} failed to end it", ok);
        }
        finally
        {
            LockDiagnostics.DeadlockDetectedOnWait -= formed;
            LockDiagnostics.CaptureStacks = capture;
            LockDiagnostics.DetectDeadlocksOnWait = onWait;
        }
    }

#pragma warning disable OL0001 // ABBA on purpose: thread_1 nests x_lock then y_lock, thread_2 the reverse (checking off); the analyzer binds the two parameters to the caller's locals
    private static void Nested(OrderedLock first, OrderedLock second, Barrier bothHoldOne, TextWriter log, string name)
    {
        using (first.Acquire())
        {
            log.WriteLine($"  {name} holds {first.Name}, wants {second.Name}");
            bothHoldOne.SignalAndWait();
            using (second.Acquire())
            {
                log.WriteLine($"  {name} holds both");
            }
        }
    }
#pragma warning restore OL0001
}
