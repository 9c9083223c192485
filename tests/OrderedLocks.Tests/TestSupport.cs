using System.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests;

/// <summary>Named time limits. A bug must fail a test, never hang the suite.</summary>
internal static class TestTimeouts
{
    /// <summary>Upper bound for anything that should finish "at once" or after a release.</summary>
    public static readonly TimeSpan Hang = TimeSpan.FromSeconds(10);

    /// <summary>A short wait that is expected to time out (the lock stays held meanwhile).</summary>
    public static readonly TimeSpan Expire = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a "must not complete" probe looks before concluding it did not.</summary>
    public static readonly TimeSpan NotYet = TimeSpan.FromMilliseconds(50);

    // Reentrant-lock and condition tests:

    /// <summary>Guards every wait that should end quickly: a bug fails the test instead of hanging the suite.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(15);

    /// <summary>A wait that is expected to time out (kept short so the suite stays fast).</summary>
    public static readonly TimeSpan ExpectedTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>How early a timed wait may return compared to its timeout (clock granularity).</summary>
    public static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The generous per-wait timeout of the article's naive (notify/wait) participants: long enough that a
    /// correctly started dialogue never hits it, short enough that the start-order hang ends the test quickly.
    /// </summary>
    public static readonly TimeSpan NaiveWait = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Tests that change <see cref="LockOrderPolicy"/> (Checking, OnViolation, ViolationReported,
/// ResetLearnedOrder) run here, one at a time and after every parallel test, and restore the
/// previous values with <see cref="PolicyScope"/>.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalPolicyCollection
{
    public const string Name = "Global lock-order policy";
}

/// <summary>Changes the global policy for one test and restores it on dispose.</summary>
internal sealed class PolicyScope : IDisposable
{
    private readonly LockOrderChecking _checking = LockOrderPolicy.Checking;
    private readonly LockViolationAction _action = LockOrderPolicy.OnViolation;
    private readonly List<Action<LockOrderViolation>> _handlers = new();

    public PolicyScope(LockOrderChecking? checking = null, LockViolationAction? onViolation = null)
    {
        if (checking is { } c)
        {
            LockOrderPolicy.Checking = c;
        }

        if (onViolation is { } a)
        {
            LockOrderPolicy.OnViolation = a;
        }
    }

    /// <summary>Subscribes a handler that is removed on dispose.</summary>
    public void OnReported(Action<LockOrderViolation> handler)
    {
        _handlers.Add(handler);
        LockOrderPolicy.ViolationReported += handler;
    }

    public void Dispose()
    {
        foreach (Action<LockOrderViolation> handler in _handlers)
        {
            LockOrderPolicy.ViolationReported -= handler;
        }

        LockOrderPolicy.Checking = _checking;
        LockOrderPolicy.OnViolation = _action;
    }
}

internal static class TestThreads
{
    /// <summary>
    /// Runs <paramref name="body"/> on a new dedicated thread (blocking waits there cannot starve
    /// the thread pool that the test runner and async continuations need).
    /// </summary>
    public static Task<T> Run<T>(Func<T> body)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(body());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "OrderedLocks test thread",
        };
        thread.Start();
        return done.Task;
    }

    public static Task Run(Action body) => Run(() =>
    {
        body();
        return true;
    });
}

internal static class Poll
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails after <see cref="TestTimeouts.Hang"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TestTimeouts.Hang)
            {
                Assert.Fail($"Timed out after {TestTimeouts.Hang} waiting until {what}.");
            }

            await Task.Delay(1);
        }
    }

    /// <summary>Waits until exactly <paramref name="count"/> waiters are queued on <paramref name="lockObject"/>.</summary>
    public static Task WaitersAsync(OrderedLockBase lockObject, int count) =>
        UntilAsync(() => lockObject.QueuedWaiterCount == count, $"{count} waiter(s) are queued on {lockObject}");
}

internal static class Locks
{
    public static readonly LockOrderChecking[] AllModes = { LockOrderChecking.Off, LockOrderChecking.Strict, LockOrderChecking.Learned, LockOrderChecking.Hybrid };

    public static TheoryData<LockOrderChecking> Modes => new(AllModes);

    public static TheoryData<LockOrderChecking> CheckedModes => new(LockOrderChecking.Strict, LockOrderChecking.Learned, LockOrderChecking.Hybrid);

    /// <summary>
    /// Takes <paramref name="lockObject"/> in a separate, isolated async flow (it does not inherit
    /// the caller's holds) and returns the scope: the lock is held by "someone else", no thread is
    /// blocked, and the caller may release it later (a documented hand-off).
    /// </summary>
    public static async Task<LockScope> HoldElsewhereAsync(OrderedLock lockObject)
    {
        Task<LockScope> holder;
        using (LockOrderPolicy.SuppressInheritance())
        {
            holder = Task.Run(async () => await lockObject.AcquireAsync());
        }

        return await holder.WaitAsync(TestTimeouts.Hang);
    }

    /// <summary>Asserts the lock is free and nobody is queued on it.</summary>
    public static void AssertFree(params OrderedLockBase[] locks)
    {
        foreach (OrderedLockBase l in locks)
        {
            Assert.False(l.IsLocked, $"{l} should be free.");
            Assert.Equal(0, l.QueuedWaiterCount);
        }
    }

    /// <summary>Asserts that awaiting <paramref name="task"/> does not complete within <see cref="TestTimeouts.NotYet"/>.</summary>
    public static async Task AssertPendingAsync(Task task, string what)
    {
        Task first = await Task.WhenAny(new[] { task, Task.Delay(TestTimeouts.NotYet) });
        Assert.False(ReferenceEquals(first, task), $"{what} should still be waiting, but it completed ({task.Status}).");
    }
}
