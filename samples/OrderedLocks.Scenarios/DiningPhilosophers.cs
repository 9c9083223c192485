using Microsoft.Coyote.Specifications;

namespace OrderedLocks.Scenarios;

/// <summary>
/// Five philosophers, five forks: each takes the fork on the left, then the one on the right. With
/// raw <c>lock</c> the schedule where everyone holds the left fork deadlocks; with
/// <see cref="OrderedLock.AcquireAll(OrderedLockBase[])"/> the two forks are taken in the global
/// order and nobody waits forever.
/// </summary>
public static class DiningPhilosophers
{
    private const int Seats = 5;

    /// <summary>Raw: left fork then right fork under <c>lock</c>. Coyote finds the deadlock.</summary>
    /// <returns>The scenario.</returns>
    public static async Task RawLockAsync()
    {
        var table = new RawTable();
        var philosophers = new Task[Seats];
        for (int i = 0; i < Seats; i++)
        {
            int seat = i;
            philosophers[i] = Task.Run(() => table.Dine(seat));
        }

        await Task.WhenAll(philosophers);
    }

    /// <summary>Fixed: both forks with one <c>AcquireAll</c>; asserts exclusive use of each fork.</summary>
    /// <returns>The scenario.</returns>
    public static async Task AcquireAllAsync()
    {
        var table = new OrderedTable();
        var philosophers = new Task[Seats];
        for (int i = 0; i < Seats; i++)
        {
            int seat = i;
            philosophers[i] = Task.Run(() => table.Dine(seat));
        }

        await Task.WhenAll(philosophers);
        Specification.Assert(table.Meals == Seats, $"Every philosopher should have eaten once, meals {table.Meals}.");
    }

    /// <summary>Fixed, asynchronous: <c>AcquireAllAsync</c>, eating with an await inside.</summary>
    /// <returns>The scenario.</returns>
    public static async Task AcquireAllAsyncAsync()
    {
        var table = new OrderedTable();
        var philosophers = new Task[Seats];
        for (int i = 0; i < Seats; i++)
        {
            int seat = i;
            philosophers[i] = Task.Run(() => table.DineAsync(seat));
        }

        await Task.WhenAll(philosophers);
        Specification.Assert(table.Meals == Seats, $"Every philosopher should have eaten once, meals {table.Meals}.");
    }

    private sealed class RawTable
    {
        private readonly object[] _forks = CreateForks();

#pragma warning disable OL0003 // dining philosophers: each locks its left fork then its right one, two elements of one array nested without an order; together they form a cycle
        internal void Dine(int seat)
        {
            object left = _forks[seat];
            object right = _forks[(seat + 1) % Seats];
            lock (left)
            {
                lock (right)
                {
                }
            }
        }
#pragma warning restore OL0003

        private static object[] CreateForks()
        {
            var forks = new object[Seats];
            for (int i = 0; i < Seats; i++)
            {
                forks[i] = new object();
            }

            return forks;
        }
    }

    private sealed class OrderedTable
    {
        private readonly OrderedLock[] _forks = CreateForks();
        private readonly bool[] _inUse = new bool[Seats];

        internal int Meals { get; private set; }

        internal void Dine(int seat)
        {
            int left = seat;
            int right = (seat + 1) % Seats;
            using (OrderedLock.AcquireAll(_forks[left], _forks[right]))
            {
                Eat(left, right);
                Done(left, right);
            }
        }

        internal async Task DineAsync(int seat)
        {
            int left = seat;
            int right = (seat + 1) % Seats;
            using (await OrderedLock.AcquireAllAsync(_forks[left], _forks[right]))
            {
                Eat(left, right);
                await Task.Yield();
                Done(left, right);
            }
        }

        private static OrderedLock[] CreateForks()
        {
            var forks = new OrderedLock[Seats];
            for (int i = 0; i < Seats; i++)
            {
                forks[i] = new OrderedLock($"fork{i}", checking: LockOrderChecking.Strict);
            }

            return forks;
        }

        private void Eat(int left, int right)
        {
            Specification.Assert(!_inUse[left] && !_inUse[right], $"Fork {left} or {right} is used by two philosophers at once.");
            _inUse[left] = true;
            _inUse[right] = true;
        }

        private void Done(int left, int right)
        {
            _inUse[left] = false;
            _inUse[right] = false;
            Meals++;
        }
    }
}
