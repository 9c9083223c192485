using System.Runtime.CompilerServices;
using OrderedLocks.Diagnostics;

namespace OrderedLocks;

// The diagnostics side of every ordered lock: the contended waits go through here, so that the
// wait-for registry, metrics and events see them, and the accessors the registry reads. The
// mutual-exclusion core (OrderedLockBase.Mutex.cs) knows nothing about diagnostics except that its
// contended entry points are named ...Core and called from here.
//
// Cost: nothing on the uncontended paths. A contended wait reads one static volatile flag; with
// the registry on (the default) it also records the wait (a few allocations and a compare-and-swap
// of the registry's table), which is small next to queueing and blocking.
public abstract partial class OrderedLockBase
{
    // What the holder's acquisition recorded when LockDiagnostics.CaptureStacks is on; valid only
    // while the lock still carries Token. Written by the acquiring flow, read by snapshots.
    private HoldCapture? _holdCapture;

    /// <summary>Managed thread id of a synchronous holder, 0 when free or held asynchronously.</summary>
    internal int OwnerThreadIdForDiagnostics => Volatile.Read(ref _ownerThreadId);

    /// <summary>The token of the current hold, 0 when free.</summary>
    internal int CurrentTokenForDiagnostics => CurrentToken();

    /// <summary>The holder's acquisition record, if it is the current hold's.</summary>
    internal HoldCapture? CurrentHoldCapture
    {
        get
        {
            HoldCapture? capture = Volatile.Read(ref _holdCapture);
            return capture is not null && capture.Token != 0 && capture.Token == CurrentToken() ? capture : null;
        }
    }

    /// <summary>Records the holder's acquisition site (capture on only).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void CaptureHold(int token) => Volatile.Write(ref _holdCapture, HoldCapture.Create(token));

    /// <summary>Kind name used in diagnostics (OrderedLock, ReentrantOrderedLock, ...).</summary>
    internal string KindNameForDiagnostics => KindName;

    /// <summary>
    /// Contended synchronous acquisition: spins briefly, then queues and blocks. Returns the hold's
    /// token, or 0 when <paramref name="timeoutMs"/> elapsed.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before the lock was taken.</exception>
    /// <exception cref="LockDeadlockException">A lock watchdog chose this waiter to break a deadlock.</exception>
    private protected int LockSlow(int timeoutMs, CancellationToken cancellationToken) =>
        timeoutMs != 0 && LockDiagnostics.s_trackWaits
            ? LockSlowObserved(timeoutMs, cancellationToken)
            : LockSlowCore(timeoutMs, cancellationToken);

    /// <summary>Contended asynchronous acquisition; returns the token, or 0 on timeout.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before the lock was taken.</exception>
    /// <exception cref="LockDeadlockException">A lock watchdog chose this waiter to break a deadlock.</exception>
    private protected ValueTask<int> LockSlowAsync(int timeoutMs, CancellationToken cancellationToken) =>
        LockDiagnostics.s_trackWaits
            ? LockSlowAsyncObserved(timeoutMs, cancellationToken)
            : LockSlowAsyncCore(timeoutMs, cancellationToken);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int LockSlowObserved(int timeoutMs, CancellationToken cancellationToken)
    {
        WaitRecord record = WaitRegistry.Enter(this, isAsync: false, cancellationToken);
        WaitOutcome outcome = WaitOutcome.Faulted;
        try
        {
            int token = LockSlowCore(timeoutMs, record.WaitToken);
            outcome = token != 0 ? WaitOutcome.Acquired : WaitOutcome.TimedOut;
            return token;
        }
        catch (OperationCanceledException ex)
        {
            Exception? replacement = TranslateCancellation(record, ex, cancellationToken, out outcome);
            if (replacement is null)
            {
                throw;
            }

            throw replacement;
        }
        finally
        {
            WaitRegistry.Exit(record, outcome);
        }
    }

    private async ValueTask<int> LockSlowAsyncObserved(int timeoutMs, CancellationToken cancellationToken)
    {
        WaitRecord record = WaitRegistry.Enter(this, isAsync: true, cancellationToken);
        WaitOutcome outcome = WaitOutcome.Faulted;
        try
        {
            int token = await LockSlowAsyncCore(timeoutMs, record.WaitToken).ConfigureAwait(false);
            outcome = token != 0 ? WaitOutcome.Acquired : WaitOutcome.TimedOut;
            return token;
        }
        catch (OperationCanceledException ex)
        {
            Exception? replacement = TranslateCancellation(record, ex, cancellationToken, out outcome);
            if (replacement is null)
            {
                throw;
            }

            throw replacement;
        }
        finally
        {
            WaitRegistry.Exit(record, outcome);
        }
    }

    // A waiter's cancellation as its caller must see it: the watchdog's failure when the watchdog
    // failed the waiter (through the linked token), the caller's own token when the caller
    // cancelled, otherwise null (rethrow as is).
    private static Exception? TranslateCancellation(WaitRecord record, OperationCanceledException ex, CancellationToken cancellationToken, out WaitOutcome outcome)
    {
        if (record.Failure is not null && !cancellationToken.IsCancellationRequested)
        {
            outcome = WaitOutcome.FailedByWatchdog;
            return record.Failure;
        }

        outcome = WaitOutcome.Canceled;
        return ex.CancellationToken != cancellationToken && cancellationToken.IsCancellationRequested
            ? new OperationCanceledException(ex.Message, ex, cancellationToken) // cancelled through the watchdog's linked token
            : null;
    }
}
