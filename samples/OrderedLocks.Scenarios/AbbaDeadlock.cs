using Microsoft.Coyote.Specifications;

namespace OrderedLocks.Scenarios;

/// <summary>
/// The article's deadlock ("线程死锁"): thread_1 takes x then y, thread_2 takes y then x. With raw
/// <c>lock</c> or <see cref="SemaphoreSlim"/> some schedules deadlock; with
/// <see cref="OrderedLock.AcquireAll(OrderedLockBase[])"/> both take them in one global order and
/// never do; nested acquisitions in the wrong order are a deterministic
/// <see cref="LockOrderException"/> (strict ranks) or reported at the first inconsistent
/// acquisition (learned order), never a hang.
/// </summary>
public static class AbbaDeadlock
{
    /// <summary>Raw <c>lock</c>: Coyote reports "Deadlock detected" with a trace.</summary>
    /// <returns>The scenario.</returns>
    public static Task RawLockAsync()
    {
        var s = new WithMonitor();
        return Task.WhenAll(new[] { Task.Run(s.Thread1), Task.Run(s.Thread2) });
    }

    /// <summary>Raw <see cref="SemaphoreSlim.WaitAsync()"/>: the same deadlock in async code.</summary>
    /// <returns>The scenario.</returns>
    public static Task RawSemaphoreSlimAsync()
    {
        var s = new WithSemaphores();
        return Task.WhenAll(new[] { Task.Run(s.Thread1Async), Task.Run(s.Thread2Async) });
    }

    /// <summary>Fixed, synchronous: each thread calls <c>AcquireAll</c> with its own argument order.</summary>
    /// <returns>The scenario.</returns>
    public static async Task AcquireAllAsync()
    {
        var s = new WithAcquireAll();
        await Task.WhenAll(new[] { Task.Run(s.Thread1), Task.Run(s.Thread2) });
        Specification.Assert(s.Entered == 2, $"Both threads should have entered, entered {s.Entered}.");
    }

    /// <summary>Fixed, asynchronous: <c>AcquireAllAsync</c> with an await inside the critical section.</summary>
    /// <returns>The scenario.</returns>
    public static async Task AcquireAllAsyncAsync()
    {
        var s = new WithAcquireAll();
        await Task.WhenAll(new[] { Task.Run(s.Thread1Async), Task.Run(s.Thread2Async) });
        Specification.Assert(s.Entered == 2, $"Both flows should have entered, entered {s.Entered}.");
    }

    /// <summary>
    /// Nested acquisitions in the wrong order under strict checking, the exception left unhandled:
    /// Coyote reports the <see cref="LockOrderException"/> at once (never a deadlock).
    /// </summary>
    /// <returns>The scenario.</returns>
    public static Task StrictNestedUnhandledAsync()
    {
        var s = new WithNestedOrderedLocks(LockOrderChecking.Strict);
        return Task.WhenAll(new[] { Task.Run(s.Thread1), Task.Run(s.Thread2) });
    }

    /// <summary>
    /// Nested acquisitions in the wrong order under strict checking: in every schedule thread_2 gets
    /// the <see cref="LockOrderException"/> before blocking, thread_1 completes, nothing hangs.
    /// </summary>
    /// <returns>The scenario.</returns>
    public static async Task StrictNestedDeterministicAsync()
    {
        var s = new WithNestedOrderedLocks(LockOrderChecking.Strict);
        Task t1 = Task.Run(s.Thread1);
        Task t2 = Task.Run(() => s.Guarded(s.Thread2));
        await Task.WhenAll(new[] { t1, t2 });
        Specification.Assert(s.Thread1Done, "thread_1 (the declared order) must always complete.");
        Specification.Assert(
            s.Errors.Count == 1 && s.Errors[0].Kind == LockViolationKind.OrderViolation,
            $"thread_2 must get exactly one OrderViolation in every schedule, got {s.Errors.Count}.");
        Specification.Assert(!s.X.IsLocked && !s.Y.IsLocked, "Nothing may stay held after the violation.");
    }

    /// <summary>
    /// Nested acquisitions in inconsistent order, learned checking (no ranks): whichever thread makes
    /// the second, inconsistent acquisition gets a <see cref="LockViolationKind.PotentialDeadlock"/>
    /// report, in every schedule (also when the two never overlap), and nothing hangs.
    /// </summary>
    /// <returns>The scenario.</returns>
    public static async Task LearnedNestedAsync()
    {
        var s = new WithNestedOrderedLocks(LockOrderChecking.Learned);
        Task t1 = Task.Run(() => s.Guarded(s.Thread1));
        Task t2 = Task.Run(() => s.Guarded(s.Thread2));
        await Task.WhenAll(new[] { t1, t2 });
        Specification.Assert(
            s.Errors.Count == 1 && s.Errors[0].Kind == LockViolationKind.PotentialDeadlock,
            $"Exactly one inconsistent acquisition must be reported as a potential deadlock, got {s.Errors.Count}.");
        Specification.Assert(!s.X.IsLocked && !s.Y.IsLocked, "Nothing may stay held after the report.");
    }

