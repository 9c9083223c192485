using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>The types the lock model recognises, resolved once per compilation by metadata name.</summary>
internal sealed class KnownTypes
{
    public KnownTypes(Compilation compilation)
    {
        Monitor = compilation.GetTypeByMetadataName("System.Threading.Monitor");
        ThreadingLock = compilation.GetTypeByMetadataName("System.Threading.Lock");
        SemaphoreSlim = compilation.GetTypeByMetadataName("System.Threading.SemaphoreSlim");
        ReaderWriterLockSlim = compilation.GetTypeByMetadataName("System.Threading.ReaderWriterLockSlim");
        Mutex = compilation.GetTypeByMetadataName("System.Threading.Mutex");
        Disposable = compilation.GetTypeByMetadataName("System.IDisposable");
        AsyncDisposable = compilation.GetTypeByMetadataName("System.IAsyncDisposable");
        MethodImplAttribute = compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.MethodImplAttribute");

        // A type name that no assembly defines is the slowest lookup (every referenced assembly is
        // searched): the library's types are only looked up when the library is there.
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

    public INamedTypeSymbol? Monitor { get; }

    public INamedTypeSymbol? ThreadingLock { get; }

    public INamedTypeSymbol? SemaphoreSlim { get; }

    public INamedTypeSymbol? ReaderWriterLockSlim { get; }

    public INamedTypeSymbol? Mutex { get; }

    public INamedTypeSymbol? Disposable { get; }

    public INamedTypeSymbol? AsyncDisposable { get; }

    public INamedTypeSymbol? MethodImplAttribute { get; }

    public INamedTypeSymbol? OrderedLock { get; }

    public INamedTypeSymbol? ReentrantOrderedLock { get; }

    public INamedTypeSymbol? OrderedLockBase { get; }

    public INamedTypeSymbol? LockScope { get; }

    public INamedTypeSymbol? LockSetScope { get; }

    public INamedTypeSymbol? OrderedCondition { get; }

    public INamedTypeSymbol? LockRankAttribute { get; }

    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? known)
        => known is not null && type is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known);

    public bool IsOrderedLockType(ITypeSymbol? type)
    {
        if (OrderedLockBase is null || type is null)
        {
            return false;
        }

        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, OrderedLockBase))
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
