using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

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
internal sealed class MethodWalker
{
    private const int MaxAliasDepth = 4;

    private static readonly ImmutableDictionary<string, string?> s_noProperties = ImmutableDictionary<string, string?>.Empty;

    private readonly LockModel _model;
    private readonly KnownTypes _types;
    private readonly List<MethodSummary> _summaries = new();
    private readonly List<LocalFinding> _findings = new();
    private readonly Stack<IConditionalAccessOperation> _conditionalAccesses = new();
    private readonly Stack<IBlockOperation> _blocks = new();
    private readonly Dictionary<ILocalSymbol, IOperation> _aliases = new(SymbolEqualityComparer.Default);
    private MethodSummary _current;
    private ImmutableArray<Hold> _inherited = ImmutableArray<Hold>.Empty;

    private MethodWalker(LockModel model, MethodSummary root)
    {
        _model = model;
        _types = model.Types;
        _current = root;
    }

    public static BlockResult Walk(LockModel model, ISymbol owner, ImmutableArray<IOperation> blocks)
    {
        IMethodSymbol? method = owner as IMethodSymbol;
        var root = new MethodSummary(method?.OriginalDefinition ?? DummyMethod(model));
        var walker = new MethodWalker(model, root);
        try
        {
            walker.WalkRoot(owner, method, blocks);
        }
        catch (Exception ex) when (ex is InvalidOperationException or InvalidCastException or NullReferenceException or ArgumentException or IndexOutOfRangeException)
        {
            // Broken or unusual code must never make the analyzer throw: keep what was collected.
            System.Threading.Interlocked.Increment(ref EngineTelemetry.Errors);
        }

        if (method is not null)
        {
            walker._summaries.Insert(0, root);
        }

        return new BlockResult(walker._summaries.ToImmutableArray(), walker._findings.ToImmutableArray());
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
            _current.Acquisitions.Add(new Acquisition(hold, ImmutableArray<Hold>.Empty, isTry: false));
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
        if (_types.MethodImplAttribute is null)
        {
            return false;
        }

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
                    AddCall(constructor, delegateSymbol: null, receiverIsThis: false, state, creation.Syntax.GetLocation());
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
                }

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

            return state.RemoveAll(h => ReferenceEquals(h.Owner, block));
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
        return after.IsDefault ? after : after.RemoveAll(h => ReferenceEquals(h.Owner, lockOperation));
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
        if (method.MethodKind == MethodKind.DelegateInvoke)
        {
            ISymbol? holder = DelegateHolder(invocation.Instance);
            if (holder is not null)
            {
                AddCall(null, holder, receiverIsThis: false, state, CallLocation(invocation));
            }

            return state;
        }

