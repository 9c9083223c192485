using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0001InconsistentLockOrderAnalyzer>;
using V3 = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0003SameFieldInstancesNestedAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// Recall on real inversions the analyzer used to miss (issue 10), each retold in a few lines of our
/// own: a pooled wait box locked by its user and by its own completion, and ABBA through parameters
/// bound to the caller's locks. Every step has a negative beside it.
/// </summary>
public sealed class RecallShapesTests
{
    // ------------------------------------------------------------ a pooled wait box (missed bug 2 on real code)

    /// <summary>
    /// The shape: a client rents a wait box (an interface-typed local from a pool method), locks it and,
    /// on timeout, peeks at the channel's queue (its lock); the channel, failing, holds the queue's lock
    /// and completes each queued request, whose completion is taken out of a field with
    /// Interlocked.Exchange and signalled through the interface: the box's class locks <c>this</c>.
    /// </summary>
    private const string WaitBoxShape = """
        using System.Collections.Generic;
        using System.Threading;

        interface ICompletion { void Signal(); }
        interface ICompletion<T> : ICompletion { T Value { get; } }

        abstract class WaitBox : ICompletion
        {
            void ICompletion.Signal()
            {
                SIGNAL_BODY
            }
        }

        sealed class WaitBox<T> : WaitBox, ICompletion<T>
        {
            [System.ThreadStatic] private static WaitBox<T>? s_spare;
            public T Value => default!;
            public static ICompletion<T> Rent()
            {
                var box = s_spare ?? new WaitBox<T>();
                s_spare = null;
                return box;
            }
        }

        sealed class TaskBox<T> : ICompletion<T>
        {
            public T Value => default!;
            public void Signal() { }
        }

        sealed class Request
        {
            private ICompletion? _completion;
            private Channel? _queuedOn;

            public void Attach(ICompletion completion, Channel channel) { _completion = completion; _queuedOn = channel; }

            public void Finish()
            {
                var completion = TAKE_COMPLETION;
                completion?.Signal();
            }

            public void PeekQueue() => _queuedOn?.Peek();
        }

        sealed class Channel
        {
            private readonly Queue<Request> _pending = new Queue<Request>();

            public void Peek()
            {
                lock (_pending) { }
            }

            public void Fail()
            {
                lock (_pending)
                {
                    while (_pending.Count != 0)
                    {
                        var request = _pending.Dequeue();
                        FAIL_CALL;
                    }
                }
            }
        }

        sealed class Client
        {
            public int Send(Request request, Channel channel)
            {
                var box = WaitBox<int>.Rent();
                lock (box)
                {
                    request.Attach(box, channel);
                    if (!Monitor.Wait(box, 1000))
                    {
                        WHILE_BOX_HELD;
                    }
                }

                return box.Value;
            }

            private static void Diagnose(Request request) => request.PeekQueue();
        }
        """;

    internal static string WaitBox(
        string signal = "lock (this) { Monitor.PulseAll(this); }",
        string take = "Interlocked.Exchange(ref _completion, null)",
        string fail = "request.Finish()",
        string whileHeld = "Diagnose(request)")
        => WaitBoxShape.Replace("SIGNAL_BODY", signal, StringComparison.Ordinal)
            .Replace("TAKE_COMPLETION", take, StringComparison.Ordinal)
            .Replace("FAIL_CALL", fail, StringComparison.Ordinal)
            .Replace("WHILE_BOX_HELD", whileHeld, StringComparison.Ordinal);

    [Fact]
    public async Task PooledBoxLockedByItsUserAndByItsOwnCompletion_Reports()
    {
        await V.AnalyzerAsync(WaitBox(fail: "{|OL0001:request.Finish()|}"));
    }

    /// <summary>Step: the box's class does not lock itself (it signals through a private gate): <c>lock (box)</c> is another monitor.</summary>
    [Fact]
    public async Task PooledBox_WhoseClassLocksAPrivateGate_DoesNotReport()
    {
        await V.AnalyzerAsync(WaitBox(signal: "lock (_gate) { } } private readonly object _gate = new object(); void Unused() {"));
    }

    /// <summary>Step: two classes that lock themselves fit the local's interface: which monitor is uncertain, quiet.</summary>
    [Fact]
    public async Task PooledBox_TwoSelfLockingClassesFitTheInterface_DoesNotReport()
    {
        await V.AnalyzerAsync(WaitBox().Replace("public void Signal() { }", "public void Signal() { lock (this) { } }", StringComparison.Ordinal));
    }

