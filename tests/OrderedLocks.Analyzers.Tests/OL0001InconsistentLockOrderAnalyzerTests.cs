using Microsoft.CodeAnalysis.Testing;
using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0001InconsistentLockOrderAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

public sealed class OL0001InconsistentLockOrderAnalyzerTests
{
    // ------------------------------------------------------------------ must report

    [Fact]
    public async Task LockStatements_AbbaInOneClass_Reports()
    {
        await V.AnalyzerAsync("""
            class Bank
            {
                private readonly object _a = new object();
                private readonly object _b = new object();

                public void Thread1()
                {
                    lock (_a)
                    {
                        lock ({|OL0001:_b|}) { }
                    }
                }

                public void Thread2()
                {
                    lock (_b)
                    {
                        lock (_a) { }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Cycle_MessageAndAdditionalLocations_SpellTheCycleOut()
    {
        string source = """
            class Bank
            {
                private static readonly object s_x = new object();
                private static readonly object s_y = new object();

                public void Thread1()
                {
                    lock (s_x) { lock ({|#0:s_y|}) { } }
                }

                public void Thread2()
                {
                    lock (s_y) { Helper(); }
                }

                private void Helper()
                {
                    lock (s_x) { }
                }
            }
            """;
        DiagnosticResult expected = V.Diagnostic()
            .WithLocation(0)
            .WithLocation(1)
            .WithArguments("'Bank.s_x' → 'Bank.s_y' → 'Bank.s_x'; 'Bank.s_y' while holding 'Bank.s_x' in Bank.Thread1(); 'Bank.s_x' while holding 'Bank.s_y' in Bank.Thread2() via Bank.Thread2() → Bank.Helper()");
        await V.AnalyzerAsync(new[] { source.Replace("Helper(); }", "{|#1:Helper()|}; }", StringComparison.Ordinal) }, new[] { expected });
    }

    [Fact]
    public async Task CrossClassStaticLocks_InTwoFiles_Reports()
    {
        await V.AnalyzerAsync(
            """
            static class Inventory
            {
                internal static readonly object Sync = new object();

                public static void Reserve()
                {
                    lock (Sync)
                    {
                        {|OL0001:Ledger.Record()|};
                    }
                }

                public static void Audit()
                {
                    lock (Sync) { }
                }
            }
            """,
            """
            static class Ledger
            {
                private static readonly object s_sync = new object();

                public static void Record()
                {
                    lock (s_sync) { }
                }

                public static void Close()
                {
                    lock (s_sync)
                    {
                        Inventory.Audit();
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task ThroughInterface_AllImplementationsFollowed_Reports()
    {
        await V.AnalyzerAsync("""
            interface IListener { void OnEvent(); }

            class Cache : IListener
            {
                internal readonly object Sync = new object();
                public void OnEvent() { lock (Sync) { } }
            }

            class Bus
            {
                private readonly object _sync = new object();
                private readonly IListener _listener;
                private readonly Cache _cache;

                public Bus(IListener listener, Cache cache) { _listener = listener; _cache = cache; }

                public void Publish()
                {
                    lock (_sync) { {|OL0001:_listener.OnEvent()|}; }
                }

                public void Evict()
                {
                    lock (_cache.Sync) { lock (_sync) { } }
                }
            }
            """);
    }

    [Fact]
    public async Task ThroughVirtualOverride_Reports()
    {
        await V.AnalyzerAsync("""
            class Node
            {
                protected static readonly object Tree = new object();
                public virtual void Visit() { }
                public void Walk() { lock (Tree) { {|OL0001:Visit()|}; } }
            }

            class Leaf : Node
            {
                private static readonly object s_leaf = new object();
                public override void Visit() { lock (s_leaf) { } }
                public void Prune() { lock (s_leaf) { lock (Tree) { } } }
            }
            """);
    }

    [Fact]
    public async Task SemaphoreSlimWaitAsync_Abba_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;

            class Transfer
            {
                private readonly SemaphoreSlim _a = new SemaphoreSlim(1, 1);
                private readonly SemaphoreSlim _b = new SemaphoreSlim(1);

                public async Task ForwardAsync()
                {
                    await _a.WaitAsync();
                    try
                    {
                        await {|OL0001:_b.WaitAsync()|};
                        try { } finally { _b.Release(); }
                    }
                    finally { _a.Release(); }
                }

                public async Task BackwardAsync()
                {
                    await _b.WaitAsync();
                    try
                    {
                        await _a.WaitAsync();
                        _a.Release();
                    }
                    finally { _b.Release(); }
                }
            }
            """);
    }

    [Fact]
    public async Task HomeGrownAsyncLockShape_NamedInEditorconfig_Reports()
    {
        // A home-grown lock is a lock when the user names its type (no name heuristic by default).
        await V.AnalyzerWithOptionsAsync("orderedlocks.lock_types = AsyncMutex", """
            using System;
            using System.Threading.Tasks;

            sealed class AsyncMutex
            {
                public Task<IDisposable> LockAsync() => Task.FromResult<IDisposable>(null!);
                public IDisposable Lock() => null!;
            }

            class Service
            {
                private readonly AsyncMutex _users = new AsyncMutex();
                private readonly AsyncMutex _orders = new AsyncMutex();

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
            """);
    }

    /// <summary>
    /// Issue 10, false shape 1: a method named like a lock on a type nobody named as a lock (a pool
    /// rental returning IDisposable) is not a lock. The old expectation (this shape reports by name)
    /// was itself the false positive; the opt-in name heuristic still finds it.
    /// </summary>
    [Fact]
    public async Task LockNamedMethodOnUnknownType_IsNotALockByDefault()
    {
        string source = """
            using System;

            sealed class BuilderPool
            {
                public IDisposable Acquire() => null!;
            }

            class Target
            {
                private readonly object _sync = new object();
                private readonly BuilderPool _pool = new BuilderPool();

                public void Write()
                {
                    lock (_sync)
                    {
                        using (MARK) { }
                    }
                }

                public void Render()
                {
                    using (_pool.Acquire())
                    {
                        lock (_sync) { }
                    }
                }
            }
            """;
        await V.AnalyzerAsync(source.Replace("MARK", "_pool.Acquire()", StringComparison.Ordinal));
        await V.AnalyzerWithOptionsAsync("orderedlocks.lock_name_heuristic = true", source.Replace("MARK", "{|OL0001:_pool.Acquire()|}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OrderedLocksWithoutRanks_AbbaThroughAsyncHelper_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            class Accounts
            {
                private readonly OrderedLock _x = new OrderedLock("x");
                private readonly OrderedLock _y = new OrderedLock("y");

                public async Task OneAsync()
                {
                    using (await _x.AcquireAsync())
                    {
                        await {|OL0001:TouchYAsync()|};
                    }
                }

                private async Task TouchYAsync()
                {
                    using var scope = await _y.AcquireAsync();
                }

                public void Two()
                {
                    using var y = _y.Acquire();
                    using var x = _x.Acquire();
                }
            }
            """);
    }

    [Fact]
    public async Task MonitorEnterTryFinally_Abba_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Pair
            {
                private readonly object _left = new object();
                private readonly object _right = new object();

                public void A()
                {
                    bool taken = false;
                    try
                    {
                        Monitor.Enter(_left, ref taken);
                        {|OL0001:Monitor.Enter(_right)|};
                        try { } finally { Monitor.Exit(_right); }
                    }
                    finally
                    {
                        if (taken) Monitor.Exit(_left);
                    }
                }

                public void B()
                {
                    Monitor.Enter(_right);
                    try { lock (_left) { } }
                    finally { Monitor.Exit(_right); }
                }
            }
            """);
    }

    [Fact]
    public async Task ThreeLockCycle_DiningPhilosophers_ReportedOnce()
    {
        await V.AnalyzerAsync("""
            class Table
            {
                private static readonly object s_fork1 = new object();
                private static readonly object s_fork2 = new object();
                private static readonly object s_fork3 = new object();

                public void Philosopher1() { lock (s_fork1) { lock ({|OL0001:s_fork2|}) { } } }
                public void Philosopher2() { lock (s_fork2) { lock (s_fork3) { } } }
                public void Philosopher3() { lock (s_fork3) { lock (s_fork1) { } } }
            }
            """);
    }

    [Fact]
    public async Task EventHandlerSubscribedInCompilation_Reports()
    {
        await V.AnalyzerAsync("""
            using System;

            class Model
            {
                internal readonly object Sync = new object();
                public event Action? Changed;

                public void Set()
                {
                    lock (Sync) { {|OL0001:Changed?.Invoke()|}; }
                }
            }

            class View
            {
                private readonly object _render = new object();
                private readonly Model _model;

                public View(Model model)
                {
                    _model = model;
                    _model.Changed += () => { lock (_render) { } };
                }

                public void Paint()
                {
                    lock (_render) { lock (_model.Sync) { } }
                }
            }
            """);
    }

    [Fact]
    public async Task LambdaInvokedThroughLocalDelegate_Reports()
    {
        await V.AnalyzerAsync("""
            using System;

            class Work
            {
                private readonly object _a = new object();
                private readonly object _b = new object();

                public void Run()
                {
                    Action step = () => { lock (_b) { } };
                    lock (_a) { {|OL0001:step()|}; }
                }

                public void Other() { lock (_b) { lock (_a) { } } }
            }
            """);
    }

    [Fact]
    public async Task LocalFunction_PropertyGetter_AndExtensionMethod_AreFollowed()
    {
        await V.AnalyzerAsync("""
            static class Ext
            {
                internal static readonly object Gate = new object();
                public static void Touch(this Store store) { lock (Gate) { } }
            }

            class Store
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                private readonly object _c = new object();

                private int Count { get { lock (_b) { return 1; } } }

                public void One()
                {
                    lock (_a) { {|OL0001:Local()|}; }
                    void Local() { _ = Count; }
                }

                public void Two() { lock (_b) { this.Touch(); } }

                public void Three() { lock (Ext.Gate) { lock (_c) { lock (_a) { } } } }
            }
            """);
    }

    [Fact]
    public async Task SynchronizedMethods_ReaderWriterWrite_AndThreadingLock_AreLocks()
    {
        await V.AnalyzerAsync("""
            using System.Runtime.CompilerServices;
            using System.Threading;

            class Mixed
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                private readonly Lock _gate = new Lock();

                [MethodImpl(MethodImplOptions.Synchronized)]
                public void Sync()
                {
                    {|OL0001:_rw.EnterWriteLock()|};
                    try { } finally { _rw.ExitWriteLock(); }
                }

                public void Write()
                {
                    _rw.EnterWriteLock();
                    try
                    {
                        using (_gate.EnterScope()) { }
                    }
                    finally { _rw.ExitWriteLock(); }
                }

                public void Gate()
                {
                    lock (_gate) { Sync(); }
                }
            }
            """);
    }

    [Fact]
    public async Task ConstantArrayElementsInBothOrders_Reports()
    {
        await V.AnalyzerAsync("""
            class Bench
            {
                private static readonly object[] s_locks = { new object(), new object() };

                public void Forward() { lock (s_locks[0]) { lock ({|OL0001:s_locks[1]|}) { } } }
                public void Backward() { lock (s_locks[1]) { lock (s_locks[0]) { } } }
            }
            """);
    }

    // ------------------------------------------------------------------ must not report

    [Fact]
    public async Task ConsistentOrderAcrossMethodsAndClasses_DoesNotReport()
    {
        await V.AnalyzerAsync(
            """
            class First
            {
                internal static readonly object A = new object();
                public void One() { lock (A) { Second.Work(); } }
                public void Two() { lock (A) { lock (Second.B) { } } }
            }
            """,
            """
            static class Second
            {
                internal static readonly object B = new object();
                public static void Work() { lock (B) { } }
            }
            """);
    }

    [Fact]
    public async Task LockNestedInACallee_OrdersOnlyWhatTheCalleeTakesFirst()
    {
        // Tour() holds s_c and calls Visit(), which takes s_a and then, through Inner(), s_b. What
        // Tour() orders after s_c is s_a only: s_b comes after s_a, inside the callee (its own
        // edge). Counting s_c → s_b as well would make up the two-lock cycle s_b → s_c → s_b, and
        // report it instead of the three-lock cycle that is there.
        string source = """
            class Museum
            {
                private static readonly object s_a = new object();
                private static readonly object s_b = new object();
                private static readonly object s_c = new object();

                public void Tour() { lock (s_c) { {|#1:Visit()|}; } }
                private void Visit() { lock (s_a) { {|#2:Inner()|}; } }
                private void Inner() { lock (s_b) { } }
                public void Close() { lock (s_b) { lock ({|#0:s_c|}) { } } }
            }
            """;
        DiagnosticResult expected = V.Diagnostic()
            .WithLocation(1)
            .WithLocation(2)
            .WithLocation(0)
            .WithArguments("'Museum.s_a' → 'Museum.s_b' → 'Museum.s_c' → 'Museum.s_a'; 'Museum.s_b' while holding 'Museum.s_a' in Museum.Visit() via Museum.Visit() → Museum.Inner(); 'Museum.s_c' while holding 'Museum.s_b' in Museum.Close(); 'Museum.s_a' while holding 'Museum.s_c' in Museum.Tour() via Museum.Tour() → Museum.Visit()");
        await V.AnalyzerAsync(new[] { source }, new[] { expected });
    }

    [Fact]
    public async Task TwelveLocksThroughOneCall_TheLastIsStillOrdered()
    {
        // Survey() takes twelve locks one after the other, so its acquired set grows well past its
        // first size (and, being recursive with Again(), so does the log of what changed in it).
        // s_11, added last, is still found under s_z, and the cycle through it reported.
        await V.AnalyzerAsync("""
            class Ledger
            {
                private static readonly object s_0 = new object();
                private static readonly object s_1 = new object();
                private static readonly object s_2 = new object();
                private static readonly object s_3 = new object();
                private static readonly object s_4 = new object();
                private static readonly object s_5 = new object();
                private static readonly object s_6 = new object();
                private static readonly object s_7 = new object();
                private static readonly object s_8 = new object();
                private static readonly object s_9 = new object();
                private static readonly object s_10 = new object();
                private static readonly object s_11 = new object();
                private static readonly object s_z = new object();

                public static void Survey(int depth) { if (depth > 0) { Again(depth); } Take0(); Take1(); Take2(); Take3(); Take4(); Take5(); Take6(); Take7(); Take8(); Take9(); Take10(); Take11(); }
                private static void Again(int depth) { Survey(depth - 1); }
                private static void Take0() { lock (s_0) { } }
                private static void Take1() { lock (s_1) { } }
                private static void Take2() { lock (s_2) { } }
                private static void Take3() { lock (s_3) { } }
                private static void Take4() { lock (s_4) { } }
                private static void Take5() { lock (s_5) { } }
                private static void Take6() { lock (s_6) { } }
                private static void Take7() { lock (s_7) { } }
                private static void Take8() { lock (s_8) { } }
                private static void Take9() { lock (s_9) { } }
                private static void Take10() { lock (s_10) { } }
                private static void Take11() { lock (s_11) { } }
                public static void Audit() { lock (s_z) { {|OL0001:Survey(1)|}; } }
                public static void Close() { lock (s_11) { lock (s_z) { } } }
            }
            """);
    }

    [Fact]
    public async Task RecursionClosedOnlyByACallUnderALock_StillGivesTheCalleesFirstLock()
    {
        // Forward() and Pass() call each other, and Pass() calls back only while holding _b. What
        // Enter() orders after _a is what Pass() takes first, _b: Pass()'s top-level set, computed
        // over a recursion that the top-level pass follows only one way (it leaves out calls made
        // under a lock). Sets are computed only where the edges read them; this recursion is read
        // whole, because the call it leaves out is made under a lock and its target is read too.
        await V.AnalyzerAsync("""
            class Relay
            {
                private readonly object _a = new object();
                private readonly object _b = new object();

                public void Forward() { Pass(); }
                private void Pass() { lock (_b) { Forward(); } }
                public void Enter() { lock (_a) { {|OL0001:Pass()|}; } }
                public void Back() { lock (_b) { lock (_a) { } } }
            }
            """);
    }

    [Fact]
    public async Task GateLockHeldOnEveryEdge_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            class Gated
            {
                private static readonly object s_gate = new object();
                private static readonly object s_a = new object();
                private static readonly object s_b = new object();

                public void One() { lock (s_gate) { lock (s_a) { lock (s_b) { } } } }
                public void Two() { lock (s_gate) { Inner(); } }
                private void Inner() { lock (s_b) { lock (s_a) { } } }
            }
            """);
    }

    [Fact]
    public async Task SameFieldNamesInUnrelatedClasses_AreDifferentLocks()
    {
        await V.AnalyzerAsync("""
            class Left
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                public void Go() { lock (_a) { lock (_b) { } } }
            }

            class Right
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                public void Go() { lock (_b) { lock (_a) { } } }
            }
            """);
    }

    [Fact]
    public async Task LockReleasedBeforeCall_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Released
            {
                private readonly object _a = new object();
                private readonly object _b = new object();

                public void One()
                {
                    lock (_a) { }
                    TakeB();
                    Monitor.Enter(_a);
                    try { } finally { Monitor.Exit(_a); }
                    TakeB();
                }

                private void TakeB() { lock (_b) { } }

                public void Two() { lock (_b) { lock (_a) { } } }
            }
            """);
    }

    [Fact]
    public async Task SemaphoreWithCountAboveOne_IsNotALock()
    {
        await V.AnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;

            class Throttle
            {
                private readonly SemaphoreSlim _slots = new SemaphoreSlim(4);
                private readonly SemaphoreSlim _signal = new SemaphoreSlim(0);
                private readonly object _sync = new object();

                public async Task OneAsync()
                {
                    await _slots.WaitAsync();
                    try { lock (_sync) { } } finally { _slots.Release(); }
                }

                public void Two()
                {
                    lock (_sync) { _slots.Wait(); _slots.Release(); _signal.Wait(); }
                }
            }
            """);
    }

    [Fact]
    public async Task TimedTryAcquireInOneDirection_CannotDeadlock()
    {
        await V.AnalyzerAsync("""
            using System;
            using System.Threading;
            using OrderedLocks;

            class Polite
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                private readonly OrderedLock _c = new OrderedLock();

                public void One()
                {
                    lock (_a)
                    {
                        if (Monitor.TryEnter(_b, TimeSpan.FromSeconds(1)))
                        {
                            try { } finally { Monitor.Exit(_b); }
                        }

                        if (_c.TryAcquire(TimeSpan.FromSeconds(1), out LockScope scope))
                        {
                            using (scope) { }
                        }
                    }
                }

                public void Two() { lock (_b) { lock (_a) { } } }
                public void Three() { using (_c.Acquire()) { lock (_a) { } } }
            }
            """);
    }

    [Fact]
    public async Task LambdaStartedOnAnotherThreadOrNeverInvoked_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System;
            using System.Threading.Tasks;

            class Spawner
            {
                private readonly object _a = new object();
                private readonly object _b = new object();

                public void One()
                {
                    lock (_a)
                    {
                        Task.Run(() => { lock (_b) { } });
                        Action later = () => { lock (_b) { } };
                        GC.KeepAlive(later);
                    }
                }

                public void Two() { lock (_b) { lock (_a) { } } }
            }
            """);
    }

    [Fact]
    public async Task AcquireAllWithCollectionExpression_LocksAreSeen_Reports()
    {
        // `[a]` reaches AcquireAll as a collection expression, as C# 13's params-span arguments do.
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Mixed
            {
                private readonly OrderedLock _a = new OrderedLock();
                private readonly object _b = new object();

                public void One()
                {
                    using (OrderedLock.AcquireAll([_a]))
                    {
                        lock ({|OL0001:_b|}) { }
                    }
                }

                public void Two()
                {
                    lock (_b)
                    {
                        using (OrderedLock.AcquireAll([_a])) { }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task ReaderLocksReentryAndAcquireAll_DoNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading;
            using OrderedLocks;

            class Quiet
            {
                private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
                private readonly object _sync = new object();
                private readonly OrderedLock _x = new OrderedLock();
                private readonly OrderedLock _y = new OrderedLock();

                public void Read()
                {
                    _rw.EnterReadLock();
                    try { lock (_sync) { } } finally { _rw.ExitReadLock(); }
                }

                public void Write() { lock (_sync) { lock (_sync) { _rw.EnterReadLock(); _rw.ExitReadLock(); } } }

                public void Both1() { using (OrderedLock.AcquireAll(_x, _y)) { } }
                public void Both2() { using (OrderedLock.AcquireAll(_y, _x)) { } }
            }
            """);
    }

    [Fact]
    public async Task LockOnlyOnOneBranch_IsNotHeldAfterTheBranch()
    {
        await V.AnalyzerAsync("""
            using System.Threading;

            class Branchy
            {
                private readonly object _a = new object();
                private readonly object _b = new object();

                public void One(bool flag)
                {
                    if (flag) { lock (_a) { } }
                    lock (_b) { }
                    bool taken = false;
                    try { Monitor.Enter(_a, ref taken); }
                    finally { if (taken) Monitor.Exit(_a); }
                    lock (_b) { }
                }

                public void Two() { lock (_b) { lock (_a) { } } }
            }
            """);
    }

    [Fact]
    public async Task InterfaceImplementationNeverCalledUnderLock_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            interface IJob { void Run(); }

            class LockingJob : IJob
            {
                private static readonly object s_b = new object();
                public void Run() { lock (s_b) { lock (Host.A) { } } }
            }

            static class Host
            {
                internal static readonly object A = new object();
                public static void Execute(IJob job) { job.Run(); lock (A) { } }
            }
            """);
    }

    [Fact]
    public async Task ReaderLockShapeAndUnknownSemaphore_AreNotLocks()
    {
        await V.AnalyzerAsync("""
            using System;
            using System.Threading;
            using System.Threading.Tasks;

            sealed class AsyncRwLock
            {
                public Task<IDisposable> ReaderLockAsync() => Task.FromResult<IDisposable>(null!);
            }

            class Reader
            {
                private readonly AsyncRwLock _rw = new AsyncRwLock();
                private readonly object _sync = new object();
                private readonly SemaphoreSlim _given;

                public Reader(SemaphoreSlim given) { _given = given; }

                public async Task OneAsync()
                {
                    using (await _rw.ReaderLockAsync()) { lock (_sync) { } }
                    await _given.WaitAsync();
                    try { lock (_sync) { } } finally { _given.Release(); }
                }

                public async Task TwoAsync()
                {
                    Monitor.Enter(_sync);
                    Monitor.Exit(_sync);
                    using (await _rw.ReaderLockAsync()) { }
                    await _given.WaitAsync();
                    _given.Release();
                }
            }
            """);
    }

    [Fact]
    public async Task LocksWithoutCompileTimeIdentity_AreIgnored()
    {
        await V.AnalyzerAsync("""
            class Anonymous
            {
                public void One(object first, object second)
                {
                    lock (first) { lock (second) { } }
                }

                public void Two(object first, object second)
                {
                    lock (second) { lock (first) { } }
                }
            }
            """);
    }

    [Fact]
    public async Task DelegateFieldBoundToNonLockingMethod_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System;

            class Notifier
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                private readonly Action _callback;

                public Notifier() { _callback = Log; }

                private static void Log() { }

                public void One() { lock (_a) { _callback(); } }
                public void Two() { lock (_b) { lock (_a) { } } }
                public void Three() { lock (_b) { } }
            }
            """);
    }

    [Fact]
    public async Task GeneratedCode_IsNotAnalyzed()
    {
        await V.AnalyzerAsync("""
            // <auto-generated/>
            class Generated
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                public void One() { lock (_a) { lock (_b) { } } }
                public void Two() { lock (_b) { lock (_a) { } } }
            }
            """);
    }

    [Fact]
    public async Task RankedNestingAndConsistentInterfaceImplementations_DoNotReport()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            interface IStep { void Run(); }

            class StepA : IStep
            {
                internal static readonly OrderedLock Inner = new OrderedLock("inner", rank: 2);
                public void Run() { using (Inner.Acquire()) { } }
            }

            class StepB : IStep
            {
                public void Run() { using (StepA.Inner.Acquire()) { } }
            }

            class Runner
            {
                private static readonly OrderedLock s_outer = new OrderedLock("outer", rank: 1);
                private readonly IStep _step = new StepA();
                public void Go() { using (s_outer.Acquire()) { _step.Run(); } }
            }
            """);
    }
}