        AddCall(method, null, IsThisReceiver(invocation.Instance), state, CallLocation(invocation), ReceiverKindOf(invocation.Instance));
        return state;
    }

    // ----------------------------------------------------------------------------------------
    // Acquisition classification
    // ----------------------------------------------------------------------------------------
    private enum AcquireShape
    {
        /// <summary>Held until an explicit release call (Monitor.Enter, SemaphoreSlim.Wait, EnterWriteLock).</summary>
        Flow,

        /// <summary>Returns a bool (or Task&lt;bool&gt;): held on the branch where it succeeded.</summary>
        Conditional,

        /// <summary>Returns a scope released by Dispose (using, or a local).</summary>
        Scoped,
    }

    private sealed class AcquisitionInfo
    {
        public AcquisitionInfo(IInvocationOperation invocation, AcquireShape shape, HoldKind kind, bool isTry, ImmutableArray<IOperation> locks, ISymbol? scopeLocal)
        {
            Invocation = invocation;
            Shape = shape;
            Kind = kind;
            IsTry = isTry;
            Locks = locks;
            ScopeLocal = scopeLocal;
        }

        public IInvocationOperation Invocation { get; }

        public AcquireShape Shape { get; }

        public HoldKind Kind { get; }

        public bool IsTry { get; }

        public ImmutableArray<IOperation> Locks { get; }

        public ISymbol? ScopeLocal { get; }

        public Location Location(IOperation lockExpression)
            => Locks.Length > 1 ? lockExpression.Syntax.GetLocation() : Invocation.Syntax.GetLocation();
    }

    private AcquisitionInfo? ClassifyAcquisition(IOperation expression)
    {
        expression = Unwrap(expression);
        bool awaited = false;
        if (expression is IAwaitOperation awaitOperation)
        {
            awaited = true;
            expression = Unwrap(awaitOperation.Operation);
        }

        return expression is IInvocationOperation invocation ? ClassifyInvocation(invocation, awaited) : null;
    }

    private AcquisitionInfo? ClassifyInvocation(IInvocationOperation invocation, bool awaited)
    {
        IMethodSymbol method = invocation.TargetMethod;
        INamedTypeSymbol? type = method.ContainingType;
        if (type is null)
        {
            return null;
        }

        string name = method.Name;
        if (KnownTypes.Is(type, _types.Monitor))
        {
            if (invocation.Arguments.Length == 0)
            {
                return null;
            }

            bool hasRef = method.Parameters.Any(p => p.RefKind == RefKind.Ref);
            IOperation target = invocation.Arguments[0].Value;
            return name switch
            {
                "Enter" => new AcquisitionInfo(invocation, AcquireShape.Flow, HoldKind.Monitor, false, ImmutableArray.Create(target), null),
                "TryEnter" => new AcquisitionInfo(invocation, hasRef ? AcquireShape.Flow : AcquireShape.Conditional, HoldKind.Monitor, true, ImmutableArray.Create(target), null),
                _ => null,
            };
        }

        if (invocation.Instance is null && !IsOrderedStaticSet(method))
        {
            return ScopeReturningHelper(invocation, awaited) ?? GenericAsyncLock(invocation, awaited);
        }

        if (KnownTypes.Is(type, _types.ThreadingLock))
        {
            IOperation target = invocation.Instance!;
            return name switch
            {
                "Enter" => new AcquisitionInfo(invocation, AcquireShape.Flow, HoldKind.ThreadingLock, false, ImmutableArray.Create(target), null),
                "TryEnter" => new AcquisitionInfo(invocation, AcquireShape.Conditional, HoldKind.ThreadingLock, true, ImmutableArray.Create(target), null),
                "EnterScope" => new AcquisitionInfo(invocation, AcquireShape.Scoped, HoldKind.ThreadingLock, false, ImmutableArray.Create(target), null),
                _ => null,
            };
        }

        if (KnownTypes.Is(type, _types.SemaphoreSlim))
        {
            if (name is not ("Wait" or "WaitAsync") || (name == "WaitAsync" && !awaited))
            {
                return null;
            }

            bool timed = method.Parameters.Any(p => p.Type.SpecialType == SpecialType.System_Int32 || p.Type.Name == "TimeSpan");
            return new AcquisitionInfo(invocation, timed ? AcquireShape.Conditional : AcquireShape.Flow, HoldKind.Semaphore, timed, ImmutableArray.Create(invocation.Instance!), null);
        }

        if (KnownTypes.Is(type, _types.ReaderWriterLockSlim))
        {
            return name switch
            {
                "EnterWriteLock" or "EnterUpgradeableReadLock" => new AcquisitionInfo(invocation, AcquireShape.Flow, HoldKind.ReaderWriterWrite, false, ImmutableArray.Create(invocation.Instance!), null),
                "TryEnterWriteLock" or "TryEnterUpgradeableReadLock" => new AcquisitionInfo(invocation, AcquireShape.Conditional, HoldKind.ReaderWriterWrite, true, ImmutableArray.Create(invocation.Instance!), null),
                _ => null,
            };
        }

        if (_types.IsOrderedLockType(type))
        {
            if (IsOrderedStaticSet(method))
            {
                if (name == "AcquireAllAsync" && !awaited)
                {
                    return null;
                }

                ImmutableArray<IOperation> locks = SetArguments(invocation);
                return locks.IsEmpty ? null : new AcquisitionInfo(invocation, AcquireShape.Scoped, name == "AcquireAll" ? HoldKind.OrderedSync : HoldKind.OrderedAsync, false, locks, null);
            }

            bool reentrant = KnownTypes.Is(invocation.Instance?.Type, _types.ReentrantOrderedLock);
            switch (name)
            {
                case "Acquire":
                    return new AcquisitionInfo(invocation, AcquireShape.Scoped, reentrant ? HoldKind.ReentrantSync : HoldKind.OrderedSync, false, ImmutableArray.Create(invocation.Instance!), null);
                case "AcquireAsync" when awaited:
                    return new AcquisitionInfo(invocation, AcquireShape.Scoped, reentrant ? HoldKind.ReentrantAsync : HoldKind.OrderedAsync, false, ImmutableArray.Create(invocation.Instance!), null);
                case "TryAcquire":
                    ISymbol? outLocal = invocation.Arguments
                        .Where(a => a.Parameter?.RefKind == RefKind.Out)
                        .Select(a => Unwrap(a.Value) switch
                        {
                            ILocalReferenceOperation l => (ISymbol)l.Local,
                            IDeclarationExpressionOperation { Expression: ILocalReferenceOperation l2 } => l2.Local,
                            _ => null,
                        })
                        .FirstOrDefault(s => s is not null);
                    return new AcquisitionInfo(invocation, AcquireShape.Conditional, reentrant ? HoldKind.ReentrantSync : HoldKind.OrderedSync, true, ImmutableArray.Create(invocation.Instance!), outLocal);
                default:
                    return null;
            }
        }

        if (KnownTypes.Is(type, _types.OrderedCondition))
        {
            return null;
        }

        return ScopeReturningHelper(invocation, awaited) ?? GenericAsyncLock(invocation, awaited);
    }

    /// <summary>
    /// A helper that returns an OrderedLocks scope (<c>LockScope</c> / <c>LockSetScope</c>, possibly
    /// awaited) and takes ordered locks as arguments — <c>using (await Enter(lockObject, async))</c> —
    /// acquires those locks.
    /// </summary>
    private AcquisitionInfo? ScopeReturningHelper(IInvocationOperation invocation, bool awaited)
    {
        ITypeSymbol? result = invocation.TargetMethod.ReturnType;
        if (awaited && result is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } awaitable)
        {
            result = awaitable.TypeArguments[0];
        }

        if (!KnownTypes.Is(result, _types.LockScope) && !KnownTypes.Is(result, _types.LockSetScope))
        {
            return null;
        }

        ImmutableArray<IOperation> locks = invocation.Arguments
            .Where(a => _types.IsOrderedLockType(a.Value.Type) || _types.IsOrderedLockType(Unwrap(a.Value).Type))
            .Select(a => a.Value)
            .ToImmutableArray();
        if (locks.IsEmpty && invocation.Instance is not null && _types.IsOrderedLockType(invocation.Instance.Type))
        {
            locks = ImmutableArray.Create(invocation.Instance);
        }

        return locks.IsEmpty ? null : new AcquisitionInfo(invocation, AcquireShape.Scoped, awaited ? HoldKind.OrderedAsync : HoldKind.OrderedSync, false, locks, null);
    }

    private bool IsOrderedStaticSet(IMethodSymbol method)
        => method.IsStatic && method.Name is "AcquireAll" or "AcquireAllAsync" && _types.IsOrderedLockType(method.ContainingType);

    private static bool IsCollectionExpressionArgument(IArgumentOperation argument)
    {
        if (argument.Parameter?.Type is not (IArrayTypeSymbol or INamedTypeSymbol { Name: "ReadOnlySpan" or "Span" }))
        {
            return false;
        }

        OperationKind kind = Unwrap(argument.Value).Kind;
        return kind == OperationKind.None || kind.ToString() == "CollectionExpression";
    }

    private static ImmutableArray<IOperation> SetArguments(IInvocationOperation invocation)
    {
        ImmutableArray<IOperation>.Builder builder = ImmutableArray.CreateBuilder<IOperation>();
        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.ParamArray && Unwrap(argument.Value) is IArrayCreationOperation { Initializer: { } initializer })
            {
                builder.AddRange(initializer.ElementValues);
            }
            else if (IsCollectionExpressionArgument(argument))
            {
                // `params ReadOnlySpan<OrderedLockBase>` (C# 13) and an explicit `[a, b]`: the
                // locks arrive as a collection expression, whose children are the elements. Its
                // operation interface is newer than the Roslyn this analyzer is built against
                // (it shows as OperationKind.None there), hence ChildOperations.
                foreach (IOperation element in Unwrap(argument.Value).ChildOperations)
                {
                    builder.Add(element);
                }
            }
            else if (argument.Parameter?.Type.TypeKind != TypeKind.Array && argument.Value.Type?.Name != "CancellationToken")
            {
                builder.Add(argument.Value);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>The common async-lock shape: <c>using (await x.LockAsync())</c> / <c>using (x.Lock())</c> returning a disposable.</summary>
    private AcquisitionInfo? GenericAsyncLock(IInvocationOperation invocation, bool awaited)
    {
        if (invocation.Instance is null && !invocation.TargetMethod.IsExtensionMethod)
        {
            return null;
        }

        string name = invocation.TargetMethod.Name;
        if (name.EndsWith("Async", StringComparison.Ordinal))
        {
            name = name.Substring(0, name.Length - "Async".Length);
        }

        bool lockLike = name is "Lock" or "Acquire" or "AcquireLock" or "Enter" or "WriterLock" or "WriteLock" or "AcquireWriterLock" or "AcquireWriteLock" or "LockWrite";
        if (!lockLike)
        {
            return null;
        }

        ITypeSymbol? result = invocation.TargetMethod.ReturnType;
        if (awaited && result is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } awaitable)
        {
            result = awaitable.TypeArguments[0];
        }
        else if (!awaited && result is INamedTypeSymbol { Name: "Task" or "ValueTask" })
        {
            return null;
        }

        if (!_types.IsDisposable(result))
        {
            return null;
        }

        IOperation? receiver = invocation.Instance ?? (invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
        return receiver is null ? null : new AcquisitionInfo(invocation, AcquireShape.Scoped, HoldKind.AsyncLock, false, ImmutableArray.Create(receiver), null);
    }

    private ImmutableArray<Hold> VisitAcquisitionOperands(AcquisitionInfo acquisition, ImmutableArray<Hold> state)
    {
        // Receivers and arguments are evaluated before the lock is taken.
        state = Visit(acquisition.Invocation.Instance, state);
        foreach (IArgumentOperation argument in acquisition.Invocation.Arguments)
        {
            state = Visit(argument.Value, state);
        }

        return state;
    }

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
            || (KnownTypes.Is(type, _types.ReaderWriterLockSlim) && method.Name is "ExitWriteLock" or "ExitUpgradeableReadLock"))
        {
            target = invocation.Instance;
        }
        else if (method.Name is "Dispose" or "DisposeAsync" && invocation.Instance is not null && Unwrap(invocation.Instance) is ILocalReferenceOperation scope)
        {
            int index = LastIndex(state, h => SymbolEqualityComparer.Default.Equals(h.ScopeLocal, scope.Local));
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
            int index = LastIndex(state, h => h.Key.Equals(key) && h.Instance == instance);
            if (index < 0)
            {
                index = LastIndex(state, h => h.Key.Equals(key));
            }

            if (index >= 0)
            {
                state = state.RemoveAt(index);
            }
        }

        return true;
    }

    private static int LastIndex(ImmutableArray<Hold> state, Func<Hold, bool> predicate)
    {
        for (int i = state.Length - 1; i >= 0; i--)
        {
            if (predicate(state[i]))
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
        _current.ConditionUses.Add(new ConditionUse(kind, key, instance, target.Syntax.ToString(), _inherited.IsEmpty ? state : _inherited.AddRange(state), invocation.Syntax.GetLocation()));

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
                    if (forLoop.Condition is null || IsCountingCondition(forLoop))
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
        foreach (IOperation node in forLoop.Condition!.DescendantsAndSelf())
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
        foreach (IOperation node in body.DescendantsAndSelf())
        {
            if (node is IConditionalOperation conditional
                && conditional.WhenTrue.DescendantsAndSelf().Any(n => n is IBranchOperation { BranchKind: BranchKind.Break } or IReturnOperation))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Notifies(IOperation body)
        => body.DescendantsAndSelf().Any(n => n is IInvocationOperation { TargetMethod.Name: "Pulse" or "PulseAll" or "Notify" or "NotifyAll" });

    // ----------------------------------------------------------------------------------------
    // Calls, delegates, declarations
    // ----------------------------------------------------------------------------------------
    private void AddCall(IMethodSymbol? target, ISymbol? delegateSymbol, bool receiverIsThis, ImmutableArray<Hold> state, Location location, CallReceiver receiver = CallReceiver.Other)
    {
        if (target is not null)
        {
            target = target.ReducedFrom ?? target;
            target = target.OriginalDefinition;

            // Only calls the model can follow: source methods, or virtual/interface members that source may implement.
            bool inSource = target.Locations.Any(l => l.IsInSource);
            if (!inSource)
            {
                return;
            }
        }

        _current.Calls.Add(new CallSite(target, delegateSymbol, receiverIsThis, state, location, receiverIsThis ? CallReceiver.This : receiver));
    }

    private void RecordPropertyAccess(IPropertyReferenceOperation property, ImmutableArray<Hold> state)
    {
        bool isWrite = property.Parent is IAssignmentOperation assignment && ReferenceEquals(assignment.Target, property);
        bool isRead = !isWrite || property.Parent is ICompoundAssignmentOperation or ICoalesceAssignmentOperation;
        bool receiverIsThis = IsThisReceiver(property.Instance);
        Location location = property.Syntax.GetLocation();
        if (isRead && property.Property.GetMethod is { } getter)
        {
            AddCall(getter, null, receiverIsThis, state, location);
        }

        if (isWrite && property.Property.SetMethod is { } setter)
        {
            AddCall(setter, null, receiverIsThis, state, location);
        }
    }

    private void RecordInitializer(IOperation initializer, ISymbol owner)
    {
        IOperation? value = initializer switch
        {
            IFieldInitializerOperation field => field.Value,
            IPropertyInitializerOperation property => property.Value,
            _ => null,
        };

        if (value is null)
        {
            return;
        }

        IEnumerable<ISymbol> targets = initializer switch
        {
            IFieldInitializerOperation field => field.InitializedFields,
            IPropertyInitializerOperation property => property.InitializedProperties,
            _ => Enumerable.Empty<ISymbol>(),
        };

        foreach (ISymbol target in targets.DefaultIfEmpty(owner))
        {
            RecordDeclaration(target, value);
        }
    }

    private void RecordAssignment(IOperation target, IOperation value)
    {
        switch (Unwrap(target))
        {
            case IFieldReferenceOperation field:
                RecordDeclaration(field.Field, value);
                break;
            case IPropertyReferenceOperation property:
                RecordDeclaration(property.Property, value);
                break;
            case IEventReferenceOperation eventReference:
                Bind(eventReference.Event, value);
                break;
            case ILocalReferenceOperation local:
                _aliases.Remove(local.Local);
                Bind(local.Local, value);
                break;
            case IParameterReferenceOperation parameter:
                Bind(parameter.Parameter, value);
                break;
        }
    }

    private void RecordLocal(ILocalSymbol local, IOperation value)
    {
        IOperation unwrapped = Unwrap(value);
        if (unwrapped is IFieldReferenceOperation or IPropertyReferenceOperation { Arguments.Length: 0 } or IArrayElementReferenceOperation or ILocalReferenceOperation)
        {
            _aliases[local] = unwrapped;
        }

        Bind(local, value);
    }

    /// <summary>Records what a field or property is created as: semaphore counts, ranks, condition locks, delegates.</summary>
    private void RecordDeclaration(ISymbol member, IOperation value)
    {
        IOperation unwrapped = Unwrap(value);
        if (unwrapped is IObjectCreationOperation creation)
        {
            ITypeSymbol? type = creation.Type;
            if (KnownTypes.Is(type, _types.SemaphoreSlim))
            {
                int count = creation.Arguments.Length > 0 && creation.Arguments[0].Value.ConstantValue is { HasValue: true, Value: int initial } ? initial : -1;
                _model.SemaphoreCounts.GetOrAdd(member.OriginalDefinition, static _ => new System.Collections.Concurrent.ConcurrentBag<int>()).Add(count);
            }
            else if (_types.IsOrderedLockType(type))
            {
                foreach (IArgumentOperation argument in creation.Arguments)
                {
                    if (argument.Parameter?.Name == "rank" && argument.ArgumentKind == ArgumentKind.Explicit
                        && argument.Value.ConstantValue is { HasValue: true, Value: int rank } && rank != 0)
                    {
                        _model.CreationRanks[member.OriginalDefinition] = rank;
                    }
                }
            }
            else if (KnownTypes.Is(type, _types.OrderedCondition) && creation.Arguments.Length > 0
                && TryResolveLock(creation.Arguments[0].Value, 0, out LockKey? key, out _, out _))
            {
                _model.ConditionLocks[member.OriginalDefinition] = key!;
            }
        }

        Bind(member, value);
    }

    private void Bind(ISymbol holder, IOperation? value)
    {
        if (value is null || holder is not (IFieldSymbol or IPropertySymbol or IEventSymbol or ILocalSymbol or IParameterSymbol))
        {
            return;
        }

        foreach (IMethodSymbol target in DelegateTargets(value, 0))
        {
            _model.AddBinding(holder, target);
        }
    }

    private IEnumerable<IMethodSymbol> DelegateTargets(IOperation value, int depth)
    {
        IOperation unwrapped = Unwrap(value);
        if (unwrapped is IDelegateCreationOperation delegateCreation)
        {
            unwrapped = Unwrap(delegateCreation.Target);
        }

        switch (unwrapped)
        {
            case IAnonymousFunctionOperation lambda:
                yield return lambda.Symbol;
                break;
            case IMethodReferenceOperation methodReference:
                yield return methodReference.Method.OriginalDefinition;
                break;
            case ILocalReferenceOperation or IFieldReferenceOperation or IParameterReferenceOperation or IPropertyReferenceOperation when depth < MaxAliasDepth:
                ISymbol? holder = DelegateHolder(unwrapped);
                if (holder is not null)
                {
                    foreach (IMethodSymbol target in _model.GetBindings(holder))
                    {
                        yield return target;
                    }
                }

                break;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } combine when depth < MaxAliasDepth:
                foreach (IMethodSymbol target in DelegateTargets(combine.LeftOperand, depth + 1).Concat(DelegateTargets(combine.RightOperand, depth + 1)))
                {
                    yield return target;
                }

                break;
        }
    }

    private void RecordDelegateArguments(IInvocationOperation invocation)
    {
        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (argument.Parameter is { Type.TypeKind: TypeKind.Delegate } parameter && parameter.Locations.Any(l => l.IsInSource))
            {
                Bind(parameter.OriginalDefinition, argument.Value);
            }
        }
    }

    private ISymbol? DelegateHolder(IOperation? receiver)
    {
        if (receiver is null)
        {
            return null;
        }

        receiver = Unwrap(receiver);
        if (receiver is IConditionalAccessInstanceOperation && _conditionalAccesses.Count > 0)
        {
            receiver = Unwrap(_conditionalAccesses.Peek().Operation);
        }

        return receiver switch
        {
            IEventReferenceOperation e => e.Event.OriginalDefinition,
            IFieldReferenceOperation f => f.Field.OriginalDefinition,
            IPropertyReferenceOperation p => p.Property.OriginalDefinition,
            ILocalReferenceOperation l => l.Local,
            IParameterReferenceOperation p => p.Parameter.OriginalDefinition,
            _ => null,
        };
    }

    private static ISymbol? DeclaredLocalOf(IOperation invocation)
    {
        IOperation? parent = invocation.Parent;
        while (parent is IConversionOperation or IAwaitOperation or IParenthesizedOperation)
        {
            parent = parent.Parent;
        }

        return parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            _ => null,
        };
    }

    // ----------------------------------------------------------------------------------------
    // Nested ordered acquisitions (OL0004 candidates)
    // ----------------------------------------------------------------------------------------
    private static IUsingOperation? SingleInnerUsing(IOperation body)
    {
        if (body is IUsingOperation direct)
        {
            return direct;
        }

        return body is IBlockOperation { Operations.Length: 1 } block && block.Operations[0] is IUsingOperation inner ? inner : null;
    }

    private Hold? SingleAcquisitionOf(IVariableDeclarationGroupOperation group)
    {
        if (group.Declarations.Length != 1 || group.Declarations[0].Declarators.Length != 1)
        {
            return null;
        }

        return PeekOrderedAcquisitionValue(group.Declarations[0].Declarators[0].Initializer?.Value);
    }

    private Hold? PeekOrderedAcquisition(IOperation resource)
    {
        if (resource is IVariableDeclarationGroupOperation group)
        {
            return SingleAcquisitionOf(group);
        }

        return PeekOrderedAcquisitionValue(resource);
    }

    private Hold? PeekOrderedAcquisitionValue(IOperation? value)
    {
        if (value is null || ClassifyAcquisition(value) is not { Shape: AcquireShape.Scoped, Locks.Length: 1 } acquisition
            || acquisition.Kind is not (HoldKind.OrderedSync or HoldKind.OrderedAsync or HoldKind.ReentrantSync or HoldKind.ReentrantAsync)
            || IsOrderedStaticSet(acquisition.Invocation.TargetMethod))
        {
            return null;
        }

        return TryResolveLock(acquisition.Locks[0], 0, out LockKey? key, out string instance, out bool onThis)
            ? new Hold(key!, instance, onThis, acquisition.Kind, acquisition.Invocation.Syntax.GetLocation(), null, null, false)
            : null;
    }

    private void CheckNestedOrdered(Hold? outer, Hold? inner, ImmutableArray<Hold> state, IOperation innerOperation)
    {
        if (outer is null || inner is null || outer.Key.Equals(inner.Key)
            || outer.Key.Kind != LockKeyKind.Member || inner.Key.Kind != LockKeyKind.Member)
        {
            // Only long-lived locks (fields, properties) carry an order worth fixing; nesting of
            // locals (tests and demos exercising the runtime's own order checking) is left alone.
            return;
        }

        bool outerAsync = outer.Kind is HoldKind.OrderedAsync or HoldKind.ReentrantAsync;
        bool innerAsync = inner.Kind is HoldKind.OrderedAsync or HoldKind.ReentrantAsync;
        if (outerAsync != innerAsync)
        {
            return;
        }

        _ = state;
        _ = innerOperation;
        if (RankSyntax.HasDeclaredRank(outer.Key.Symbol, _types) && RankSyntax.HasDeclaredRank(inner.Key.Symbol, _types))
        {
            // Both ranked: the nesting is checked by OL0002 (and by the runtime).
            return;
        }

        _findings.Add(new LocalFinding(
            RuleIdentifiers.NestedOrderedAcquisitions,
            inner.Location,
            ImmutableArray.Create(outer.Location),
            s_noProperties,
            outer.Key.Display,
            inner.Key.Display));
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

        return a.RemoveAll(h => !b.Contains(h));
    }

    private static ImmutableArray<Hold> MeetReachable(ImmutableArray<Hold> a, ImmutableArray<Hold> b) => Meet(a, b);
}
