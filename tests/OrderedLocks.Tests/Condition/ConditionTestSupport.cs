using System.Diagnostics;
using Xunit;

namespace OrderedLocks.Tests.Condition;

/// <summary>Thread, polling and joining helpers. Sequencing is by polling observable state, never by sleeping.</summary>
internal static class Concurrent
{
    /// <summary>Runs <paramref name="body"/> on a dedicated background thread (never starves the pool).</summary>
    public static Task RunThread(Action body, string name = "test worker")
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a dedicated background thread and returns its result. A thread
    /// started normally inherits the starter's execution context, so it is a fork of the starter's
    /// async flow; pass <paramref name="unrelated"/> to start it with no inherited flow (an outsider).
    /// </summary>
    public static Task<T> RunThread<T>(Func<T> body, string name = "test worker", bool unrelated = false)
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
            Name = name,
        };
        if (unrelated)
        {
            thread.UnsafeStart();
        }
        else
        {
            thread.Start();
        }

        return done.Task;
    }

    /// <summary>Blocks until <paramref name="condition"/> holds; fails after <see cref="TestTimeouts.HangGuard"/>.</summary>
    public static void WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        var spinner = default(SpinWait);
        while (!condition())
        {
            if (clock.Elapsed > TestTimeouts.HangGuard)
            {
                Assert.Fail($"Timed out after {TestTimeouts.HangGuard} waiting until {what}.");
            }

            spinner.SpinOnce(sleep1Threshold: 20);
        }
    }

    /// <summary>Asynchronously waits until <paramref name="condition"/> holds; fails after <see cref="TestTimeouts.HangGuard"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TestTimeouts.HangGuard)
            {
                Assert.Fail($"Timed out after {TestTimeouts.HangGuard} waiting until {what}.");
            }

            await Task.Delay(1);
        }
    }

    /// <summary>Blocks until <paramref name="task"/> ends (rethrowing its exception); fails after the hang guard.</summary>
    public static void Join(Task task, string what)
    {
        try
        {
            if (!task.Wait(TestTimeouts.HangGuard))
            {
                Assert.Fail($"Timed out after {TestTimeouts.HangGuard} waiting for {what}.");
            }
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException!).Throw();
        }
    }

    /// <summary>Blocks until <paramref name="task"/> ends and returns its result; fails after the hang guard.</summary>
    public static T Join<T>(Task<T> task, string what)
    {
        Join((Task)task, what);
        return task.Result;
    }

    /// <summary>Awaits <paramref name="task"/>; fails after the hang guard instead of hanging.</summary>
    public static async Task Within(Task task, string what)
    {
        try
        {
            await task.WaitAsync(TestTimeouts.HangGuard);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Timed out after {TestTimeouts.HangGuard} waiting for {what}.");
        }
    }

    /// <summary>Awaits <paramref name="task"/> and returns its result; fails after the hang guard.</summary>
    public static async Task<T> Within<T>(Task<T> task, string what)
    {
        await Within((Task)task, what);
        return await task;
    }

    /// <summary>Asserts that <paramref name="pending"/> already completed successfully and returns its result.</summary>
    public static T CompletedResult<T>(ValueTask<T> pending)
    {
        Assert.True(pending.IsCompletedSuccessfully, "Expected the operation to complete synchronously.");
        return pending.Result;
    }

    /// <summary>Asserts that a wait measured by <paramref name="elapsed"/> honoured <paramref name="timeout"/>.</summary>
    public static void AssertWaitedAbout(TimeSpan elapsed, TimeSpan timeout)
    {
        Assert.True(elapsed >= timeout - TestTimeouts.TimerSlack, $"Returned after {elapsed.TotalMilliseconds} ms, before the {timeout.TotalMilliseconds} ms timeout.");
        Assert.True(elapsed < TestTimeouts.HangGuard, $"Took {elapsed.TotalMilliseconds} ms for a {timeout.TotalMilliseconds} ms timeout.");
    }
}

/// <summary>Both lock kinds a condition can be bound to, behind one small surface for theories.</summary>
public enum LockKind
{
    Plain,
    Reentrant,
}

internal static class LockKinds
{
    public static OrderedLockBase Create(LockKind kind, string? name = null, int? rank = null, LockOrderChecking? checking = LockOrderChecking.Strict) => kind switch
    {
        LockKind.Plain => new OrderedLock(name, rank, checking),
        LockKind.Reentrant => new ReentrantOrderedLock(name, rank, checking),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static LockScope Acquire(this OrderedLockBase lockObject) => lockObject switch
    {
        OrderedLock plain => plain.Acquire(),
        ReentrantOrderedLock reentrant => reentrant.Acquire(),
        _ => throw new ArgumentOutOfRangeException(nameof(lockObject)),
    };

    public static bool TryAcquire(this OrderedLockBase lockObject, TimeSpan timeout, out LockScope scope)
    {
        switch (lockObject)
        {
            case OrderedLock plain:
                return plain.TryAcquire(timeout, out scope);
            case ReentrantOrderedLock reentrant:
                return reentrant.TryAcquire(timeout, out scope);
            default:
                throw new ArgumentOutOfRangeException(nameof(lockObject));
        }
    }

    public static ValueTask<LockScope> AcquireAsync(this OrderedLockBase lockObject, CancellationToken cancellationToken = default) => lockObject switch
    {
        OrderedLock plain => plain.AcquireAsync(cancellationToken),
        ReentrantOrderedLock reentrant => reentrant.AcquireAsync(cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(lockObject)),
    };

    public static bool IsHeldByCurrentFlow(this OrderedLockBase lockObject) => lockObject switch
    {
        OrderedLock plain => plain.IsHeldByCurrentFlow,
        ReentrantOrderedLock reentrant => reentrant.IsHeldByCurrentFlow,
        _ => throw new ArgumentOutOfRangeException(nameof(lockObject)),
    };

    /// <summary>Whether another thread could take the lock right now (a probe that never keeps it).</summary>
    public static bool IsFreeForOthers(this OrderedLockBase lockObject) =>
        Concurrent.Join(Concurrent.RunThread(() =>
        {
            bool free = lockObject.TryAcquire(TimeSpan.Zero, out LockScope probe);
            probe.Dispose();
            return free;
        }, "probe", unrelated: true), "the probe thread");
}

/// <summary>Tests that change or depend on process-wide <see cref="LockOrderPolicy"/> settings run alone.</summary>
[CollectionDefinition("ReentrantConditionGlobalPolicy", DisableParallelization = true)]
public sealed class ReentrantConditionGlobalPolicyCollection
{
}
