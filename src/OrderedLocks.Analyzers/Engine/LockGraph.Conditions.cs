using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>OL0102 / OL0103: condition and Monitor uses without their lock; locks held on entry to each method.</summary>
internal sealed partial class LockGraph
{
    /// <summary>How many callers up a Monitor use is traced to find the caller that entered it by hand.</summary>
    private const int MaxHandManagedDepth = 8;

    /// <summary>Memo of <see cref="HeldByEveryCaller"/>: keeps the search linear in the call graph (no path explosion over shared callers).</summary>
    private readonly Dictionary<(IMethodSymbol Method, LockKey Required), bool> _heldByCallers = new(new MethodKeyComparer());

    // ----------------------------------------------------------------------------------------
    // OL0102 / OL0103: condition and monitor use without the lock
    // ----------------------------------------------------------------------------------------
    private void FindConditionMisuse()
    {
        Dictionary<IMethodSymbol, HashSet<LockKey>?> entry = _entry;
        foreach (MethodSummary summary in _summaries.Values)
        {
            foreach (ConditionUse use in summary.ConditionUses)
            {
                bool monitor = use.Kind is ConditionUseKind.MonitorWait or ConditionUseKind.MonitorPulse;
                LockKey? required = monitor
                    ? use.RequiredLock
                    : use.RequiredLock is not null && _model.ConditionLocks.TryGetValue(use.RequiredLock.Symbol, out LockKey? bound) ? bound : null;
                if (IsHeld(use.Held, required, monitor))
                {
                    continue;
                }

                if (monitor && (use.HandOverHand || ManagedByHand(summary, required)))
                {
                    // The monitor is entered by a helper (TakeLock(ref taken)), by every caller
                    // through one, or hand over hand through locals: identity uncertain, stay quiet.
                    continue;
                }

                HashSet<LockKey>? onEntry = entry.TryGetValue(summary.Method, out HashSet<LockKey>? set) ? set : null;
                if (required is null ? onEntry is { Count: > 0 } || AnyHeldOnEntry(summary.Method) : onEntry?.Contains(required) == true)
                {
                    continue;
                }

                string what = use.Location.SourceTree?.GetText().ToString(use.Location.SourceSpan) ?? use.Display;
                if (monitor)
                {
                    AddFinding(RuleIdentifiers.MonitorUsedWithoutLock, use.Location, ImmutableArray<Location>.Empty, use.Kind == ConditionUseKind.MonitorWait ? "Wait" : "Pulse", use.Display);
                }
                else
                {
                    AddFinding(RuleIdentifiers.ConditionUsedWithoutLock, use.Location, ImmutableArray<Location>.Empty, Shorten(what), required?.Display ?? "its lock");
                }
            }
        }
    }

