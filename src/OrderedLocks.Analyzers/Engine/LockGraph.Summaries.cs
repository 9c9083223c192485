using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Per-method lock summaries: the locks each method acquires, directly or through calls, to a fixed point over the call graph.</summary>
internal sealed partial class LockGraph
{
    // ----------------------------------------------------------------------------------------
    // Transitive acquisitions (per-method summaries combined over the compilation)
    // ----------------------------------------------------------------------------------------

    /// <summary>How a method comes to acquire a lock: directly, or through a call.</summary>
    private sealed class AcquiredVia
    {
        public AcquiredVia(Hold hold, CallSite? call, IMethodSymbol? callee, bool onThis, bool isTry)
        {
            Hold = hold;
            Call = call;
            Callee = callee;
            OnThis = onThis;
            IsTry = isTry;
        }

        /// <summary>The acquisition at the end of the chain.</summary>
        public Hold Hold { get; }

        public CallSite? Call { get; }

        public IMethodSymbol? Callee { get; }

        /// <summary>The acquired lock belongs to this method's own object (or is static).</summary>
        public bool OnThis { get; }

        public bool IsTry { get; }
    }

    /// <summary>
    /// The locks each method acquires, directly or through calls, computed callee-first over the
    /// strongly connected components of the call graph (so each method is merged once). With
    /// <paramref name="topOnly"/>, only those it acquires while holding nothing itself (the ones a
    /// caller's held locks come directly before; nested ones are ordered by the callee's own edges).
    /// <paramref name="keep"/> restricts the keys tracked. Sets are capped at
    /// <see cref="MaxAcquiredPerMethod"/> so pathological call graphs stay linear.
    /// </summary>
    private void ComputeAcquired(Dictionary<IMethodSymbol, Dictionary<LockKey, AcquiredVia>> acquired, bool topOnly, Func<LockKey, bool>? keep)
    {
        var methods = _summaries.Keys.ToList();
        var indexOf = new Dictionary<IMethodSymbol, int>(SymbolEqualityComparer.Default);
        for (int i = 0; i < methods.Count; i++)
        {
            indexOf[methods[i]] = i;
        }

        // Filtered call graph: calls made while holding nothing (topOnly) or all calls.
        var calls = new List<(CallSite Call, int Target)>[methods.Count];
        var successors = new List<int>[methods.Count];
        for (int i = 0; i < methods.Count; i++)
        {
            calls[i] = new List<(CallSite, int)>();
            successors[i] = new List<int>();
            foreach (CallSite call in _summaries[methods[i]].Calls)
            {
                if (topOnly && HasMutex(call.Held))
                {
                    continue;
                }

                foreach (IMethodSymbol target in Targets(call))
                {
                    if (indexOf.TryGetValue(target, out int t))
                    {
                        calls[i].Add((call, t));
                        successors[i].Add(t);
                    }
                }
            }
        }

        var sets = new Dictionary<LockKey, AcquiredVia>[methods.Count];
        foreach (List<int> component in ComponentsCalleesFirst(successors))
        {
            var members = new HashSet<int>(component);
            if (component.Count == 1 || component.Count > MaxComponentIterations)
            {
                // One method (or a huge recursive tangle): one shared set, merged once.
                var set = new Dictionary<LockKey, AcquiredVia>();
                foreach (int m in component)
                {
                    AddDirect(set, _summaries[methods[m]], topOnly, keep);
                }

                foreach (int m in component)
                {
                    foreach ((CallSite call, int target) in calls[m])
                    {
                        if (!members.Contains(target))
                        {
                            Merge(set, sets[target], call, methods[target]);
                        }
                    }
                }

                foreach (int m in component)
                {
                    sets[m] = set;
                }

                continue;
            }

            // A small recursive cycle: iterate to a fixpoint among its members.
            foreach (int m in component)
            {
                sets[m] = new Dictionary<LockKey, AcquiredVia>();
                AddDirect(sets[m], _summaries[methods[m]], topOnly, keep);
                foreach ((CallSite call, int target) in calls[m])
                {
                    if (!members.Contains(target))
                    {
                        Merge(sets[m], sets[target], call, methods[target]);
                    }
                }
            }

            bool changed = true;
            for (int round = 0; changed && round < MaxComponentIterations; round++)
            {
                changed = false;
                foreach (int m in component)
                {
                    foreach ((CallSite call, int target) in calls[m])
                    {
                        if (members.Contains(target) && target != m)
                        {
                            changed |= Merge(sets[m], sets[target], call, methods[target]);
                        }
                    }
                }
            }
        }

        for (int i = 0; i < methods.Count; i++)
        {
            acquired[methods[i]] = sets[i];
        }
    }

    private void AddDirect(Dictionary<LockKey, AcquiredVia> set, MethodSummary summary, bool topOnly, Func<LockKey, bool>? keep)
    {
        foreach (Acquisition acquisition in summary.Acquisitions)
        {
            if (!IsMutex(acquisition.Lock) || (topOnly && HasMutex(acquisition.Held)) || (keep is not null && !keep(acquisition.Lock.Key)))
            {
                continue;
            }

            var via = new AcquiredVia(acquisition.Lock, null, null, acquisition.Lock.OnThis, acquisition.IsTry);
            if (!set.TryGetValue(acquisition.Lock.Key, out AcquiredVia? existing))
            {
                if (set.Count < MaxAcquiredPerMethod)
                {
                    set[acquisition.Lock.Key] = via;
                }
            }
            else if (existing.IsTry && !via.IsTry)
            {
                set[acquisition.Lock.Key] = via;
            }
        }
    }

