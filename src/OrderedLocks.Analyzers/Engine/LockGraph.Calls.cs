using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Call resolution: the methods a call site can reach (overrides by receiver type, interface implementations, delegates, events).</summary>
internal sealed partial class LockGraph
{
    // ----------------------------------------------------------------------------------------
    // Call resolution
    // ----------------------------------------------------------------------------------------
    private void BuildImplementations()
    {
        var types = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (IMethodSymbol method in _summaries.Keys)
        {
            if (method.IsStatic || method.ContainingType is null || method.MethodKind is MethodKind.AnonymousFunction or MethodKind.LocalFunction)
            {
                continue;
            }

            types.Add(method.ContainingType);
            for (IMethodSymbol? overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
            {
                AddImplementation(overridden.OriginalDefinition, method);
            }
        }

        // Interface members: resolved once per type (not per method), kept when the implementation
        // has a summary, and only for the members some call names (resolving every member of every
        // interface of every type was a tenth of the graph's time on NLog).
        var called = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        foreach (MethodSummary summary in _summaries.Values)
        {
            foreach (CallSite call in summary.Calls)
            {
                if (call.Target is { ContainingType.TypeKind: TypeKind.Interface } target)
                {
                    called.Add(target.OriginalDefinition);
                }
            }
        }

        if (called.Count == 0)
        {
            return;
        }

        foreach (INamedTypeSymbol type in types)
        {
            foreach (INamedTypeSymbol @interface in type.AllInterfaces)
            {
                if (!@interface.Locations.Any(l => l.IsInSource))
                {
                    // Calls through metadata interfaces (IDisposable, IEnumerable, ...) are not followed.
                    continue;
                }

                foreach (ISymbol member in @interface.GetMembers())
                {
                    foreach (IMethodSymbol interfaceMethod in AccessorsOrSelf(member))
                    {
                        if (called.Contains(interfaceMethod.OriginalDefinition)
                            && type.FindImplementationForInterfaceMember(interfaceMethod) is IMethodSymbol implementation
                            && _summaries.ContainsKey(implementation.OriginalDefinition))
                        {
                            AddImplementation(interfaceMethod.OriginalDefinition, implementation.OriginalDefinition);
                        }
                    }
                }
            }
        }
    }

    private static IEnumerable<IMethodSymbol> AccessorsOrSelf(ISymbol member)
    {
        switch (member)
        {
            case IMethodSymbol method:
                yield return method;
                break;
            case IPropertySymbol property:
                if (property.GetMethod is not null)
                {
                    yield return property.GetMethod;
                }

                if (property.SetMethod is not null)
                {
                    yield return property.SetMethod;
                }

                break;
            case IEventSymbol @event:
                if (@event.AddMethod is not null)
                {
                    yield return @event.AddMethod;
                }

                if (@event.RemoveMethod is not null)
                {
                    yield return @event.RemoveMethod;
                }

                break;
        }
    }

    private void AddImplementation(IMethodSymbol member, IMethodSymbol implementation)
    {
        if (!_implementations.TryGetValue(member, out List<IMethodSymbol>? list))
        {
            list = new List<IMethodSymbol>();
            _implementations.Add(member, list);
        }

        list.Add(implementation);
    }

    private List<IMethodSymbol> Targets(CallSite call)
    {
        if (!_targets.TryGetValue(call, out List<IMethodSymbol>? targets))
        {
            // ResolveTargets(call).Distinct().ToList() without the iterators and the set: most calls
            // have no target with a summary (one shared empty list, never written) or one.
            targets = s_noTargets;
            if (call.Target is { } direct)
            {
                if (_summaries.ContainsKey(direct))
                {
                    AddTarget(ref targets, direct);
                }

                if (!call.NonVirtual && _implementations.TryGetValue(direct, out List<IMethodSymbol>? implementations) && implementations.Count <= MaxDispatchTargets)
                {
                    if (implementations.Count <= 8)
                    {
                        foreach (IMethodSymbol implementation in implementations)
                        {
                            AddTarget(ref targets, implementation);
                        }
                    }
                    else
                    {
                        // A wide hierarchy: a set keeps the de-duplication linear (first occurrence kept, as Distinct does).
                        var seen = new HashSet<IMethodSymbol>(targets, SymbolEqualityComparer.Default);
                        targets = new List<IMethodSymbol>(targets);
                        foreach (IMethodSymbol implementation in implementations)
                        {
                            if (seen.Add(implementation))
                            {
                                targets.Add(implementation);
                            }
                        }
                    }
                }
            }
            else
            {
                foreach (IMethodSymbol target in ResolveTargets(call))
                {
                    AddTarget(ref targets, target);
                }
            }

            _targets.Add(call, targets);
        }

        return targets;
    }

    private static readonly List<IMethodSymbol> s_noTargets = new(0);

    private void AddTarget(ref List<IMethodSymbol> targets, IMethodSymbol target)
    {
        if (targets.Count == 0)
        {
            // Most calls have one target, and many calls share it: one list per target, shared
            // and never written (a second target copies it).
            if (!_singleTargets.TryGetValue(target, out List<IMethodSymbol>? single))
            {
                single = new List<IMethodSymbol>(1) { target };
                _singleTargets.Add(target, single);
            }

            targets = single;
        }
        else if (!ContainsSymbol(targets, target))
        {
            if (targets.Count == 1)
            {
                targets = new List<IMethodSymbol>(2) { targets[0], target };
            }
            else
            {
                targets.Add(target);
            }
        }
    }

    // Calls are resolved on one thread (BuildCallGraph), before the passes that run side by side.
    private readonly Dictionary<IMethodSymbol, List<IMethodSymbol>> _singleTargets = new(SymbolEqualityComparer.Default);

    private static bool ContainsSymbol(List<IMethodSymbol> list, IMethodSymbol symbol)
    {
        foreach (IMethodSymbol item in list)
        {
            if (SymbolEqualityComparer.Default.Equals(item, symbol))
            {
                return true;
            }
        }

        return false;
    }

    private IEnumerable<IMethodSymbol> ResolveTargets(CallSite call)
    {
        if (call.Target is { } target)
        {
            if (_summaries.ContainsKey(target))
            {
                yield return target;
            }

            if (!call.NonVirtual && _implementations.TryGetValue(target, out List<IMethodSymbol>? implementations) && implementations.Count <= MaxDispatchTargets)
            {
                // Beyond MaxDispatchTargets implementations a call is too polymorphic to follow usefully
                // (every edge would fan out to the whole hierarchy); such calls are not followed.
                foreach (IMethodSymbol implementation in implementations)
                {
                    yield return implementation;
                }
            }
        }
        else if (call.DelegateSymbol is { } holder)
        {
            if (call.InConstructor && holder is IEventSymbol { IsStatic: false })
            {
                // An instance event raised by a constructor: nobody outside can have subscribed to
                // the object under construction yet (events are neither global nor timeless).
                yield break;
            }

            // The holder's bindings, with those of the holders it was read from and, for a parameter,
            // of the overridden or implemented member's parameter (HoldersOf), all in one walk.
            // In source order: the bags the bindings come from hold them in walk order.
            foreach (IMethodSymbol bound in InSourceOrder(_model.GetAllBindings(holder).Distinct<IMethodSymbol>(SymbolEqualityComparer.Default)))
            {
                if (_summaries.ContainsKey(bound))
                {
                    yield return bound;
                }
            }
        }
    }

    /// <summary>
    /// The holder itself, and for a parameter of an override or interface implementation also the
    /// parameter at the same position of the member it overrides or implements: callers bind the
    /// delegate to the base method's parameter, the override's body invokes its own.
    /// </summary>
    internal static IEnumerable<ISymbol> HoldersOf(ISymbol holder)
    {
        yield return holder;
        if (holder is not IParameterSymbol { ContainingSymbol: IMethodSymbol method } parameter)
        {
            yield break;
        }

        for (IMethodSymbol? overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (parameter.Ordinal < overridden.Parameters.Length)
            {
                yield return overridden.Parameters[parameter.Ordinal].OriginalDefinition;
            }
        }

        foreach (IMethodSymbol implemented in method.ExplicitInterfaceImplementations)
        {
            if (parameter.Ordinal < implemented.Parameters.Length)
            {
                yield return implemented.Parameters[parameter.Ordinal].OriginalDefinition;
            }
        }

        if (method.ContainingType is { } type)
        {
            foreach (INamedTypeSymbol @interface in type.AllInterfaces)
            {
                foreach (IMethodSymbol member in @interface.GetMembers(method.Name).OfType<IMethodSymbol>())
                {
                    if (parameter.Ordinal < member.Parameters.Length
                        && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member)?.OriginalDefinition, method.OriginalDefinition))
                    {
                        yield return member.Parameters[parameter.Ordinal].OriginalDefinition;
                    }
                }
            }
        }
    }
}
