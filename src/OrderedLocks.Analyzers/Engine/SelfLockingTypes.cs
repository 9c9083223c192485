using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// The classes of a compilation that lock their own object (<c>lock (this)</c>), so that a lock on a
/// local or parameter whose value the walker cannot trace (<c>var box = Pool.Rent(); lock (box)</c>)
/// can be recognised as that class's <c>this</c> lock: the monitor of some object of that class.
/// </summary>
/// <remarks>
/// A call <c>box.Signal()</c> whose body does <c>lock (this)</c> already gives the caller the key
/// "this of the box's class" on the object <c>box</c>; a direct <c>lock (box)</c> is the same monitor
/// and gets the same key, but only when exactly one self-locking class fits the local's static type
/// (it is, derives from, or shares a source interface with it). With none or several candidates the
/// lock stays method-local (uncertain identity: quiet). Read from syntax once per compilation (by
/// <see cref="LockModel.SelfLocking"/>), so the answer does not depend on analysis order.
/// </remarks>
internal sealed class SelfLockingTypes
{
    private readonly ImmutableArray<INamedTypeSymbol> _types;
    private readonly Dictionary<ITypeSymbol, INamedTypeSymbol?> _resolved = new(SymbolEqualityComparer.Default);

    /// <summary>Reads the classes of <paramref name="compilation"/> that lock <c>this</c>.</summary>
    /// <param name="compilation">The compilation.</param>
    /// <param name="lockWordPositions">Where each tree names a lock word (<see cref="LockModel.LockWordPositions"/>): the same index the deferred walks use, so no file's text is read twice.</param>
    public SelfLockingTypes(Compilation compilation, System.Func<SyntaxTree, int[]> lockWordPositions)
    {
        // The class declarations that lock `this` (a set of nodes: a set of tuples is runtime generic
        // code compiled in the compiler's process).
        var declarations = new HashSet<ClassDeclarationSyntax>();
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            // Walking every node of a tree materialises its whole red tree (that was most of this
            // scan's time on large code bases): only the tokens where the text has the word are
            // looked up, in order (a lock statement starts with its keyword, always a whole word).
            int[] words = lockWordPositions(tree);
            if (words.Length == 0)
            {
                continue;
            }

            SourceText text = tree.GetText();
            SyntaxNode? root = null;
            foreach (int position in words)
            {
                if (!IsLockWord(text, position))
                {
                    continue;
                }

                root ??= tree.GetRoot();
                SyntaxToken token = root.FindToken(position);
                if (token.SpanStart != position || !token.IsKind(SyntaxKind.LockKeyword) || token.Parent is not LockStatementSyntax statement)
                {
                    continue;
                }

                ExpressionSyntax expression = statement.Expression;
                while (expression is ParenthesizedExpressionSyntax parenthesized)
                {
                    expression = parenthesized.Expression;
                }

                if (expression is ThisExpressionSyntax && statement.FirstAncestorOrSelf<TypeDeclarationSyntax>() is ClassDeclarationSyntax type)
                {
                    declarations.Add(type);
                }
            }
        }

        var types = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (ClassDeclarationSyntax declaration in declarations)
        {
            SyntaxTree tree = declaration.SyntaxTree;
            int start = declaration.SpanStart;
            foreach (ISymbol symbol in compilation.GetSymbolsWithName(declaration.Identifier.ValueText, SymbolFilter.Type))
            {
                if (symbol is INamedTypeSymbol named
                    && named.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == tree && r.Span.Start <= start && start < r.Span.End))
                {
                    types.Add(named.OriginalDefinition);
                }
            }
        }

        _types = types.ToImmutableArray();
    }

    // The lock words are whole words: the one at `position` is the keyword's text when it is "lock".
    private static bool IsLockWord(SourceText text, int position)
        => position + 4 <= text.Length && text[position] == 'l' && text[position + 1] == 'o' && text[position + 2] == 'c' && text[position + 3] == 'k';

    /// <summary>The one self-locking class an object of static type <paramref name="type"/> can be an instance of; null when none or several.</summary>
    public INamedTypeSymbol? For(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol named || named.SpecialType != SpecialType.None || _types.IsEmpty
            || named.TypeKind is not (TypeKind.Class or TypeKind.Interface))
        {
            return null;
        }

        named = named.OriginalDefinition;
        lock (_resolved)
        {
            if (_resolved.TryGetValue(named, out INamedTypeSymbol? known))
            {
                return known;
            }
        }

        INamedTypeSymbol? found = null;
        int count = 0;
        foreach (INamedTypeSymbol candidate in _types)
        {
            if (Fits(candidate, named))
            {
                found = candidate;
                count++;
            }
        }

        INamedTypeSymbol? result = count == 1 ? found : null;
        lock (_resolved)
        {
            _resolved[named] = result;
        }

        return result;
    }

    /// <summary>An object of static type <paramref name="type"/> can be a <paramref name="candidate"/> (or a subclass of it).</summary>
    private static bool Fits(INamedTypeSymbol candidate, INamedTypeSymbol type)
    {
        if (DerivesFrom(candidate, type) || DerivesFrom(type, candidate))
        {
            return true;
        }

        if (type.TypeKind != TypeKind.Interface)
        {
            return false;
        }

        // An interface the class implements, or one that extends an interface the class implements
        // (a subclass of it may implement the rest); metadata interfaces (IDisposable, ...) say nothing.
        foreach (INamedTypeSymbol shared in type.AllInterfaces.Add(type))
        {
            if (shared.Locations.Any(l => l.IsInSource)
                && candidate.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, shared.OriginalDefinition)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol baseType)
    {
        for (INamedTypeSymbol? t = type.OriginalDefinition; t is not null; t = t.BaseType?.OriginalDefinition)
        {
            if (SymbolEqualityComparer.Default.Equals(t, baseType))
            {
                return true;
            }
        }

        return false;
    }
}
