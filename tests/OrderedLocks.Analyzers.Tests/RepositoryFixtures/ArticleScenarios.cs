// Reference fixture for the repository-wide analyzer test (RepositoryTests): the raw variants of the
// article's locking scenarios, each marked as docs/analyzers/MARKING.md prescribes, next to their
// fixed variants, which must stay unflagged. Excluded from this project's build; the repository test
// compiles it like any other file of the project.
using System;
using System.Threading;
using System.Threading.Tasks;
using OrderedLocks;

namespace OrderedLocks.Analyzers.Tests.RepositoryFixtures;

internal static class AbbaWithLock
{
    private static readonly object s_x = new object();
    private static readonly object s_y = new object();

#pragma warning disable OL0001 // ABBA deadlock: Thread1 locks x then y while Thread2 locks y then x
    public static void Thread1()
    {
        lock (s_x)
        {
            lock (s_y) { Console.WriteLine("thread 1"); }
        }
    }
#pragma warning restore OL0001

#pragma warning disable OL0001 // ABBA deadlock: the other half, y then x
    public static void Thread2()
    {
        lock (s_y)
        {
            lock (s_x) { Console.WriteLine("thread 2"); }
        }
    }
#pragma warning restore OL0001
}

internal sealed class AbbaWithSemaphores
{
    private readonly SemaphoreSlim _x = new SemaphoreSlim(1, 1);
    private readonly SemaphoreSlim _y = new SemaphoreSlim(1, 1);

#pragma warning disable OL0001 // async ABBA deadlock: x then y here, y then x in BackwardAsync
    public async Task ForwardAsync()
    {
        await _x.WaitAsync();
        try
        {
            await _y.WaitAsync();
            try { await Task.Yield(); } finally { _y.Release(); }
        }
        finally { _x.Release(); }
    }

    public async Task BackwardAsync()
    {
        await _y.WaitAsync();
        try
        {
            await _x.WaitAsync();
            try { await Task.Yield(); } finally { _x.Release(); }
        }
        finally { _y.Release(); }
    }
#pragma warning restore OL0001

#pragma warning disable OL0006 // self-deadlock: RefreshAsync holds _x and LoadAsync waits on it again
    public async Task RefreshAsync()
    {
        await _x.WaitAsync();
        try { await LoadAsync(); } finally { _x.Release(); }
    }
#pragma warning restore OL0006

    private async Task LoadAsync()
    {
        await _x.WaitAsync();
        _x.Release();
    }
}

internal sealed class FixedAbba
{
    private readonly OrderedLock _x = new OrderedLock("x", rank: 1);
    private readonly OrderedLock _y = new OrderedLock("y", rank: 2);

    public void Thread1()
    {
        using (OrderedLock.AcquireAll(_x, _y)) { Console.WriteLine("thread 1"); }
    }

    public async Task Thread2Async()
    {
        using (await OrderedLock.AcquireAllAsync(_y, _x)) { await Task.Yield(); }
    }

#pragma warning disable OL0002 // declared ranks violated: y (rank 2) is held while x (rank 1) is taken
    public void Wrong()
    {
        using (_y.Acquire())
        {
            using (_x.Acquire()) { }
        }
    }
#pragma warning restore OL0002

#pragma warning disable OL0005 // synchronous, thread-owned Acquire() held across an await
    public async Task HoldAcrossAwaitAsync()
    {
        using (_x.Acquire())
        {
            await Task.Yield();
        }
    }
#pragma warning restore OL0005
}

internal sealed class Account
{
    private readonly object _sync = new object();
    private decimal _balance;

#pragma warning disable OL0003 // a.Transfer(b) racing b.Transfer(a): two instances of _sync, no order
    public void Transfer(Account other, decimal amount)
    {
        lock (_sync)
        {
            lock (other._sync)
            {
                _balance -= amount;
                other._balance += amount;
            }
        }
    }
#pragma warning restore OL0003
}

internal sealed class PoemWithMonitor
{
    private readonly object _sync = new object();

#pragma warning disable OL0101 // lost wake-up: XiaoAi waits without a predicate; started second, both wait forever
    public void XiaoAi()
    {
        lock (_sync)
        {
            for (int line = 0; line < 6; line++)
            {
                Monitor.Wait(_sync);
                Console.WriteLine("XiaoAi");
                Monitor.Pulse(_sync);
            }
        }
    }
#pragma warning restore OL0101

#pragma warning disable OL0101 // lost wake-up: TianMao notifies then waits, no predicate either
    public void TianMao()
    {
        lock (_sync)
        {
            for (int line = 0; line < 6; line++)
            {
                Console.WriteLine("TianMao");
                Monitor.Pulse(_sync);
                Monitor.Wait(_sync);
            }
        }
    }
#pragma warning restore OL0101

#pragma warning disable OL0103 // Pulse outside the lock: throws SynchronizationLockException
    public void Start() => Monitor.Pulse(_sync);
#pragma warning restore OL0103
}

internal sealed class FixedPoem
{
    private readonly OrderedLock _lock = new OrderedLock("poem");
    private readonly OrderedCondition _turnChanged;
    private bool _xiaoAisTurn;

    public FixedPoem() => _turnChanged = new OrderedCondition(_lock);

    public void XiaoAi()
    {
        for (int line = 0; line < 6; line++)
        {
            using (_lock.Acquire())
            {
                _turnChanged.WaitFor(() => _xiaoAisTurn);
                Console.WriteLine("XiaoAi");
                _xiaoAisTurn = false;
                _turnChanged.NotifyAll();
            }
        }
    }

    public void TianMao()
    {
        for (int line = 0; line < 6; line++)
        {
            using (_lock.Acquire())
            {
                _turnChanged.WaitFor(() => !_xiaoAisTurn);
                Console.WriteLine("TianMao");
                _xiaoAisTurn = true;
                _turnChanged.NotifyAll();
            }
        }
    }

#pragma warning disable OL0102 // NotifyAll without holding the condition's lock
    public void Nudge() => _turnChanged.NotifyAll();
#pragma warning restore OL0102
}
