namespace OrderedLocks.Diagnostics;

/// <summary>
/// The wait-for graph of one moment: each waiter points at the waiters that hold the lock it waits
/// for. Built from the live wait records and the locks' holder state; a cycle is reported only if
/// it is still there when checked again (every participant still waiting, every lock still held
/// by the same hold), so a cycle read from moving parts is never reported.
/// </summary>
internal sealed class WaitForGraph
{
    // Bounds on the cycle search (elementary cycles can be many in a dense graph).
    private const int MaxCycles = 64;
    private const int MaxSteps = 100_000;

    private readonly List<WaitRecord> _records;
    private readonly List<LockWaiter> _waiters;
    private readonly List<int>[] _edges;
    private readonly int[] _waitedToken;

    private WaitForGraph(List<WaitRecord> records, List<LockWaiter> waiters, List<int>[] edges, int[] waitedToken)
    {
        _records = records;
        _waiters = waiters;
        _edges = edges;
        _waitedToken = waitedToken;
    }

    internal IReadOnlyList<LockWaiter> Waiters => _waiters;

    internal static WaitForGraph Build(List<WaitRecord> records)
    {
        int n = records.Count;
        if (n == 0)
        {
            return new WaitForGraph(records, new List<LockWaiter>(), Array.Empty<List<int>>(), Array.Empty<int>());
        }

        var known = new HashSet<OrderedLockBase>();
        foreach (WaitRecord r in records)
        {
            known.Add(r.Lock);
        }

        // What each waiter holds: its thread's synchronous holds, its flow's asynchronous holds, and
        // (checking off, no tracking) the locks it waits near whose owner thread is its thread.
        var holds = new List<(OrderedLockBase Lock, int Token)>[n];
        for (int i = 0; i < n; i++)
        {
            holds[i] = HoldsOf(records[i], known);
        }

        // Who holds what, indexed once: the waiters by the thread of a synchronous wait, and by each
        // hold (lock, token) they have. Looking every pair up instead cost a closure per pair and
        // grew with the square of the waiters (345 µs a check at 256).
        var syncWaitersByThread = new Dictionary<int, List<int>>();
        var waitersByHold = new Dictionary<(OrderedLockBase Lock, int Token), List<int>>(new HoldComparer());
        for (int j = 0; j < n; j++)
        {
            if (!records[j].IsAsync)
            {
                AddIndex(syncWaitersByThread, records[j].ThreadId, j);
            }

            foreach ((OrderedLockBase Lock, int Token) hold in holds[j])
            {
                AddIndex(waitersByHold, hold, j);
            }
        }

        var edges = new List<int>[n];
        var waitedToken = new int[n];
        var holderNames = new string?[n];
        var holders = new List<int>();
        for (int i = 0; i < n; i++)
        {
            edges[i] = new List<int>(1);
            OrderedLockBase target = records[i].Lock;
            int token = target.CurrentTokenForDiagnostics;
            waitedToken[i] = token;
            if (token == 0)
            {
                continue; // free right now: the waiter is about to get it
            }

            int owner = target.OwnerThreadIdForDiagnostics;
            holders.Clear();
            if (owner != 0 && syncWaitersByThread.TryGetValue(owner, out List<int>? onOwnerThread))
            {
                holders.AddRange(onOwnerThread);
            }

            if (waitersByHold.TryGetValue((target, token), out List<int>? withTheHold))
            {
                holders.AddRange(withTheHold);
            }

            // In waiter order, each once (a waiter can match both ways).
            holders.Sort();
            for (int k = 0; k < holders.Count; k++)
            {
                int j = holders[k];
                if (k > 0 && holders[k - 1] == j)
                {
                    continue;
                }

                edges[i].Add(j);
                holderNames[i] ??= records[j].Name;
            }

            if (holderNames[i] is null)
            {
                HoldCapture? capture = target.CurrentHoldCapture;
                holderNames[i] = owner != 0
                    ? $"thread {owner}"
                    : capture is not null ? $"an async flow (acquired on thread {capture.ThreadId})" : "an async flow or untracked holder";
            }
        }

        var waiters = new List<LockWaiter>(n);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        for (int i = 0; i < n; i++)
        {
            WaitRecord r = records[i];
            var held = new List<LockDescription>(holds[i].Count);
            foreach ((OrderedLockBase l, _) in holds[i])
            {
                held.Add(LockDescription.Of(l));
            }

            waiters.Add(new LockWaiter(
                r.Id,
                r.IsAsync ? LockWaiterKind.AsyncFlow : LockWaiterKind.Thread,
                r.Name,
                r.ThreadId,
                LockDescription.Of(r.Lock),
                r.Lock.KindNameForDiagnostics,
                held,
                r.StartUtc,
                now - r.StartUtc,
                holderNames[i],
                r.WaitStack,
                waitedToken[i] != 0 ? r.Lock.CurrentHoldCapture?.Stack : null));
        }

        return new WaitForGraph(records, waiters, edges, waitedToken);
    }

