using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// The bad-input table: null lock arrays and members, empty sets, out-of-range timeouts, already
/// cancelled tokens, undefined modes; then the accepted-but-unusual inputs: duplicates, double
/// dispose, release from a flow that does not hold the lock, infinite and zero timeouts,
/// cancellation while queued, an exception inside the scope. Every case ends with nothing held
/// and nothing queued.
/// </summary>
public sealed class BadInputTests
{
    private static readonly TimeSpan Negative = TimeSpan.FromMilliseconds(-2);
    private static readonly TimeSpan NegativeTick = TimeSpan.FromTicks(-1);
    private static readonly TimeSpan TooLarge = TimeSpan.FromMilliseconds((double)int.MaxValue + 1);

    private enum Outcome
    {
        /// <summary>Throws exactly the expected type (synchronously, or from the awaited task).</summary>
        Throws,

        /// <summary>An async method returns an already-canceled ValueTask (nothing thrown synchronously).</summary>
        CanceledValueTask,
    }

    private sealed record BadCase(Outcome Outcome, Type Expected, Func<OrderedLock, OrderedLock, CancellationToken, object?> Call, string? MessageContains = null, string? ParamName = null);

    private static CancellationToken Cancelled => new(canceled: true);

    private static readonly Dictionary<string, BadCase> s_bad = new()
    {
        // Null lock arrays and members: ArgumentNullException naming the member index.
        ["AcquireAll(null array)"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.AcquireAll((OrderedLockBase[])null!), ParamName: "locks"),
        ["AcquireAll(a, null)"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.AcquireAll(a, null!), "Lock number 1 of the 2", "locks"),
        ["AcquireAll(null, a, b)"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.AcquireAll(null!, a, b), "Lock number 0 of the 3", "locks"),
        ["AcquireAll(ct, a, b, null)"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.AcquireAll(CancellationToken.None, a, b, null!), "Lock number 2", "locks"),
        ["TryAcquireAll(0, b, null)"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.TryAcquireAll(TimeSpan.Zero, out _, b, null!), "Lock number 1", "locks"),
        ["AcquireAllAsync(null array)"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.AcquireAllAsync((OrderedLockBase[])null!), ParamName: "locks"),
        ["AcquireAllAsync(a, null)"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.AcquireAllAsync(a, null!), "Lock number 1", "locks"),
        ["AcquireAllAsync(null list, ct)"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.AcquireAllAsync((IReadOnlyList<OrderedLockBase>)null!, CancellationToken.None), ParamName: "locks"),
        ["AcquireAllAsync([null, a], ct)"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.AcquireAllAsync(new OrderedLockBase[] { null!, a }, CancellationToken.None), "Lock number 0", "locks"),
        ["TryAcquireAllAsync(null list)"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.TryAcquireAllAsync(null!, TimeSpan.Zero), ParamName: "locks"),
        ["TryAcquireAllAsync([b, null])"] = new(Outcome.Throws, typeof(ArgumentNullException), (a, b, ct) => OrderedLock.TryAcquireAllAsync(new OrderedLockBase[] { b, null! }, TimeSpan.Zero), "Lock number 1", "locks"),

        // Empty sets: ArgumentException.
        ["AcquireAll()"] = new(Outcome.Throws, typeof(ArgumentException), (a, b, ct) => OrderedLock.AcquireAll(), "empty", "locks"),
        ["AcquireAll(ct)"] = new(Outcome.Throws, typeof(ArgumentException), (a, b, ct) => OrderedLock.AcquireAll(CancellationToken.None), "empty", "locks"),
        ["TryAcquireAll(0)"] = new(Outcome.Throws, typeof(ArgumentException), (a, b, ct) => OrderedLock.TryAcquireAll(TimeSpan.Zero, out _), "empty", "locks"),
        ["AcquireAllAsync()"] = new(Outcome.Throws, typeof(ArgumentException), (a, b, ct) => OrderedLock.AcquireAllAsync(), "empty", "locks"),
        ["AcquireAllAsync(empty list)"] = new(Outcome.Throws, typeof(ArgumentException), (a, b, ct) => OrderedLock.AcquireAllAsync(Array.Empty<OrderedLockBase>(), CancellationToken.None), "empty", "locks"),
        ["TryAcquireAllAsync(empty list)"] = new(Outcome.Throws, typeof(ArgumentException), (a, b, ct) => OrderedLock.TryAcquireAllAsync(Array.Empty<OrderedLockBase>(), TimeSpan.Zero), "empty", "locks"),

        // Negative timeouts other than InfiniteTimeSpan, or above int.MaxValue ms.
        ["TryAcquire(-2 ms)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => a.TryAcquire(Negative, out _), "InfiniteTimeSpan", "timeout"),
        ["TryAcquire(-1 tick)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => a.TryAcquire(NegativeTick, out _), ParamName: "timeout"),
        ["TryAcquire(int.MaxValue + 1 ms)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => a.TryAcquire(TooLarge, out _), ParamName: "timeout"),
        ["TryAcquire(TimeSpan.MaxValue)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => a.TryAcquire(TimeSpan.MaxValue, out _), ParamName: "timeout"),
        ["TryAcquire(TimeSpan.MinValue, ct)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => a.TryAcquire(TimeSpan.MinValue, out _, CancellationToken.None), ParamName: "timeout"),
        ["TryAcquireAsync(-2 ms)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => a.TryAcquireAsync(Negative), ParamName: "timeout"),
        ["TryAcquireAsync(int.MaxValue + 1 ms)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => a.TryAcquireAsync(TooLarge), ParamName: "timeout"),
        ["TryAcquireAll(-2 ms)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => OrderedLock.TryAcquireAll(Negative, out _, a, b), ParamName: "timeout"),
        ["TryAcquireAll(int.MaxValue + 1 ms)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => OrderedLock.TryAcquireAll(TooLarge, out _, a, b), ParamName: "timeout"),
        ["TryAcquireAllAsync(-2 ms)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => OrderedLock.TryAcquireAllAsync(new[] { a, b }, Negative), ParamName: "timeout"),
        ["TryAcquireAllAsync(int.MaxValue + 1 ms)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => OrderedLock.TryAcquireAllAsync(new[] { a, b }, TooLarge), ParamName: "timeout"),

        // Already-cancelled tokens: OperationCanceledException (sync) or a canceled ValueTask (async).
        ["Acquire(cancelled)"] = new(Outcome.Throws, typeof(OperationCanceledException), (a, b, ct) => a.Acquire(ct)),
        ["TryAcquire(0, cancelled)"] = new(Outcome.Throws, typeof(OperationCanceledException), (a, b, ct) => a.TryAcquire(TimeSpan.Zero, out _, ct)),
        ["TryAcquire(infinite, cancelled)"] = new(Outcome.Throws, typeof(OperationCanceledException), (a, b, ct) => a.TryAcquire(Timeout.InfiniteTimeSpan, out _, ct)),
        ["AcquireAll(cancelled, a, b)"] = new(Outcome.Throws, typeof(OperationCanceledException), (a, b, ct) => OrderedLock.AcquireAll(ct, a, b)),
        ["AcquireAsync(cancelled)"] = new(Outcome.CanceledValueTask, typeof(TaskCanceledException), (a, b, ct) => a.AcquireAsync(ct)),
        ["TryAcquireAsync(1 s, cancelled)"] = new(Outcome.CanceledValueTask, typeof(TaskCanceledException), (a, b, ct) => a.TryAcquireAsync(TimeSpan.FromSeconds(1), ct)),
        ["AcquireAllAsync(cancelled, a, b)"] = new(Outcome.CanceledValueTask, typeof(TaskCanceledException), (a, b, ct) => OrderedLock.AcquireAllAsync(ct, a, b)),
        ["AcquireAllAsync([a, b], cancelled)"] = new(Outcome.CanceledValueTask, typeof(TaskCanceledException), (a, b, ct) => OrderedLock.AcquireAllAsync(new[] { a, b }, ct)),
        ["TryAcquireAllAsync([a, b], 0, cancelled)"] = new(Outcome.CanceledValueTask, typeof(TaskCanceledException), (a, b, ct) => OrderedLock.TryAcquireAllAsync(new[] { a, b }, TimeSpan.Zero, ct)),

        // Undefined checking mode.
        ["new OrderedLock(checking: 4)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => new OrderedLock("x", checking: (LockOrderChecking)4), ParamName: "checking"),
        ["new OrderedLock(checking: -1)"] = new(Outcome.Throws, typeof(ArgumentOutOfRangeException), (a, b, ct) => new OrderedLock("x", checking: (LockOrderChecking)(-1)), ParamName: "checking"),
    };

    public static TheoryData<string> BadCases => new(s_bad.Keys);

    [Theory]
    [MemberData(nameof(BadCases))]
    public async Task BadInput_IsRejected_AndNothingIsHeld(string name)
    {
        BadCase c = s_bad[name];
        var a = new OrderedLock("a", rank: 1, checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", rank: 2, checking: LockOrderChecking.Strict);

        object? result = null;
        Exception? thrown = Record.Exception(() => result = c.Call(a, b, Cancelled));

        if (c.Outcome == Outcome.CanceledValueTask)
        {
            Assert.Null(thrown);
            Task task = AsTask(result);
            Assert.True(task.IsCanceled, $"{name} should return a canceled ValueTask, got {task.Status}");
        }
        else
        {
            if (thrown is null && result is not null && IsTask(result))
            {
                thrown = await Record.ExceptionAsync(() => AsTask(result).WaitAsync(TestTimeouts.Hang));
            }

            Assert.NotNull(thrown);
            Assert.IsType(c.Expected, thrown);
            if (c.MessageContains is not null)
            {
                Assert.Contains(c.MessageContains, thrown.Message);
            }

            if (c.ParamName is not null)
            {
                Assert.Equal(c.ParamName, ((ArgumentException)thrown).ParamName);
            }
        }

        Locks.AssertFree(a, b);
        Assert.False(a.IsHeldByCurrentFlow);
        Assert.False(b.IsHeldByCurrentFlow);
    }

    private static bool IsTask(object result) => result is Task or ValueTask<LockScope> or ValueTask<LockSetScope>;

    private static Task AsTask(object? result) => result switch
    {
        ValueTask<LockScope> v => v.AsTask(),
        ValueTask<LockSetScope> v => v.AsTask(),
        Task t => t,
        _ => throw new InvalidOperationException($"Not a task: {result}"),
    };

    // ---- Accepted inputs: unusual but valid. Each case asserts its own outcome. ----

    private static readonly Dictionary<string, Func<OrderedLock, OrderedLock, Task>> s_accepted = new()
    {
        ["AcquireAll(a, a, b, a) takes a and b once"] = (a, b) =>
        {
            using LockSetScope set = OrderedLock.AcquireAll(a, a, b, a);
            Assert.Equal(2, set.Count);
            return Task.CompletedTask;
        },
        ["AcquireAllAsync([b, b]) takes b once"] = async (a, b) =>
        {
            using LockSetScope set = await OrderedLock.AcquireAllAsync(new[] { b, b });
            Assert.Equal(b, Assert.Single(set.Locks));
        },
        ["LockScope disposed twice"] = (a, b) =>
        {
            LockScope s = a.Acquire();
            s.Dispose();
            s.Dispose();
            Assert.False(a.IsLocked);
            return Task.CompletedTask;
        },
        ["LockSetScope disposed twice"] = (a, b) =>
        {
            LockSetScope s = OrderedLock.AcquireAll(a, b);
            s.Dispose();
            s.Dispose();
            Assert.False(a.IsLocked || b.IsLocked);
            return Task.CompletedTask;
        },
        ["default scopes disposed"] = (a, b) =>
        {
            default(LockScope).Dispose();
            default(LockSetScope).Dispose();
            return Task.CompletedTask;
        },
        ["sync scope released from a thread that does not hold it"] = async (a, b) =>
        {
            LockScope s = a.Acquire();
#pragma warning disable OL0005 // deliberate hand-off: this flow awaits another thread that releases the synchronous scope
            await TestThreads.Run(s.Dispose).WaitAsync(TestTimeouts.Hang);
#pragma warning restore OL0005
            Assert.False(a.IsLocked);
            Assert.False(a.IsHeldByCurrentFlow);
        },
        ["async scope released from a flow that does not hold it"] = async (a, b) =>
        {
            LockScope s = await Locks.HoldElsewhereAsync(a);
            Assert.False(a.IsHeldByCurrentFlow);
            s.Dispose();
            Assert.False(a.IsLocked);
        },
        ["TryAcquire(InfiniteTimeSpan) on a free lock"] = (a, b) =>
        {
            Assert.True(a.TryAcquire(Timeout.InfiniteTimeSpan, out LockScope s));
            s.Dispose();
            return Task.CompletedTask;
        },
        ["TryAcquire(FromMilliseconds(-1)) is infinite"] = (a, b) =>
        {
            Assert.True(a.TryAcquire(TimeSpan.FromMilliseconds(-1), out LockScope s));
            s.Dispose();
            return Task.CompletedTask;
        },
        ["TryAcquire(int.MaxValue ms) on a free lock"] = (a, b) =>
        {
            Assert.True(a.TryAcquire(TimeSpan.FromMilliseconds(int.MaxValue), out LockScope s));
            s.Dispose();
            return Task.CompletedTask;
        },
        ["TryAcquireAsync(InfiniteTimeSpan) on a free lock"] = async (a, b) =>
        {
            using LockScope s = await a.TryAcquireAsync(Timeout.InfiniteTimeSpan);
            Assert.True(s.IsHeld);
        },
        ["TryAcquireAll(InfiniteTimeSpan) on free locks"] = (a, b) =>
        {
            Assert.True(OrderedLock.TryAcquireAll(Timeout.InfiniteTimeSpan, out LockSetScope s, b, a));
            s.Dispose();
            return Task.CompletedTask;
        },
        ["TryAcquireAllAsync(InfiniteTimeSpan) on free locks"] = async (a, b) =>
        {
            using LockSetScope s = await OrderedLock.TryAcquireAllAsync(new[] { b, a }, Timeout.InfiniteTimeSpan);
            Assert.Equal(2, s.Count);
        },
        ["TryAcquire(0) on a lock held elsewhere"] = async (a, b) =>
        {
            LockScope other = await Locks.HoldElsewhereAsync(a);
            Assert.False(a.TryAcquire(TimeSpan.Zero, out _));
            Assert.Equal(0, a.QueuedWaiterCount);
            other.Dispose();
        },
        ["cancellation while queued (sync)"] = async (a, b) =>
        {
            LockScope other = await Locks.HoldElsewhereAsync(a);
            using var cancel = new CancellationTokenSource();
            Task waiting = TestThreads.Run(() => a.Acquire(cancel.Token).Dispose());
            await Poll.WaitersAsync(a, 1);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestTimeouts.Hang));
            Assert.Equal(0, a.QueuedWaiterCount);
            Assert.True(other.IsHeld);
            other.Dispose();
        },
        ["cancellation while queued (async)"] = async (a, b) =>
        {
            LockScope other = await Locks.HoldElsewhereAsync(a);
            using var cancel = new CancellationTokenSource();
            Task<LockScope> waiting = a.AcquireAsync(cancel.Token).AsTask();
            await Poll.WaitersAsync(a, 1);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestTimeouts.Hang));
            Assert.Equal(0, a.QueuedWaiterCount);
            Assert.True(other.IsHeld);
            other.Dispose();
        },
        ["exception inside a sync scope"] = (a, b) =>
        {
            Assert.Throws<FormatException>(() =>
            {
                using LockScope s = a.Acquire();
                _ = int.Parse("not a number", System.Globalization.CultureInfo.InvariantCulture);
            });
            return Task.CompletedTask;
        },
        ["exception inside an async set scope"] = async (a, b) =>
        {
            await Assert.ThrowsAsync<FormatException>(async () =>
            {
                using LockSetScope s = await OrderedLock.AcquireAllAsync(a, b);
                await Task.Yield();
                _ = int.Parse("not a number", System.Globalization.CultureInfo.InvariantCulture);
            });
        },
    };

    public static TheoryData<string> AcceptedCases => new(s_accepted.Keys);

    [Theory]
    [MemberData(nameof(AcceptedCases))]
    public async Task AcceptedInput_Works_AndLeavesNothingHeld(string name)
    {
        var a = new OrderedLock("a", rank: 1, checking: LockOrderChecking.Strict);
        var b = new OrderedLock("b", rank: 2, checking: LockOrderChecking.Strict);

        await s_accepted[name](a, b).WaitAsync(TestTimeouts.Hang);

        Locks.AssertFree(a, b);
        Assert.False(a.IsHeldByCurrentFlow);
        Assert.False(b.IsHeldByCurrentFlow);
        using LockSetScope again = OrderedLock.AcquireAll(a, b); // state intact: both acquirable
        Assert.Equal(2, again.Count);
    }
}