    /// <summary>Step: the completion signalled is not the field's value (a new one): nobody else can hold it.</summary>
    [Fact]
    public async Task PooledBox_CompletionNotTakenFromTheField_DoesNotReport()
    {
        await V.AnalyzerAsync(WaitBox(take: "(ICompletion)new TaskBox<int>()"));
    }

    /// <summary>Step: the completion is read from the field directly (no Interlocked): still the field's object.</summary>
    [Fact]
    public async Task PooledBox_CompletionReadFromTheFieldDirectly_Reports()
    {
        await V.AnalyzerAsync(WaitBox(take: "_completion", fail: "{|OL0001:request.Finish()|}"));
    }

    /// <summary>Step: the channel takes the requests out under its queue's lock and completes them after releasing it (the fix's shape): no cycle.</summary>
    [Fact]
    public async Task PooledBox_CompletedOutsideTheQueueLock_DoesNotReport()
    {
        const string underTheLock = "lock (_pending)\n        {\n            while (_pending.Count != 0)\n            {\n                var request = _pending.Dequeue();\n                request.Finish();\n            }\n        }";
        const string afterTheLock = "var failed = new List<Request>();\n        lock (_pending)\n        {\n            while (_pending.Count != 0)\n            {\n                failed.Add(_pending.Dequeue());\n            }\n        }\n\n        foreach (var request in failed)\n        {\n            request.Finish();\n        }";
        string source = WaitBox();
        Assert.Contains(underTheLock, source, StringComparison.Ordinal);
        await V.AnalyzerAsync(source.Replace(underTheLock, afterTheLock, StringComparison.Ordinal));
    }

    /// <summary>Step: on timeout the client leaves the box's lock before diagnosing: no cycle.</summary>
    [Fact]
    public async Task PooledBox_DiagnosedAfterLeavingTheBoxLock_DoesNotReport()
    {
        await V.AnalyzerAsync(WaitBox(whileHeld: "timedOut = true").Replace("var box = WaitBox<int>.Rent();", "var box = WaitBox<int>.Rent(); bool timedOut = false;", StringComparison.Ordinal)
            .Replace("return box.Value;", "if (timedOut) Diagnose(request); return box.Value;", StringComparison.Ordinal));
    }

    /// <summary>A lock on an object-typed local says nothing about its class: it stays method-local.</summary>
    [Fact]
    public async Task LockOnAnObjectTypedLocal_IsNotASelfLockingClassesLock()
    {
        await V.AnalyzerAsync("""
            sealed class Gate
            {
                private readonly object _inner = new object();
                public void Enter() { lock (this) { lock (_inner) { } } }
            }

            sealed class User
            {
                private readonly object _inner2 = new object();
                public void Run(object token) { lock (token) { lock (_inner2) { } } }
                public void Back(object token) { lock (_inner2) { lock (token) { } } }
            }
            """);
    }

    /// <summary>Two instances of a self-locking class taken by a local and a parameter: which ones is uncertain, no OL0003.</summary>
    [Fact]
    public async Task TwoLocalsOfASelfLockingClass_NoSameFieldReport()
    {
        await V3.AnalyzerAsync("""
            sealed class Box
            {
                public void Touch() { lock (this) { } }
            }

            sealed class User
            {
                public void Both(Box first, Box second) { lock (first) { lock (second) { } } }
            }
            """);
    }

    // ------------------------------------------------------------ ABBA through parameters bound to the caller's locks

    /// <summary>Two flows call one helper with the same two ordered locks in opposite orders: one pair of objects, both orders.</summary>
    [Fact]
    public async Task HelperNestingItsParameters_CalledWithLocalsInBothOrders_Reports()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;
            using OrderedLocks;

            static class Bank
            {
                public static Task Run()
                {
                    var a = new OrderedLock("a");
                    var b = new OrderedLock("b");
                    return Task.WhenAll(new[] { Task.Run(() => Transfer(a, b)), Task.Run(() => Transfer(b, a)) });
                }

