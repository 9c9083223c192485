using System.Diagnostics.Tracing;

namespace OrderedLocks.Diagnostics;

/// <summary>
/// The library's EventSource, named <c>OrderedLocks</c> (<c>dotnet-trace collect --providers OrderedLocks</c>).
/// Violations, deadlocks and long waits at Warning/Error level; contention start/stop at Verbose,
/// shaped like the runtime's own ContentionStart/ContentionStop events (flags, lock id, owner
/// thread, duration in nanoseconds).
/// </summary>
[EventSource(Name = LockDiagnostics.EventSourceName)]
internal sealed class LockEventSource : EventSource
{
    internal static readonly LockEventSource Log = new();

    private LockEventSource()
    {
    }

    /// <summary>A lock-order violation was reported (the same as <see cref="LockOrderPolicy.ViolationReported"/>).</summary>
    [Event(1, Level = EventLevel.Warning, Keywords = Keywords.Violations, Message = "{2}")]
    public void LockOrderViolation(string Kind, string LockName, string Text) =>
        WriteEvent(1, Kind, LockName, Text);

    /// <summary>A wait-for cycle (deadlock) was found.</summary>
    [Event(2, Level = EventLevel.Error, Keywords = Keywords.Deadlocks, Message = "{1}")]
    public void DeadlockDetected(int Participants, string Summary, string Report) =>
        WriteEvent(2, new EventSourcePrimitive[] { Participants, Summary, Report });

    /// <summary>A wait lasted longer than a watchdog's threshold.</summary>
    [Event(3, Level = EventLevel.Warning, Keywords = Keywords.LongWaits, Message = "{0} waited {2} ms for '{1}'")]
    public void LongWait(string Waiter, string LockName, double WaitMs, string HeldBy, string WaitStack, string HolderStack) =>
        WriteEvent(3, new EventSourcePrimitive[] { Waiter, LockName, WaitMs, HeldBy, WaitStack, HolderStack });

    /// <summary>A contended wait began. Flags: 0 a blocked thread, 1 an async flow.</summary>
    [Event(4, Level = EventLevel.Verbose, Keywords = Keywords.Contention)]
    public void ContentionStart(byte Flags, int LockId, string LockName, int LockOwnerThreadId) =>
        WriteEvent(4, new EventSourcePrimitive[] { Flags, LockId, LockName, LockOwnerThreadId });

    /// <summary>A contended wait ended: Outcome is Acquired, TimedOut, Canceled, FailedByWatchdog or Faulted.</summary>
    [Event(5, Level = EventLevel.Verbose, Keywords = Keywords.Contention)]
    public void ContentionStop(byte Flags, int LockId, string LockName, double DurationNs, string Outcome) =>
        WriteEvent(5, new EventSourcePrimitive[] { Flags, LockId, LockName, DurationNs, Outcome });

    /// <summary>Event keywords.</summary>
    public static class Keywords
    {
        /// <summary>Contention start/stop (Verbose).</summary>
        public const EventKeywords Contention = (EventKeywords)1;

        /// <summary>Lock-order violations.</summary>
        public const EventKeywords Violations = (EventKeywords)2;

        /// <summary>Deadlocks found.</summary>
        public const EventKeywords Deadlocks = (EventKeywords)4;

        /// <summary>Waits longer than a watchdog's threshold.</summary>
        public const EventKeywords LongWaits = (EventKeywords)8;
    }
}
