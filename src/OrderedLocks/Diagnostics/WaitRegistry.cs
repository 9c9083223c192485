using System.Collections.Immutable;
using System.Diagnostics;

namespace OrderedLocks.Diagnostics;

/// <summary>
/// Every contended wait in progress, process-wide: one immutable table of the live records, in the
/// order they were linked, replaced by compare-and-swap. There is no monitor: a Microsoft Coyote
/// iteration that ends while one of its tasks is in the middle of linking or unlinking leaves
/// nothing that a later iteration would find bound to the ended one (Coyote keeps a monitor it
/// has seen bound to the iteration that first entered it while a task of that iteration owns it
/// or is queued for it), and a snapshot is one read. Linking and unlinking cost O(log n) in the
/// number of waits in progress. Nothing is acquired here.
/// </summary>
internal static class WaitRegistry
{
    private static Table s_table = new(ImmutableSortedDictionary<long, WaitRecord>.Empty, lastLink: 0, epoch: 0);
    private static long s_lastId;
    private static int s_lastFlowNumber;

    // The last cycle found by an on-wait check (LockDiagnostics.DetectDeadlocksOnWait).
    private static LockWaitCycle? s_lastDetected;

    internal static int Count => Volatile.Read(ref s_table).Records.Count;

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

        while (true)
        {
            Table table = Volatile.Read(ref s_table);
            long link = table.LastLink + 1;

            // Written before the record is published (by the exchange, a full fence), so every
            // snapshot that holds the record sees its number.
            record.LinkNumber = link;
            record.Epoch = table.Epoch;
            var next = new Table(table.Records.Add(link, record), link, table.Epoch);
            if (Interlocked.CompareExchange(ref s_table, next, table) == table)
            {
                break;
            }
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
        while (true)
        {
            Table table = Volatile.Read(ref s_table);
            if (!table.Holds(record))
            {
                break; // forgotten by Clear
            }

            var next = new Table(table.Records.Remove(record.LinkNumber), table.LastLink, table.Epoch);
            if (Interlocked.CompareExchange(ref s_table, next, table) == table)
            {
                break;
            }
        }

        record.FailSource?.Dispose();
        LockTelemetry.OnWaitStop(record, outcome, Stopwatch.GetElapsedTime(record.StartTimestamp));
    }

    /// <summary>Forgets every record (for test harnesses between iterations); waits in progress go on unlisted.</summary>
    internal static void Clear()
    {
        while (true)
        {
            Table table = Volatile.Read(ref s_table);
            var empty = new Table(ImmutableSortedDictionary<long, WaitRecord>.Empty, table.LastLink, table.Epoch + 1);
            if (Interlocked.CompareExchange(ref s_table, empty, table) == table)
            {
                break;
            }
        }

        Interlocked.Exchange(ref s_lastFlowNumber, 0);
        Volatile.Write(ref s_lastDetected, null);
    }

    /// <summary>Copies the live records, oldest first (one consistent snapshot).</summary>
    internal static List<WaitRecord> Live() => new(Volatile.Read(ref s_table).Records.Values);

    internal static bool IsLive(WaitRecord record) => Volatile.Read(ref s_table).Holds(record);

    /// <summary>Fails a waiter with <paramref name="failure"/>; false when the wait is over or cannot be failed.</summary>
    internal static bool TryFail(WaitRecord record, Exception failure)
    {
        CancellationTokenSource? source = record.FailSource;
        if (source is null || !IsLive(record) || !record.TrySetFailure(failure))
        {
            return false;
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

    // The registry's state; never changed once published.
    private sealed class Table
    {
        internal Table(ImmutableSortedDictionary<long, WaitRecord> records, long lastLink, int epoch)
        {
            Records = records;
            LastLink = lastLink;
            Epoch = epoch;
        }

        // Keyed by link number, so enumerating gives the order records were linked in.
        internal ImmutableSortedDictionary<long, WaitRecord> Records { get; }

        internal long LastLink { get; }

        // Raised by every Clear: a record linked before it is not this table's, whatever its number.
        internal int Epoch { get; }

        internal bool Holds(WaitRecord record) =>
            record.Epoch == Epoch && Records.TryGetValue(record.LinkNumber, out WaitRecord? held) && ReferenceEquals(held, record);
    }
}
