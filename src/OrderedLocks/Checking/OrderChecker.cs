using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;

namespace OrderedLocks.Checking;

/// <summary>
/// Checks an acquisition against the locks the current thread and async flow hold, before it
/// blocks: strict rank order, learned lock-order cycles, and self-deadlock.
/// </summary>
internal static class OrderChecker
{
    /// <summary>Checks one acquisition. Cheap when nothing is held.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(OrderedLockBase target, LockOrderChecking mode)
    {
        Debug.Assert(mode != LockOrderChecking.Off, "Callers skip checking when it is off.");
        if (HeldLocks.MayHoldAny)
        {
            CheckSlow(target, mode, ReadOnlySpan<OrderedLockBase>.Empty, selfIsDeadlock: true);
        }
    }

    /// <summary>
    /// Checks a synchronous acquisition by the thread that owns <paramref name="threadHolds"/>
    /// (the same check as <see cref="Check"/>, without looking the list up again).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CheckOnThread(OrderedLockBase target, LockOrderChecking mode, HeldLocks.ThreadHolds threadHolds)
    {
        Debug.Assert(mode != LockOrderChecking.Off, "Callers skip checking when it is off.");
        Debug.Assert(ReferenceEquals(threadHolds, HeldLocks.CurrentThreadHolds), "The current thread's list.");
        if (threadHolds.Count > 0 || HeldLocks.FlowTop is not null)
        {
            CheckSlow(target, mode, ReadOnlySpan<OrderedLockBase>.Empty, selfIsDeadlock: true);
        }
    }

    /// <summary>
    /// Checks an acquisition of <paramref name="target"/> while holding what the thread and flow
    /// hold plus <paramref name="alsoHeld"/> (locks of the same set acquired before it).
    /// </summary>
    /// <param name="target">The lock being acquired.</param>
    /// <param name="mode">Strict, Learned or Hybrid.</param>
    /// <param name="alsoHeld">Earlier members of an AcquireAll set.</param>
    /// <param name="selfIsDeadlock">Whether finding <paramref name="target"/> among the holds is a self-deadlock.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void CheckSlow(OrderedLockBase target, LockOrderChecking mode, ReadOnlySpan<OrderedLockBase> alsoHeld, bool selfIsDeadlock)
    {
        Debug.Assert(mode is LockOrderChecking.Strict or LockOrderChecking.Learned or LockOrderChecking.Hybrid, "Callers skip checking when it is off.");

        // Walk every valid hold once; most flows hold zero to three locks. Strict compares the
        // global order; Hybrid compares declared ranks where both locks have one and they differ,
        // and learns every other pair and every pair in rank order (so a cycle through ranked
        // and unranked locks is found); Learned learns every pair. A pair that violates the
        // ranks is learned only with Report, where the acquisition goes on.
        HoldOrigin selfOrigin = HoldOrigin.None;
        OrderedLockBase? highest = null;
        LockOrderViolation? cycle = null;

        HeldLocks.ThreadHolds? holds = HeldLocks.CurrentThreadHolds;
        if (holds is not null)
        {
            for (int i = holds.Count - 1; i >= 0; i--)
            {
                OrderedLockBase held = holds.Items[i].Lock;
                if (held is not null && held.IsHeldWithToken(holds.Items[i].Token))
                {
                    Visit(held, HoldOrigin.Thread, alsoHeld);
                }
            }
        }

        for (HoldNode? node = HeldLocks.FlowTop; node is not null; node = node.Parent)
        {
            if (node.IsValid)
            {
                Visit(node.Lock, HoldOrigin.Flow, alsoHeld);
            }
        }

        foreach (OrderedLockBase held in alsoHeld)
        {
            Visit(held, HoldOrigin.Set, alsoHeld);
        }

        if (selfOrigin != HoldOrigin.None && selfIsDeadlock)
        {
            Raise(BuildSelfDeadlock(target, selfOrigin), alwaysThrow: true);
        }

        if (highest is not null)
        {
            Raise(BuildOrderViolation(target, highest, mode, alsoHeld), alwaysThrow: false);
        }

        if (cycle is not null)
        {
            Raise(cycle, alwaysThrow: false);
        }

        void Visit(OrderedLockBase held, HoldOrigin origin, ReadOnlySpan<OrderedLockBase> set)
        {
            if (ReferenceEquals(held, target))
            {
                if (selfOrigin == HoldOrigin.None)
                {
                    selfOrigin = origin;
                }

                return;
            }

            if (mode == LockOrderChecking.Strict)
            {
                if (held.OrderKey > target.OrderKey && (highest is null || held.OrderKey > highest.OrderKey))
                {
                    highest = held;
                }

                return;
            }

            if (mode == LockOrderChecking.Hybrid && held.HasRank && target.HasRank && held.Rank > target.Rank)
            {
                if (highest is null || held.Rank > highest.Rank)
                {
                    highest = held;
                }

                if (LockOrderPolicy.s_action == LockViolationAction.Throw)
                {
                    return; // the acquisition will not take place: nothing to learn
                }
            }

            cycle ??= LockOrderGraph.OnAcquire(held, target, set);
        }
    }

    /// <summary>
    /// Throws a self-deadlock error when the current thread holds <paramref name="target"/>
    /// synchronously (owner thread id, in every mode) or, with checking on, when the current
    /// flow holds it. Used by set acquisitions before they check the order, so that a set
    /// containing a held lock is reported as the self-deadlock it is.
    /// </summary>
    internal static void ThrowIfSelfDeadlock(OrderedLockBase target, LockOrderChecking mode)
    {
        HoldOrigin origin = target.IsOwnedByCurrentThread
            ? HoldOrigin.Thread
            : mode != LockOrderChecking.Off ? HeldLocks.FindHold(target).Origin : HoldOrigin.None;
        if (origin != HoldOrigin.None)
        {
            Raise(BuildSelfDeadlock(target, origin), alwaysThrow: true);
        }
    }

