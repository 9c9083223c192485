using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;

namespace OrderedLocks.Diagnostics;

/// <summary>
/// The library's Meter (<c>OrderedLocks</c>) and the calls that feed it and the EventSource. Each
/// instrument is recorded only while a listener is subscribed to it (<c>Instrument.Enabled</c>).
/// </summary>
internal static class LockTelemetry
{
    private static readonly Meter s_meter = new(LockDiagnostics.MeterName, typeof(LockTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Contentions = s_meter.CreateCounter<long>(
        "orderedlocks.lock.contentions", "{wait}", "Acquisitions that found the lock held and waited for it.");

    internal static readonly Histogram<double> WaitDuration = s_meter.CreateHistogram<double>(
        "orderedlocks.lock.wait.duration", "s", "How long contended acquisitions waited, whatever their outcome.");

    internal static readonly Histogram<double> HoldDuration = s_meter.CreateHistogram<double>(
        "orderedlocks.lock.hold.duration", "s", "How long holds lasted (OrderedLock, with LockDiagnostics.CaptureStacks on).");

    internal static readonly Counter<long> Timeouts = s_meter.CreateCounter<long>(
        "orderedlocks.lock.timeouts", "{wait}", "Contended acquisitions that gave up after their timeout.");

    internal static readonly Counter<long> Cancellations = s_meter.CreateCounter<long>(
        "orderedlocks.lock.cancellations", "{wait}", "Contended acquisitions cancelled by their token (or failed by a watchdog).");

    internal static readonly Counter<long> Violations = s_meter.CreateCounter<long>(
        "orderedlocks.lock.order_violations", "{violation}", "Lock-order violations reported, by kind.");

    internal static readonly Counter<long> Deadlocks = s_meter.CreateCounter<long>(
        "orderedlocks.lock.deadlocks", "{cycle}", "Wait-for cycles found by a watchdog (each cycle counted once).");

    internal static readonly Counter<long> LongWaits = s_meter.CreateCounter<long>(
        "orderedlocks.lock.long_waits", "{wait}", "Waits longer than a watchdog's threshold (each wait counted once).");

    internal static void OnWaitStart(WaitRecord record)
    {
        if (Contentions.Enabled)
        {
            Contentions.Add(1, Tags(record));
        }

        LockEventSource log = LockEventSource.Log;
        if (log.IsEnabled(EventLevel.Verbose, LockEventSource.Keywords.Contention))
        {
            log.ContentionStart(record.IsAsync ? (byte)1 : (byte)0, record.Lock.Id, record.Lock.Name, record.Lock.OwnerThreadIdForDiagnostics);
        }
    }

    internal static void OnWaitStop(WaitRecord record, WaitOutcome outcome, TimeSpan elapsed)
    {
        if (WaitDuration.Enabled)
        {
            WaitDuration.Record(elapsed.TotalSeconds, Tags(record));
        }

        if (outcome == WaitOutcome.TimedOut && Timeouts.Enabled)
        {
            Timeouts.Add(1, Tags(record));
        }
        else if (outcome is WaitOutcome.Canceled or WaitOutcome.FailedByWatchdog && Cancellations.Enabled)
        {
            Cancellations.Add(1, Tags(record));
        }

        LockEventSource log = LockEventSource.Log;
        if (log.IsEnabled(EventLevel.Verbose, LockEventSource.Keywords.Contention))
        {
            log.ContentionStop(record.IsAsync ? (byte)1 : (byte)0, record.Lock.Id, record.Lock.Name, elapsed.TotalMilliseconds * 1_000_000, outcome.ToString());
        }
    }

    internal static void OnHoldEnd(OrderedLockBase lockObject, long startTimestamp)
    {
        if (HoldDuration.Enabled)
        {
            HoldDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, LockTags(lockObject, null));
        }
    }

    internal static void OnViolation(LockOrderViolation violation)
    {
        if (Violations.Enabled)
        {
            var tags = new TagList { { "orderedlocks.violation.kind", violation.Kind.ToString() } };
            if (LockDiagnostics.s_tagLockNames)
            {
                tags.Add("orderedlocks.lock.name", violation.Acquiring.Name);
            }

            Violations.Add(1, tags);
        }

        LockEventSource log = LockEventSource.Log;
        if (log.IsEnabled(EventLevel.Warning, LockEventSource.Keywords.Violations))
        {
            log.LockOrderViolation(violation.Kind.ToString(), violation.Acquiring.Name, violation.Message);
        }
    }

    internal static void OnDeadlock(LockWaitCycle cycle)
    {
        if (Deadlocks.Enabled)
        {
            Deadlocks.Add(1);
        }

        LockEventSource log = LockEventSource.Log;
        if (log.IsEnabled(EventLevel.Error, LockEventSource.Keywords.Deadlocks))
        {
            log.DeadlockDetected(cycle.Participants.Count, cycle.Summary, cycle.ToReport());
        }
    }

    internal static void OnLongWait(LockWaiter waiter)
    {
        if (LongWaits.Enabled)
        {
            var tags = new TagList { { "orderedlocks.wait.kind", waiter.Kind == LockWaiterKind.AsyncFlow ? "async" : "sync" } };
            if (LockDiagnostics.s_tagLockNames)
            {
                tags.Add("orderedlocks.lock.name", waiter.WaitingFor.Name);
            }

            LongWaits.Add(1, tags);
        }

        LockEventSource log = LockEventSource.Log;
        if (log.IsEnabled(EventLevel.Warning, LockEventSource.Keywords.LongWaits))
        {
            log.LongWait(waiter.Name, waiter.WaitingFor.Name, waiter.Elapsed.TotalMilliseconds, waiter.HeldBy ?? string.Empty, waiter.WaitStack ?? string.Empty, waiter.HolderStack ?? string.Empty);
        }
    }

    private static TagList Tags(WaitRecord record) => LockTags(record.Lock, record.IsAsync ? "async" : "sync");

    private static TagList LockTags(OrderedLockBase lockObject, string? waitKind)
    {
        var tags = default(TagList);
        if (waitKind is not null)
        {
            tags.Add("orderedlocks.wait.kind", waitKind);
        }

        if (LockDiagnostics.s_tagLockNames)
        {
            tags.Add("orderedlocks.lock.name", lockObject.Name);
        }

        return tags;
    }
}
