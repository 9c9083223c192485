using System.Diagnostics;

namespace OrderedLocks.Diagnostics;

/// <summary>
/// Every contended wait in progress, process-wide: an intrusive list under one leaf gate (a
/// Monitor, so Microsoft Coyote sees it). Nothing is acquired while holding the gate.
/// </summary>
internal static class WaitRegistry
{
    private static readonly object s_gate = new();
    private static WaitRecord? s_head;
    private static int s_count;
    private static long s_lastId;
    private static long s_lastLinkNumber;
    private static int s_lastFlowNumber;

    // The last cycle found by an on-wait check (LockDiagnostics.DetectDeadlocksOnWait).
    private static LockWaitCycle? s_lastDetected;

    internal static int Count => Volatile.Read(ref s_count);

    internal static LockWaitCycle? LastDetected => Volatile.Read(ref s_lastDetected);

    internal static WaitRecord Enter(OrderedLockBase lockObject, bool isAsync, CancellationToken cancellationToken)
    {
        long id = Interlocked.Increment(ref s_lastId);
        int flow = isAsync ? Interlocked.Increment(ref s_lastFlowNumber) : 0;
        var record = new WaitRecord(id, lockObject, isAsync, flow) { WaitToken = cancellationToken };
        if (LockDiagnostics.s_failWaiters)
        {
            record.FailSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            record.WaitToken = record.FailSource.Token;
        }

        lock (s_gate)
        {
            record.Next = s_head;
            if (s_head is not null)
            {
                s_head.Previous = record;
            }

            s_head = record;
            record.Live = true;
            record.LinkNumber = ++s_lastLinkNumber;
            s_count++;
        }

        LockTelemetry.OnWaitStart(record);
        if (LockDiagnostics.s_detectOnWait)
        {
            DetectThrough(record);
        }

        return record;
    }

    internal static void Exit(WaitRecord record, WaitOutcome outcome)
    {
        lock (s_gate)
        {
            if (record.Live)
            {
                Unlink(record);
            }
        }

        record.FailSource?.Dispose();
        LockTelemetry.OnWaitStop(record, outcome, Stopwatch.GetElapsedTime(record.StartTimestamp));
    }

    /// <summary>Forgets every record (for test harnesses between iterations); waits in progress go on unlisted.</summary>
    internal static void Clear()
    {
        lock (s_gate)
        {
            while (s_head is not null)
            {
                Unlink(s_head);
            }

            s_lastFlowNumber = 0;
            s_lastDetected = null;
        }
    }

    /// <summary>Copies the live records, oldest first.</summary>
    internal static List<WaitRecord> Live()
    {
        var result = new List<WaitRecord>();
        lock (s_gate)
        {
            for (WaitRecord? r = s_head; r is not null; r = r.Next)
            {
                result.Add(r);
            }
        }

        result.Reverse();
        return result;
    }

    internal static bool IsLive(WaitRecord record)
    {
        lock (s_gate)
        {
            return record.Live;
        }
    }

    /// <summary>Fails a waiter with <paramref name="failure"/>; false when the wait is over or cannot be failed.</summary>
    internal static bool TryFail(WaitRecord record, Exception failure)
    {
        CancellationTokenSource? source;
        lock (s_gate)
        {
            if (!record.Live || record.FailSource is null || record.Failure is not null)
            {
                return false;
            }

            record.Failure = failure;
            source = record.FailSource;
        }

        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return false; // the wait ended meanwhile
        }

        return true;
    }

    private static void Unlink(WaitRecord record)
    {
        if (record.Previous is null)
        {
            s_head = record.Next;
        }
        else
        {
            record.Previous.Next = record.Next;
        }

        if (record.Next is not null)
        {
            record.Next.Previous = record.Previous;
        }

        record.Previous = null;
        record.Next = null;
        record.Live = false;
        s_count--;
    }

    // Looks for a cycle through a wait that just began (the last wait of a deadlock closes it).
    // A cycle is reported by the wait of it linked last: that wait's snapshot, taken after its
    // link, holds every other wait of the cycle. When the waits of a cycle begin at the same
    // moment, the earlier ones may see the cycle too; they leave it to the last, so one deadlock
    // is reported once.
    private static void DetectThrough(WaitRecord record)
    {
        List<WaitRecord> records = Live();
        WaitForGraph graph = WaitForGraph.Build(records);
        foreach (LockWaitCycle cycle in graph.FindCycles())
        {
            bool through = false;
            bool linkedLast = true;
            foreach (LockWaiter participant in cycle.Participants)
            {
                through |= participant.WaitId == record.Id;
                linkedLast &= participant.WaitId == record.Id || LinkNumberOf(records, participant.WaitId) < record.LinkNumber;
            }

            if (through && linkedLast)
            {
                Volatile.Write(ref s_lastDetected, cycle);
                LockDiagnostics.RaiseDetectedOnWait(cycle);
                return;
            }
        }
    }

    private static long LinkNumberOf(List<WaitRecord> records, long waitId)
    {
        foreach (WaitRecord r in records)
        {
            if (r.Id == waitId)
            {
                return r.LinkNumber;
            }
        }

        return long.MaxValue;
    }
}
