using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0001InconsistentLockOrderAnalyzer>;
using V3 = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0003SameFieldInstancesNestedAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// The shapes that fooled the analyzer on real code (issue 10), each retold in a few lines of our
/// own, with a negative (the same shape where the inversion is real, or the fixed code) beside it.
/// </summary>
public sealed class RealCodeShapesTests
{
    // ------------------------------------------------------------ 2. property aliases

    /// <summary><c>object SyncObject => syncObject;</c>: one lock under two names, never a cycle with itself.</summary>
    [Fact]
    public async Task PropertyAliasOfAField_IsOneLock()
    {
        await V.AnalyzerAsync("""
            class ReaderWriter
            {
                private readonly object _syncObject = new object();
                private readonly object _queue = new object();

                protected object SyncObject => _syncObject;

                public void Enqueue()
                {
                    lock (SyncObject)
                    {
                        lock (_queue) { }
                    }
                }

                public void Drain()
                {
                    lock (_syncObject)
                    {
                        lock (_queue) { }
                    }
                }

                public void Both()
                {
                    lock (SyncObject)
                    {
                        lock (_syncObject) { }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task PropertyAliasOfAField_RealInversionThroughTheAlias_Reports()
    {
        await V.AnalyzerAsync("""
            class ReaderWriter
            {
                private readonly object _syncObject = new object();
                private readonly object _queue = new object();

                protected object SyncObject { get { return _syncObject; } }

                public void Enqueue()
                {
                    lock (SyncObject)
                    {
                        lock ({|OL0001:_queue|}) { }
                    }
                }

                public void Drain()
                {
                    lock (_queue)
                    {
                        lock (_syncObject) { }
                    }
                }
            }
            """);
    }

    // ------------------------------------------------------------ 3. re-entry

    /// <summary><c>lock (A) { lock (B) { Callee(); } }</c> where Callee takes A again: A is held further out, so no B → A.</summary>
    [Fact]
    public async Task ReenteringALockHeldFurtherOut_AddsNoOrder()
    {
        await V.AnalyzerAsync("""
            class Context
            {
                private readonly object _context = new object();
                private readonly object _pending = new object();

                public void Start()
                {
                    lock (_context)
                    {
                        lock (_pending)
                        {
                            HasWaiters();
                        }
                    }
                }

                private bool HasWaiters()
                {
                    lock (_context) { return true; }
                }
            }
            """);
    }

    [Fact]
    public async Task TakingTheOuterLockAgainWhenItWasNotHeld_Reports()
    {
        await V.AnalyzerAsync("""
            class Context
            {
                private readonly object _context = new object();
                private readonly object _pending = new object();

                public void Start()
                {
                    lock (_context) { }
                    lock (_pending)
                    {
                        {|OL0001:HasWaiters()|};
                    }
                }

                public void Other()
                {
                    lock (_context) { lock (_pending) { } }
                }

                private bool HasWaiters()
                {
                    lock (_context) { return true; }
                }
            }
            """);
    }

    [Fact]
    public async Task ReentrantOrderedLock_ReentryAddsNoOrder()
    {
        await V.AnalyzerAsync("""
            using OrderedLocks;

            class Tree
            {
                private readonly ReentrantOrderedLock _tree = new ReentrantOrderedLock("tree");
                private readonly object _stats = new object();

                public void Insert()
                {
                    using (_tree.Acquire())
                    {
                        lock (_stats) { Rebalance(); }
                    }
                }

                private void Rebalance()
                {
                    using (_tree.Acquire()) { }
                }
            }
            """);
    }

    // ------------------------------------------------------------ 4. instances

    /// <summary>A wrapper holds its own lock, then the wrapped object's lock of the same field: a tree, not a cycle.</summary>
    [Fact]
    public async Task WrapperThenWrappedLockOfTheSameField_IsNotACycle()
    {
        await V.AnalyzerAsync("""
            abstract class Target
            {
                protected object SyncRoot { get; } = new object();

                public void Write()
                {
                    lock (SyncRoot) { WriteCore(); }
                }

                protected abstract void WriteCore();
            }

            sealed class Buffering : Target
            {
                private readonly object _buffer = new object();

                public Target Wrapped { get; set; } = null!;

                protected override void WriteCore()
                {
                    lock (_buffer) { Wrapped.Write(); }
                }
            }
            """);
    }

    /// <summary>The same wrapper, but the wrapped object takes the wrapper's lock back (back-pointer): a real cycle.</summary>
    [Fact]
    public async Task WrapperAndWrappedWithBackPointer_Reports()
    {
        await V.AnalyzerAsync("""
            sealed class Outer
            {
                private readonly object _outer = new object();
                public Inner Child = null!;

                public void Push()
                {
                    lock (_outer) { {|OL0001:Child.Take()|}; }
                }

                public void Touch()
                {
                    lock (_outer) { }
                }
            }

            sealed class Inner
            {
                private readonly object _inner = new object();
                public Outer Parent = null!;

                public void Take()
                {
                    lock (_inner) { }
                }

                public void Report()
                {
                    lock (_inner) { Parent.Touch(); }
                }
            }
            """);
    }

    /// <summary><c>new Connector(this).Cancel()</c> under this connector's lock: the fresh connector's locks are its own.</summary>
    [Fact]
    public async Task LocksOfAFreshObject_AreNotThisObjectsLocks()
    {
        string source = """
            sealed class Connector
            {
                private readonly object _cancel = new object();
                private readonly object _sync = new object();

                public Connector(Connector? original) { }

                public void PerformCancellation()
                {
                    lock (_cancel)
                    {
                        FRESH.SendCancel();
                    }
                }

                public void SendCancel()
                {
                    lock (_sync) { lock (_cancel) { } }
                }
            }
            """;
        await V.AnalyzerAsync(source.Replace("FRESH", "new Connector(this)", StringComparison.Ordinal));
        await V3.AnalyzerAsync(source.Replace("FRESH", "new Connector(this)", StringComparison.Ordinal));

        // The same call on this object itself is a real inversion (and OL0006 is not involved: lock is reentrant).
        await V.AnalyzerAsync(source.Replace("FRESH.SendCancel()", "{|OL0001:SendCancel()|}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FreshObjectInALocal_IsStillFresh()
    {
        await V.AnalyzerAsync("""
            sealed class Connector
            {
                private readonly object _cancel = new object();
                private readonly object _sync = new object();

                public void PerformCancellation()
                {
                    lock (_cancel)
                    {
                        var other = new Connector();
                        other.SendCancel();
                    }
                }

                public void SendCancel()
                {
                    lock (_sync) { lock (_cancel) { } }
                }
            }
            """);
    }

    /// <summary>A second instance of a field reached through another object's back-reference is uncertain: OL0003 stays quiet.</summary>
    [Fact]
    public async Task SameFieldThroughAnOwnerBackReference_OL0003StaysQuiet()
    {
        await V3.AnalyzerAsync("""
            using System.Collections.Generic;

            sealed class Mux
            {
                private readonly List<Server> _servers = new List<Server>();

                public void Quit()
                {
                    lock (_servers)
                    {
                        foreach (Server server in _servers) { server.Close(); }
                    }
                }

                internal void Forget(Server server)
                {
                    lock (_servers) { _servers.Remove(server); }
                }
            }

            sealed class Server
            {
                public Mux Owner = null!;

                public void Close() => Owner.Forget(this);
            }
            """);
    }

    [Fact]
    public async Task SameFieldOnAParameterObjectThroughACall_OL0003StillReports()
    {
        await V3.AnalyzerAsync("""
            sealed class Account
            {
                private readonly object _balance = new object();

                public void TransferTo(Account target)
                {
                    lock (_balance) { {|OL0003:target.Deposit()|}; }
                }

                public void Deposit()
                {
                    lock (_balance) { }
                }
            }
            """);
    }

    // ------------------------------------------------------------ 5. large call-graph cycles

    /// <summary>
    /// A recursive tangle of more than 64 methods, calling on to fresh objects: each method keeps its
    /// own receiver-sensitive summary (the old engine collapsed it into one set "acquired on this",
    /// so M50's lock on a fresh object looked like this object's lock everywhere in the tangle).
    /// </summary>
    [Fact]
    public async Task CallGraphCycleOfManyMethods_IsNotCollapsed()
    {
        var methods = new System.Text.StringBuilder();
        const int count = 80;
        for (int i = 0; i < count; i++)
        {
            string next = "M" + ((i + 1) % count);
            string body = i == 50 ? "lock (_a) { } " : string.Empty;
            methods.Append("    public void M").Append(i).Append("(int depth) { ").Append(body).Append("if (depth > 0) new Tangle().").Append(next).Append("(depth - 1); }\n");
        }

        string source = "class Tangle\n{\n    private readonly object _a = new object();\n    private readonly object _b = new object();\n"
            + methods
            + "    public void BThenA() { lock (_b) { M7(1); } }\n"
            + "    public void AThenB() { lock (_a) { lock (_b) { } } }\n"
            + "}\n";
        await V.AnalyzerAsync(source);
    }

    [Fact]
    public async Task CallGraphCycleOfManyMethods_ALockTakenInsideIsStillFound()
    {
        var methods = new System.Text.StringBuilder();
        const int count = 80;
        for (int i = 0; i < count; i++)
        {
            string next = "M" + ((i + 1) % count);
            string body = i == 50 ? "lock (_a) { } " : string.Empty;
            methods.Append("    public void M").Append(i).Append("(int depth) { ").Append(body).Append("if (depth > 0) ").Append(next).Append("(depth - 1); }\n");
        }

        string source = "class Tangle\n{\n    private readonly object _a = new object();\n    private readonly object _b = new object();\n"
            + methods
            + "    public void BThenA() { lock (_b) { {|OL0001:M7(1)|}; } }\n"
            + "    public void AThenB() { lock (_a) { lock (_b) { } } }\n"
            + "}\n";
        await V.AnalyzerAsync(source);
    }

    // ------------------------------------------------------------ 6. virtual calls

    /// <summary>A call on this in one subclass reaches that subclass's override, not a sibling's.</summary>
    [Fact]
    public async Task VirtualCallOnThis_IsNotResolvedToASiblingsOverride()
    {
        await V.AnalyzerAsync("""
            abstract class Base
            {
                protected readonly object Gate = new object();

                public void Close()
                {
                    Cleanup();
                }

                protected virtual void Cleanup() { }
            }

            sealed class Left : Base
            {
                private readonly object _left = new object();

                public void Run()
                {
                    lock (_left) { Close(); }
                }

                protected override void Cleanup() { }
            }

            sealed class Right : Base
            {
                private readonly object _right = new object();

                protected override void Cleanup()
                {
                    lock (_right) { }
                }

                public void Other()
                {
                    // Right._right → Left._left: with Cleanup fanned out to every override, Left.Run
                    // (Left._left → Right._right through Close → Cleanup) would close a false cycle.
                    lock (_right) { Links.L.Run(); }
                }
            }

            static class Links
            {
                public static Left L = null!;
            }
            """);
    }

    /// <summary>
    /// <c>base.OnClose()</c> is a non-virtual call: it runs the base method and nothing else, however
    /// many subclasses override it (seen on log4net, where a syslog appender's <c>base.OnClose()</c>
    /// was followed into a sibling writer appender's override).
    /// </summary>
    [Fact]
    public async Task BaseCall_IsNotDispatchedToAnotherSubclassesOverride()
    {
        await V.AnalyzerAsync("""
            abstract class Appender
            {
                protected virtual void OnClose() { }

                protected virtual object Handler { get => null!; set { } }
            }

            sealed class SyslogAppender : Appender
            {
                private readonly object _native = new object();

                protected override void OnClose() => base.OnClose();

                public void Flush()
                {
                    // Only Appender.OnClose and the Appender.Handler setter run here, and they take nothing.
                    lock (_native) { base.OnClose(); base.Handler = this; }
                }
            }

            sealed class WriterAppender : Appender
            {
                private readonly object _writer = new object();

                protected override void OnClose()
                {
                    lock (_writer) { }
                }

                protected override object Handler { get => null!; set { lock (_writer) { } } }

                public void Reconfigure()
                {
                    lock (_writer) { Links.S.Flush(); }
                }
            }

            static class Links
            {
                public static SyslogAppender S = null!;
            }
            """);
    }

    /// <summary>
    /// The log4net shape, with the inversion real on one object: <c>Close</c> holds the base's gate and
    /// calls the virtual <c>OnClose</c>, whose override takes the subclass's lock; the subclass's
    /// setter holds its lock and calls the base setter, which takes the gate. A sibling subclass's
    /// <c>base.OnClose()</c> is in the way of the path search.
    /// </summary>
    private const string OverrideUnderTheBaseGate = """
        abstract class Appender
        {
            protected readonly object Gate = new object();

            public void Close()
            {
                lock (Gate) { {|OL0001:OnClose()|}; }
            }

            protected virtual void OnClose() { }

            public virtual object Handler
            {
                get => null!;
                set { lock (Gate) { } }
            }
        }

        sealed class SyslogAppender : Appender
        {
            protected override void OnClose() => base.OnClose();
        }

        sealed class WriterAppender : Appender
        {
            private readonly object _writer = new object();

            protected override void OnClose()
            {
                lock (_writer) { }
            }

            public override object Handler
            {
                get => base.Handler;
                set { lock (_writer) { base.Handler = value; } }
            }
        }
        """;

    [Fact]
    public async Task OverrideUnderTheBaseGate_AndBaseSetterUnderTheOverridesLock_Reports()
        => await V.AnalyzerAsync(OverrideUnderTheBaseGate);

    /// <summary>The report of the shape above names the path that exists: Close → the writer's OnClose, not a sibling's base call.</summary>
    [Fact]
    public async Task OverrideUnderTheBaseGate_ReportNamesTheOverrideThatTakesTheLock()
    {
        string source = System.Text.RegularExpressions.Regex.Replace(OverrideUnderTheBaseGate, @"\{\|OL\d+:(.*?)\|\}", "$1");
        (ImmutableArray<Diagnostic> diagnostics, IReadOnlyCollection<Exception> exceptions) = await AnalyzerRunner.RunAsync(AnalyzerRunner.CompileSources(source));
        Assert.Empty(exceptions);
        string message = Assert.Single(diagnostics, d => d.Id == "OL0001").GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(message.Contains("Appender.Close() → WriterAppender.OnClose()", StringComparison.Ordinal), message);
        Assert.False(message.Contains("SyslogAppender", StringComparison.Ordinal), message);
    }

    [Fact]
    public async Task VirtualCallOnABaseTypedReceiver_ReachesEveryOverride_Reports()
    {
        await V.AnalyzerAsync("""
            abstract class Shape
            {
                public abstract void Draw();
            }

            sealed class Square : Shape
            {
                public static readonly object Canvas = new object();
                public override void Draw() { lock (Canvas) { } }
            }

            static class Scene
            {
                private static readonly object s_scene = new object();

                public static void Render(Shape shape)
                {
                    lock (s_scene) { {|OL0001:shape.Draw()|}; }
                }

                public static void Resize()
                {
                    lock (Square.Canvas) { lock (s_scene) { } }
                }
            }
            """);
    }

    // ------------------------------------------------------------ 7. events

    /// <summary>An event raised by a constructor cannot reach handlers other objects subscribe later.</summary>
    [Fact]
    public async Task EventRaisedByAConstructor_HasNoOutsideSubscribersYet()
    {
        await V.AnalyzerAsync("""
            using System;

            sealed class Factory
            {
                private static readonly object s_sync = new object();
                public event Action? Changed;

                public Factory()
                {
                    lock (s_sync) { Changed?.Invoke(); }
                }
            }

            sealed class Listener
            {
                private static readonly object s_mine = new object();

                public Listener(Factory factory)
                {
                    factory.Changed += () => { lock (s_mine) { } };
                }

                public void Use()
                {
                    lock (s_mine) { _ = new Factory(); }
                }
            }
            """);
    }

    // ------------------------------------------------------------ missed bug 2: a shared value in a local

    /// <summary><c>var box = Pool.Get(); lock (box)</c> where Get returns one shared object: that object is the lock.</summary>
    [Fact]
    public async Task LockOnALocalHoldingASharedValue_Reports()
    {
        await V.AnalyzerAsync("""
            static class Pool
            {
                private static readonly object s_box = new object();
                public static object Get() => s_box;
            }

            sealed class Cache
            {
                private static readonly object s_index = new object();

                public void Put()
                {
                    var box = Pool.Get();
                    lock (box)
                    {
                        lock ({|OL0001:s_index|}) { }
                    }
                }

                public void Evict()
                {
                    lock (s_index)
                    {
                        lock (Pool.Get()) { }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task LockOnALocalHoldingAFreshValue_IsNotShared()
    {
        await V.AnalyzerAsync("""
            static class Pool
            {
                private static readonly object s_box = new object();
                public static object Get() => new object();
                public static object Shared() => s_box;
            }

            sealed class Cache
            {
                private static readonly object s_index = new object();

                public void Put()
                {
                    var box = Pool.Get();
                    lock (box)
                    {
                        lock (s_index) { }
                    }
                }

                public void Evict()
                {
                    lock (s_index)
                    {
                        lock (Pool.Get()) { }
                    }
                }
            }
            """);
    }

    // ------------------------------------------------------------ missed bug 1 (part): delegates through an override's parameter

    /// <summary>A callback handed to an abstract method is invoked by the override's own parameter: it still closes the cycle.</summary>
    [Fact]
    public async Task CallbackThroughAnOverridesDelegateParameter_Reports()
    {
        await V.AnalyzerAsync("""
            using System;

            abstract class Scheduler
            {
                public abstract void Run(Action work);
            }

            sealed class Inline : Scheduler
            {
                private static readonly object s_queue = new object();

                public override void Run(Action work)
                {
                    lock (s_queue) { {|OL0001:work()|}; }
                }

                public static void Drain()
                {
                    lock (Client.Gate) { lock (s_queue) { } }
                }
            }

            static class Client
            {
                public static readonly object Gate = new object();

                public static void Submit(Scheduler scheduler)
                {
                    scheduler.Run(() => { lock (Gate) { } });
                }
            }
            """);
    }

    [Fact]
    public async Task CallbackThroughAnOverridesDelegateParameter_NotLocking_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System;

            abstract class Scheduler
            {
                public abstract void Run(Action work);
            }

            sealed class Inline : Scheduler
            {
                private static readonly object s_queue = new object();

                public override void Run(Action work)
                {
                    lock (s_queue) { work(); }
                }

                public static void Drain()
                {
                    lock (Client.Gate) { lock (s_queue) { } }
                }
            }

            static class Client
            {
                public static readonly object Gate = new object();

                public static void Submit(Scheduler scheduler)
                {
                    scheduler.Run(() => Console.WriteLine("no lock"));
                }
            }
            """);
    }
}
