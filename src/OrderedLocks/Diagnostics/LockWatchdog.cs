using System.Text;

namespace OrderedLocks.Diagnostics;

/// <summary>What a <see cref="LockWatchdog"/> does besides reporting.</summary>
public enum LockWatchdogAction
{
    /// <summary>Report only (events, EventSource, metrics); the waits go on.</summary>
    Report = 0,

    /// <summary>
    /// Report, then throw <see cref="LockDeadlockException"/> into a waiter: for a deadlock the
    /// youngest wait of the cycle (which breaks it), for a long wait that waiter. Applies to waits
    /// that began while a watchdog with this action was running.
    /// </summary>
    FailWaiter = 1,
}

/// <summary>Settings of a <see cref="LockWatchdog"/>.</summary>
public sealed class LockWatchdogOptions
{
    private TimeSpan _interval = TimeSpan.FromSeconds(1);
    private TimeSpan? _longWaitThreshold = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how often a started watchdog checks. Default: 1 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TimeSpan Interval
    {
        get => _interval;
        set => _interval = value > TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The watchdog interval must be positive (for example TimeSpan.FromSeconds(1)).");
    }

    /// <summary>Gets or sets the wait above which a wait is reported once as long; null: never. Default: 10 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public TimeSpan? LongWaitThreshold
    {
        get => _longWaitThreshold;
        set => _longWaitThreshold = value is null || value >= TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The long-wait threshold must not be negative; use null to report no long waits.");
    }

    /// <summary>Gets or sets what a found deadlock does. Default: <see cref="LockWatchdogAction.Report"/>.</summary>
    public LockWatchdogAction OnDeadlock { get; set; }

    /// <summary>Gets or sets what a long wait does. Default: <see cref="LockWatchdogAction.Report"/>.</summary>
    public LockWatchdogAction OnLongWait { get; set; }
}

/// <summary>A deadlock found by a <see cref="LockWatchdog"/>.</summary>
public sealed class LockDeadlockEventArgs : EventArgs
{
    internal LockDeadlockEventArgs(LockWaitCycle cycle, LockWaiter? failed)
    {
        Cycle = cycle;
        FailedWaiter = failed;
    }

    /// <summary>Gets the cycle; <see cref="LockWaitCycle.ToReport"/> has both stacks of every participant (when captured).</summary>
    public LockWaitCycle Cycle { get; }

    /// <summary>Gets the waiter that was failed to break the cycle, or null (report only).</summary>
    public LockWaiter? FailedWaiter { get; }
}

/// <summary>A wait longer than a <see cref="LockWatchdog"/>'s threshold.</summary>
public sealed class LockLongWaitEventArgs : EventArgs
{
    internal LockLongWaitEventArgs(LockWaiter waiter, bool failed)
    {
        Waiter = waiter;
        Failed = failed;
    }

    /// <summary>Gets the wait, with the waiter's and the holder's stacks when captured.</summary>
    public LockWaiter Waiter { get; }

    /// <summary>Gets whether the wait was failed with <see cref="LockDeadlockException"/>.</summary>
    public bool Failed { get; }
}

/// <summary>What one <see cref="LockWatchdog.Check"/> found for the first time.</summary>
public sealed class LockWatchdogReport
{
    internal LockWatchdogReport(IReadOnlyList<LockWaitCycle> deadlocks, IReadOnlyList<LockWaiter> longWaits)
    {
        NewDeadlocks = deadlocks;
        NewLongWaits = longWaits;
    }

    /// <summary>Gets the cycles not reported by this watchdog before.</summary>
    public IReadOnlyList<LockWaitCycle> NewDeadlocks { get; }

    /// <summary>Gets the waits that crossed the threshold since the last check.</summary>
    public IReadOnlyList<LockWaiter> NewLongWaits { get; }
}

/// <summary>
/// Watches the contended waits of every ordered lock: reports each new wait-for cycle once and
/// each wait longer than a threshold once, to <see cref="DeadlockDetected"/> /
/// <see cref="LongWaitDetected"/>, the <c>OrderedLocks</c> EventSource and Meter, and optionally
/// fails a waiter (<see cref="LockWatchdogAction.FailWaiter"/>).
/// </summary>
/// <remarks>
/// <see cref="Start"/> checks on a timer thread every <see cref="LockWatchdogOptions.Interval"/>; the
/// constructor makes a watchdog that checks only when <see cref="Check"/> is called (use that under
/// Microsoft Coyote, which cannot control timers). While any watchdog exists, asynchronous holds
/// are tracked also with checking off (an AsyncLocal write per asynchronous acquisition).
/// A check costs a walk over the waits in progress (none when nothing waits).
/// </remarks>
public sealed class LockWatchdog : IDisposable
{
    private readonly object _gate = new();
    private readonly HashSet<string> _reportedCycles = new();
    private readonly HashSet<long> _reportedLongWaits = new();
    private readonly bool _failsWaiters;
    private Timer? _timer;
    private int _disposed;

    /// <summary>Initializes a watchdog that checks when <see cref="Check"/> is called (no timer).</summary>
    /// <param name="options">The settings; null for the defaults.</param>
    public LockWatchdog(LockWatchdogOptions? options = null)
    {
        Options = options ?? new LockWatchdogOptions();
        _failsWaiters = Options.OnDeadlock == LockWatchdogAction.FailWaiter || Options.OnLongWait == LockWatchdogAction.FailWaiter;
        LockDiagnostics.WatchdogStarted(_failsWaiters);
    }

    /// <summary>Raised once for each new wait-for cycle (on the checking thread). Exceptions from handlers are swallowed.</summary>
    public event EventHandler<LockDeadlockEventArgs>? DeadlockDetected;

