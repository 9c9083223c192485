namespace OrderedLocks.Analyzers.Tests;

/// <summary>A compact stub of the OrderedLocks public API, compiled with every test source.</summary>
internal static class Stub
{
    public const string Source = """
        #nullable enable
        namespace OrderedLocks
        {
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            public abstract class OrderedLockBase
            {
                public string? Name => null;
                public int Rank => 0;
                public long Id => 0;
            }

            public readonly struct LockScope : IDisposable
            {
                public void Dispose() { }
            }

            public readonly struct LockSetScope : IDisposable
            {
                public void Dispose() { }
            }

            public sealed class OrderedLock : OrderedLockBase
            {
                public OrderedLock(string? name = null, int rank = 0) { }
                public LockScope Acquire() => default;
                public bool TryAcquire(TimeSpan timeout, out LockScope scope) { scope = default; return true; }
                public ValueTask<LockScope> AcquireAsync(CancellationToken ct = default) => default;
                public static LockSetScope AcquireAll(params OrderedLockBase[] locks) => default;
                public static LockSetScope AcquireAll(CancellationToken ct, params OrderedLockBase[] locks) => default;
                public static ValueTask<LockSetScope> AcquireAllAsync(params OrderedLockBase[] locks) => default;
                public static ValueTask<LockSetScope> AcquireAllAsync(CancellationToken ct, params OrderedLockBase[] locks) => default;
            }

            public sealed class ReentrantOrderedLock : OrderedLockBase
            {
                public ReentrantOrderedLock(string? name = null, int rank = 0) { }
                public LockScope Acquire() => default;
                public bool TryAcquire(TimeSpan timeout, out LockScope scope) { scope = default; return true; }
                public ValueTask<LockScope> AcquireAsync(CancellationToken ct = default) => default;
                public int RecursionCount => 0;
                public bool IsHeldByCurrentFlow => false;
            }

            public sealed class OrderedCondition
            {
                public OrderedCondition(OrderedLockBase @lock) { }
                public bool Wait(TimeSpan? timeout = null) => true;
                public ValueTask<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken ct = default) => default;
                public bool WaitFor(Func<bool> predicate, TimeSpan? timeout = null) => true;
                public ValueTask<bool> WaitForAsync(Func<bool> predicate, TimeSpan? timeout = null, CancellationToken ct = default) => default;
                public void Notify(int n = 1) { }
                public void NotifyAll() { }
            }

            [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
            public sealed class LockRankAttribute : Attribute
            {
                public LockRankAttribute(int rank) { Rank = rank; }
                public int Rank { get; }
            }
        }
        """;
}