    private static void AddIndex<TKey>(Dictionary<TKey, List<int>> index, TKey key, int waiter)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out List<int>? list))
        {
            list = new List<int>(1);
            index.Add(key, list);
        }

        if (list.Count == 0 || list[list.Count - 1] != waiter)
        {
            list.Add(waiter);
        }
    }

    /// <summary>A hold is one lock (by reference) with one token.</summary>
    private sealed class HoldComparer : IEqualityComparer<(OrderedLockBase Lock, int Token)>
    {
        public bool Equals((OrderedLockBase Lock, int Token) x, (OrderedLockBase Lock, int Token) y) => ReferenceEquals(x.Lock, y.Lock) && x.Token == y.Token;

        public int GetHashCode((OrderedLockBase Lock, int Token) hold) => (System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(hold.Lock) * 397) ^ hold.Token;
    }

    /// <summary>Every elementary wait-for cycle that is still there when re-checked.</summary>
    internal List<LockWaitCycle> FindCycles()
    {
        var found = new List<LockWaitCycle>();
        var path = new List<int>();
        var onPath = new bool[_records.Count];
        int steps = 0;
        for (int start = 0; start < _records.Count && found.Count < MaxCycles; start++)
        {
            path.Clear();
            Search(start, start);
        }

        return found;

        void Search(int start, int node)
        {
            if (++steps > MaxSteps || found.Count >= MaxCycles)
            {
                return;
            }

            path.Add(node);
            onPath[node] = true;
            foreach (int next in _edges[node])
            {
                if (next == start)
                {
                    if (StillThere(path))
                    {
                        found.Add(MakeCycle(path));
                    }
                }
                else if (next > start && !onPath[next])
                {
                    Search(start, next);
                }
            }

            onPath[node] = false;
            path.RemoveAt(path.Count - 1);
        }
    }

    // Re-check after reading: a wait that ended, or a lock whose hold changed, voids the cycle.
    // A deadlock stays, so a real one always passes.
    private bool StillThere(List<int> cycle)
    {
        foreach (int i in cycle)
        {
            WaitRecord r = _records[i];
            if (!WaitRegistry.IsLive(r) || r.Lock.CurrentTokenForDiagnostics != _waitedToken[i])
            {
                return false;
            }
        }

        return true;
    }

    private LockWaitCycle MakeCycle(List<int> cycle)
    {
        // Start at the oldest wait, so that the same cycle reads the same way every time.
        int first = 0;
        for (int k = 1; k < cycle.Count; k++)
        {
            if (_records[cycle[k]].Id < _records[cycle[first]].Id)
            {
                first = k;
            }
        }

        var participants = new List<LockWaiter>(cycle.Count);
        for (int k = 0; k < cycle.Count; k++)
        {
            participants.Add(_waiters[cycle[(first + k) % cycle.Count]]);
        }

        return new LockWaitCycle(participants);
    }

    private static List<(OrderedLockBase Lock, int Token)> HoldsOf(WaitRecord record, HashSet<OrderedLockBase> known)
    {
        var result = new List<(OrderedLockBase, int)>();
        HeldLocks.ThreadHolds? threadHolds = record.ThreadHolds;
        if (threadHolds is not null)
        {
            HeldLocks.ThreadHolds.Entry[] items = Volatile.Read(ref threadHolds.Items);
            int count = Math.Min(Volatile.Read(ref threadHolds.Count), items.Length);
            for (int k = count - 1; k >= 0; k--)
            {
                OrderedLockBase? l = items[k].Lock;
                if (l is not null && l.IsHeldWithToken(items[k].Token))
                {
                    Add(l, items[k].Token);
                }
            }
        }

        for (HoldNode? node = record.FlowTop; node is not null; node = node.Parent)
        {
            int token = Volatile.Read(ref node.Token);
            if (node.IsValid)
            {
                Add(node.Lock, token);
            }
        }

        if (!record.IsAsync)
        {
            foreach (OrderedLockBase l in known)
            {
                int token = l.CurrentTokenForDiagnostics;
                if (token != 0 && l.OwnerThreadIdForDiagnostics == record.ThreadId && !ReferenceEquals(l, record.Lock))
                {
                    Add(l, token);
                }
            }
        }

        return result;

        void Add(OrderedLockBase l, int token)
        {
            if (!result.Exists(h => ReferenceEquals(h.Item1, l)))
            {
                result.Add((l, token));
            }
        }
    }
}
