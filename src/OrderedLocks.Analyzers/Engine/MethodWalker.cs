using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using System.Runtime.CompilerServices;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// Walks one operation block in execution order, tracking the set of held locks, and records every
/// acquisition, call and condition use with the locks held there. Lambdas and local functions become
/// summaries of their own (they start with nothing held).
/// </summary>
/// <remarks>
/// The held set is a small immutable array; <c>default</c> means "unreachable". Branches are walked
/// separately and met by intersection, so a lock counts as held after a branch only when every path
/// holds it: the walker under-approximates holds, which keeps it quiet rather than noisy.
/// </remarks>
internal sealed partial class MethodWalker
{
    private const int MaxAliasDepth = 4;

    private static readonly ImmutableDictionary<string, string?> s_noProperties = ImmutableDictionary<string, string?>.Empty;

    private readonly LockModel _model;
    private readonly KnownTypes _types;
    private readonly List<MethodSummary> _summaries;
    private readonly List<LocalFinding> _findings;
    private readonly Stack<IConditionalAccessOperation> _conditionalAccesses;
    private readonly Stack<IBlockOperation> _blocks;
    private readonly Dictionary<ILocalSymbol, IOperation> _aliases;
    private readonly HashSet<ILocalSymbol> _freshLocals;
    private MethodSummary _current;
    private ImmutableArray<Hold> _inherited = ImmutableArray<Hold>.Empty;

    private MethodWalker(LockModel model, MethodSummary root, Scratch scratch)
    {
        _model = model;
        _types = model.Types;
        _current = root;
        _summaries = scratch.Summaries;
        _findings = scratch.Findings;
        _conditionalAccesses = scratch.ConditionalAccesses;
        _blocks = scratch.Blocks;
        _aliases = scratch.Aliases;
        _freshLocals = scratch.FreshLocals;
    }

    public static BlockResult Walk(LockModel model, ISymbol owner, ImmutableArray<IOperation> blocks)
    {
        IMethodSymbol? method = owner as IMethodSymbol;
        var root = new MethodSummary(method?.OriginalDefinition ?? DummyMethod(model));

        // The walker's working collections are the thread's, emptied after each walk (a walk that
        // finds one already taken on its thread makes its own).
        Scratch scratch = t_scratch ?? new Scratch();
        t_scratch = null;
        try
        {
            var walker = new MethodWalker(model, root, scratch);
            try
            {
                walker.WalkRoot(owner, method, blocks);
            }
            catch (Exception ex) when (ex is InvalidOperationException or InvalidCastException or NullReferenceException or ArgumentException or IndexOutOfRangeException)
            {
                // Broken or unusual code must never make the analyzer throw: keep what was collected.
                System.Threading.Interlocked.Increment(ref EngineTelemetry.Errors);
            }

            ImmutableArray<MethodSummary> summaries;
            if (scratch.Summaries.Count == 0)
            {
                summaries = method is null ? ImmutableArray<MethodSummary>.Empty : ImmutableArray.Create(root);
            }
            else
            {
                if (method is not null)
                {
                    scratch.Summaries.Insert(0, root);
                }

                summaries = scratch.Summaries.ToImmutableArray();
            }

            return new BlockResult(summaries, scratch.Findings.ToImmutableArray());
        }
        finally
        {
            scratch.Clear();
            t_scratch = scratch;
        }
    }

    [ThreadStatic]
    private static Scratch? t_scratch;

    // Collections a walk fills and empties again: one set per thread rather than per body.
    private sealed class Scratch
    {
        public readonly List<MethodSummary> Summaries = new();
        public readonly List<LocalFinding> Findings = new();
        public readonly Stack<IConditionalAccessOperation> ConditionalAccesses = new();
        public readonly Stack<IBlockOperation> Blocks = new();
        public readonly Dictionary<ILocalSymbol, IOperation> Aliases = new(SymbolEqualityComparer.Default);
        public readonly HashSet<ILocalSymbol> FreshLocals = new(SymbolEqualityComparer.Default);

        public void Clear()
        {
            Summaries.Clear();
            Findings.Clear();
            ConditionalAccesses.Clear();
            Blocks.Clear();
            Aliases.Clear();
            FreshLocals.Clear();
        }
    }

    private static IMethodSymbol DummyMethod(LockModel model)
        => model.Compilation.GetSpecialType(SpecialType.System_Object).GetMembers(".ctor").OfType<IMethodSymbol>().First();

