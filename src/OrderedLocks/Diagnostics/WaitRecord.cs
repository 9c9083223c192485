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
/// since when. Immutable once <see cref="WaitRegistry.Enter"/> has published it, except the
/// watchdog's failure, which is set once.
/// </summary>
internal sealed class WaitRecord
{
    private Exception? _failure;

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

    // Set by the watchdog before it cancels FailSource, once; thrown into the waiter.
    internal Exception? Failure => Volatile.Read(ref _failure);

    // The order records were linked in, and the registry table generation they were linked into;
    // both written before the record is published, never after.
    internal long LinkNumber { get; set; }

    internal int Epoch { get; set; }

    internal bool TrySetFailure(Exception failure) => Interlocked.CompareExchange(ref _failure, failure, null) is null;
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
