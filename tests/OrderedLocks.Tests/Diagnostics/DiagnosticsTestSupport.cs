using OrderedLocks.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests.Diagnostics;

/// <summary>Saves and restores the diagnostics switches (and the policy) around a test.</summary>
internal sealed class DiagnosticsScope : IDisposable
{
    private readonly bool _capture = LockDiagnostics.CaptureStacks;
    private readonly bool _tags = LockDiagnostics.TagMetricsWithLockNames;
    private readonly bool _track = LockDiagnostics.TrackWaits;
    private readonly bool _detect = LockDiagnostics.DetectDeadlocksOnWait;
    private readonly PolicyScope _policy;

    public DiagnosticsScope(LockOrderChecking checking = LockOrderChecking.Off, LockViolationAction action = LockViolationAction.Throw, bool capture = false, bool tags = true)
    {
        _policy = new PolicyScope(checking, action);
        LockDiagnostics.CaptureStacks = capture;
        LockDiagnostics.TagMetricsWithLockNames = tags;
        LockDiagnostics.TrackWaits = true;
    }

    public void Dispose()
    {
        LockDiagnostics.CaptureStacks = _capture;
        LockDiagnostics.TagMetricsWithLockNames = _tags;
        LockDiagnostics.TrackWaits = _track;
        LockDiagnostics.DetectDeadlocksOnWait = _detect;
        _policy.Dispose();
    }
}

internal static class Waits
{
    /// <summary>Waits (bounded) until <paramref name="count"/> waits for the given locks are recorded.</summary>
    public static IReadOnlyList<LockWaiter> UntilWaiting(int count, params OrderedLockBase[] locks)
    {
        IReadOnlyList<LockWaiter> found = Array.Empty<LockWaiter>();
        bool ok = SpinWait.SpinUntil(
            () =>
            {
                found = Of(LockDiagnostics.GetWaitSnapshot(), locks);
                return found.Count >= count;
            },
            TestTimeouts.Hang);
        Assert.True(ok, $"Expected {count} waits for {string.Join(", ", locks.Select(l => l.Name))}, saw {found.Count}.");
        return found;
    }

    public static IReadOnlyList<LockWaiter> Of(LockWaitSnapshot snapshot, params OrderedLockBase[] locks) =>
        snapshot.Waiters.Where(w => locks.Any(l => l.Id == w.WaitingFor.Id)).ToList();

    /// <summary>Cycles whose every lock is one of <paramref name="locks"/> (other tests' waits are ignored).</summary>
    public static List<LockWaitCycle> CyclesAmong(IEnumerable<LockWaitCycle> cycles, params OrderedLockBase[] locks) =>
        cycles.Where(c => c.Participants.All(p => locks.Any(l => l.Id == p.WaitingFor.Id))).ToList();

    /// <summary>Waits (bounded) until FindDeadlocks reports a cycle among the given locks.</summary>
    public static LockWaitCycle UntilDeadlocked(params OrderedLockBase[] locks)
    {
        LockWaitCycle? cycle = null;
        bool ok = SpinWait.SpinUntil(
            () =>
            {
                cycle = CyclesAmong(LockDiagnostics.FindDeadlocks(), locks).FirstOrDefault();
                return cycle is not null;
            },
            TestTimeouts.Hang);
        Assert.True(ok, "No deadlock found among " + string.Join(", ", locks.Select(l => l.Name)) + ". Waiting: " + LockDiagnostics.GetWaitSnapshot());
        return cycle!;
    }

    /// <summary>
    /// The deliberately deadlocked wait: broken by cancelling <paramref name="token"/>. When the
    /// other side was cancelled first and released, this wait may get the lock instead: release it.
    /// </summary>
    public static void AcquireOrCancel(OrderedLock lockObject, CancellationToken token)
    {
        try
        {
            lockObject.Acquire(token).Dispose();
        }
        catch (OperationCanceledException)
        {
        }
    }

    public static async Task AcquireOrCancelAsync(OrderedLock lockObject, CancellationToken token)
    {
        try
        {
            (await lockObject.AcquireAsync(token)).Dispose();
        }
        catch (OperationCanceledException)
        {
        }
    }

    public static Task Thread(Action body) => Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Awaits all tasks with a bound; the deliberately deadlocked waits must have been broken.</summary>
    public static void Finish(params Task[] tasks)
    {
        Assert.True(Task.WaitAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)).ToArray(), TestTimeouts.Hang), "The deadlock was not broken in time.");
    }
}
