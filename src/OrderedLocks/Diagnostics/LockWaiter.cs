using System.Text;

namespace OrderedLocks.Diagnostics;

/// <summary>Who waits: a blocked thread or an asynchronous flow.</summary>
public enum LockWaiterKind
{
    /// <summary>A thread blocked in a synchronous acquisition (<c>Acquire</c>, <c>TryAcquire</c>, a condition's <c>Wait</c>).</summary>
    Thread = 0,

    /// <summary>An async flow awaiting an asynchronous acquisition (<c>AcquireAsync</c>, <c>WaitAsync</c>).</summary>
    AsyncFlow = 1,
}

/// <summary>
/// One contended wait for an ordered lock at the moment of a <see cref="LockWaitSnapshot"/>: who
/// waits, for which lock, what it holds, since when, who holds the lock it waits for, and (with
/// <see cref="LockDiagnostics.CaptureStacks"/> on) where the wait began and where the holder acquired.
/// </summary>
public sealed class LockWaiter
{
    internal LockWaiter(
        long waitId,
        LockWaiterKind kind,
        string name,
        int threadId,
        LockDescription waitingFor,
        string lockKind,
        IReadOnlyList<LockDescription> holds,
        DateTimeOffset since,
        TimeSpan elapsed,
        string? heldBy,
        string? waitStack,
        string? holderStack)
    {
        WaitId = waitId;
        Kind = kind;
        Name = name;
        ThreadId = threadId;
        WaitingFor = waitingFor;
        LockKind = lockKind;
        Holds = holds;
        Since = since;
        Elapsed = elapsed;
        HeldBy = heldBy;
        WaitStack = waitStack;
        HolderStack = holderStack;
    }

    /// <summary>Gets the process-wide number of this wait (increasing in the order waits began).</summary>
    public long WaitId { get; }

    /// <summary>Gets whether a thread or an async flow waits.</summary>
    public LockWaiterKind Kind { get; }

    /// <summary>Gets the waiter's name in reports: <c>thread 12</c>, or <c>flow 3</c> (async waits are numbered in the order they began).</summary>
    public string Name { get; }

    /// <summary>Gets the managed thread id: the blocked thread, or for an async flow the thread that began the wait.</summary>
    public int ThreadId { get; }

    /// <summary>Gets the lock waited for.</summary>
    public LockDescription WaitingFor { get; }

    /// <summary>Gets the kind of the lock waited for (<c>OrderedLock</c>, <c>ReentrantOrderedLock</c>, <c>OrderedFileLock</c>).</summary>
    public string LockKind { get; }

    /// <summary>
    /// Gets the locks the waiter holds, as far as they are known: synchronous holds always (by
    /// owner thread); asynchronous holds while checking is on, or with
    /// <see cref="LockDiagnostics.CaptureStacks"/> or a <see cref="LockWatchdog"/> running.
    /// </summary>
    public IReadOnlyList<LockDescription> Holds { get; }

    /// <summary>Gets when the wait began (UTC).</summary>
    public DateTimeOffset Since { get; }

    /// <summary>Gets how long it had waited when the snapshot was taken.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>
    /// Gets who holds <see cref="WaitingFor"/>: another waiter's <see cref="Name"/>, <c>thread N</c>,
    /// <c>an async flow ...</c>, or <see langword="null"/> when the lock was free at that moment.
    /// </summary>
    public string? HeldBy { get; }

    /// <summary>Gets where the wait began (source method names), or null when capture was off.</summary>
    public string? WaitStack { get; }

    /// <summary>Gets where the holder of <see cref="WaitingFor"/> acquired it, or null when capture was off at that acquisition.</summary>
    public string? HolderStack { get; }

    /// <summary>Describes the wait on one line, e.g. <c>thread 12 waits for 'y' (held by thread 9) since 1.2 s, holds 'x'</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Name).Append(" waits for '").Append(WaitingFor.Name).Append('\'');
        if (HeldBy is not null)
        {
            text.Append(" (held by ").Append(HeldBy).Append(')');
        }

        text.Append(" for ").Append(Elapsed.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)).Append(" s");
        text.Append(Holds.Count == 0 ? ", holds nothing known" : ", holds " + string.Join(", ", Holds.Select(h => $"'{h.Name}'")));
        return text.ToString();
    }
}

/// <summary>
/// A wait-for cycle: each participant waits for a lock the next one holds, and the last waits for a
/// lock the first holds. Nobody in it can go on until a wait times out, is cancelled, or is failed.
/// </summary>
public sealed class LockWaitCycle
{
    internal LockWaitCycle(IReadOnlyList<LockWaiter> participants) => Participants = participants;

