using System;
using Microsoft.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>What a lock's identity is anchored to.</summary>
internal enum LockKeyKind
{
    /// <summary>A field or property (static or instance): the usual lock object.</summary>
    Member,

    /// <summary><c>lock (this)</c> or an instance <c>[MethodImpl(Synchronized)]</c> method.</summary>
    This,

    /// <summary><c>lock (typeof(T))</c> or a static <c>[MethodImpl(Synchronized)]</c> method.</summary>
    Type,

    /// <summary>A parameter or local: an identity within one method only, never part of the order graph.</summary>
    Local,
}

/// <summary>
/// The compile-time identity of a lock: the field or property symbol that holds it (or the type for
/// <c>this</c> and <c>typeof</c> locks). Two classes whose fields share a name have different keys;
/// all instances of one instance field share a key (instances are told apart by <see cref="Hold.Instance"/>).
/// </summary>
internal sealed class LockKey : IEquatable<LockKey>
{
    public LockKey(ISymbol symbol, LockKeyKind kind, string? index = null)
    {
        Symbol = symbol.OriginalDefinition;
        Kind = kind;
        Index = index;
        IsStatic = kind == LockKeyKind.Type || symbol.IsStatic;
    }

    /// <summary>For an element of a lock array at constant indices (<c>_locks[0]</c>): those indices; each is its own lock.</summary>
    public string? Index { get; }

    public ISymbol Symbol { get; }

    public LockKeyKind Kind { get; }

    /// <summary>True when there is one lock for the whole program (static member or type lock).</summary>
    public bool IsStatic { get; }

    /// <summary>The name messages give the lock, made when first asked (most keys never appear in one).</summary>
    public string Display => _display ??= Kind switch
    {
        LockKeyKind.This => "this (" + Symbol.Name + ")",
        LockKeyKind.Type => "typeof(" + Symbol.Name + ")",
        LockKeyKind.Local => Symbol.Name,
        _ => (Symbol.ContainingType is null ? string.Empty : Symbol.ContainingType.Name + ".") + Symbol.Name,
    } + (Index is null ? string.Empty : "[" + Index + "]");

    private string? _display;

    public bool Equals(LockKey? other)
        => other is not null && other.Kind == Kind && other.Index == Index && SymbolEqualityComparer.Default.Equals(other.Symbol, Symbol);

    public override bool Equals(object? obj) => Equals(obj as LockKey);

    public override int GetHashCode() => (SymbolEqualityComparer.Default.GetHashCode(Symbol) * 31) + (int)Kind + (Index is null ? 0 : Index.GetHashCode());

    public override string ToString() => Display;
}
