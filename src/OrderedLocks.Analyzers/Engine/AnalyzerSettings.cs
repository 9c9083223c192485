using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>How strictly lock identity is judged (<c>orderedlocks.lock_identity</c>).</summary>
internal enum IdentityLevel
{
    /// <summary>
    /// Default. Locks are told apart by object: a cycle is reported only when one set of objects can
    /// close it (a lock reached through a wrapper's own field, or on a fresh object, does not count
    /// as the same lock); where identity is uncertain, the analyzer stays quiet.
    /// </summary>
    Objects,

    /// <summary>Opt-in, stricter: one lock per field or property, whatever object it belongs to (lockdep's lock classes).</summary>
    Fields,
}

/// <summary>
/// The analyzer's .editorconfig / .globalconfig options, read once per compilation:
/// <list type="bullet">
/// <item><c>orderedlocks.lock_types = My.Ns.AsyncGate, My.Ns.Latch</c> — user lock types: any method of them returning a disposable (possibly awaited) acquires the receiver.</item>
/// <item><c>orderedlocks.reentrant_lock_types = My.Ns.Gate</c> — the same, reentrant (re-entry adds no order and is no self-deadlock).</item>
/// <item><c>orderedlocks.lock_identity = objects | fields</c> — see <see cref="IdentityLevel"/>.</item>
/// <item><c>orderedlocks.lock_name_heuristic = true</c> — also treat <c>Lock/LockAsync/Acquire/Enter…</c> returning a disposable on any type as a lock (the old, noisy default).</item>
/// </list>
/// </summary>
internal sealed class AnalyzerSettings
{
    public const string LockTypesKey = "orderedlocks.lock_types";
    public const string ReentrantLockTypesKey = "orderedlocks.reentrant_lock_types";
    public const string IdentityKey = "orderedlocks.lock_identity";
    public const string NameHeuristicKey = "orderedlocks.lock_name_heuristic";

    public static readonly AnalyzerSettings Default = new(new HashSet<string>(), new HashSet<string>(), IdentityLevel.Objects, nameHeuristic: false);

    private readonly HashSet<string> _lockTypes;
    private readonly HashSet<string> _reentrantLockTypes;

    private AnalyzerSettings(HashSet<string> lockTypes, HashSet<string> reentrantLockTypes, IdentityLevel identity, bool nameHeuristic)
    {
        _lockTypes = lockTypes;
        _reentrantLockTypes = reentrantLockTypes;
        Identity = identity;
        NameHeuristic = nameHeuristic;
    }

    public IdentityLevel Identity { get; }

    public bool NameHeuristic { get; }

    /// <summary>Reads the options from the global config and from the options of every syntax tree (an .editorconfig applies per file; the union is taken).</summary>
    public static AnalyzerSettings Read(Compilation compilation, AnalyzerConfigOptionsProvider? provider)
    {
        if (provider is null)
        {
            return Default;
        }

        var lockTypes = new HashSet<string>(StringComparer.Ordinal);
        var reentrant = new HashSet<string>(StringComparer.Ordinal);
        IdentityLevel identity = IdentityLevel.Objects;
        bool heuristic = false;
        void ReadFrom(AnalyzerConfigOptions options)
        {
            if (options.TryGetValue(LockTypesKey, out string? types))
            {
                AddNames(lockTypes, types);
            }

            if (options.TryGetValue(ReentrantLockTypesKey, out string? reentrantTypes))
            {
                AddNames(lockTypes, reentrantTypes);
                AddNames(reentrant, reentrantTypes);
            }

            if (options.TryGetValue(IdentityKey, out string? level) && string.Equals(level.Trim(), "fields", StringComparison.OrdinalIgnoreCase))
            {
                identity = IdentityLevel.Fields;
            }

            if (options.TryGetValue(NameHeuristicKey, out string? names) && string.Equals(names.Trim(), "true", StringComparison.OrdinalIgnoreCase))
            {
                heuristic = true;
            }
        }

        ReadFrom(provider.GlobalOptions);
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            ReadFrom(provider.GetOptions(tree));
        }

        return lockTypes.Count == 0 && identity == IdentityLevel.Objects && !heuristic
            ? Default
            : new AnalyzerSettings(lockTypes, reentrant, identity, heuristic);
    }

    /// <summary>Gets a value indicating whether the options name any user lock type.</summary>
    public bool HasLockTypes => _lockTypes.Count > 0;

    /// <summary>True when <paramref name="type"/> (or a base type) is a user lock type named in the options.</summary>
    public bool IsLockType(ITypeSymbol? type, out bool reentrant)
    {
        reentrant = false;
        if (_lockTypes.Count == 0)
        {
            return false;
        }

        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            string name = LibraryLocks.FullName(t);
            if (_lockTypes.Contains(name))
            {
                reentrant = _reentrantLockTypes.Contains(name);
                return true;
            }
        }

        return false;
    }

    private static void AddNames(HashSet<string> into, string list)
    {
        foreach (string part in list.Split(new[] { ',', ';', ' ' }, StringSplitOptions.RemoveEmptyEntries))
        {
            into.Add(part.Trim());
        }
    }
}
