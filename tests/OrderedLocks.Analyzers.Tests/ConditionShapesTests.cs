using Xunit;
using V101 = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0101WaitNotInPredicateLoopAnalyzer>;
using V103 = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0103MonitorWithoutLockAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

/// <summary>Issue 10, shape 8 (and the real-code reports R1–R3): condition rules on hand-managed monitors.</summary>
public sealed class ConditionShapesTests
{
    /// <summary>A monitor entered by a <c>ref bool</c> helper, waited on and pulsed by its caller and by a callee only callers under the helper reach.</summary>
    [Fact]
    public async Task MonitorEnteredByARefHelper_IsHeld()
    {
        await V103.AnalyzerAsync("""
            using System;
            using System.Threading;

            class Writer
            {
                private bool _signalled;

                private void TakeLock(ref bool taken)
                {
                    if (!taken)
                    {
                        Monitor.TryEnter(this, 10_000, ref taken);
                        if (!taken) throw new TimeoutException();
                    }
                }

                private void ReleaseLock(ref bool taken)
                {
                    if (taken) { Monitor.Exit(this); taken = false; }
                }

                public void Loop()
                {
                    bool taken = false;
                    try
                    {
                        while (true)
                        {
                            TakeLock(ref taken);
                            if (!_signalled) Monitor.Wait(this, 10_000);
                            ReleaseLock(ref taken);
                        }
                    }
                    finally
                    {
                        ReleaseLock(ref taken);
                    }
                }

                public void Wake()
                {
                    bool taken = false;
                    TakeLock(ref taken);
                    WakeInsideLock();
                    ReleaseLock(ref taken);
                }

                private void WakeInsideLock()
                {
                    _signalled = true;
                    Monitor.Pulse(this);
                }
            }
            """);
    }

    [Fact]
    public async Task PulseWithoutAnyEnter_StillReports()
    {
        await V103.AnalyzerAsync("""
            using System.Threading;

            class Writer
            {
                private void ReleaseLock() => Monitor.Exit(this);

                public void Wake()
                {
                    ReleaseLock();
                    {|OL0103:Monitor.Pulse(this)|};
                }
            }
            """);
    }

    /// <summary>Hand-over-hand Monitor.Enter through locals in a loop, then a wait on the last one.</summary>
    [Fact]
    public async Task HandOverHandMonitorEnterInALoop_IsNotReported()
    {
        await V103.AnalyzerAsync("""
            using System.Collections.Generic;
            using System.Threading;

            class Transaction
            {
                public bool Run(List<object> boxes)
                {
                    object? last = null;
                    for (int i = 0; i < boxes.Count; i++)
                    {
                        object next = Box(boxes, i)!;
                        Monitor.Enter(next);
                        if (last != null) Monitor.Exit(last);
                        last = next;
                    }

                    if (last != null && Monitor.Wait(last, 1000))
                    {
                        Monitor.Exit(last);
                        return true;
                    }

                    return false;
                }

                private static object? Box(List<object> boxes, int i) => boxes[i];
            }
            """);
    }

