using System.Runtime.CompilerServices;

namespace OrderedLocks.Diagnostics;

/// <summary>
/// Who waits for whom, on demand: every contended wait for an ordered lock in progress
/// (<see cref="GetWaitSnapshot"/>) and the wait-for cycles among them (<see cref="FindDeadlocks"/>),
/// for threads and async flows alike, plus the switches of the library's diagnostics (stack
/// capture, metric tags). The Meter and EventSource are named <see cref="MeterName"/> and
/// <see cref="EventSourceName"/>; a <see cref="LockWatchdog"/> watches continuously.
/// </summary>
/// <remarks>
/// Only contended waits are recorded (an acquisition that finds its lock free costs nothing extra);
/// a waiter's synchronous holds are always known (by owner thread), its asynchronous holds while
/// checking is on, or with <see cref="CaptureStacks"/> or a watchdog on (then asynchronous holds are
/// tracked also with <see cref="LockOrderChecking.Off"/>). An async hold inherited by a forked
/// task counts as held by the fork too, as in the library's order checks.
/// </remarks>
public static class LockDiagnostics
{
    /// <summary>The name of the library's <see cref="System.Diagnostics.Metrics.Meter"/>: <c>OrderedLocks</c>.</summary>
    public const string MeterName = "OrderedLocks";

    /// <summary>The name of the library's EventSource: <c>OrderedLocks</c>.</summary>
    public const string EventSourceName = "OrderedLocks";

    // Hook flags read by the locks (one static volatile read each, only where documented).
    internal static volatile bool s_trackWaits = true;
    internal static volatile bool s_captureStacks;
    internal static volatile bool s_trackHolds;
    internal static volatile bool s_failWaiters;
    internal static volatile bool s_detectOnWait;
    internal static volatile bool s_tagLockNames;

    private static readonly object s_settingsGate = new();
    private static bool s_captureRequested;
    private static int s_watchdogs;
    private static int s_failingWatchdogs;
    private static Action<LockWaitCycle>? s_detectedOnWait;

    /// <summary>
    /// Gets or sets whether contended waits are recorded for <see cref="GetWaitSnapshot"/>,
    /// <see cref="FindDeadlocks"/>, watchdogs, metrics and events. Default: on. It costs a
    /// few allocations and a compare-and-swap per contended wait, nothing when a lock is free.
    /// </summary>
    public static bool TrackWaits
    {
        get => s_trackWaits;
        set => s_trackWaits = value;
    }

    /// <summary>
    /// Gets or sets whether stacks are captured: where each contended wait began, and where each
    /// hold was acquired (so reports show the holder's stack). Also tracks asynchronous holds with
    /// checking off, and measures hold time (<c>orderedlocks.lock.hold.duration</c>, OrderedLock).
    /// Costs a stack capture per acquisition (microseconds): for diagnosing, not for production
    /// hot paths. Default: off.
    /// </summary>
    public static bool CaptureStacks
    {
        get => s_captureStacks;
        set
        {
            lock (s_settingsGate)
            {
                s_captureRequested = value;
                s_captureStacks = value;
                UpdateFlags();
            }
        }
    }

    /// <summary>
    /// Gets or sets whether metrics carry the lock's name as the tag <c>orderedlocks.lock.name</c>.
    /// Default: off (one time series per lock name can be many).
    /// </summary>
    public static bool TagMetricsWithLockNames
    {
        get => s_tagLockNames;
        set => s_tagLockNames = value;
    }

    /// <summary>
    /// Gets or sets whether every contended wait looks, as it begins, for a wait-for cycle through
    /// itself (the last wait of a deadlock closes its cycle). A found cycle is kept in
    /// <see cref="LastDetectedDeadlock"/> and raised as <see cref="DeadlockDetectedOnWait"/>.
    /// Meant for tests and Microsoft Coyote campaigns (no timer needed); costs a wait-for search
    /// per contended wait, and tracks holds with checking off as <see cref="CaptureStacks"/> does. Default: off.
    /// </summary>
    public static bool DetectDeadlocksOnWait
    {
        get => s_detectOnWait;
        set
        {
            lock (s_settingsGate)
            {
                s_detectOnWait = value;
                UpdateFlags();
            }
        }
    }

