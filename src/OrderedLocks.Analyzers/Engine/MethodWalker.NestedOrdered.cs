using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>OL0004: two ordered locks acquired one directly inside the other.</summary>
internal sealed partial class MethodWalker
{
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
}
