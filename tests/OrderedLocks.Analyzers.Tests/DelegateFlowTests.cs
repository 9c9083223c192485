using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0001InconsistentLockOrderAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>
/// Callbacks that close a lock-order cycle after travelling through a setter, a property, or an
/// object-typed token (issue 10, missed bug 1), retold in our own words. The caller that hands the
/// callback over may be walked before or after the setter that stores it: both file orders are
/// tested, and every shape has a negative beside it.
/// </summary>
public sealed class DelegateFlowTests
{
    /// <summary>A pump invokes its stored callback under its queue lock; a client's callback takes the client's gate, and the client drains the pump under that gate.</summary>
    private const string Pump = """
        using System;

        sealed class Pump
        {
            private readonly object _queue = new object();
            private Action? _onItem;

            public void SetHandler(Action handler) { _onItem = handler; }

            public void Deliver()
            {
                lock (_queue) { MARK_onItem?.Invoke()END; }
            }

            public void Drain()
            {
                lock (_queue) { }
            }
        }
        """;

    private const string Client = """
        sealed class Client
        {
            private readonly object _gate = new object();
            private readonly Pump _pump = new Pump();

            public void Start() { _pump.SetHandler(OnItem); }

            private void OnItem()
            {
                lock (_gate) { }
            }

            public void Stop()
            {
                lock (_gate) { _pump.Drain(); }
            }
        }
        """;

    private static string Marked(string source) => source.Replace("MARK", "{|OL0001:").Replace("END", "|}");

    private static string Unmarked(string source) => source.Replace("MARK", string.Empty).Replace("END", string.Empty);

    /// <summary>With the client's file first, the cycle is reported at its first site in file order: the client's drain under its gate.</summary>
    private static string MarkedClient => Client.Replace("_pump.Drain();", "{|OL0001:_pump.Drain()|};");

    [Fact]
    public async Task CallbackStoredThroughASetterParameter_Reports()
        => await V.AnalyzerAsync(Marked(Pump), Client);

    [Fact]
    public async Task CallbackStoredThroughASetterParameter_CallerInTheFirstFile_Reports()
        => await V.AnalyzerAsync(MarkedClient, Unmarked(Pump));

    [Fact]
    public async Task CallbackStoredThroughASetterParameter_ButNotTheOneInvoked_DoesNotReport()
    {
        // The setter stores the handler in another field than the one invoked under the lock.
        string pump = Unmarked(Pump)
            .Replace("private Action? _onItem;", "private Action? _onItem;\n    private Action? _onOther;")
            .Replace("{ _onItem = handler; }", "{ _onOther = handler; }");
        await V.AnalyzerAsync(pump, Client);
    }

    [Fact]
    public async Task CallbackThatTakesNoLock_DoesNotReport()
        => await V.AnalyzerAsync(Unmarked(Pump), Client.Replace("lock (_gate) { }", "Console.WriteLine();").Replace("sealed class Client", "using System;\nsealed class Client"));

    [Fact]
    public async Task CallbackStoredThroughAPropertySetter_Reports()
    {
        string pump = Unmarked(Pump).Replace(
            "public void SetHandler(Action handler) { _onItem = handler; }",
            "public Action? Handler { get => _onItem; set => _onItem = value; }");
        string client = MarkedClient.Replace("_pump.SetHandler(OnItem);", "_pump.Handler = OnItem;");
        await V.AnalyzerAsync(client, pump);
    }

    [Fact]
    public async Task PropertySetterStoringElsewhere_DoesNotReport()
    {
        string pump = Unmarked(Pump)
            .Replace("private Action? _onItem;", "private Action? _onItem;\n    private Action? _onOther;")
            .Replace(
                "public void SetHandler(Action handler) { _onItem = handler; }",
                "public Action? Handler { get => _onOther; set => _onOther = value; }");
        string client = Client.Replace("_pump.SetHandler(OnItem);", "_pump.Handler = OnItem;");
        await V.AnalyzerAsync(client, pump);
    }

    /// <summary>A scheduler takes an object-typed token and casts it back to the delegate it was handed.</summary>
    private const string TokenScheduler = """
        using System;

        sealed class Scheduler
        {
            private readonly object _run = new object();

            public void Post(object token)
            {
                lock (_run) { MARK((Action)token)()END; }
            }

            public void Quiesce()
            {
                lock (_run) { }
            }
        }

        sealed class Worker
        {
            private readonly object _state = new object();
            private readonly Scheduler _scheduler = new Scheduler();

            public void Kick() { _scheduler.Post((Action)Step); }

            private void Step()
            {
                lock (_state) { }
            }

            public void Close()
            {
                lock (_state) { _scheduler.Quiesce(); }
            }
        }
        """;

