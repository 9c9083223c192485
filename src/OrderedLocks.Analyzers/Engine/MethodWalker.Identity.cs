using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Lock identity: the key and access path an acquired expression denotes, and what a call's receiver is.</summary>
internal sealed partial class MethodWalker
{
    /// <summary>Records an acquisition of the lock <paramref name="lockExpression"/> refers to; null when it has no compile-time identity.</summary>
    private Hold? Acquire(IOperation lockExpression, HoldKind kind, Location location, object? owner, ISymbol? scopeLocal, bool isTry, bool isSet, ImmutableArray<Hold> held)
    {
        if (!TryResolveLock(lockExpression, 0, out LockKey? key, out string instance, out bool onThis))
        {
            return null;
        }

        var hold = new Hold(key!, instance, onThis, kind, location, owner, scopeLocal, isTry);
        _current.Acquisitions.Add(new Acquisition(hold, held, isTry));
        if (kind == HoldKind.Semaphore)
        {
            return hold;
        }

        if (!isSet)
        {
            foreach (Hold outer in held)
            {
                if (outer.Key.Equals(hold.Key) && !outer.Key.IsStatic && outer.Instance != hold.Instance)
                {
                    var properties = ImmutableDictionary<string, string?>.Empty;
                    _findings.Add(new LocalFinding(
                        RuleIdentifiers.SameFieldInstancesNested,
                        location,
                        ImmutableArray.Create(outer.Location),
                        properties,
                        hold.Key.Display,
                        outer.Instance,
                        hold.Instance));
                    break;
                }
            }
        }

        return hold;
    }

    private bool TryResolveLock(IOperation expression, int depth, out LockKey? key, out string instance, out bool onThis)
    {
        key = null;
        instance = string.Empty;
        onThis = false;
        expression = Unwrap(expression);
        switch (expression)
        {
            case IFieldReferenceOperation field:
                key = new LockKey(field.Field, LockKeyKind.Member);
                (instance, onThis) = InstanceOf(field.Instance, field.Field.IsStatic);
                return true;
            case IPropertyReferenceOperation { Arguments.Length: 0 } property:
                key = new LockKey(property.Property, LockKeyKind.Member);
                (instance, onThis) = InstanceOf(property.Instance, property.Property.IsStatic);
                return true;
            case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } self when self.Type is not null:
                key = new LockKey(self.Type, LockKeyKind.This);
                instance = "this";
                onThis = true;
                return true;
            case ITypeOfOperation typeOf:
                key = new LockKey(typeOf.TypeOperand, LockKeyKind.Type);
                instance = "static";
                onThis = true;
                return true;
            case IArrayElementReferenceOperation element:
                if (TryResolveLock(element.ArrayReference, depth, out key, out string arrayInstance, out bool arrayOnThis))
                {
                    if (key!.Kind == LockKeyKind.Member && element.Indices.All(i => i.ConstantValue.HasValue))
                    {
                        // _locks[0] and _locks[1]: fixed elements, each its own lock in the order graph.
                        key = new LockKey(key.Symbol, LockKeyKind.Member, string.Join(", ", element.Indices.Select(i => i.ConstantValue.Value?.ToString())));
                        instance = arrayInstance;
                        onThis = arrayOnThis;
                        return true;
                    }

                    instance = arrayInstance + "[" + string.Join(", ", element.Indices.Select(i => i.Syntax.ToString())) + "]";
                    onThis = false;
                    return true;
                }

                return false;
            case ILocalReferenceOperation local when depth < MaxAliasDepth && _aliases.TryGetValue(local.Local, out IOperation? aliased):
                return TryResolveLock(aliased, depth + 1, out key, out instance, out onThis);
            case ILocalReferenceOperation local:
                key = new LockKey(local.Local, LockKeyKind.Local);
                instance = local.Local.Name;
                return true;
            case IParameterReferenceOperation parameter:
                key = new LockKey(parameter.Parameter, LockKeyKind.Local);
                instance = parameter.Parameter.Name;
                return true;
            default:
                return false;
        }
    }

    private static (string Instance, bool OnThis) InstanceOf(IOperation? receiver, bool isStatic)
    {
        if (isStatic || receiver is null)
        {
            return ("static", true);
        }

        receiver = Unwrap(receiver);
        if (receiver is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance })
        {
            return ("this", true);
        }

        return (receiver.Syntax.ToString(), false);
    }

    /// <summary>The call's location; a call through <c>?.</c> is located at the whole conditional access.</summary>
    private Location CallLocation(IInvocationOperation invocation)
    {
        if (invocation.Instance is not null && Unwrap(invocation.Instance) is IConditionalAccessInstanceOperation && _conditionalAccesses.Count > 0)
        {
            return _conditionalAccesses.Peek().Syntax.GetLocation();
        }

        return invocation.Syntax.GetLocation();
    }

    private static CallReceiver ReceiverKindOf(IOperation? receiver)
        => receiver is null ? CallReceiver.This : Unwrap(receiver) switch
        {
            IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } => CallReceiver.This,
            IParameterReferenceOperation => CallReceiver.ParameterOrLocal,
            ILocalReferenceOperation => CallReceiver.ParameterOrLocal,
            _ => CallReceiver.Other,
        };

    private static bool IsThisReceiver(IOperation? receiver)
        => receiver is null || Unwrap(receiver) is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };
}
