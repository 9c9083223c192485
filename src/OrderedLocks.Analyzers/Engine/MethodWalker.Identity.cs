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
        if (!TryResolveLock(lockExpression, 0, out LockKey? key, out string instance, out bool onThis, out AccessPath path))
        {
            return null;
        }

        var hold = new Hold(key!, instance, onThis, kind, location, owner, scopeLocal, isTry, path);
        _current.Add(new Acquisition(hold, held, isTry));
        if (kind == HoldKind.Monitor && owner is null)
        {
            _current.AddEnteredMonitor(key!);
        }
        if (kind == HoldKind.Semaphore)
        {
            return hold;
        }

        if (!isSet)
        {
            foreach (Hold outer in held)
            {
                if (outer.Key.Equals(hold.Key) && !outer.Key.IsStatic && outer.Instance != hold.Instance
                    && outer.ObjectPath.Root != PathRoot.Fresh && hold.ObjectPath.Root != PathRoot.Fresh
                    && hold.Key.Kind != LockKeyKind.This)
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
        => TryResolveLock(expression, depth, out key, out instance, out onThis, out _);

    /// <summary>
    /// The lock <paramref name="expression"/> denotes: its key (the field or property after aliases
    /// are resolved, <c>this</c>'s type, the type of a <c>typeof</c>) and the access path of the
    /// object it belongs to (<paramref name="path"/>). Parameters and untraced locals get method-local
    /// keys (condition rules only).
    /// </summary>
    private bool TryResolveLock(IOperation expression, int depth, out LockKey? key, out string instance, out bool onThis, out AccessPath path)
    {
        key = null;
        instance = string.Empty;
        onThis = false;
        path = AccessPath.Unknown;
        expression = Unwrap(expression);
        switch (expression)
        {
            case IFieldReferenceOperation field:
                return ResolveMember(field.Field, field.Instance, depth, out key, out instance, out onThis, out path);
            case IPropertyReferenceOperation { Arguments.Length: 0 } property:
                return ResolveMember(property.Property, property.Instance, depth, out key, out instance, out onThis, out path);
            case IInvocationOperation { Arguments.Length: 0 } call when depth < MaxAliasDepth && _model.Aliases.Of(call.TargetMethod) is { } returned:
                // `Pool.Get()` / `GetLock()` whose body returns a field: the lock is that field.
                return ResolveMember(returned, returned.IsStatic ? null : call.Instance, depth + 1, out key, out instance, out onThis, out path);
            case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } self when self.Type is not null:
                key = new LockKey(self.Type, LockKeyKind.This);
                instance = "this";
                onThis = true;
                path = AccessPath.This;
                return true;
            case ITypeOfOperation typeOf:
                key = new LockKey(typeOf.TypeOperand, LockKeyKind.Type);
                instance = "static";
                onThis = true;
                path = AccessPath.Static;
                return true;
            case IArrayElementReferenceOperation element:
                if (TryResolveLock(element.ArrayReference, depth, out key, out string arrayInstance, out bool arrayOnThis, out path))
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
                    path = AccessPath.Unknown;
                    return true;
                }

                return false;
            case ILocalReferenceOperation local when depth < MaxAliasDepth && _aliases.TryGetValue(local.Local, out IOperation? aliased)
                && TryResolveLock(aliased, depth + 1, out key, out instance, out onThis, out path):
                return true;
            case ILocalReferenceOperation local:
                instance = local.Local.Name;
                path = _freshLocals.Contains(local.Local) ? AccessPath.Fresh : AccessPath.Of(PathRoot.Local, local.Local);
                key = SelfLockingKey(local.Local.Type) ?? new LockKey(local.Local, LockKeyKind.Local);
                return true;
            case IParameterReferenceOperation parameter:
                instance = parameter.Parameter.Name;
                path = AccessPath.Of(PathRoot.Parameter, parameter.Parameter);
                key = SelfLockingKey(parameter.Parameter.Type) ?? new LockKey(parameter.Parameter, LockKeyKind.Local);
                return true;
            case IInvocationOperation call when depth < MaxAliasDepth && ExchangedMember(call) is { } exchanged:
                // `Interlocked.Exchange(ref _box, null)` returns the field's value: that object's monitor.
                return TryResolveLock(exchanged, depth + 1, out key, out instance, out onThis, out path);
            default:
                return false;
        }
    }

    /// <summary>A field or property lock, with property and readonly-field aliases resolved (<c>object SyncObject => _sync;</c> is <c>_sync</c>).</summary>
    private bool ResolveMember(ISymbol member, IOperation? receiver, int depth, out LockKey? key, out string instance, out bool onThis, out AccessPath path)
    {
        for (int hops = 0; hops < MaxAliasDepth && _model.Aliases.Of(member) is { } target; hops++)
        {
            if (target.IsStatic)
            {
                receiver = null;
            }

            member = target;
        }

        _ = depth;
        key = new LockKey(member, LockKeyKind.Member);
        (instance, onThis) = InstanceOf(receiver, member.IsStatic);
        path = member.IsStatic ? AccessPath.Static : PathOf(receiver, 0);
        return true;
    }

    /// <summary>The access path of the object <paramref name="receiver"/> denotes (null receiver: this).</summary>
    private AccessPath PathOf(IOperation? receiver, int depth)
    {
        if (receiver is null)
        {
            return AccessPath.This;
        }

        receiver = Unwrap(receiver);
        if (depth > MaxAliasDepth)
        {
            return AccessPath.Unknown;
        }

        switch (receiver)
        {
            case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                return AccessPath.This;
            case IObjectCreationOperation:
                return AccessPath.Fresh;
            case IFieldReferenceOperation field:
                return MemberPath(field.Field, field.Instance, depth);
            case IPropertyReferenceOperation { Arguments.Length: 0 } property:
                return MemberPath(property.Property, property.Instance, depth);
            case IInvocationOperation { Arguments.Length: 0 } call when _model.Aliases.Of(call.TargetMethod) is { } returned:
                return MemberPath(returned, returned.IsStatic ? null : call.Instance, depth + 1);
            case IInvocationOperation call when ExchangedMember(call) is { } exchanged:
                return PathOf(exchanged, depth + 1);
            case IParameterReferenceOperation parameter:
                return AccessPath.Of(PathRoot.Parameter, parameter.Parameter);
            case ILocalReferenceOperation local when _freshLocals.Contains(local.Local):
                return AccessPath.Fresh;
            case ILocalReferenceOperation local when _aliases.TryGetValue(local.Local, out IOperation? aliased):
                // A local holding a method result the walker cannot follow (`var r = queue.Dequeue();`)
                // is still one named object of this method, as a local without an alias is.
                AccessPath traced = PathOf(aliased, depth + 1);
                return traced.Root == PathRoot.Unknown ? AccessPath.Of(PathRoot.Local, local.Local) : traced;
            case ILocalReferenceOperation local:
                return AccessPath.Of(PathRoot.Local, local.Local);
            case IConditionalAccessInstanceOperation when _conditionalAccesses.Count > 0:
                return PathOf(_conditionalAccesses.Peek().Operation, depth + 1);
            default:
                return AccessPath.Unknown;
        }
    }

    private AccessPath MemberPath(ISymbol member, IOperation? receiver, int depth)
    {
        for (int hops = 0; hops < MaxAliasDepth && _model.Aliases.Of(member) is { } target; hops++)
        {
            if (target.IsStatic)
            {
                receiver = null;
            }

            member = target;
        }

        return member.IsStatic ? AccessPath.Static.Append(member) : PathOf(receiver, depth + 1).Append(member);
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

    /// <summary>
    /// The lock of a local or parameter the walker cannot trace, when its static type fits exactly one
    /// class that locks <c>this</c>: that class's <c>this</c> lock (the same key a call on the object
    /// into the class's <c>lock (this)</c> gives). Null: the lock stays method-local.
    /// </summary>
    private LockKey? SelfLockingKey(ITypeSymbol? type)
        => _model.SelfLocking.For(type) is { } owner ? new LockKey(owner, LockKeyKind.This) : null;

    /// <summary>
    /// For <c>Interlocked.Exchange(ref f, v)</c>, <c>Interlocked.CompareExchange(ref f, v, c)</c> and
    /// <c>Volatile.Read(ref f)</c>: the field or property reference <c>f</c>, whose (previous) value the call returns.
    /// </summary>
    private static IOperation? ExchangedMember(IInvocationOperation call)
    {
        IMethodSymbol method = call.TargetMethod;
        if (method.ContainingType is not { Name: "Interlocked" or "Volatile", ContainingNamespace: { Name: "Threading", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } }
            || method.Name is not ("Exchange" or "CompareExchange" or "Read") || call.Arguments.Length == 0)
        {
            return null;
        }

        IOperation first = Unwrap(call.Arguments[0].Value);
        return first is IFieldReferenceOperation or IPropertyReferenceOperation { Arguments.Length: 0 } ? first : null;
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