    private void WalkRoot(ISymbol owner, IMethodSymbol? method, ImmutableArray<IOperation> blocks)
    {
        ImmutableArray<Hold> state = ImmutableArray<Hold>.Empty;
        if (method is not null && IsSynchronized(method))
        {
            Location location = method.Locations.FirstOrDefault() ?? Location.None;
            LockKey key = method.IsStatic ? new LockKey(method.ContainingType, LockKeyKind.Type) : new LockKey(method.ContainingType, LockKeyKind.This);
            var hold = new Hold(key, "this", onThis: true, HoldKind.Monitor, location, owner: null, scopeLocal: null, isTry: false);
            _current.Add(new Acquisition(hold, ImmutableArray<Hold>.Empty, isTry: false));
            state = state.Add(hold);
        }

        foreach (IOperation block in blocks)
        {
            if (block is IFieldInitializerOperation or IPropertyInitializerOperation)
            {
                RecordInitializer(block, owner);
            }

            Visit(block, state);
        }
    }

    private bool IsSynchronized(IMethodSymbol method)
    {
        foreach (AttributeData attribute in method.GetAttributes())
        {
            if (KnownTypes.Is(attribute.AttributeClass, _types.MethodImplAttribute)
                && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0].Value is object value
                && (Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) & 0x20) != 0)
            {
                return true;
            }
        }

        return false;
    }

    // ----------------------------------------------------------------------------------------
    // Traversal
    // ----------------------------------------------------------------------------------------
    private ImmutableArray<Hold> Visit(IOperation? operation, ImmutableArray<Hold> state)
    {
        if (operation is null || state.IsDefault)
        {
            return state;
        }

        switch (operation)
        {
            case IAnonymousFunctionOperation lambda:
                WalkNested(lambda.Symbol, lambda.Body, state);
                return state;
            case ILocalFunctionOperation localFunction:
                WalkNested(localFunction.Symbol, (IOperation?)localFunction.Body ?? localFunction.IgnoredBody);
                return state;
            case IBlockOperation block:
                return VisitBlock(block, state);
            case ILockOperation lockOperation:
                return VisitLock(lockOperation, state);
            case IUsingOperation usingOperation:
                return VisitUsing(usingOperation, state);
            case IUsingDeclarationOperation usingDeclaration:
                return VisitUsingDeclaration(usingDeclaration, state);
            case ITryOperation tryOperation:
                return VisitTry(tryOperation, state);
            case IConditionalOperation conditional:
                return VisitConditional(conditional, state);
            case ILoopOperation loop:
                return VisitLoop(loop, state);
            case ISwitchOperation switchOperation:
                return VisitSwitch(switchOperation, state);
            case IReturnOperation returnOperation:
                Visit(returnOperation.ReturnedValue, state);
                return returnOperation.Kind == OperationKind.YieldReturn ? state : default;
            case IBranchOperation:
                return default;
            case IExpressionStatementOperation { Operation: IThrowOperation thrown }:
                Visit(thrown.Exception, state);
                return default;
            case IInvocationOperation invocation:
                return VisitInvocation(invocation, state, awaited: false);
            case IAwaitOperation awaitOperation:
                return VisitAwait(awaitOperation, state);
            case IPropertyReferenceOperation property:
                state = VisitChildren(property, state);
                RecordPropertyAccess(property, state);
                return state;
            case IObjectCreationOperation creation:
                state = VisitChildren(creation, state);
                if (creation.Constructor is { } constructor)
                {
                    AddCall(constructor, delegateSymbol: null, receiverIsThis: false, state, creation.Syntax.GetLocation(), CallReceiver.Fresh, null, creation.Arguments, constructor: true);
                }

                return state;
            case ISimpleAssignmentOperation assignment:
                state = VisitChildren(assignment, state);
                RecordAssignment(assignment.Target, assignment.Value);
                return state;
            case IVariableDeclaratorOperation declarator:
                state = VisitChildren(declarator, state);
                if (declarator.Initializer?.Value is { } initialValue)
                {
                    RecordLocal(declarator.Symbol, initialValue);
                    RecordContainerTake(declarator.Symbol, initialValue);
                }

                return state;
            case IDeconstructionAssignmentOperation deconstruction:
                state = VisitChildren(deconstruction, state);
                RecordDeconstruction(deconstruction);
                return state;
            case IEventAssignmentOperation eventAssignment:
                state = VisitChildren(eventAssignment, state);
                if (eventAssignment.Adds && eventAssignment.EventReference is IEventReferenceOperation eventReference)
                {
                    Bind(eventReference.Event, eventAssignment.HandlerValue);
                }

                return state;
            case IConditionalAccessOperation conditionalAccess:
                state = Visit(conditionalAccess.Operation, state);
                _conditionalAccesses.Push(conditionalAccess);
                try
                {
                    ImmutableArray<Hold> whenNotNull = Visit(conditionalAccess.WhenNotNull, state);
                    return Meet(whenNotNull, state);
                }
                finally
                {
                    _conditionalAccesses.Pop();
                }

            case IMethodReferenceOperation methodReference:
                _model.EscapedMethods.TryAdd(methodReference.Method.OriginalDefinition, 0);
                return VisitChildren(methodReference, state);
            default:
                return VisitChildren(operation, state);
        }
    }

    private ImmutableArray<Hold> VisitChildren(IOperation operation, ImmutableArray<Hold> state)
    {
        foreach (IOperation child in operation.ChildOperations)
        {
            state = Visit(child, state);
            if (state.IsDefault)
            {
                break;
            }
        }

        return state;
    }

    /// <param name="symbol">The lambda or local function.</param>
    /// <param name="body">Its body.</param>
    /// <param name="creationHolds">
    /// For a lambda: the locks held where it is created. They are not held by the lambda as far as
    /// lock order goes (it may run anywhere), but a lambda handed to a synchronous helper
    /// (<c>Assert.Throws(() => cond.Wait())</c>, <c>list.ForEach(...)</c>) usually runs right there,
    /// so the condition rules accept them rather than report a wait the caller does guard.
    /// </param>
    private void WalkNested(IMethodSymbol? symbol, IOperation? body, ImmutableArray<Hold> creationHolds = default)
    {
        if (symbol is null || body is null)
        {
            return;
        }

        MethodSummary saved = _current;
        ImmutableArray<Hold> savedInherited = _inherited;
        _current = new MethodSummary(symbol);
        _inherited = creationHolds.IsDefault ? ImmutableArray<Hold>.Empty : _inherited.AddRange(creationHolds);
        _summaries.Add(_current);
        try
        {
            Visit(body, ImmutableArray<Hold>.Empty);
        }
        finally
        {
            _current = saved;
            _inherited = savedInherited;
        }
    }

    private ImmutableArray<Hold> VisitBlock(IBlockOperation block, ImmutableArray<Hold> state)
    {
        _blocks.Push(block);
        try
        {
            IOperation? previous = null;
            foreach (IOperation statement in block.Operations)
            {
                if (previous is IUsingDeclarationOperation previousUsing && statement is IUsingDeclarationOperation nextUsing)
                {
                    CheckNestedOrdered(SingleAcquisitionOf(previousUsing.DeclarationGroup), SingleAcquisitionOf(nextUsing.DeclarationGroup), state, nextUsing);
                }

                state = Visit(statement, state);
                previous = statement;
                if (state.IsDefault)
                {
                    return state;
                }
            }

            return WithoutOwned(state, block);
        }
        finally
        {
            _blocks.Pop();
        }
    }

    private ImmutableArray<Hold> VisitLock(ILockOperation lockOperation, ImmutableArray<Hold> state)
    {
        state = Visit(lockOperation.LockedValue, state);
        HoldKind kind = KnownTypes.Is(lockOperation.LockedValue.Type, _types.ThreadingLock) ? HoldKind.ThreadingLock : HoldKind.Monitor;
        Hold? hold = Acquire(lockOperation.LockedValue, kind, lockOperation.LockedValue.Syntax.GetLocation(), lockOperation, null, isTry: false, isSet: false, state);
        ImmutableArray<Hold> inner = hold is null ? state : state.Add(hold);
        ImmutableArray<Hold> after = Visit(lockOperation.Body, inner);
        return after.IsDefault ? after : WithoutOwned(after, lockOperation);
    }

    private ImmutableArray<Hold> VisitUsing(IUsingOperation usingOperation, ImmutableArray<Hold> state)
    {
        IOperation resource = usingOperation.Resources;
        var holds = new List<Hold>();
        ISymbol? releasedLocal = null;
        if (resource is IVariableDeclarationGroupOperation group)
        {
            foreach (IVariableDeclarationOperation declaration in group.Declarations)
            {
                foreach (IVariableDeclaratorOperation declarator in declaration.Declarators)
                {
                    IOperation? value = declarator.Initializer?.Value;
                    state = VisitScopedResource(value, usingOperation, declarator.Symbol, state, holds);
                }
            }
        }
        else if (Unwrap(resource) is ILocalReferenceOperation localReference)
        {
            releasedLocal = localReference.Local;
        }
        else
        {
            state = VisitScopedResource(resource, usingOperation, null, state, holds);
        }

        if (state.IsDefault)
        {
            return state;
        }

        if (holds.Count == 1 && holds[0].Kind is HoldKind.OrderedSync or HoldKind.OrderedAsync or HoldKind.ReentrantSync or HoldKind.ReentrantAsync
            && SingleInnerUsing(usingOperation.Body) is { } innerUsing)
        {
            CheckNestedOrdered(holds[0], PeekOrderedAcquisition(innerUsing.Resources), state, innerUsing);
        }

        ImmutableArray<Hold> inner = state.AddRange(holds);
        ImmutableArray<Hold> after = Visit(usingOperation.Body, inner);
        if (after.IsDefault)
        {
            return after;
        }

        return after.RemoveAll(h => ReferenceEquals(h.Owner, usingOperation)
            || (releasedLocal is not null && SymbolEqualityComparer.Default.Equals(h.ScopeLocal, releasedLocal)));
    }

    private ImmutableArray<Hold> VisitUsingDeclaration(IUsingDeclarationOperation usingDeclaration, ImmutableArray<Hold> state)
    {
        object? owner = _blocks.Count > 0 ? _blocks.Peek() : usingDeclaration;
        var holds = new List<Hold>();
        foreach (IVariableDeclarationOperation declaration in usingDeclaration.DeclarationGroup.Declarations)
        {
            foreach (IVariableDeclaratorOperation declarator in declaration.Declarators)
            {
                state = VisitScopedResource(declarator.Initializer?.Value, owner!, declarator.Symbol, state, holds);
            }
        }

        return state.IsDefault ? state : state.AddRange(holds);
    }

    /// <summary>Visits a using resource; when it is a scoped acquisition, records it and returns its holds in <paramref name="holds"/>.</summary>
    private ImmutableArray<Hold> VisitScopedResource(IOperation? value, object owner, ISymbol? local, ImmutableArray<Hold> state, List<Hold> holds)
    {
        if (value is null)
        {
            return state;
        }

        if (ClassifyAcquisition(value) is { Shape: AcquireShape.Scoped } acquisition)
        {
            state = VisitAcquisitionOperands(acquisition, state);
            if (state.IsDefault)
            {
                return state;
            }

            foreach (IOperation lockExpression in acquisition.Locks)
            {
                Hold? hold = Acquire(lockExpression, acquisition.Kind, acquisition.Location(lockExpression), owner, local, acquisition.IsTry, acquisition.Locks.Length > 1, state);
                if (hold is not null)
                {
                    holds.Add(hold);
                }
            }

            return state;
        }

        return Visit(value, state);
    }

    private ImmutableArray<Hold> VisitTry(ITryOperation tryOperation, ImmutableArray<Hold> state)
    {
        ImmutableArray<Hold> afterBody = Visit(tryOperation.Body, state);
        ImmutableArray<Hold> merged = afterBody;
        foreach (ICatchClauseOperation catchClause in tryOperation.Catches)
        {
            ImmutableArray<Hold> afterCatch = Visit(catchClause.Handler, state);
            merged = MeetReachable(merged, afterCatch);
        }

        if (tryOperation.Finally is null)
        {
            return merged;
        }

        ImmutableArray<Hold> afterFinally = Visit(tryOperation.Finally, merged.IsDefault ? state : merged);
        return merged.IsDefault ? default : afterFinally;
    }

    private ImmutableArray<Hold> VisitConditional(IConditionalOperation conditional, ImmutableArray<Hold> state)
    {
        IOperation condition = conditional.Condition;
        bool negated = false;
        IOperation inner = Unwrap(condition);
        while (inner is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            inner = Unwrap(not.Operand);
        }

        ImmutableArray<Hold> whenTrue = state;
        ImmutableArray<Hold> whenFalse = state;
        if (ClassifyAcquisition(inner) is { Shape: AcquireShape.Conditional } acquisition)
        {
            state = VisitAcquisitionOperands(acquisition, state);
            if (state.IsDefault)
            {
                return state;
            }

            var holds = new List<Hold>();
            foreach (IOperation lockExpression in acquisition.Locks)
            {
                Hold? hold = Acquire(lockExpression, acquisition.Kind, acquisition.Location(lockExpression), null, acquisition.ScopeLocal, acquisition.IsTry, false, state);
                if (hold is not null)
                {
                    holds.Add(hold);
                }
            }

            whenTrue = negated ? state : state.AddRange(holds);
            whenFalse = negated ? state.AddRange(holds) : state;
        }
        else
        {
            state = Visit(condition, state);
            if (state.IsDefault)
            {
                return state;
            }

            whenTrue = state;
            whenFalse = state;
        }

        ImmutableArray<Hold> afterTrue = Visit(conditional.WhenTrue, whenTrue);
        ImmutableArray<Hold> afterFalse = conditional.WhenFalse is null ? whenFalse : Visit(conditional.WhenFalse, whenFalse);
        return Meet(afterTrue, afterFalse);
    }

    private ImmutableArray<Hold> VisitLoop(ILoopOperation loop, ImmutableArray<Hold> state)
    {
        ImmutableArray<Hold> entry = state;
        switch (loop)
        {
            case IWhileLoopOperation whileLoop:
                state = whileLoop.ConditionIsTop ? Visit(whileLoop.Condition, state) : state;
                Visit(whileLoop.Body, state);
                if (!whileLoop.ConditionIsTop)
                {
                    Visit(whileLoop.Condition, state);
                }

                break;
            case IForLoopOperation forLoop:
                foreach (IOperation before in forLoop.Before)
                {
                    state = Visit(before, state);
                }

                state = Visit(forLoop.Condition, state);
                Visit(forLoop.Body, state);
                foreach (IOperation next in forLoop.AtLoopBottom)
                {
                    Visit(next, state);
                }

                break;
            case IForEachLoopOperation forEach:
                RecordContainerLoop(forEach);
                state = Visit(forEach.Collection, state);
                Visit(forEach.Body, state);
                break;
            default:
                state = VisitChildren(loop, state);
                break;
        }

        return state.IsDefault ? entry : state;
    }

    private ImmutableArray<Hold> VisitSwitch(ISwitchOperation switchOperation, ImmutableArray<Hold> state)
    {
        state = Visit(switchOperation.Value, state);
        if (state.IsDefault)
        {
            return state;
        }

        ImmutableArray<Hold> result = default;
        bool hasDefault = false;
        foreach (ISwitchCaseOperation switchCase in switchOperation.Cases)
        {
            ImmutableArray<Hold> caseState = state;
            foreach (ICaseClauseOperation clause in switchCase.Clauses)
            {
                hasDefault |= clause.CaseKind == CaseKind.Default;
            }

            foreach (IOperation statement in switchCase.Body)
            {
                caseState = Visit(statement, caseState);
                if (caseState.IsDefault)
                {
                    break;
                }
            }

            result = MeetReachable(result, caseState);
        }

        // A break leaves the switch: treat the switch as falling through with the entry state.
        return hasDefault && !result.IsDefault ? Meet(result, state) : state;
    }

    private ImmutableArray<Hold> VisitAwait(IAwaitOperation awaitOperation, ImmutableArray<Hold> state)
    {
        state = Unwrap(awaitOperation.Operation) is IInvocationOperation invocation
            ? VisitInvocation(invocation, state, awaited: true)
            : Visit(awaitOperation.Operation, state);
        if (state.IsDefault)
        {
            return state;
        }

        foreach (Hold hold in state)
        {
            if (hold.IsThreadOwned)
            {
                _findings.Add(new LocalFinding(
                    RuleIdentifiers.ThreadOwnedLockHeldAcrossAwait,
                    awaitOperation.Syntax.GetLocation(),
                    ImmutableArray.Create(hold.Location),
                    s_noProperties,
                    hold.Key.Display));
                break;
            }
        }

        return state;
    }

    private ImmutableArray<Hold> VisitInvocation(IInvocationOperation invocation, ImmutableArray<Hold> state, bool awaited)
    {
        IMethodSymbol method = invocation.TargetMethod;
        AcquisitionInfo? acquisition = ClassifyInvocation(invocation, awaited);
        if (acquisition is not null)
        {
            state = VisitAcquisitionOperands(acquisition, state);
            if (state.IsDefault)
            {
                return state;
            }

            var holds = new List<Hold>();
            ISymbol? scopeLocal = acquisition.Shape == AcquireShape.Scoped ? DeclaredLocalOf(invocation) : acquisition.ScopeLocal;
            object? owner = acquisition.Shape == AcquireShape.Scoped && _blocks.Count > 0 ? _blocks.Peek() : null;
            foreach (IOperation lockExpression in acquisition.Locks)
            {
                Hold? hold = Acquire(lockExpression, acquisition.Kind, acquisition.Location(lockExpression), owner, scopeLocal, acquisition.IsTry, acquisition.Locks.Length > 1, state);
                if (hold is not null)
                {
                    holds.Add(hold);
                }
            }

            // Flow holds last until released; a scope stored in a local lasts to its Dispose or block end.
            bool keep = acquisition.Shape == AcquireShape.Flow || (acquisition.Shape == AcquireShape.Scoped && scopeLocal is not null);
            return keep ? state.AddRange(holds) : state;
        }

        state = VisitChildren(invocation, state);
        if (state.IsDefault)
        {
            return state;
        }

        if (TryRelease(invocation, ref state))
        {
            return state;
        }

        if (TryConditionUse(invocation, state))
        {
            return state;
        }

        RecordDelegateArguments(invocation);
        RecordContainerPut(invocation);
        RecordContainerTakeOut(invocation);
        if (method.MethodKind == MethodKind.DelegateInvoke)
        {
            ISymbol? holder = DelegateHolder(invocation.Instance);
            if (holder is not null)
            {
                AddCall(null, holder, receiverIsThis: false, state, CallLocation(invocation));
            }

            return state;
        }

        AddCall(method, null, IsThisReceiver(invocation.Instance), state, CallLocation(invocation), ReceiverKindOf(invocation.Instance), invocation.Instance, invocation.Arguments,
            nonVirtual: !invocation.IsVirtual && (method.IsVirtual || method.IsAbstract || method.IsOverride));
        return state;
    }

    // ----------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------
    private static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                default:
                    return operation;
            }
        }
    }

    private static ImmutableArray<Hold> Meet(ImmutableArray<Hold> a, ImmutableArray<Hold> b)
    {
        if (a.IsDefault)
        {
            return b;
        }

        if (b.IsDefault)
        {
            return a;
        }

        // What RemoveAll(h => !b.Contains(h)) gives, without a closure and a delegate per meet (every
        // branch of every body meets; most hold nothing).
        if (a.IsEmpty)
        {
            return a;
        }

        ImmutableArray<Hold>.Builder? kept = null;
        for (int i = 0; i < a.Length; i++)
        {
            bool keep = b.Contains(a[i]);
            if (kept is null && !keep)
            {
                kept = ImmutableArray.CreateBuilder<Hold>(a.Length - 1);
                for (int j = 0; j < i; j++)
                {
                    kept.Add(a[j]);
                }
            }
            else if (kept is not null && keep)
            {
                kept.Add(a[i]);
            }
        }

        return kept is null ? a : kept.ToImmutable();
    }

    /// <summary>The holds without those owned by <paramref name="owner"/> (a block, lock or using that ends): the same array when none is.</summary>
    private static ImmutableArray<Hold> WithoutOwned(ImmutableArray<Hold> state, object owner)
    {
        // What RemoveAll(h => ReferenceEquals(h.Owner, owner)) gives, without a closure and a delegate per block.
        for (int i = 0; i < state.Length; i++)
        {
            if (ReferenceEquals(state[i].Owner, owner))
            {
                ImmutableArray<Hold>.Builder kept = ImmutableArray.CreateBuilder<Hold>(state.Length - 1);
                for (int j = 0; j < state.Length; j++)
                {
                    if (!ReferenceEquals(state[j].Owner, owner))
                    {
                        kept.Add(state[j]);
                    }
                }

                return kept.ToImmutable();
            }
        }

        return state;
    }

    private static ImmutableArray<Hold> MeetReachable(ImmutableArray<Hold> a, ImmutableArray<Hold> b) => Meet(a, b);
}
