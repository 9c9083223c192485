using System.Diagnostics;

namespace OrderedLocks.Diagnostics;

/// <summary>How a recorded wait ended.</summary>
internal enum WaitOutcome
{
    Acquired,
    TimedOut,
    Canceled,
    FailedByWatchdog,
    Faulted,
}

/// <summary>
/// One contended wait in progress: who waits (thread or async flow), for which lock, what it holds,
/// since when. Immutable after <see cref="WaitRegistry.Enter"/> except the registry links, Live and
/// the watchdog's failure, which change under the registry's gate.
/// </summary>
internal sealed class WaitRecord
{
    internal WaitRecord(long id, OrderedLockBase lockObject, bool isAsync, int flowNumber)
    {
        Id = id;
        Lock = lockObject;
        IsAsync = isAsync;
        FlowNumber = flowNumber;
        ThreadId = Environment.CurrentManagedThreadId;

        // A synchronous waiter's thread is blocked while the record lives, so its list of
        // synchronous holds does not change meanwhile: the registry reads it later. An async
        // waiter owns no thread holds. The flow chain is immutable.
        ThreadHolds = isAsync ? null : HeldLocks.CurrentThreadHolds;
        FlowTop = HeldLocks.FlowTop;
        StartTimestamp = Stopwatch.GetTimestamp();
        StartUtc = DateTimeOffset.UtcNow;
        WaitStack = LockDiagnostics.s_captureStacks ? StackText.Capture() : null;
    }

    internal long Id { get; }

    internal OrderedLockBase Lock { get; }

    internal bool IsAsync { get; }

    // Async waits are numbered "flow 1", "flow 2", ... in the order they began (since the last reset).
    internal int FlowNumber { get; }

    internal int ThreadId { get; }

    internal HeldLocks.ThreadHolds? ThreadHolds { get; }

    internal HoldNode? FlowTop { get; }

    internal long StartTimestamp { get; }

    internal DateTimeOffset StartUtc { get; }

    internal string? WaitStack { get; }

    internal string Name => IsAsync ? $"flow {FlowNumber}" : $"thread {ThreadId}";

    // The token the lock's core waits with: the caller's, or a linked one the watchdog can cancel.
    internal CancellationToken WaitToken { get; set; }

    internal CancellationTokenSource? FailSource { get; set; }

    // Set by the watchdog before it cancels FailSource; thrown into the waiter.
    internal Exception? Failure { get; set; }

    // Registry list links and liveness; changed under the registry's gate.
    internal WaitRecord? Previous { get; set; }

    internal WaitRecord? Next { get; set; }

    internal bool Live { get; set; }

    // The order records were linked in (under the registry's gate): a record linked later sees
    // every record linked before it in its own snapshot.
    internal long LinkNumber { get; set; }
}

/// <summary>Where and when the current holder acquired a lock (capture on only).</summary>
internal sealed class HoldCapture
{
    private HoldCapture(int token, string? stack, int threadId)
    {
        Token = token;
        Stack = stack;
        ThreadId = threadId;
        Timestamp = Stopwatch.GetTimestamp();
    }

    internal int Token { get; }

    internal string? Stack { get; }

    internal int ThreadId { get; }

    internal long Timestamp { get; }

    internal static HoldCapture Create(int token) =>
        new(token, StackText.Capture(), Environment.CurrentManagedThreadId);
}
