using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>One acquiring method of a well-known library lock type.</summary>
internal sealed class LibraryLockApi
{
    public LibraryLockApi(string type, string method, bool scoped, bool reentrant = false, bool lockIsFirstArgument = false, bool isTry = false, bool timedOverloadIsTry = false, bool mustBeAwaited = false)
    {
        Type = type;
        Method = method;
        Scoped = scoped;
        Reentrant = reentrant;
        LockIsFirstArgument = lockIsFirstArgument;
        IsTry = isTry;
        TimedOverloadIsTry = timedOverloadIsTry;
        MustBeAwaited = mustBeAwaited;
    }

    /// <summary>The declaring type's full metadata-style name (namespace and type, arity suffix omitted).</summary>
    public string Type { get; }

    public string Method { get; }

    /// <summary>Returns a scope released by Dispose; otherwise held until the type's Release().</summary>
    public bool Scoped { get; }

    public bool Reentrant { get; }

    /// <summary>The lock is the first argument (a static helper) rather than the receiver.</summary>
    public bool LockIsFirstArgument { get; }

    /// <summary>A non-blocking attempt (cannot close a deadlock cycle).</summary>
    public bool IsTry { get; }

    /// <summary>An overload with a timeout returns whether it succeeded.</summary>
    public bool TimedOverloadIsTry { get; }

    /// <summary>An async acquisition that holds nothing until awaited.</summary>
    public bool MustBeAwaited { get; }
}

/// <summary>
/// The lock APIs of well-known libraries the analyzer recognises, matched by declaring type and
/// method name (never by a method name on an arbitrary type: <c>_pool.Acquire()</c> is not a lock).
/// </summary>
/// <remarks>
/// Recognised: Nito.AsyncEx <c>AsyncLock.LockAsync/Lock</c>, <c>AsyncMonitor.EnterAsync/Enter</c>,
/// <c>AsyncReaderWriterLock.WriterLockAsync/WriterLock</c>; NeoSmart <c>AsyncLock.LockAsync/Lock</c>
/// (reentrant); DotNext <c>AsyncExclusiveLock.AcquireAsync/TryAcquireAsync/TryAcquire</c> with
/// <c>Release()</c>, <c>AsyncLock.AcquireAsync</c> (also on <c>AsyncLock.Exclusive(x)</c>) and
/// <c>AsyncLockAcquisition.AcquireLockAsync(x)</c>; vs-threading <c>AsyncSemaphore.EnterAsync</c>
/// and <c>AsyncReaderWriterLock.WriteLockAsync/UpgradeableReadLockAsync</c> (reentrant in one flow).
/// Reader locks are not exclusive and are not modelled.
/// </remarks>
internal static class LibraryLocks
{
    private static readonly LibraryLockApi[] s_apis =
    {
        new("Nito.AsyncEx.AsyncLock", "LockAsync", scoped: true, mustBeAwaited: true),
        new("Nito.AsyncEx.AsyncLock", "Lock", scoped: true),
        new("Nito.AsyncEx.AsyncMonitor", "EnterAsync", scoped: true, mustBeAwaited: true),
        new("Nito.AsyncEx.AsyncMonitor", "Enter", scoped: true),
        new("Nito.AsyncEx.AsyncReaderWriterLock", "WriterLockAsync", scoped: true, mustBeAwaited: true),
        new("Nito.AsyncEx.AsyncReaderWriterLock", "WriterLock", scoped: true),
        new("NeoSmart.AsyncLock.AsyncLock", "LockAsync", scoped: true, reentrant: true, mustBeAwaited: true),
        new("NeoSmart.AsyncLock.AsyncLock", "Lock", scoped: true, reentrant: true),
        new("DotNext.Threading.AsyncExclusiveLock", "AcquireAsync", scoped: false, mustBeAwaited: true),
        new("DotNext.Threading.AsyncExclusiveLock", "TryAcquireAsync", scoped: false, isTry: true, mustBeAwaited: true),
        new("DotNext.Threading.AsyncExclusiveLock", "TryAcquire", scoped: false, isTry: true),
        new("DotNext.Threading.AsyncLock", "AcquireAsync", scoped: true, mustBeAwaited: true),
        new("DotNext.Threading.AsyncLock", "TryAcquireAsync", scoped: true, isTry: true, mustBeAwaited: true),
        new("DotNext.Threading.AsyncLockAcquisition", "AcquireLockAsync", scoped: true, lockIsFirstArgument: true, mustBeAwaited: true),
        new("Microsoft.VisualStudio.Threading.AsyncSemaphore", "EnterAsync", scoped: true, mustBeAwaited: true),
        new("Microsoft.VisualStudio.Threading.AsyncReaderWriterLock", "WriteLockAsync", scoped: true, reentrant: true),
        new("Microsoft.VisualStudio.Threading.AsyncReaderWriterLock", "UpgradeableReadLockAsync", scoped: true, reentrant: true),
    };

    private static readonly System.Collections.Generic.HashSet<string> s_methodNames = new(System.Linq.Enumerable.Select(s_apis, a => a.Method), System.StringComparer.Ordinal);

    /// <summary>The names of every recognised library lock method.</summary>
    public static System.Collections.Generic.IEnumerable<string> MethodNames => s_methodNames;

    /// <summary>The API <paramref name="method"/> is, looked up by its declaring type or, for inherited members, the receiver's type.</summary>
    public static LibraryLockApi? Find(IMethodSymbol method, ITypeSymbol? receiverType)
    {
        if (method.ContainingType is null || !s_methodNames.Contains(method.Name))
        {
            // Most invocations: no library lock API has this name, so the (allocating) type names are never built.
            return null;
        }

        LibraryLockApi? api = Find(FullName(method.ContainingType), method.Name);
        if (api is null && receiverType is not null && !SymbolEqualityComparer.Default.Equals(receiverType.OriginalDefinition, method.ContainingType.OriginalDefinition))
        {
            api = Find(FullName(receiverType), method.Name);
        }

        return api;
    }

    private static LibraryLockApi? Find(string type, string method)
    {
        foreach (LibraryLockApi api in s_apis)
        {
            if (api.Method == method && api.Type == type)
            {
                return api;
            }
        }

        return null;
    }

    /// <summary>A type whose <c>Release()</c> ends a flow-held acquisition (DotNext AsyncExclusiveLock).</summary>
    public static bool IsFlowReleased(INamedTypeSymbol? type)
        => type is not null && FullName(type) == "DotNext.Threading.AsyncExclusiveLock";

    public static bool IsDotNextAsyncLock(INamedTypeSymbol? type)
        => type is not null && FullName(type) == "DotNext.Threading.AsyncLock";

    public static string FullName(ITypeSymbol type)
    {
        ITypeSymbol definition = type.OriginalDefinition;
        string ns = definition.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() + "." : string.Empty;
        string outer = definition.ContainingType is { } containing ? FullName(containing).Substring(ns.Length) + "." : string.Empty;
        return ns + outer + definition.Name;
    }
}