                private static void Transfer(OrderedLock from, OrderedLock to)
                {
                    using (from.Acquire())
                    {
                        using ({|OL0001:to.Acquire()|}) { }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task HelperNestingItsParameters_CalledWithFieldsInBothOrders_Reports()
    {
        await V.AnalyzerAsync("""
            sealed class Ledger
            {
                private readonly object _accounts = new object();
                private readonly object _journal = new object();

                public void Post() => Both(_accounts, _journal);
                public void Audit() => Both(_journal, _accounts);

                private static void Both(object first, object second)
                {
                    lock (first)
                    {
                        lock ({|OL0001:second|}) { }
                    }
                }
            }
            """);
    }

    /// <summary>The helper in one order and a direct nesting in the other, on the same fields: still one pair, both orders.</summary>
    [Fact]
    public async Task HelperNestingItsParameters_AndTheReverseNestedDirectly_Reports()
    {
        await V.AnalyzerAsync("""
            sealed class Pair
            {
                private readonly object _a = new object();
                private readonly object _b = new object();

                public void Run()
                {
                    Both(_a, _b);
                    lock (_b)
                    {
                        lock ({|OL0001:_a|}) { }
                    }
                }

                private static void Both(object first, object second)
                {
                    lock (first)
                    {
                        lock (second) { }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task HelperNestingItsParameters_CalledInOneOrderOnly_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            using System.Threading.Tasks;

            static class Pair
            {
                public static Task Run()
                {
                    var a = new object();
                    var b = new object();
                    return Task.WhenAll(new[] { Task.Run(() => Both(a, b)), Task.Run(() => Both(a, b)) });
                }

                private static void Both(object first, object second)
                {
                    lock (first)
                    {
                        lock (second) { }
                    }
                }
            }
            """);
    }

    /// <summary>Opposite orders on different variables of different methods: nothing says they hold the same objects, quiet.</summary>
    [Fact]
    public async Task HelperNestingItsParameters_OppositeOrdersOnOtherMethodsLocals_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            static class Pair
            {
                public static void One()
                {
                    var a = new object();
                    var b = new object();
                    Both(a, b);
                }

                public static void Two()
                {
                    var c = new object();
                    var d = new object();
                    Both(d, c);
                }

                private static void Both(object first, object second)
                {
                    lock (first)
                    {
                        lock (second) { }
                    }
                }
            }
            """);
    }

    /// <summary>A documented limit: parameters are bound one level only; bound to the caller's own parameters (whose callers are not followed) they stay quiet.</summary>
    [Fact]
    public async Task HelperNestingItsParameters_BoundToTheCallersParameters_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            static class Pair
            {
                public static void Forward(object x, object y) => Both(x, y);
                public static void Backward(object x, object y) => Both(y, x);

                private static void Both(object first, object second)
                {
                    lock (first)
                    {
                        lock (second) { }
                    }
                }
            }
            """);
    }

    // ------------------------------------------------------------ precision: a lock held further out, taken again through an owner back-reference

    private const string OwnerBackReferenceShape = """
        using System.Collections.Generic;

        sealed class Context
        {
            private readonly object _sync = new object();
            private readonly List<Job> _starting = new List<Job>();

            public object Sync => _sync;

            public bool IsBlocked()
            {
                OUTER_OPEN
                    lock (_starting)
                    {
                        foreach (Job job in _starting)
                        {
                            if (Graph.IsWaiting(job)) return true;
                        }
                    }
                OUTER_CLOSE
                return false;
            }

            public void Start(Job job)
            {
                lock (_sync)
                {
                    lock (_starting) { _starting.Add(job); }
                }
            }
        }

        sealed class Job
        {
            public Job(Context owner) { Owner = owner; }
            public Context Owner { get; }
        }

        static class Graph
        {
            public static bool IsWaiting(Job job)
            {
                lock (job.Owner.Sync) { return false; }
            }
        }
        """;

    /// <summary>
    /// The context's own lock is held further out; the job's owner (most likely this context) takes it
    /// again: a re-entry, or two instances of one field (OL0003's concern), never an order from the list's lock.
    /// </summary>
    [Fact]
    public async Task LockHeldFurtherOut_TakenAgainThroughAnOwnerBackReference_DoesNotReport()
    {
        await V.AnalyzerAsync(OwnerBackReferenceShape.Replace("OUTER_OPEN", "lock (_sync) {", StringComparison.Ordinal).Replace("OUTER_CLOSE", "}", StringComparison.Ordinal));
    }

    /// <summary>The near miss: without the context's lock held further out, the list's lock then the owner's lock is the reverse of Start's order.</summary>
    [Fact]
    public async Task OwnerBackReference_WithoutTheOuterLock_Reports()
    {
        await V.AnalyzerAsync(OwnerBackReferenceShape.Replace("OUTER_OPEN", "{", StringComparison.Ordinal).Replace("OUTER_CLOSE", "}", StringComparison.Ordinal)
            .Replace("if (Graph.IsWaiting(job))", "if ({|OL0001:Graph.IsWaiting(job)|})", StringComparison.Ordinal));
    }

