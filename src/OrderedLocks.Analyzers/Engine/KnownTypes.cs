using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// The types the lock model recognises. The BCL ones are matched by full name (<see cref="KnownType"/>),
/// never looked up: a <c>GetTypeByMetadataName</c> search loads the namespaces of every referenced
/// assembly, which cost a quarter of a second per compilation on a netstandard project with a
/// hundred facades. The library's own types are looked up once, and only when the compilation is or
/// references OrderedLocks.
/// </summary>
internal sealed class KnownTypes
{
    private readonly System.Lazy<LibraryTypes> _library;

    public KnownTypes(Compilation compilation)
    {
        // Looked up on first use, from a walk: by then the compiler has bound the references, which
        // a look-up from the compilation-start action would otherwise do first and be charged for.
        _library = new System.Lazy<LibraryTypes>(() => new LibraryTypes(compilation), System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The library's types, or nulls when the compilation neither is nor references OrderedLocks.</summary>
    private sealed class LibraryTypes
    {
        public LibraryTypes(Compilation compilation)
        {
            // A type name that no assembly defines is the slowest lookup (every referenced assembly
            // is searched): the library's types are only looked up when the library is there.
            if (!ReferencesLibrary(compilation))
            {
                return;
            }

            OrderedLock = compilation.GetTypeByMetadataName("OrderedLocks.OrderedLock");
            ReentrantOrderedLock = compilation.GetTypeByMetadataName("OrderedLocks.ReentrantOrderedLock");
            OrderedLockBase = compilation.GetTypeByMetadataName("OrderedLocks.OrderedLockBase");
            LockScope = compilation.GetTypeByMetadataName("OrderedLocks.LockScope");
            LockSetScope = compilation.GetTypeByMetadataName("OrderedLocks.LockSetScope");
            OrderedCondition = compilation.GetTypeByMetadataName("OrderedLocks.OrderedCondition");
            LockRankAttribute = compilation.GetTypeByMetadataName("OrderedLocks.LockRankAttribute");
        }

        public INamedTypeSymbol? OrderedLock { get; }

        public INamedTypeSymbol? ReentrantOrderedLock { get; }

        public INamedTypeSymbol? OrderedLockBase { get; }

        public INamedTypeSymbol? LockScope { get; }

        public INamedTypeSymbol? LockSetScope { get; }

        public INamedTypeSymbol? OrderedCondition { get; }

        public INamedTypeSymbol? LockRankAttribute { get; }
    }

    /// <summary>The compilation is the OrderedLocks library itself or references it.</summary>
    private static bool ReferencesLibrary(Compilation compilation)
    {
        if (compilation.AssemblyName == LibraryAssemblyName)
        {
            return true;
        }

        foreach (AssemblyIdentity identity in compilation.ReferencedAssemblyNames)
        {
            if (identity.Name == LibraryAssemblyName)
            {
                return true;
            }
        }

        return false;
    }

    private const string LibraryAssemblyName = "OrderedLocks";

    public KnownType Monitor { get; } = new("System.Threading.Monitor");

    public KnownType ThreadingLock { get; } = new("System.Threading.Lock");

    public KnownType SemaphoreSlim { get; } = new("System.Threading.SemaphoreSlim");

    public KnownType ReaderWriterLockSlim { get; } = new("System.Threading.ReaderWriterLockSlim");

    public KnownType Mutex { get; } = new("System.Threading.Mutex");

    public KnownType Disposable { get; } = new("System.IDisposable");

    public KnownType AsyncDisposable { get; } = new("System.IAsyncDisposable");

    public KnownType MethodImplAttribute { get; } = new("System.Runtime.CompilerServices.MethodImplAttribute");

    public INamedTypeSymbol? OrderedLock => _library.Value.OrderedLock;

    public INamedTypeSymbol? ReentrantOrderedLock => _library.Value.ReentrantOrderedLock;

    public INamedTypeSymbol? OrderedLockBase => _library.Value.OrderedLockBase;

    public INamedTypeSymbol? LockScope => _library.Value.LockScope;

    public INamedTypeSymbol? LockSetScope => _library.Value.LockSetScope;

    public INamedTypeSymbol? OrderedCondition => _library.Value.OrderedCondition;

    public INamedTypeSymbol? LockRankAttribute => _library.Value.LockRankAttribute;

    public static bool Is(ITypeSymbol? type, KnownType known) => known.Matches(type);

    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? known)
        => known is not null && type is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known);

    public bool IsOrderedLockType(ITypeSymbol? type)
    {
        if (type is null || OrderedLockBase is not { } orderedLockBase)
        {
            return false;
        }

        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, orderedLockBase))
            {
                return true;
            }
        }

        return false;
    }

    public bool IsDisposable(ITypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        if (Is(type, Disposable) || Is(type, AsyncDisposable))
        {
            return true;
        }

        foreach (INamedTypeSymbol i in type.AllInterfaces)
        {
            if (Is(i, Disposable) || Is(i, AsyncDisposable))
            {
                return true;
            }
        }

        // ref structs (System.Threading.Lock.Scope) are disposable by pattern.
        if (type.IsRefLikeType)
        {
            foreach (ISymbol m in type.GetMembers("Dispose"))
            {
                if (m is IMethodSymbol { Parameters.Length: 0, IsStatic: false })
                {
                    return true;
                }
            }
        }

        return false;
    }
}

/// <summary>A BCL type recognised by its full name: namespace, name and no generic arity.</summary>
/// <remarks>
/// Matching by name also recognises a polyfill of the same full name (a <c>System.Threading.Lock</c>
/// declared for an older target framework), which is the same lock to the reader of the code.
/// </remarks>
internal sealed class KnownType
{
    private readonly string _name;
    private readonly string[] _namespace;

    public KnownType(string fullName)
    {
        string[] parts = fullName.Split('.');
        _name = parts[parts.Length - 1];
        _namespace = new string[parts.Length - 1];
        System.Array.Copy(parts, _namespace, _namespace.Length);
    }

    public bool Matches(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol { Arity: 0 } named || named.Name != _name || named.ContainingType is not null)
        {
            return false;
        }

        INamespaceSymbol? ns = named.ContainingNamespace;
        for (int i = _namespace.Length - 1; i >= 0; i--)
        {
            if (ns is null || ns.IsGlobalNamespace || ns.Name != _namespace[i])
            {
                return false;
            }

            ns = ns.ContainingNamespace;
        }

        return ns is { IsGlobalNamespace: true };
    }
}