    internal static void Raise(LockOrderViolation violation, bool alwaysThrow)
    {
        LockOrderPolicy.Report(violation);
        if (alwaysThrow || LockOrderPolicy.s_action == LockViolationAction.Throw)
        {
            throw new LockOrderException(violation);
        }
    }

    private static LockOrderViolation BuildSelfDeadlock(OrderedLockBase target, HoldOrigin origin)
    {
        var held = Describe(ReadOnlySpan<OrderedLockBase>.Empty);
        var text = new StringBuilder();
        text.Append("Self-deadlock: ").Append(target).Append(" is not reentrant and ");
        text.Append(origin == HoldOrigin.Thread
            ? $"this thread (id {Environment.CurrentManagedThreadId}) already holds it; waiting for it would never end."
            : origin == HoldOrigin.Set
                ? "it is already part of this acquisition."
                : "this async flow already holds it, or the flow that forked this task holds it; waiting for it would never end if that flow is waiting for this one.");
        text.AppendLine();
        AppendHeld(text, held);
        text.Append("To fix: do not acquire a lock you hold");
        text.Append(origin == HoldOrigin.Flow
            ? "; start background work that must wait for the lock after releasing it, or inside LockOrderPolicy.SuppressInheritance(); or use a ReentrantOrderedLock if re-entry is intended."
            : "; or use a ReentrantOrderedLock if re-entry is intended.");
        if (origin != HoldOrigin.Set)
        {
            text.Append(" If the scope was passed to another thread or flow that will release it, call scope.HandOff() before passing it on: this ")
                .Append(origin == HoldOrigin.Thread ? "thread" : "flow").Append(" then waits for the release.");
        }

        return new LockOrderViolation(LockViolationKind.SelfDeadlock, LockDescription.Of(target), held, Array.Empty<LockOrderEdge>(), text.ToString());
    }

    private static LockOrderViolation BuildOrderViolation(OrderedLockBase target, OrderedLockBase highest, LockOrderChecking mode, ReadOnlySpan<OrderedLockBase> alsoHeld)
    {
        var held = Describe(alsoHeld);
        var text = new StringBuilder();
        text.Append("Lock order violation: acquiring ").Append(target).Append(" while holding ").Append(highest)
            .Append(mode == LockOrderChecking.Hybrid
                ? ", which has a higher declared rank. "
                : ", which comes after it in the global order (rank, then creation id). ")
            .Append("Every lock must be acquired after the locks before it in that order; another flow taking them in that order can deadlock with this one.")
            .AppendLine();
        AppendHeld(text, held);
        text.Append("Order from ").Append(OrderSource(target, highest)).Append(": '").Append(target.Name).Append("' before '").Append(highest.Name)
            .Append("'. This acquisition takes them as '").Append(highest.Name).Append("' then '").Append(target.Name).AppendLine("'.");
        text.Append("To fix: acquire them together with OrderedLock.AcquireAll(").Append(target.Name).Append(", ").Append(highest.Name)
            .Append("), or take '").Append(target.Name).Append("' first, or give the locks ranks that match the order your code needs");
        text.Append(target.HasRank && highest.HasRank && target.Rank != highest.Rank
            ? "."
            : "; or, if no order was chosen for these locks, use LockOrderChecking.Hybrid (the default), which checks locks without ranks by the order the program takes them in.");
        return new LockOrderViolation(LockViolationKind.OrderViolation, LockDescription.Of(target), held, Array.Empty<LockOrderEdge>(), text.ToString());
    }

    // Where the order of two locks comes from, in the words of a report.
    internal static string OrderSource(OrderedLockBase first, OrderedLockBase second)
    {
        if (first.Rank != second.Rank)
        {
            return first.HasRank && second.HasRank
                ? $"declared ranks {first.Rank} < {second.Rank}"
                : $"ranks {first.Rank} < {second.Rank} (a lock without a declared rank counts as rank 0)";
        }

        return first.HasRank || second.HasRank
            ? $"creation order (equal ranks {first.Rank}; id {first.Id} < {second.Id})"
            : $"creation order (no ranks declared; id {first.Id} < {second.Id})";
    }

    internal static IReadOnlyList<HeldLockDescription> Describe(ReadOnlySpan<OrderedLockBase> alsoHeld)
    {
        var result = new List<HeldLockDescription>();
        for (int i = alsoHeld.Length - 1; i >= 0; i--)
        {
            result.Add(new HeldLockDescription(LockDescription.Of(alsoHeld[i]), "this AcquireAll call"));
        }

        foreach (HeldLockInfo info in HeldLocks.Snapshot())
        {
            result.Add(new HeldLockDescription(
                LockDescription.Of(info.Lock!),
                info.Origin == HoldOrigin.Thread
                    ? $"this thread (id {Environment.CurrentManagedThreadId}, synchronous hold)"
                    : "this async flow (or the flow that forked it)"));
        }

        return result;
    }

    internal static void AppendHeld(StringBuilder text, IReadOnlyList<HeldLockDescription> held)
    {
        if (held.Count == 0)
        {
            text.AppendLine("Held: nothing.");
            return;
        }

        text.AppendLine("Held (innermost first):");
        foreach (HeldLockDescription hold in held)
        {
            text.Append("  ").Append(hold.Lock).Append(" by ").AppendLine(hold.HeldBy);
        }
    }
}
