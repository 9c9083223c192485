using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>What an <see cref="AccessPath"/> starts from.</summary>
internal enum PathRoot
{
    /// <summary>The method's own <c>this</c>.</summary>
    This,

    /// <summary>A static member (one object for the whole program).</summary>
    Static,

    /// <summary>A parameter of the method.</summary>
    Parameter,

    /// <summary>A local whose value the walker could not trace back to a field.</summary>
    Local,

    /// <summary>An object the method created itself (<c>new T(...)</c>): no other flow can hold its locks yet.</summary>
    Fresh,

    /// <summary>Anything else (a method result, a non-constant array element, a path that grew too long).</summary>
    Unknown,
}

/// <summary>
/// The object a lock belongs to, as an access path relative to the method it appears in:
/// <c>this</c>, <c>this.Inner</c>, <c>other</c>, <c>other.Inner</c>, static. Lock identity follows
/// objects, not field symbols: <c>this._a</c> and <c>other._a</c> are the same field on (maybe)
/// different objects; a call translates the callee's paths into the caller's through its receiver
/// and arguments.
/// </summary>
internal sealed class AccessPath : IEquatable<AccessPath>
{
    /// <summary>Paths longer than this become <see cref="PathRoot.Unknown"/> (keeps summaries finite in recursion).</summary>
    public const int MaxMembers = 3;

    public static readonly AccessPath This = new(PathRoot.This, null, ImmutableArray<ISymbol>.Empty);
    public static readonly AccessPath Static = new(PathRoot.Static, null, ImmutableArray<ISymbol>.Empty);
    public static readonly AccessPath Fresh = new(PathRoot.Fresh, null, ImmutableArray<ISymbol>.Empty);
    public static readonly AccessPath Unknown = new(PathRoot.Unknown, null, ImmutableArray<ISymbol>.Empty);

    private AccessPath(PathRoot root, ISymbol? rootSymbol, ImmutableArray<ISymbol> members)
    {
        Root = root;
        RootSymbol = rootSymbol;
        Members = members;
    }

    public PathRoot Root { get; }

    /// <summary>The parameter or local the path starts from.</summary>
    public ISymbol? RootSymbol { get; }

    /// <summary>Fields and properties followed from the root.</summary>
    public ImmutableArray<ISymbol> Members { get; }

    /// <summary>The object is known by name (not fresh, not unknown).</summary>
    public bool IsNamed => Root is PathRoot.This or PathRoot.Static or PathRoot.Parameter or PathRoot.Local;

    public static AccessPath Of(PathRoot root, ISymbol symbol) => new(root, symbol.OriginalDefinition, ImmutableArray<ISymbol>.Empty);

    /// <summary>This path followed by one more member.</summary>
    public AccessPath Append(ISymbol member)
    {
        if (!IsNamed)
        {
            return this;
        }

        if (member.IsStatic)
        {
            return new AccessPath(PathRoot.Static, null, ImmutableArray.Create(member.OriginalDefinition));
        }

        return Members.Length >= MaxMembers ? Unknown : new AccessPath(Root, RootSymbol, Members.Add(member.OriginalDefinition));
    }

    /// <summary>This path (of a callee) with its root replaced by <paramref name="root"/> (the caller's path for it).</summary>
    public AccessPath Rebase(AccessPath root)
    {
        if (Members.IsEmpty)
        {
            return root;
        }

        // What appending the members one by one gives (Append), worked out first and then built in
        // one allocation: a path that is not named stays as it is, a static member restarts the path
        // from it, and a path that outgrows the cap becomes unknown for good.
        if (!root.IsNamed)
        {
            return root;
        }

        int length = root.Members.Length;
        int staticAt = -1;
        for (int i = 0; i < Members.Length; i++)
        {
            if (Members[i].IsStatic)
            {
                staticAt = i;
                length = 1;
            }
            else if (length >= MaxMembers)
            {
                return Unknown;
            }
            else
            {
                length++;
            }
        }

        if (staticAt < 0)
        {
            return new AccessPath(root.Root, root.RootSymbol, root.Members.AddRange(Members));
        }

        ImmutableArray<ISymbol>.Builder members = ImmutableArray.CreateBuilder<ISymbol>(Members.Length - staticAt);
        for (int i = staticAt; i < Members.Length; i++)
        {
            members.Add(Members[i].OriginalDefinition);
        }

        return new AccessPath(PathRoot.Static, null, members.MoveToImmutable());
    }

    public bool Equals(AccessPath? other)
        => ReferenceEquals(this, other)
            || (other is not null && other.Root == Root && SymbolEqualityComparer.Default.Equals(other.RootSymbol, RootSymbol) && SameMembers(Members, other.Members));

