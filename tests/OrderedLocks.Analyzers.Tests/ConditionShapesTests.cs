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
}