    /// <summary>Gets the participants, starting with the oldest wait; participant i waits for a lock participant i+1 holds.</summary>
    public IReadOnlyList<LockWaiter> Participants { get; }

    /// <summary>Gets the cycle in one line: <c>flow 1 holds 'x', waits for 'y'; flow 2 holds 'y', waits for 'x'</c>.</summary>
    public string Summary
    {
        get
        {
            var parts = new List<string>(Participants.Count);
            for (int i = 0; i < Participants.Count; i++)
            {
                LockWaiter p = Participants[i];
                LockWaiter previous = Participants[(i + Participants.Count - 1) % Participants.Count];
                parts.Add($"{p.Name} holds '{previous.WaitingFor.Name}', waits for '{p.WaitingFor.Name}'");
            }

            return string.Join("; ", parts);
        }
    }

    internal string Key => string.Join(",", Participants.Select(p => p.WaitId).OrderBy(id => id));

    /// <summary>The summary, then each participant with its stacks (where captured).</summary>
    /// <returns>A multi-line report.</returns>
    public string ToReport()
    {
        var text = new StringBuilder();
        text.Append("Deadlock: ").AppendLine(Summary);
        foreach (LockWaiter p in Participants)
        {
            text.Append("  ").AppendLine(p.ToString());
            if (p.WaitStack is not null)
            {
                text.Append("    ").Append(p.Name).AppendLine(" began waiting at:");
                AppendIndented(text, p.WaitStack);
            }

            if (p.HolderStack is not null)
            {
                text.Append("    '").Append(p.WaitingFor.Name).AppendLine("' was acquired by its holder at:");
                AppendIndented(text, p.HolderStack);
            }
        }

        return text.ToString();
    }

    /// <summary>Gets <see cref="Summary"/>.</summary>
    /// <returns>The one-line summary.</returns>
    public override string ToString() => Summary;

    internal static void AppendIndented(StringBuilder text, string stack)
    {
        foreach (string line in stack.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            text.Append("    ").AppendLine(line.TrimEnd('\r'));
        }
    }
}

/// <summary>Every contended wait for an ordered lock at one moment, and the wait-for cycles among them.</summary>
public sealed class LockWaitSnapshot
{
    internal LockWaitSnapshot(DateTimeOffset takenAt, IReadOnlyList<LockWaiter> waiters, IReadOnlyList<LockWaitCycle> cycles)
    {
        TakenAt = takenAt;
        Waiters = waiters;
        Cycles = cycles;
    }

    /// <summary>Gets when the snapshot was taken (UTC).</summary>
    public DateTimeOffset TakenAt { get; }

    /// <summary>Gets every wait in progress, oldest first.</summary>
    public IReadOnlyList<LockWaiter> Waiters { get; }

    /// <summary>Gets the wait-for cycles (deadlocks) among <see cref="Waiters"/>, each re-checked after it was read.</summary>
    public IReadOnlyList<LockWaitCycle> Cycles { get; }

    /// <summary>One line per waiter, then each cycle.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Waiters.Count).AppendLine(Waiters.Count == 1 ? " wait in progress" : " waits in progress");
        foreach (LockWaiter w in Waiters)
        {
            text.Append("  ").AppendLine(w.ToString());
        }

        foreach (LockWaitCycle c in Cycles)
        {
            text.Append("Deadlock: ").AppendLine(c.Summary);
        }

        return text.ToString();
    }
}

/// <summary>
/// Thrown into a waiter that a <see cref="LockWatchdog"/> with <see cref="LockWatchdogAction.FailWaiter"/>
/// chose to break a deadlock or to end a wait longer than its threshold. The waiter holds nothing it
/// did not hold before the acquisition; the locks it held are still held (release them to let the
/// others go on).
/// </summary>
public sealed class LockDeadlockException : Exception
{
    /// <summary>Initializes a new exception.</summary>
    /// <param name="message">The message.</param>
    public LockDeadlockException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new exception.</summary>
    public LockDeadlockException()
        : base("A lock watchdog failed this wait.")
    {
    }

    /// <summary>Initializes a new exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The inner exception.</param>
    public LockDeadlockException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal LockDeadlockException(string message, LockWaitCycle? cycle, LockWaiter waiter)
        : base(message)
    {
        Cycle = cycle;
        Waiter = waiter;
    }

    /// <summary>Gets the cycle this waiter was part of, or null for a long wait.</summary>
    public LockWaitCycle? Cycle { get; }

    /// <summary>Gets the failed wait as seen by the watchdog.</summary>
    public LockWaiter? Waiter { get; }
}
