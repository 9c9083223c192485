using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Order edges of nested locks on a method's parameters, bound at each call site to the locks the caller passes.</summary>
internal sealed partial class LockGraph
{
    /// <summary>
    /// <c>Worker(first, second)</c> nests <c>first</c> then <c>second</c>; its locks have method-local
    /// keys (the parameters), so on its own it orders nothing. At each call site the parameters are
    /// the caller's locks: <c>Worker(a, b)</c> orders <c>a</c> before <c>b</c>, <c>Worker(b, a)</c> the
    /// reverse: one pair of objects (the caller's two locals or fields) in both orders, a cycle. A
    /// parameter bound to the caller's own parameter is not followed further (one level).
    /// </summary>
    private void BuildParameterBoundEdges(bool fields)
    {
        var parametric = new Dictionary<IMethodSymbol, List<(Hold Outer, Hold Inner, bool IsTry)>>(SymbolEqualityComparer.Default);
        foreach (MethodSummary summary in _summaries.Values)
        {
            foreach (Acquisition acquisition in summary.Acquisitions)
            {
                Hold inner = acquisition.Lock;
                if (acquisition.Held.IsEmpty || !Bindable(inner))
                {
                    continue;
                }

                int innermost = -1;
                for (int i = acquisition.Held.Length - 1; i >= 0; i--)
                {
                    if (!acquisition.Held[i].IsTry && Bindable(acquisition.Held[i]))
                    {
                        innermost = i;
                        break;
                    }
                }

                for (int i = innermost < 0 ? acquisition.Held.Length : innermost; i < acquisition.Held.Length; i++)
                {
                    Hold outer = acquisition.Held[i];
                    if (!Bindable(outer) || (ParameterOf(outer, summary.Method) is null && ParameterOf(inner, summary.Method) is null))
                    {
                        continue;
                    }

                    if (!parametric.TryGetValue(summary.Method, out List<(Hold, Hold, bool)>? list))
                    {
                        list = new List<(Hold, Hold, bool)>();
                        parametric.Add(summary.Method, list);
                    }

                    list.Add((outer, inner, acquisition.IsTry));
                }
            }
        }

        if (parametric.Count == 0)
        {
            return;
        }

        foreach (MethodSummary caller in _summaries.Values)
        {
            foreach (CallSite call in caller.Calls)
            {
                if (call.ArgumentLocks.IsEmpty)
                {
                    continue;
                }

                foreach (IMethodSymbol target in Targets(call))
                {
                    if (!parametric.TryGetValue(target, out List<(Hold Outer, Hold Inner, bool IsTry)>? list))
                    {
                        continue;
                    }

                    foreach ((Hold outer, Hold inner, bool isTry) in list)
                    {
                        BoundLock? from = Bind(outer, call, target);
                        BoundLock? to = Bind(inner, call, target);
                        if (from is null || to is null || from.Key.Equals(to.Key))
                        {
                            // Unbound, or one key on both sides (re-entry, or two instances: OL0003's concern).
                            continue;
                        }

                        HashSet<LockKey> held = HeldKeys(call.Held, caller.Method);
                        held.Add(from.Key);
                        Relation relation = fields ? Relation.Same : Relation.Between(from.Key, from.Path, to.Key, to.Path);
                        AddEdge(from.Key, to.Key, new EdgeOccurrence(inner.Location, target, null, isTry, held, relation, default));
                    }
                }
            }
        }
    }

    /// <summary>A blocking lock whose mutual exclusion does not depend on a count the analyzer cannot see.</summary>
    private bool Bindable(Hold hold) => hold.Kind != HoldKind.Semaphore || (hold.Key.Kind != LockKeyKind.Local && IsMutex(hold));

    /// <summary>The parameter of <paramref name="method"/> the hold's method-local key names, or null.</summary>
    private static IParameterSymbol? ParameterOf(Hold hold, IMethodSymbol method)
        => hold.Key.Kind == LockKeyKind.Local && hold.Key.Symbol is IParameterSymbol parameter
            && parameter.ContainingSymbol is IMethodSymbol owner && SymbolEqualityComparer.Default.Equals(owner.OriginalDefinition, method.OriginalDefinition)
            ? parameter
            : null;

    /// <summary>The callee's hold as the caller's lock: a parameter bound to its argument, another lock translated through the call.</summary>
    private static BoundLock? Bind(Hold hold, CallSite call, IMethodSymbol callee)
    {
        if (ParameterOf(hold, callee) is { } parameter)
        {
            BoundLock? argument = parameter.Ordinal < call.ArgumentLocks.Length ? call.ArgumentLocks[parameter.Ordinal] : null;
            if (argument is null || argument.Path.Root == PathRoot.Fresh || (argument.Key.Kind == LockKeyKind.Local && argument.Key.Symbol is IParameterSymbol))
            {
                return null;
            }

            return argument;
        }

        if (hold.Key.Kind == LockKeyKind.Local)
        {
            return null;
        }

        AccessPath path = hold.Key.IsStatic ? AccessPath.Static : call.Translate(hold.ObjectPath);
        return path.Root == PathRoot.Fresh ? null : new BoundLock(hold.Key, path, hold.Instance);
    }
}
