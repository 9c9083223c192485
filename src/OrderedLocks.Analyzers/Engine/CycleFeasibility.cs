using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// Whether one set of objects can close a cycle of the lock-order graph. The graph's nodes are
/// lock keys (fields); each edge remembers how the acquired lock's object relates to the held one's
/// (<see cref="Relation"/>). Going round the cycle composes those relations: the cycle is a
/// deadlock only if the composition can bring you back to the object you started from.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Same object all round, or a static lock in the cycle: can close.</item>
/// <item>A net walk down one field (<c>this._lock</c> → <c>this.Wrapped._lock</c>: a wrapper holding
/// its own lock, then its wrapped object's lock of the same class) needs <c>o.Wrapped == o</c>: a
/// tree, not a cycle; does not close. Likewise a walk repeating one field (<c>o.Next.Next == o</c>).</item>
/// <item>A walk through two different fields (<c>o.B.A == o</c>, back-pointers) or between two
/// differently named objects (<c>this</c> and a parameter): can close.</item>
/// <item>An object known not to be the held lock's (its key is held further out on that object,
/// so the same object would be a re-entry): stays "other" over same-object edges; does not close.</item>
/// <item>An object the analyzer cannot name (a method result, a non-constant element): uncertain;
/// quiet unless <c>orderedlocks.lock_identity = fields</c>.</item>
/// </list>
/// </remarks>
internal static class CycleFeasibility
{
    private const int MaxStates = 32;
    private const int MaxSteps = 6;

    public static bool CanClose(List<IEnumerable<Relation>> edges, bool throughStaticLock, IdentityLevel level)
    {
        if (level == IdentityLevel.Fields || throughStaticLock)
        {
            return true;
        }

        var states = new HashSet<State> { State.Identity };
        foreach (IEnumerable<Relation> edge in edges)
        {
            var next = new HashSet<State>();
            foreach (State state in states)
            {
                foreach (Relation relation in edge)
                {
                    if (next.Count < MaxStates)
                    {
                        next.Add(state.Then(relation));
                    }
                }
            }

            states = next;
            if (states.Count == 0)
            {
                return false;
            }
        }

        return states.Any(s => s.Closes);
    }

    /// <summary>Where the walk round the cycle has got to, relative to the start object.</summary>
    private sealed class State : System.IEquatable<State>
    {
        public static readonly State Identity = new(Kind.Steps, ImmutableArray<Step>.Empty);
        private static readonly State s_unrelated = new(Kind.Unrelated, ImmutableArray<Step>.Empty);
        private static readonly State s_unknown = new(Kind.Unknown, ImmutableArray<Step>.Empty);
        private static readonly State s_other = new(Kind.Other, ImmutableArray<Step>.Empty);

        private readonly Kind _kind;

        /// <summary>Member steps from the start object.</summary>
        private readonly ImmutableArray<Step> _steps;

        private State(Kind kind, ImmutableArray<Step> steps)
        {
            _kind = kind;
            _steps = steps;
        }

        private enum Kind
        {
            Steps,
            Unrelated,
            Unknown,

            /// <summary>Back on an object known not to be the start one (and not yet moved off it by a member walk).</summary>
            Other,
        }

        public bool Closes => _kind switch
        {
            Kind.Unrelated => true,
            Kind.Unknown => false,
            // From an object known not to be the start: back at it (no steps) or round a back-pointer
            // to it (two different fields, as o.B.A == o) is not the start; a walk down one field
            // (a wrapper's inner object) may be.
            Kind.Other => !_steps.IsEmpty && AllLikeFirst(_steps),
            _ => _steps.IsEmpty || !AllLikeFirst(_steps),
        };

        // Every step the same member in the same direction as the first.
        private static bool AllLikeFirst(ImmutableArray<Step> steps)
        {
            foreach (Step step in steps)
            {
                if (!step.SameAs(steps[0]))
                {
                    return false;
                }
            }

            return true;
        }

        public State Then(Relation relation)
        {
            if (_kind == Kind.Unknown || relation.Kind == RelationKind.Unknown)
            {
                return s_unknown;
            }

            if (_kind == Kind.Unrelated || relation.Kind is RelationKind.Unrelated or RelationKind.Global)
            {
                return s_unrelated;
            }

            if (relation.Kind == RelationKind.Other)
            {
                // Known not the same as where the walk stands: from the start object, "not the start";
                // from anywhere else (or twice "other"), it may be the start again.
                return _kind == Kind.Steps && _steps.IsEmpty ? s_other : s_unrelated;
            }

            switch (relation.Kind)
            {
                case RelationKind.Same:
                    return this;
                case RelationKind.Down:
                    return Walk(relation.Members, down: true);
                case RelationKind.Up:
                    return Walk(relation.Members.Reverse().ToImmutableArray(), down: false);
                default:
                    return s_unknown;
            }
        }

        private State Walk(ImmutableArray<ISymbol> members, bool down)
        {
            // Steps are kept relative to the start (Steps) or to the other object (Other) alike.
            ImmutableArray<Step> steps = _steps;
            foreach (ISymbol member in members)
            {
                if (!steps.IsEmpty && steps[steps.Length - 1].Down != down && SymbolEqualityComparer.Default.Equals(steps[steps.Length - 1].Member, member))
                {
                    steps = steps.RemoveAt(steps.Length - 1);
                }
                else
                {
                    steps = steps.Add(new Step(member, down));
                }
            }

            return steps.Length > MaxSteps ? s_unrelated : new State(_kind, steps);
        }

        public bool Equals(State? other)
        {
            if (other is null || other._kind != _kind || other._steps.Length != _steps.Length)
            {
                return false;
            }

            for (int i = 0; i < _steps.Length; i++)
            {
                if (!_steps[i].SameAs(other._steps[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => Equals(obj as State);

        public override int GetHashCode()
        {
            int hash = (int)_kind;
            foreach (Step step in _steps)
            {
                hash = (hash * 31) ^ SymbolEqualityComparer.Default.GetHashCode(step.Member) ^ (step.Down ? 1 : 0);
            }

            return hash;
        }
    }

    /// <summary>A member step: down into the member's object (true), or up out of it (false). A class, not a tuple: an immutable array of tuples is runtime generic code compiled in the compiler's process.</summary>
    private sealed class Step
    {
        public Step(ISymbol member, bool down)
        {
            Member = member;
            Down = down;
        }

        public ISymbol Member { get; }

        public bool Down { get; }

        public bool SameAs(Step other) => other.Down == Down && SymbolEqualityComparer.Default.Equals(other.Member, Member);
    }
}