    /// <summary>
    /// Seeded bug: the same nested acquisitions with checking off (a lock library that forgot its
    /// order check). Coyote finds the deadlock that strict checking turns into an exception.
    /// </summary>
    /// <returns>The scenario.</returns>
    public static Task CheckingOffNestedAsync()
    {
        var s = new WithNestedOrderedLocks(LockOrderChecking.Off);
        return Task.WhenAll(new[] { Task.Run(s.Thread1), Task.Run(s.Thread2) });
    }

    private sealed class WithMonitor
    {
        private readonly object _x = new();
        private readonly object _y = new();
        private int _entered;

#pragma warning disable OL0001 // ABBA deadlock: Thread1 locks _x then _y, Thread2 locks _y then _x
        internal void Thread1()
        {
            lock (_x)
            {
                lock (_y)
                {
                    _entered++;
                }
            }
        }

        internal void Thread2()
        {
            lock (_y)
            {
                lock (_x)
                {
                    _entered++;
                }
            }
        }
#pragma warning restore OL0001
    }

    private sealed class WithSemaphores
    {
        private readonly SemaphoreSlim _x = new(1, 1);
        private readonly SemaphoreSlim _y = new(1, 1);
        private int _entered;

#pragma warning disable OL0001 // ABBA deadlock: Thread1Async waits _x then _y, Thread2Async waits _y then _x
        internal async Task Thread1Async()
        {
            await _x.WaitAsync();
            try
            {
                await _y.WaitAsync();
                try
                {
                    _entered++;
                }
                finally
                {
                    _y.Release();
                }
            }
            finally
            {
                _x.Release();
            }
        }

        internal async Task Thread2Async()
        {
            await _y.WaitAsync();
            try
            {
                await _x.WaitAsync();
                try
                {
                    _entered++;
                }
                finally
                {
                    _x.Release();
                }
            }
            finally
            {
                _y.Release();
            }
        }
#pragma warning restore OL0001
    }

    private sealed class WithAcquireAll
    {
        private readonly OrderedLock _x = new("x");
        private readonly OrderedLock _y = new("y");

        internal int Entered { get; private set; }

        internal void Thread1()
        {
            using (OrderedLock.AcquireAll(_x, _y))
            {
                Entered++;
            }
        }

        internal void Thread2()
        {
            using (OrderedLock.AcquireAll(_y, _x))
            {
                Entered++;
            }
        }

        internal async Task Thread1Async()
        {
            using (await OrderedLock.AcquireAllAsync(_x, _y))
            {
                await Task.Yield();
                Entered++;
            }
        }

        internal async Task Thread2Async()
        {
            using (await OrderedLock.AcquireAllAsync(_y, _x))
            {
                await Task.Yield();
                Entered++;
            }
        }
    }

    private sealed class WithNestedOrderedLocks
    {
        internal WithNestedOrderedLocks(LockOrderChecking checking)
        {
            // Ranks declare x before y; learned checking ignores ranks and learns from use.
            X = new OrderedLock("x", rank: 1, checking: checking);
            Y = new OrderedLock("y", rank: 2, checking: checking);
        }

        internal OrderedLock X { get; }

        internal OrderedLock Y { get; }

        internal List<LockOrderException> Errors { get; } = new();

        internal bool Thread1Done { get; private set; }

        // Runs a thread body, recording a LockOrderException instead of letting it escape.
        internal void Guarded(Action thread)
        {
            try
            {
                thread();
            }
            catch (LockOrderException e)
            {
                lock (Errors)
                {
                    Errors.Add(e);
                }
            }
        }

#pragma warning disable OL0001, OL0002, OL0004 // ABBA with ordered locks: Thread1 nests X then Y, Thread2 nests Y then X (against the ranks), instead of one AcquireAll (caught at run time)
        internal void Thread1()
        {
            using (X.Acquire())
            {
                using (Y.Acquire())
                {
                    Thread1Done = true;
                }
            }
        }

        internal void Thread2()
        {
            using (Y.Acquire())
            {
                using (X.Acquire())
                {
                }
            }
        }
#pragma warning restore OL0001, OL0002, OL0004
    }
}