    /// <summary>A wrapper's lock held further out and the wrapped object's lock of the same field taken inside: still an edge (and here a real cycle through the back-pointer).</summary>
    [Fact]
    public async Task WrappedObjectsLockOfTheSameField_TakenInside_StillOrders()
    {
        await V.AnalyzerAsync("""
            sealed class Node
            {
                private readonly object _lock = new object();
                private readonly object _log = new object();
                public Node? Inner;
                public Node? Parent;

                public void Push()
                {
                    lock (_lock)
                    {
                        lock ({|OL0001:_log|})
                        {
                            Inner?.Touch();
                        }
                    }
                }

                public void Touch() { lock (_lock) { } }

                public void Report()
                {
                    lock (_lock)
                    {
                        Parent?.Log();
                    }
                }

                public void Log() { lock (_log) { } }
            }
            """);
    }

    /// <summary>
    /// The lock held further out does not hide a real cycle: a.Scan(b) holds a's two locks and wants b's
    /// first; b.Poke(a) holds b's first lock and wants a's second. Two objects, both orders.
    /// </summary>
    [Fact]
    public async Task LockHeldFurtherOut_ReverseOrderOnAnotherObject_StillReports()
    {
        await V.AnalyzerAsync("""
            sealed class Peer
            {
                private readonly object _sync = new object();
                private readonly object _list = new object();

                public void Scan(Peer other)
                {
                    lock (_sync)
                    {
                        lock ({|OL0001:_list|})
                        {
                            other.Touch();
                        }
                    }
                }

                public void Touch() { lock (_sync) { } }

                public void Poke(Peer other)
                {
                    lock (_sync)
                    {
                        other.List();
                    }
                }

                public void List() { lock (_list) { } }
            }
            """);
    }

    /// <summary>The same two objects with the way back on one object only (this._sync then this._list): the cycle needs the inner object to be this one, a re-entry.</summary>
    [Fact]
    public async Task LockHeldFurtherOut_WayBackOnOneObjectOnly_DoesNotReport()
    {
        await V.AnalyzerAsync("""
            sealed class Peer
            {
                private readonly object _sync = new object();
                private readonly object _list = new object();

                public void Scan(Peer other)
                {
                    lock (_sync)
                    {
                        lock (_list)
                        {
                            other.Touch();
                        }
                    }
                }

                public void Touch() { lock (_sync) { } }
            }
            """);
    }

    private const string ConnectorWithReaderShape = """
        sealed class Reader
        {
            public Connector Connector = null!;
            public void Close() => Connector.Drop();
            public void Consume() => Connector.ReadMore();
        }

        sealed class Connector
        {
            private readonly object _cancel = new object();
            private readonly object _cleanup = new object();
            private readonly object _sync = new object();
            public Reader? CurrentReader;
            public Connector? Inner;

            public void Break()
            {
                lock (_cleanup)
                {
                    lock (_cancel)
                    {
                        CurrentReader?.Close();
                    }
                }
            }

            public void Drop() { lock (_cleanup) { } }

            public void FullCleanup()
            {
                lock (_cleanup)
                {
                    FULL_CLEANUP_CALL;
                }
            }

            public void ReadMore() { lock (_sync) { } }

            public void UserCancel()
            {
                lock (_sync)
                {
                    lock (_cancel) { }
                }
            }
        }
        """;

    /// <summary>
    /// The cleanup lock is held further out; the reader's back-reference to its connector (most likely
    /// this one) takes it again; the way on to the sync lock goes round the same back-reference: no
    /// set of objects closes it without the re-entry.
    /// </summary>
    [Fact]
    public async Task HeldFurtherOut_ThenRoundTheReadersBackReference_DoesNotReport()
    {
        await V.AnalyzerAsync(ConnectorWithReaderShape.Replace("FULL_CLEANUP_CALL", "CurrentReader?.Consume()", StringComparison.Ordinal));
    }

    /// <summary>The near miss: the way on goes down one field (a wrapped connector), which may be the first connector: reported.</summary>
    [Fact]
    public async Task HeldFurtherOut_ThenDownOneField_Reports()
    {
        await V.AnalyzerAsync(ConnectorWithReaderShape.Replace("FULL_CLEANUP_CALL", "Inner?.ReadMore()", StringComparison.Ordinal)
            .Replace("CurrentReader?.Close();", "{|OL0001:CurrentReader?.Close()|};", StringComparison.Ordinal));
    }
}