    /// <summary><c>for (;;)</c> with a guarded break is a re-check loop, like <c>while (true)</c>.</summary>
    [Fact]
    public async Task EndlessForLoopWithGuardedBreak_IsAPredicateLoop()
    {
        await V101.AnalyzerAsync("""
            using System.Threading;

            class Latch
            {
                private readonly object _gate = new object();
                private bool _open;

                public void Await()
                {
                    lock (_gate)
                    {
                        for (;;)
                        {
                            if (_open) break;
                            Monitor.Wait(_gate);
                        }
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task EndlessForLoopWithoutExit_IsNotAPredicateLoop()
    {
        await V101.AnalyzerAsync("""
            using System.Threading;

            class Pump
            {
                private readonly object _gate = new object();

                public void Run()
                {
                    lock (_gate)
                    {
                        for (;;)
                        {
                            {|OL0101:Monitor.Wait(_gate)|};
                        }
                    }
                }
            }
            """);
    }

    // ---------------------------------------------------------------- real-code shapes (redis R1–R3)

    /// <summary>R1: the ref-bool helper lives in an abstract base class (its <c>this</c> is the base type) and uses a local function.</summary>
    [Fact]
    public async Task MonitorEnteredByABaseClassRefHelper_IsHeld()
    {
        await V103.AnalyzerAsync(BaseWriter + """
            sealed class PumpWriter : BaseWriter
            {
                private bool _ready;

                public void Pump()
                {
                    bool held = false;
                    try
                    {
                        while (true)
                        {
                            Enter(ref held);
                            if (!_ready)
                            {
                                Monitor.Wait(this, 5_000);
                            }

                            _ready = false;
                            Leave(ref held);
                        }
                    }
                    finally
                    {
                        Leave(ref held);
                    }
                }

                protected override void Signal() { }
            }
            """);
    }

    /// <summary>Near miss of R1: the base-class helper only sets the flag, it never enters the monitor.</summary>
    [Fact]
    public async Task BaseClassHelperThatNeverEnters_StillReports()
    {
        await V103.AnalyzerAsync("""
            using System.Threading;

            abstract class FakeBase
            {
                protected void Enter(ref bool held) { held = true; }
            }

            sealed class PumpWriter : FakeBase
            {
                public void Pump()
                {
                    bool held = false;
                    Enter(ref held);
                    {|OL0103:Monitor.Wait(this, 5_000)|};
                }
            }
            """);
    }

    /// <summary>R2: Pulse in an override reached only through a base-class method whose callers all enter the monitor through the helper first.</summary>
    [Fact]
    public async Task PulseInACalleeOnlyReachedUnderTheCallersHelper_IsHeld()
    {
        await V103.AnalyzerAsync(BaseWriter + """
            sealed class PumpWriter : BaseWriter
            {
                private bool _ready;

                public void Kick()
                {
                    bool held = false;
                    try
                    {
                        Enter(ref held);
                        WakeInside();
                    }
                    finally
                    {
                        Leave(ref held);
                    }
                }

                protected override void Signal()
                {
                    _ready = true;
                    Monitor.Pulse(this);
                }
            }
            """);
    }

    /// <summary>Near miss of R2: a public entry reaches the same base method without entering the monitor.</summary>
    [Fact]
    public async Task PulseInACalleeAlsoReachedWithoutTheLock_StillReports()
    {
        await V103.AnalyzerAsync(BaseWriter + """
            sealed class PumpWriter : BaseWriter
            {
                public void Kick()
                {
                    bool held = false;
                    Enter(ref held);
                    WakeInside();
                    Leave(ref held);
                }

                public void KickCarelessly() => WakeInside();

                protected override void Signal()
                {
                    {|OL0103:Monitor.Pulse(this)|};
                }
            }
            """);
    }

    /// <summary>R3: hand over hand in an iterator (yield between enter and wait), interface-typed locals, boxes from a call with <c>!</c>, nested try/finally.</summary>
    [Fact]
    public async Task HandOverHandInAnIterator_IsNotReported()
    {
        await V103.AnalyzerAsync("""
            using System.Collections.Generic;
            using System.Threading;

            interface IBox { }

            sealed class Check
            {
                private readonly IBox? _box = null;

                public IBox? Box() => _box; // an alias of the field: the entered box has a member key, not a local one
                public IEnumerable<string> Messages() { yield return "x"; }
            }

            sealed class Batch
            {
                public IEnumerable<string> Send(Check[] checks, int timeout)
                {
                    IBox? last = null;
                    try
                    {
                        try
                        {
                            for (int i = 0; i < checks.Length; i++)
                            {
                                IBox next = checks[i].Box()!;
                                Monitor.Enter(next);
                                if (last != null) Monitor.Exit(last);
                                last = next;
                                foreach (string message in checks[i].Messages())
                                {
                                    yield return message;
                                }
                            }

                            if (last != null)
                            {
                                if (Monitor.Wait(last, timeout))
                                {
                                    yield return "done";
                                }
                            }
                        }
                        finally
                        {
                            Trace("sent");
                        }
                    }
                    finally
                    {
                        if (last != null) Monitor.Exit(last);
                    }
                }

                private static void Trace(string what) { }
            }
            """);
    }

    /// <summary>Near miss of R3: the loop leaves no box entered (each is exited in its own iteration) before the wait.</summary>
    [Fact]
    public async Task HandOverHandThatExitsEveryBox_StillReports()
    {
        await V103.AnalyzerAsync("""
            using System.Collections.Generic;
            using System.Threading;

            sealed class Batch
            {
                public bool Send(List<object> boxes, int timeout)
                {
                    object? last = null;
                    foreach (object next in boxes)
                    {
                        Monitor.Enter(next);
                        Monitor.Exit(next);
                        last = next;
                    }

                    return last != null && {|OL0103:Monitor.Wait(last, timeout)|};
                }
            }
            """);
    }

    private const string BaseWriter = """
        using System;
        using System.Threading;

        abstract class BaseWriter
        {
            protected void Enter(ref bool held)
            {
                if (!held)
                {
                    Monitor.TryEnter(this, 10_000, ref held);
                    if (!held) Fail();
                }

                static void Fail() => throw new TimeoutException("writer lock");
            }

            protected void Leave(ref bool held)
            {
                if (held)
                {
                    Monitor.Exit(this);
                    held = false;
                }
            }

            protected void WakeInside()
            {
                Signal();
            }

            protected abstract void Signal();
        }

        """;
}
