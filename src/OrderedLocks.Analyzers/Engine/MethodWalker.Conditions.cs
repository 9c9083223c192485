using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>Releases, condition-variable and Monitor Wait/Pulse uses, and the predicate-loop test of OL0101.</summary>
internal sealed partial class MethodWalker
{
    // ----------------------------------------------------------------------------------------
    // Releases and condition uses
    // ----------------------------------------------------------------------------------------
    private bool TryRelease(IInvocationOperation invocation, ref ImmutableArray<Hold> state)
    {
        IMethodSymbol method = invocation.TargetMethod;
        INamedTypeSymbol? type = method.ContainingType;
        IOperation? target = null;
        if (KnownTypes.Is(type, _types.Monitor) && method.Name == "Exit" && invocation.Arguments.Length == 1)
        {
            target = invocation.Arguments[0].Value;
        }
        else if ((KnownTypes.Is(type, _types.ThreadingLock) && method.Name == "Exit")
            || (KnownTypes.Is(type, _types.SemaphoreSlim) && method.Name == "Release")
            || (KnownTypes.Is(type, _types.ReaderWriterLockSlim) && method.Name is "ExitWriteLock" or "ExitUpgradeableReadLock")
            || (KnownTypes.Is(type, _types.Mutex) && method.Name == "ReleaseMutex")
            || (method.Name == "Release" && LibraryLocks.IsFlowReleased(type)))
        {
            target = invocation.Instance;
        }
        else if (method.Name is "Dispose" or "DisposeAsync" && invocation.Instance is not null && Unwrap(invocation.Instance) is ILocalReferenceOperation scope)
        {
            int index = LastIndexOfScope(state, scope.Local);
            if (index >= 0)
            {
                state = state.RemoveAt(index);
                return true;
            }

            return false;
        }

        if (target is null)
        {
            return false;
        }

        if (TryResolveLock(target, 0, out LockKey? key, out string instance, out _))
        {
            if (KnownTypes.Is(type, _types.Monitor))
            {
                _current.AddExitedMonitor(key!);
            }

            int index = LastIndexOfKey(state, key!, instance);
            if (index < 0)
            {
                index = LastIndexOfKey(state, key!, instance: null);
            }

            if (index >= 0)
            {
                state = state.RemoveAt(index);
            }
        }

        return true;
    }

    /// <summary>
    /// True when <paramref name="target"/> is a local <c>last</c> that the enclosing body assigns from
    /// another local <c>next</c> (<c>last = next</c>) whose monitor the body enters
    /// (<c>Monitor.Enter(next)</c> / <c>TryEnter</c>) and never exits under the name <c>next</c>: the
    /// monitor is handed over from <c>next</c> to <c>last</c>. A body that also exits <c>next</c>
    /// itself is not handing it over (each box is released in its own iteration).
    /// </summary>
    private bool IsHandOverHand(IOperation target, IOperation use)
    {
        if (Unwrap(target) is not ILocalReferenceOperation { Local: { } last })
        {
            return false;
        }

        IOperation root = use;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        var sources = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        var entered = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        var exited = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        foreach (IOperation node in OperationTree.DescendantsAndSelf(root))
        {
            switch (node)
            {
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation assigned, Value: { } value }
                    when SymbolEqualityComparer.Default.Equals(assigned.Local, last) && Unwrap(value) is ILocalReferenceOperation source:
                    sources.Add(source.Local);
                    break;
                case IInvocationOperation { Arguments.Length: >= 1 } call
                    when KnownTypes.Is(call.TargetMethod.ContainingType, _types.Monitor) && Unwrap(call.Arguments[0].Value) is ILocalReferenceOperation argument:
                    if (call.TargetMethod.Name is "Enter" or "TryEnter")
                    {
                        entered.Add(argument.Local);
                    }
                    else if (call.TargetMethod.Name == "Exit")
                    {
                        exited.Add(argument.Local);
                    }

                    break;
            }
        }

        foreach (ILocalSymbol source in sources)
        {
            if (!SymbolEqualityComparer.Default.Equals(source, last) && entered.Contains(source) && !exited.Contains(source))
            {
                return true;
            }
        }