    internal static bool SameMembers(ImmutableArray<ISymbol> a, ImmutableArray<ISymbol> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (!SymbolEqualityComparer.Default.Equals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as AccessPath);

    public override int GetHashCode()
    {
        int hash = ((int)Root * 397) ^ (RootSymbol is null ? 0 : SymbolEqualityComparer.Default.GetHashCode(RootSymbol));
        foreach (ISymbol member in Members)
        {
            hash = (hash * 31) ^ SymbolEqualityComparer.Default.GetHashCode(member);
        }

        return hash;
    }

    public override string ToString()
    {
        string root = Root switch
        {
            PathRoot.This => "this",
            PathRoot.Static => "static",
            PathRoot.Fresh => "new",
            PathRoot.Unknown => "?",
            _ => RootSymbol?.Name ?? "?",
        };
        return Members.IsEmpty ? root : root + "." + string.Join(".", Members.Select(m => m.Name));
    }
}

/// <summary>How the object of one lock relates to the object of another held in the same frame.</summary>
internal enum RelationKind
{
    /// <summary>Same object (or both locks on one named object).</summary>
    Same,

    /// <summary>At least one lock is static: one object for the whole program, any instance of the other.</summary>
    Global,

    /// <summary>The second object is reached from the first by <see cref="Relation.Members"/>.</summary>
    Down,

    /// <summary>The first object is reached from the second by <see cref="Relation.Members"/>.</summary>
    Up,

    /// <summary>Two differently named objects (this and a parameter, two parameters): may be the same or not.</summary>
    Unrelated,

    /// <summary>One object was created by the method itself: no other flow can hold its locks.</summary>
    Fresh,

    /// <summary>One object is unknown (method result, non-constant element): identity uncertain.</summary>
    Unknown,

    /// <summary>
    /// Not the first object, whatever else it is: the acquired key is held further out on the held
    /// lock's object, so the same object would be a re-entry (no edge at all).
    /// </summary>
    Other,
}

/// <summary>The relation between the objects of two locks (the held one and the acquired one).</summary>
internal sealed class Relation : IEquatable<Relation>
{
    public static readonly Relation Same = new(RelationKind.Same, ImmutableArray<ISymbol>.Empty);
    public static readonly Relation Global = new(RelationKind.Global, ImmutableArray<ISymbol>.Empty);
    public static readonly Relation Unrelated = new(RelationKind.Unrelated, ImmutableArray<ISymbol>.Empty);
    public static readonly Relation FreshObject = new(RelationKind.Fresh, ImmutableArray<ISymbol>.Empty);
    public static readonly Relation Unknown = new(RelationKind.Unknown, ImmutableArray<ISymbol>.Empty);
    public static readonly Relation Other = new(RelationKind.Other, ImmutableArray<ISymbol>.Empty);

    private Relation(RelationKind kind, ImmutableArray<ISymbol> members)
    {
        Kind = kind;
        Members = members;
    }

    public RelationKind Kind { get; }

    public ImmutableArray<ISymbol> Members { get; }

    /// <summary>The relation of <paramref name="inner"/>'s object to <paramref name="outer"/>'s (both in one frame).</summary>
    public static Relation Between(LockKey outerKey, AccessPath outer, LockKey innerKey, AccessPath inner)
    {
        if (outerKey.IsStatic || innerKey.IsStatic)
        {
            return Global;
        }

        if (outer.Root == PathRoot.Fresh || inner.Root == PathRoot.Fresh)
        {
            return FreshObject;
        }

        if (!outer.IsNamed || !inner.IsNamed)
        {
            return Unknown;
        }

        if (outer.Root != inner.Root || !SymbolEqualityComparer.Default.Equals(outer.RootSymbol, inner.RootSymbol))
        {
            return Unrelated;
        }

        if (outer.Equals(inner))
        {
            return Same;
        }

        if (IsPrefix(outer.Members, inner.Members))
        {
            return new Relation(RelationKind.Down, inner.Members.RemoveRange(0, outer.Members.Length));
        }

        if (IsPrefix(inner.Members, outer.Members))
        {
            return new Relation(RelationKind.Up, outer.Members.RemoveRange(0, inner.Members.Length));
        }

        return Unrelated;
    }

    private static bool IsPrefix(ImmutableArray<ISymbol> prefix, ImmutableArray<ISymbol> path)
    {
        if (prefix.Length >= path.Length)
        {
            return false;
        }

        for (int i = 0; i < prefix.Length; i++)
        {
            if (!SymbolEqualityComparer.Default.Equals(prefix[i], path[i]))
            {
                return false;
            }
        }

        return true;
    }

    public bool Equals(Relation? other)
        => other is not null && other.Kind == Kind && AccessPath.SameMembers(Members, other.Members);

    public override bool Equals(object? obj) => Equals(obj as Relation);

    public override int GetHashCode()
    {
        int hash = (int)Kind;
        foreach (ISymbol member in Members)
        {
            hash = (hash * 31) ^ SymbolEqualityComparer.Default.GetHashCode(member);
        }

        return hash;
    }

    public override string ToString() => Members.IsEmpty ? Kind.ToString() : Kind + "(" + string.Join(".", Members.Select(m => m.Name)) + ")";
}