    [Fact]
    public async Task CallbackHandedOverAsAnObjectToken_Reports()
        => await V.AnalyzerAsync(Marked(TokenScheduler));

    [Fact]
    public async Task ObjectTokenThatIsNoDelegate_DoesNotReport()
    {
        // The token handed over is a string: nothing is bound to the parameter, the cast call reaches nothing.
        string source = Unmarked(TokenScheduler).Replace("_scheduler.Post((Action)Step);", "_scheduler.Post(\"step\");");
        await V.AnalyzerAsync(source);
    }

    /// <summary>
    /// Missed bug 1 as a whole: a completion callback handed to an abstract method, queued by the
    /// override as a tuple with its item, dequeued and deconstructed by the pump and invoked under
    /// the pump's lock; the callback takes the session's lock, under which the session flushes the pump.
    /// </summary>
    private const string QueuedCompletion = """
        using System;
        using System.Collections.Generic;

        abstract class Dispatcher
        {
            public abstract void Dispatch(object item, Action<object> done);
        }

        sealed class QueueDispatcher : Dispatcher
        {
            private readonly object _pending = new object();
            private readonly Queue<(object Item, Action<object> Done)> _queue = new();

            public override void Dispatch(object item, Action<object> done)
            {
                lock (_pending) { _queue.Enqueue((item, done)); }
            }

            public void Pump()
            {
                lock (_pending)
                {
                    while (_queue.Count > 0)
                    {
                        var (item, done) = _queue.Dequeue();
                        INVOKE
                    }
                }
            }

            public void Flush()
            {
                lock (_pending) { }
            }
        }

        sealed class Session
        {
            private readonly object _state = new object();
            private readonly QueueDispatcher _dispatcher = new QueueDispatcher();

            public void Send(object payload) { Dispatcher d = _dispatcher; d.Dispatch(payload, OnDone); }

            private void OnDone(object token) { lock (_state) { } }

            public void Close()
            {
                lock (_state) { _dispatcher.Flush(); }
            }
        }
        """;

    [Fact]
    public async Task CallbackQueuedAsATupleAndDeconstructed_Reports()
        => await V.AnalyzerAsync(QueuedCompletion.Replace("INVOKE", "{|OL0001:done(item)|};"));

    [Fact]
    public async Task CallbackQueuedAsATuple_ReadThroughTheElementName_Reports()
        => await V.AnalyzerAsync(QueuedCompletion.Replace("var (item, done) = _queue.Dequeue();", "var work = _queue.Dequeue();").Replace("INVOKE", "{|OL0001:work.Done(work.Item)|};"));

    [Fact]
    public async Task CallbackQueuedAsATuple_TakenWithTryDequeue_Reports()
        => await V.AnalyzerAsync(QueuedCompletion
            .Replace("while (_queue.Count > 0)", "while (_queue.TryDequeue(out var work))")
            .Replace("var (item, done) = _queue.Dequeue();", string.Empty)
            .Replace("INVOKE", "{|OL0001:work.Done(work.Item)|};"));

    [Fact]
    public async Task QueuedCallbacksInvokedAfterLeavingTheLock_DoesNotReport()
    {
        // The pump moves the work out under its lock and completes it outside.
        string source = QueuedCompletion.Replace(
            """
                    lock (_pending)
                    {
                        while (_queue.Count > 0)
                        {
                            var (item, done) = _queue.Dequeue();
                            INVOKE
                        }
                    }
            """,
            """
                    var ready = new List<(object Item, Action<object> Done)>();
                    lock (_pending)
                    {
                        while (_queue.Count > 0) { ready.Add(_queue.Dequeue()); }
                    }

                    foreach (var (item, done) in ready) { done(item); }
            """);
        Assert.DoesNotContain("INVOKE", source);
        await V.AnalyzerAsync(source);
    }

    [Fact]
    public async Task QueuedCallbackThatTakesNoLock_DoesNotReport()
        => await V.AnalyzerAsync(QueuedCompletion.Replace("INVOKE", "done(item);").Replace("private void OnDone(object token) { lock (_state) { } }", "private void OnDone(object token) { }"));
}