        return false;
    }

    // Loops rather than one search taking a lambda: the lambdas captured variables of the whole
    // method, so every invocation walked allocated their closure, release or not.
    private static int LastIndexOfScope(ImmutableArray<Hold> state, ILocalSymbol local)
    {
        for (int i = state.Length - 1; i >= 0; i--)
        {
            if (SymbolEqualityComparer.Default.Equals(state[i].ScopeLocal, local))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The last hold of <paramref name="key"/> (named <paramref name="instance"/>, unless null).</summary>
    private static int LastIndexOfKey(ImmutableArray<Hold> state, LockKey key, string? instance)
    {
        for (int i = state.Length - 1; i >= 0; i--)
        {
            if (state[i].Key.Equals(key) && (instance is null || state[i].Instance == instance))
            {
                return i;
            }
        }

        return -1;
    }

    private bool TryConditionUse(IInvocationOperation invocation, ImmutableArray<Hold> state)
    {
        IMethodSymbol method = invocation.TargetMethod;
        INamedTypeSymbol? type = method.ContainingType;
        ConditionUseKind kind;
        IOperation? target;
        if (KnownTypes.Is(type, _types.Monitor) && invocation.Arguments.Length >= 1)
        {
            switch (method.Name)
            {
                case "Wait":
                    kind = ConditionUseKind.MonitorWait;
                    break;
                case "Pulse" or "PulseAll":
                    kind = ConditionUseKind.MonitorPulse;
                    break;
                default:
                    return false;
            }

            target = invocation.Arguments[0].Value;
        }
        else if (KnownTypes.Is(type, _types.OrderedCondition) && invocation.Instance is not null
            && Unwrap(invocation.Instance) is not IInstanceReferenceOperation)
        {
            // (Calls on the condition's own `this` are its implementation, e.g. WaitFor built on Wait.)
            switch (method.Name)
            {
                case "Wait" or "WaitAsync" or "WaitFor" or "WaitForAsync":
                    kind = ConditionUseKind.OrderedWait;
                    break;
                case "Notify" or "NotifyAll":
                    kind = ConditionUseKind.OrderedNotify;
                    break;
                default:
                    return false;
            }

            target = invocation.Instance;
        }
        else
        {
            return false;
        }

        LockKey? key = TryResolveLock(target, 0, out LockKey? resolved, out string instance, out _) ? resolved : null;
        _current.Add(new ConditionUse(kind, key, instance, target.Syntax.ToString(), _inherited.IsEmpty ? state : _inherited.AddRange(state), invocation.Syntax.GetLocation())
        {
            HandOverHand = kind is ConditionUseKind.MonitorWait or ConditionUseKind.MonitorPulse && IsHandOverHand(target, invocation),
        });

        if (method.Name is "Wait" or "WaitAsync" && ResultDiscarded(invocation) && !IsInPredicateLoop(invocation))
        {
            _findings.Add(new LocalFinding(
                RuleIdentifiers.WaitNotInPredicateLoop,
                invocation.Syntax.GetLocation(),
                ImmutableArray<Location>.Empty,
                ImmutableDictionary<string, string?>.Empty.Add("Api", kind == ConditionUseKind.MonitorWait ? "Monitor" : "OrderedCondition"),
                target.Syntax.ToString() + "." + method.Name));
        }

        return true;
    }

    /// <summary>
    /// True when a wait's result (the bool of a timed wait) is thrown away: the statement is the
    /// wait itself (or a discard). Code that consumes the result (asserts it, branches on it, returns
    /// it) is deciding what a wake-up means and is left alone.
    /// </summary>
    private static bool ResultDiscarded(IOperation invocation)
    {
        if (invocation is IInvocationOperation { TargetMethod.Name: "WaitAsync" } && Parent(invocation) is not IAwaitOperation)
        {
            // A task that is never awaited is not a wait (argument-validation tests, fire-and-forget).
            return false;
        }

        IOperation current = invocation;
        while (current.Parent is IAwaitOperation or IConversionOperation or IParenthesizedOperation
            || (current.Parent is IConditionalOperation conditional && !ReferenceEquals(conditional.Condition, current) && conditional.Type is not null))
        {
            current = current.Parent!;
        }

        return current.Parent switch
        {
            IExpressionStatementOperation => true,
            ISimpleAssignmentOperation { Target: IDiscardOperation } => true,
            _ => false,
        };
    }

    private static IOperation? Parent(IOperation operation)
    {
        IOperation? parent = operation.Parent;
        while (parent is IConversionOperation or IParenthesizedOperation)
        {
            parent = parent.Parent;
        }

        return parent;
    }

    /// <summary>
    /// A wait is in a predicate loop when its innermost enclosing loop re-tests a condition: a while/do
    /// loop with a non-constant condition (or a constant one left by a guarded break/return), whose body
    /// does not itself notify (a loop that notifies and waits in turn is a hand-off, not a predicate loop).
    /// Counting for loops and foreach loops are not predicate loops.
    /// </summary>
    private static bool IsInPredicateLoop(IOperation operation)
    {
        for (IOperation? parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            switch (parent)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return false;
                case IWhileLoopOperation whileLoop:
                    bool constantTrue = whileLoop.Condition is null || whileLoop.Condition.ConstantValue is { HasValue: true, Value: true };
                    if (constantTrue && !HasGuardedExit(whileLoop.Body))
                    {
                        return false;
                    }

                    return !Notifies(whileLoop.Body);
                case IForLoopOperation forLoop:
                    if (forLoop.Condition is null || forLoop.Condition.ConstantValue is { HasValue: true, Value: true })
                    {
                        // for (;;) is while (true): a re-check loop when a guarded break or return leaves it.
                        return HasGuardedExit(forLoop.Body) && !Notifies(forLoop.Body);
                    }

                    if (IsCountingCondition(forLoop))
                    {
                        return false;
                    }

                    return !Notifies(forLoop.Body);
                case ILoopOperation:
                    return false;
            }
        }

        return false;
    }

    private static bool IsCountingCondition(IForLoopOperation forLoop)
    {
        var loopLocals = new HashSet<ILocalSymbol>(forLoop.Locals, SymbolEqualityComparer.Default);
        bool usesOther = false;
        foreach (IOperation node in OperationTree.DescendantsAndSelf(forLoop.Condition!))
        {
            switch (node)
            {
                case ILocalReferenceOperation local when !loopLocals.Contains(local.Local):
                case IFieldReferenceOperation { Field.IsConst: false }:
                case IPropertyReferenceOperation:
                case IInvocationOperation:
                    usesOther = true;
                    break;
            }
        }

        return !usesOther;
    }

    private static bool HasGuardedExit(IOperation body)
    {
        foreach (IOperation node in OperationTree.DescendantsAndSelf(body))
        {
            if (node is IConditionalOperation conditional
                && OperationTree.DescendantsAndSelf(conditional.WhenTrue).Any(n => n is IBranchOperation { BranchKind: BranchKind.Break } or IReturnOperation))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Notifies(IOperation body)
        => OperationTree.DescendantsAndSelf(body).Any(n => n is IInvocationOperation { TargetMethod.Name: "Pulse" or "PulseAll" or "Notify" or "NotifyAll" });
}
