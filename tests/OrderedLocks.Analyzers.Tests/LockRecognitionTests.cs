using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0001InconsistentLockOrderAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// Which calls are lock acquisitions: the BCL and well-known library lock types, by type (never a
/// method name alone). Third-party libraries are declared here by their public shape only (their
/// namespaces, type and method names), since the test project does not reference them.
/// </summary>
public sealed class LockRecognitionTests
{
    private const string DotNextShape = """
        namespace DotNext.Threading
        {
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            public class AsyncExclusiveLock
            {
                public ValueTask AcquireAsync(CancellationToken token = default) => default;
                public ValueTask<bool> TryAcquireAsync(TimeSpan timeout, CancellationToken token = default) => default;
                public void Release() { }
            }

            public struct AsyncLock
            {
                public static AsyncLock Exclusive() => default;
                public static AsyncLock Exclusive(AsyncExclusiveLock existing) => default;
                public ValueTask<Holder> AcquireAsync(CancellationToken token) => default;

                public struct Holder : IDisposable
                {
                    public void Dispose() { }
                }
            }
        }
        """;

    private const string NitoShape = """
        namespace Nito.AsyncEx
        {
            using System;

            public sealed class AwaitableDisposable<T> where T : IDisposable
            {
                public System.Runtime.CompilerServices.TaskAwaiter<T> GetAwaiter() => default;
            }

            public sealed class AsyncLock
            {
                public AwaitableDisposable<IDisposable> LockAsync() => null!;
                public IDisposable Lock() => null!;
            }
        }
        """;

    /// <summary>Issue 10, missed bug 3: a Mutex (WaitOne / ReleaseMutex) nested with lock in the other order.</summary>
    [Fact]
    public async Task MutexNestedWithLockInTheOtherOrder_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Journal
            {
                private readonly Mutex _file = new Mutex();
                private readonly object _index = new object();

                public void Append()
                {
                    _file.WaitOne();
                    try
                    {
                        lock ({|OL0001:_index|}) { }
                    }
                    finally
                    {
                        _file.ReleaseMutex();
                    }
                }

                public void Compact()
                {
                    lock (_index)
                    {
                        _file.WaitOne();
                        _file.ReleaseMutex();
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task MutexReleasedBeforeLock_OrTimedWait_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Journal
            {
                private readonly Mutex _file = new Mutex();
                private readonly object _index = new object();

                public void Append()
                {
                    _file.WaitOne();
                    _file.ReleaseMutex();
                    lock (_index) { }
                }

                public void Compact()
                {
                    lock (_index)
                    {
                        if (_file.WaitOne(100))
                        {
                            _file.ReleaseMutex();
                        }
                    }
                }

                public void Reenter()
                {
                    _file.WaitOne();
                    _file.WaitOne();
                    _file.ReleaseMutex();
                    _file.ReleaseMutex();
                }
            }
            """);
    }

    /// <summary>Issue 11, item 9: DotNext's AsyncExclusiveLock (AcquireAsync / Release) and AsyncLock.Exclusive(x).</summary>
    [Fact]
    public async Task DotNextExclusiveLock_AcquireReleaseAgainstAsyncLockExclusive_Reports()
    {
        await V.AnalyzerAsync(
            """
            using System.Threading.Tasks;
            using DotNext.Threading;

            class Store
            {
                private readonly AsyncExclusiveLock _rows = new AsyncExclusiveLock();
                private readonly AsyncExclusiveLock _log = new AsyncExclusiveLock();

                public async Task WriteAsync()
                {
                    await _rows.AcquireAsync();
                    try
                    {
                        using (await {|OL0001:AsyncLock.Exclusive(_log).AcquireAsync(default)|}) { }
                    }
                    finally
                    {
                        _rows.Release();
                    }
                }

                public async Task FlushAsync()
                {
                    await _log.AcquireAsync();
                    await _rows.AcquireAsync();
                    _rows.Release();
                    _log.Release();
                }
            }
            """,
            DotNextShape);
    }

    [Fact]
    public async Task DotNextReleasedFirst_OrNotAwaited_DoesNotReport()
    {
        await V.AnalyzerAsync(
            """
            using System;
            using System.Threading.Tasks;
            using DotNext.Threading;

            class Store
            {
                private readonly AsyncExclusiveLock _rows = new AsyncExclusiveLock();
                private readonly AsyncExclusiveLock _log = new AsyncExclusiveLock();

                public async Task WriteAsync()
                {
                    await _rows.AcquireAsync();
                    _rows.Release();
                    await _log.AcquireAsync();
                    _log.Release();
                }

                public async Task FlushAsync()
                {
                    await _log.AcquireAsync();
                    if (await _rows.TryAcquireAsync(TimeSpan.FromSeconds(1)))
                    {
                        _rows.Release();
                    }

                    _log.Release();
                }

                public async Task OtherAsync()
                {
                    await _rows.AcquireAsync();
                    var pending = _log.AcquireAsync();
                    _rows.Release();
                    await pending;
                    _log.Release();
                }
            }
            """,
            DotNextShape);
    }

    [Fact]
    public async Task NitoAsyncLock_Abba_Reports()
    {
        await V.AnalyzerAsync(
            """
            using System.Threading.Tasks;
            using Nito.AsyncEx;

            class Service
            {
                private readonly AsyncLock _users = new AsyncLock();
                private readonly AsyncLock _orders = new AsyncLock();

                public async Task AddOrderAsync()
                {
                    using (await _users.LockAsync())
                    using (await {|OL0001:_orders.LockAsync()|})
                    {
                    }
                }

                public void DeleteUser()
                {
                    using (_orders.Lock())
                    {
                        using (_users.Lock()) { }
                    }
                }
            }
            """,
            NitoShape);
    }

    /// <summary>A user type named reentrant in .editorconfig: re-entering it is neither an order nor a self-deadlock.</summary>
    [Fact]
    public async Task ReentrantUserLockType_ReentryAddsNoOrder()
    {
        await V.AnalyzerWithOptionsAsync(
            "orderedlocks.reentrant_lock_types = Gate",
            """
            using System;

            sealed class Gate
            {
                public IDisposable Enter() => null!;
            }

            class Service
            {
                private readonly Gate _gate = new Gate();
                private readonly object _data = new object();

                public void One()
                {
                    using (_gate.Enter())
                    {
                        lock (_data)
                        {
                            using (_gate.Enter()) { }
                        }
                    }
                }

                public void Two()
                {
                    using (_gate.Enter())
                    {
                        lock (_data) { }
                    }
                }
            }
            """);
    }
}