    /// <summary>
    /// Whether every caller in the compilation holds some lock (of any kind, method-local ones
    /// included) when calling <paramref name="method"/>, directly or through its own callers: the
    /// test for a wait whose condition's lock cannot be named.
    /// </summary>
    private bool AnyHeldOnEntry(IMethodSymbol method)
    {
        _anyHeld ??= new Dictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
        return AnyHeldOnEntry(method, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), 0);
    }

    private bool AnyHeldOnEntry(IMethodSymbol method, HashSet<IMethodSymbol> visiting, int depth)
    {
        if (_anyHeld!.TryGetValue(method, out bool known))
        {
            return known;
        }

        if (depth > 32 || _model.EscapedMethods.ContainsKey(method) || !Incoming.TryGetValue(method, out List<(IMethodSymbol Caller, CallSite Call)>? callers))
        {
            return false;
        }

        if (!visiting.Add(method))
        {
            // A recursive call adds no new caller context.
            return true;
        }

        bool all = true;
        foreach ((IMethodSymbol caller, CallSite call) in callers)
        {
            if (call.Held.IsEmpty && !AnyHeldOnEntry(caller, visiting, depth + 1))
            {
                all = false;
                break;
            }
        }

        visiting.Remove(method);
        _anyHeld[method] = all;
        return all;
    }

    /// <summary>
    /// The monitor is managed by hand where the walker cannot see it held: the method calls a helper
    /// that enters <paramref name="required"/> and leaves it entered (<c>TakeLock(ref taken)</c>), or
    /// every caller, transitively, holds it or calls such a helper. (Hand-over-hand monitors on locals
    /// are recognised by the walker: <see cref="ConditionUse.HandOverHand"/>.)
    /// </summary>
    private bool ManagedByHand(MethodSummary summary, LockKey? required)
    {
        if (required is null)
        {
            return false;
        }

        return CallsEnteringHelper(summary, required)
            || HeldByEveryCaller(summary.Method, required, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), 0);
    }

    /// <summary>
    /// Every caller of <paramref name="method"/> (through its own callers, up to a bounded depth)
    /// holds <paramref name="required"/> at the call or has entered it through a helper. A method
    /// with no caller in the compilation, or used as a delegate, is an entry point: not held.
    /// </summary>
    private bool HeldByEveryCaller(IMethodSymbol method, LockKey required, HashSet<IMethodSymbol> visiting, int depth)
    {
        if (depth > MaxHandManagedDepth || _model.EscapedMethods.ContainsKey(method) || !Incoming.TryGetValue(method, out List<(IMethodSymbol Caller, CallSite Call)>? callers) || callers.Count == 0)
        {
            return false;
        }

        if (_heldByCallers.TryGetValue((method, required), out bool known))
        {
            return known;
        }

        if (!visiting.Add(method))
        {
            // Recursion adds no new caller context.
            return true;
        }

        bool all = true;
        foreach ((IMethodSymbol caller, CallSite call) in callers)
        {
            if (IsHeld(call.Held, required, monitor: true))
            {
                continue;
            }

            if (_summaries.TryGetValue(caller, out MethodSummary? callerSummary) && CallsEnteringHelper(callerSummary, required))
            {
                continue;
            }

            if (!HeldByEveryCaller(caller, required, visiting, depth + 1))
            {
                all = false;
                break;
            }
        }

        visiting.Remove(method);
        _heldByCallers[(method, required)] = all;
        return all;
    }

    private bool CallsEnteringHelper(MethodSummary summary, LockKey required)
    {
        foreach (CallSite call in summary.Calls)
        {
            foreach (IMethodSymbol target in Targets(call))
            {
                if (_summaries.TryGetValue(target, out MethodSummary? callee) && LeavesEntered(callee, required, call))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The callee enters the monitor and never exits it. A helper declared in a base class enters its
    /// own <c>this</c>, which is the caller's <c>this</c> when the call is made on <c>this</c>.
    /// </summary>
    private static bool LeavesEntered(MethodSummary callee, LockKey required, CallSite call)
    {
        if (callee.LeavesEntered(required))
        {
            return true;
        }

        if (required.Kind != LockKeyKind.This || call.Receiver != CallReceiver.This)
        {
            return false;
        }

        return callee.EnteredMonitors.Any(k => SameThisMonitor(k, required)) && !callee.ExitedMonitors.Any(k => SameThisMonitor(k, required));
    }

    /// <summary>Two <c>this</c> monitors seen from a class and from one of its bases (or the reverse).</summary>
    private static bool SameThisMonitor(LockKey a, LockKey b)
        => a.Kind == LockKeyKind.This && b.Kind == LockKeyKind.This
            && a.Symbol is INamedTypeSymbol x && b.Symbol is INamedTypeSymbol y
            && (InheritsFrom(x, y) || InheritsFrom(y, x));

    private static bool InheritsFrom(INamedTypeSymbol type, INamedTypeSymbol baseType)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, baseType.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    private static string Shorten(string text)
    {
        int paren = text.IndexOf('(');
        return paren > 0 ? text.Substring(0, paren) : text;
    }

    private bool IsHeld(ImmutableArray<Hold> held, LockKey? required, bool monitor)
    {
        foreach (Hold hold in held)
        {
            if (monitor && hold.Kind is not (HoldKind.Monitor or HoldKind.ThreadingLock))
            {
                continue;
            }

            if (required is null || hold.Key.Equals(required) || (monitor && SameThisMonitor(hold.Key, required)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Locks held on entry to each method: the intersection, over every call site in the compilation,
    /// of the locks held there and on entry to the caller. Methods without known callers (entry points,
    /// methods used as delegates) start with nothing held. Greatest fixpoint: null means "not yet bounded".
    /// </summary>
    private Dictionary<IMethodSymbol, HashSet<LockKey>?> ComputeEntryHolds(CallGraph graph)
    {
        // By method index over the call graph (every call to a method with a summary), in arrays:
        // symbol-keyed dictionaries of lists were a fifth of the graph's allocation on NLog.
        List<IMethodSymbol> methods = graph.Methods;
        int n = methods.Count;

        // Incoming calls per method: callers in the order of the methods, then of their calls.
        int[] inStart = new int[n + 1];
        foreach (CallEdge[]? calls in graph.Calls)
        {
            foreach (CallEdge edge in calls ?? s_noCalls)
            {
                inStart[edge.Target + 1]++;
            }
        }

        for (int i = 0; i < n; i++)
        {
            inStart[i + 1] += inStart[i];
        }

        int[] inCaller = new int[inStart[n]];
        var inCall = new CallSite[inStart[n]];
        int[] next = new int[n];
        Array.Copy(inStart, next, n);

        // The called methods, in the order each is first called.
        int[] called = new int[n];
        int calledCount = 0;
        bool[] isCalled = new bool[n];
        for (int m = 0; m < n; m++)
        {
            foreach (CallEdge edge in graph.Calls[m] ?? s_noCalls)
            {
                int slot = next[edge.Target]++;
                inCaller[slot] = m;
                inCall[slot] = edge.Call;
                if (!isCalled[edge.Target])
                {
                    isCalled[edge.Target] = true;
                    called[calledCount++] = edge.Target;
                }
            }
        }

        var sets = new HashSet<LockKey>?[n];
        for (int m = 0; m < n; m++)
        {
            // Every root shares one empty set: entry sets are only read once computed (each
            // re-evaluation below builds a new set).
            bool root = inStart[m] == inStart[m + 1] || _model.EscapedMethods.ContainsKey(methods[m]);
            sets[m] = root ? s_nothingOnEntry : null;
        }

        // What each method calls, listed callee by callee in the order above (the order a method's
        // callees are queued again when its entry set shrinks).
        int[] outStart = new int[n + 1];
        for (int m = 0; m < n; m++)
        {
            outStart[m + 1] = outStart[m] + (graph.Calls[m]?.Length ?? 0);
        }

        int[] callees = new int[outStart[n]];
        Array.Copy(outStart, next, n);
        for (int c = 0; c < calledCount; c++)
        {
            int callee = called[c];
            for (int slot = inStart[callee]; slot < inStart[callee + 1]; slot++)
            {
                callees[next[inCaller[slot]]++] = callee;
            }
        }

        // Worklist (a ring: each method is queued at most once at a time): re-evaluate a method
        // when the entry set of one of its callers shrank.
        int[] work = new int[Math.Max(n, 1)];
        bool[] queued = new bool[n];
        int head = 0;
        int count = 0;
        for (int c = 0; c < calledCount; c++)
        {
            work[count++] = called[c];
            queued[called[c]] = true;
        }

        int budget = 32 * (calledCount + 1);
        while (count > 0 && budget-- > 0)
        {
            int method = work[head];
            head = head + 1 == work.Length ? 0 : head + 1;
            count--;
            queued[method] = false;
            HashSet<LockKey>? current = sets[method];
            if (current is { Count: 0 })
            {
                continue;
            }

            HashSet<LockKey>? result = null;
            for (int slot = inStart[method]; slot < inStart[method + 1]; slot++)
            {
                HashSet<LockKey>? callerEntry = sets[inCaller[slot]];
                if (callerEntry is null)
                {
                    continue;
                }

                CallSite call = inCall[slot];
                if (callerEntry.Count == 0 && !HasMutex(call.Held))
                {
                    result = s_nothingOnEntry;
                    break;
                }

                // The caller's entry set, then the keys held at the call (in that order: the sets'
                // order is the order their keys are later listed in).
                var atCall = new HashSet<LockKey>(callerEntry);
                foreach (Hold hold in call.Held)
                {
                    if (IsMutex(hold))
                    {
                        atCall.Add(hold.Key);
                    }
                }

                if (result is null)
                {
                    result = atCall;
                }
                else
                {
                    result.IntersectWith(atCall);
                }

                if (result.Count == 0)
                {
                    break;
                }
            }

            if (result is not null && (current is null || !current.SetEquals(result)))
            {
                sets[method] = result;
                for (int k = outStart[method]; k < outStart[method + 1]; k++)
                {
                    int callee = callees[k];
                    if (!queued[callee])
                    {
                        queued[callee] = true;
                        int tail = head + count;
                        work[tail >= work.Length ? tail - work.Length : tail] = callee;
                        count++;
                    }
                }
            }
        }

        var entry = new Dictionary<IMethodSymbol, HashSet<LockKey>?>(n, SymbolEqualityComparer.Default);
        for (int m = 0; m < n; m++)
        {
            entry[methods[m]] = sets[m];
        }

        return entry;
    }

    /// <summary>
    /// The calls made to each method with a summary (caller, call), for the condition rules' searches
    /// up the callers; made from the call graph the first time one asks.
    /// </summary>
    private Dictionary<IMethodSymbol, List<(IMethodSymbol Caller, CallSite Call)>> Incoming
    {
        get
        {
            if (_incoming is null)
            {
                var incoming = new Dictionary<IMethodSymbol, List<(IMethodSymbol Caller, CallSite Call)>>(SymbolEqualityComparer.Default);
                CallGraph graph = _callGraph!;
                for (int m = 0; m < graph.Methods.Count; m++)
                {
                    foreach (CallEdge edge in graph.Calls[m] ?? s_noCalls)
                    {
                        IMethodSymbol target = graph.Methods[edge.Target];
                        if (!incoming.TryGetValue(target, out List<(IMethodSymbol, CallSite)>? list))
                        {
                            list = new List<(IMethodSymbol, CallSite)>();
                            incoming.Add(target, list);
                        }

                        list.Add((graph.Methods[m], edge.Call));
                    }
                }

                _incoming = incoming;
            }

            return _incoming;
        }
    }

    /// <summary>The entry set of every method without callers (shared: entry sets are never changed once stored).</summary>
    private static readonly HashSet<LockKey> s_nothingOnEntry = new();

    private sealed class MethodKeyComparer : IEqualityComparer<(IMethodSymbol Method, LockKey Required)>
    {
        public bool Equals((IMethodSymbol Method, LockKey Required) x, (IMethodSymbol Method, LockKey Required) y)
            => SymbolEqualityComparer.Default.Equals(x.Method, y.Method) && x.Required.Equals(y.Required);

        public int GetHashCode((IMethodSymbol Method, LockKey Required) obj)
            => (SymbolEqualityComparer.Default.GetHashCode(obj.Method) * 397) ^ obj.Required.GetHashCode();
    }
}