    /// <summary>Raised once for each wait longer than the threshold (on the checking thread). Exceptions from handlers are swallowed.</summary>
    public event EventHandler<LockLongWaitEventArgs>? LongWaitDetected;

    /// <summary>Gets the settings (read when the watchdog was created; later changes to the interval are ignored).</summary>
    public LockWatchdogOptions Options { get; }

    /// <summary>Gets the number of checks run so far.</summary>
    public int CheckCount { get; private set; }

    /// <summary>Starts a watchdog that checks every <see cref="LockWatchdogOptions.Interval"/> until disposed.</summary>
    /// <param name="options">The settings; null for the defaults.</param>
    /// <returns>The running watchdog; dispose it to stop.</returns>
    public static LockWatchdog Start(LockWatchdogOptions? options = null)
    {
        var watchdog = new LockWatchdog(options);
        TimeSpan interval = watchdog.Options.Interval;
        watchdog._timer = new Timer(static state => ((LockWatchdog)state!).Tick(), watchdog, interval, interval);
        return watchdog;
    }

    /// <summary>Checks once now: reports and returns what is new since the last check.</summary>
    /// <returns>The new deadlocks and long waits.</returns>
    /// <exception cref="ObjectDisposedException">The watchdog was disposed.</exception>
    public LockWatchdogReport Check()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(LockWatchdog));
        }

        lock (_gate)
        {
            return CheckLocked();
        }
    }

    /// <summary>Stops the timer (if started) and the watchdog's effect on tracking.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _timer?.Dispose();
        LockDiagnostics.WatchdogStopped(_failsWaiters);
    }

    private void Tick()
    {
        // A slow check (many waiters) must not pile up timer callbacks.
        if (Volatile.Read(ref _disposed) != 0 || !Monitor.TryEnter(_gate))
        {
            return;
        }

        try
        {
            CheckLocked();
        }
        catch (Exception)
        {
            // A watchdog must never take the process down; the next tick tries again.
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    private LockWatchdogReport CheckLocked()
    {
        CheckCount++;
        List<WaitRecord> records = WaitRegistry.Live();
        WaitForGraph graph = WaitForGraph.Build(records);
        var live = new HashSet<long>(graph.Waiters.Select(w => w.WaitId));
        _reportedLongWaits.RemoveWhere(id => !live.Contains(id));
        _reportedCycles.RemoveWhere(key => key.Split(',').Any(id => !live.Contains(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture))));

        var newCycles = new List<LockWaitCycle>();
        foreach (LockWaitCycle cycle in graph.FindCycles())
        {
            if (!_reportedCycles.Add(cycle.Key))
            {
                continue;
            }

            newCycles.Add(cycle);
            LockWaiter? failed = null;
            if (Options.OnDeadlock == LockWatchdogAction.FailWaiter)
            {
                failed = FailVictim(records, cycle);
            }

            LockTelemetry.OnDeadlock(cycle);
            Raise(DeadlockDetected, new LockDeadlockEventArgs(cycle, failed));
        }

        var newLong = new List<LockWaiter>();
        if (Options.LongWaitThreshold is { } threshold)
        {
            foreach (LockWaiter waiter in graph.Waiters)
            {
                if (waiter.Elapsed < threshold || !_reportedLongWaits.Add(waiter.WaitId))
                {
                    continue;
                }

                newLong.Add(waiter);
                bool failed = Options.OnLongWait == LockWatchdogAction.FailWaiter && TryFail(records, waiter, null, LongWaitMessage(waiter, threshold));
                LockTelemetry.OnLongWait(waiter);
                Raise(LongWaitDetected, new LockLongWaitEventArgs(waiter, failed));
            }
        }

        return new LockWatchdogReport(newCycles, newLong);
    }

    // The youngest wait of the cycle is failed: it has waited least, like a database's victim.
    private static LockWaiter? FailVictim(List<WaitRecord> records, LockWaitCycle cycle)
    {
        foreach (LockWaiter candidate in cycle.Participants.OrderByDescending(p => p.WaitId))
        {
            string message = $"Deadlock broken by the lock watchdog: {cycle.Summary}. This wait ({candidate.Name} for '{candidate.WaitingFor.Name}') was failed so that the others can go on; it holds what it held before. To fix: take these locks in one order (OrderedLock.AcquireAll, ranks, or Learned checking to find the inconsistent site).{Environment.NewLine}{cycle.ToReport()}";
            if (TryFail(records, candidate, cycle, message))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool TryFail(List<WaitRecord> records, LockWaiter waiter, LockWaitCycle? cycle, string message)
    {
        WaitRecord? record = records.Find(r => r.Id == waiter.WaitId);
        return record is not null && WaitRegistry.TryFail(record, new LockDeadlockException(message, cycle, waiter));
    }

    private static string LongWaitMessage(LockWaiter waiter, TimeSpan threshold)
    {
        var text = new StringBuilder();
        text.Append("Long wait failed by the lock watchdog: ").Append(waiter).Append(" (threshold ").Append(threshold).AppendLine(").");
        if (waiter.WaitStack is not null)
        {
            text.AppendLine("Waiting at:");
            LockWaitCycle.AppendIndented(text, waiter.WaitStack);
        }

        if (waiter.HolderStack is not null)
        {
            text.AppendLine("Holder acquired at:");
            LockWaitCycle.AppendIndented(text, waiter.HolderStack);
        }

        return text.ToString();
    }

    private void Raise<T>(EventHandler<T>? handlers, T args)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (EventHandler<T> handler in handlers.GetInvocationList().Cast<EventHandler<T>>())
        {
            try
            {
                handler(this, args);
            }
            catch (Exception)
            {
                // A faulty handler must not stop the watchdog.
            }
        }
    }
}