    private static bool Merge(Dictionary<LockKey, AcquiredVia> into, Dictionary<LockKey, AcquiredVia>? from, CallSite call, IMethodSymbol callee)
    {
        if (from is null || ReferenceEquals(into, from))
        {
            return false;
        }

        bool changed = false;
        foreach (KeyValuePair<LockKey, AcquiredVia> entry in from)
        {
            bool onThis = entry.Key.IsStatic || (entry.Value.OnThis && call.Receiver == CallReceiver.This);
            if (!into.TryGetValue(entry.Key, out AcquiredVia? existing))
            {
                if (into.Count >= MaxAcquiredPerMethod)
                {
                    continue;
                }
            }
            else if (!(existing.IsTry && !entry.Value.IsTry) && !(onThis && !existing.OnThis && existing.Callee is not null))
            {
                continue;
            }

            into[entry.Key] = new AcquiredVia(entry.Value.Hold, call, callee, onThis, entry.Value.IsTry);
            changed = true;
        }

        return changed;
    }

    /// <summary>Strongly connected components, each emitted after every component it calls (iterative Tarjan).</summary>
    private static List<List<int>> ComponentsCalleesFirst(List<int>[] successors)
    {
        int[] component = StronglyConnectedComponents(successors);
        int count = component.Length == 0 ? 0 : component.Max() + 1;
        var result = new List<List<int>>(count);
        for (int i = 0; i < count; i++)
        {
            result.Add(new List<int>());
        }

        for (int node = 0; node < component.Length; node++)
        {
            result[component[node]].Add(node);
        }

        // Tarjan numbers components in reverse topological order: callees get lower numbers.
        return result;
    }

    /// <summary>
    /// Keys whose full transitive acquisition matters beyond the order graph: ranked locks (OL0002),
    /// non-reentrant locks held at a call (OL0006), locks held at a call on another instance (OL0003).
    /// </summary>
    private HashSet<LockKey> InterestingKeys()
    {
        var keys = new HashSet<LockKey>();
        foreach (MethodSummary summary in _summaries.Values)
        {
            foreach (Acquisition acquisition in summary.Acquisitions)
            {
                if (RankOf(acquisition.Lock.Key) is not null)
                {
                    keys.Add(acquisition.Lock.Key);
                }
            }

            foreach (CallSite call in summary.Calls)
            {
                foreach (Hold hold in call.Held)
                {
                    if (!hold.IsReentrant || call.Receiver == CallReceiver.ParameterOrLocal || RankOf(hold.Key) is not null)
                    {
                        keys.Add(hold.Key);
                    }
                }
            }
        }

        return keys;
    }

    private bool IsMutex(Hold hold)
    {
        if (hold.Key.Kind == LockKeyKind.Local)
        {
            return false;
        }

        if (hold.Kind != HoldKind.Semaphore)
        {
            return true;
        }

        if (!_semaphoreIsMutex.TryGetValue(hold.Key, out bool mutex))
        {
            mutex = _model.IsMutex(hold);
            _semaphoreIsMutex[hold.Key] = mutex;
        }

        return mutex;
    }

    private int? RankOf(LockKey key)
    {
        if (!_ranks.TryGetValue(key, out int? rank))
        {
            rank = _model.GetDeclaredRank(key);
            _ranks[key] = rank;
        }

        return rank;
    }

    private bool HasMutex(ImmutableArray<Hold> held)
    {
        foreach (Hold hold in held)
        {
            if (IsMutex(hold))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"A() → B() → C()" from a call in <paramref name="caller"/> to where <paramref name="key"/> is acquired.</summary>
    private string DescribePath(IMethodSymbol caller, IMethodSymbol callee, LockKey key, bool top = false)
    {
        Dictionary<IMethodSymbol, Dictionary<LockKey, AcquiredVia>> acquired = top ? _topAcquired : _acquired;
        var builder = new StringBuilder(Display(caller));
        IMethodSymbol current = callee;
        for (int step = 0; step < MaxPathSteps; step++)
        {
            builder.Append(" → ").Append(Display(current));
            if (!acquired.TryGetValue(current, out Dictionary<LockKey, AcquiredVia>? map)
                || !map.TryGetValue(key, out AcquiredVia? via) || via.Callee is null)
            {
                break;
            }

            current = via.Callee;
        }

        return builder.ToString();
    }

    public static string Display(IMethodSymbol method)
    {
        switch (method.MethodKind)
        {
            case MethodKind.AnonymousFunction:
                return "lambda in " + (method.ContainingSymbol is IMethodSymbol outer ? Display(outer) : method.ContainingSymbol?.Name);
            case MethodKind.LocalFunction:
                return (method.ContainingSymbol is IMethodSymbol container ? Display(container) : string.Empty) + "." + method.Name + "()";
            case MethodKind.PropertyGet or MethodKind.PropertySet:
                return method.ContainingType?.Name + "." + method.AssociatedSymbol?.Name + (method.MethodKind == MethodKind.PropertyGet ? ".get" : ".set");
            case MethodKind.Constructor:
                return "new " + method.ContainingType?.Name + "()";
            default:
                return method.ContainingType?.Name + "." + method.Name + "()";
        }
    }
}