    /// <summary>Gets the last cycle found with <see cref="DetectDeadlocksOnWait"/> on, or null.</summary>
    public static LockWaitCycle? LastDetectedDeadlock => WaitRegistry.LastDetected;

    /// <summary>
    /// Raised on the waiting thread when a wait that begins closes a wait-for cycle (with
    /// <see cref="DetectDeadlocksOnWait"/> on). Handlers must not acquire ordered locks; their
    /// exceptions are swallowed.
    /// </summary>
    public static event Action<LockWaitCycle>? DeadlockDetectedOnWait
    {
        add
        {
            lock (s_settingsGate)
            {
                s_detectedOnWait += value;
            }
        }

        remove
        {
            lock (s_settingsGate)
            {
                s_detectedOnWait -= value;
            }
        }
    }

    /// <summary>Gets the number of contended waits in progress.</summary>
    public static int WaitCount => WaitRegistry.Count;

    /// <summary>
    /// Lists every contended wait for an ordered lock in progress (OrderedLock, ReentrantOrderedLock,
    /// OrderedFileLock, and a condition's re-acquisition after its wait), with the wait-for cycles
    /// among them.
    /// </summary>
    /// <returns>The snapshot; it may be stale as soon as it returns (cycles in it were re-checked once).</returns>
    public static LockWaitSnapshot GetWaitSnapshot()
    {
        WaitForGraph graph = WaitForGraph.Build(WaitRegistry.Live());
        return new LockWaitSnapshot(DateTimeOffset.UtcNow, graph.Waiters, graph.FindCycles());
    }

    /// <summary>
    /// Finds every wait-for cycle among the contended waits in progress: threads and async flows,
    /// each waiting for a lock the next one holds. A cycle is returned only if it was still there
    /// when re-checked after it was read, so it is never an artefact of waits that moved on.
    /// </summary>
    /// <returns>The cycles, each starting with its oldest wait; empty when there is none.</returns>
    public static IReadOnlyList<LockWaitCycle> FindDeadlocks() => WaitForGraph.Build(WaitRegistry.Live()).FindCycles();

    /// <summary>
    /// Forgets every recorded wait and <see cref="LastDetectedDeadlock"/>, and restarts the flow
    /// numbering. For test harnesses between iterations (a Coyote iteration that ends in a deadlock
    /// leaves its waits behind); waits in progress go on but are no longer listed.
    /// </summary>
    public static void ResetWaits() => WaitRegistry.Clear();

    // Hook from LockOrderPolicy.Report: every reported violation.
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void OnViolation(LockOrderViolation violation) => LockTelemetry.OnViolation(violation);

    // Hook from OrderedLock's release when capture is on: hold time.
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void OnRelease(OrderedLockBase lockObject, int token)
    {
        HoldCapture? capture = lockObject.CurrentHoldCapture;
        if (capture is not null && capture.Token == token)
        {
            LockTelemetry.OnHoldEnd(lockObject, capture.Timestamp);
        }
    }

    internal static void RaiseDetectedOnWait(LockWaitCycle cycle)
    {
        Action<LockWaitCycle>? handlers = Volatile.Read(ref s_detectedOnWait);
        if (handlers is null)
        {
            return;
        }

        foreach (Action<LockWaitCycle> handler in handlers.GetInvocationList())
        {
            try
            {
                handler(cycle);
            }
            catch (Exception)
            {
                // Reporting never changes what the acquisition does.
            }
        }
    }

    internal static void WatchdogStarted(bool failsWaiters)
    {
        lock (s_settingsGate)
        {
            s_watchdogs++;
            s_failingWatchdogs += failsWaiters ? 1 : 0;
            UpdateFlags();
        }
    }

    internal static void WatchdogStopped(bool failsWaiters)
    {
        lock (s_settingsGate)
        {
            s_watchdogs--;
            s_failingWatchdogs -= failsWaiters ? 1 : 0;
            UpdateFlags();
        }
    }

    private static void UpdateFlags()
    {
        s_trackHolds = s_captureRequested || s_watchdogs > 0 || s_detectOnWait;
        s_failWaiters = s_failingWatchdogs > 0;
    }
}
