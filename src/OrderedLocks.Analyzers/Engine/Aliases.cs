using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// Members that are another member under a second name: a property whose getter only returns a
/// field (<c>protected object SyncObject => syncObject;</c>), a readonly field initialised from
/// another field, a parameterless method that only returns a field (<c>static object Get() => s_box;</c>).
/// <c>lock (SyncObject)</c> and <c>lock (syncObject)</c> are then one lock.
/// </summary>
/// <remarks>
/// Read from the declaration's syntax (one identifier or <c>this.</c>/<c>Type.</c> member access,
/// looked up among the members of the declaring type and its bases), so the answer does not depend
/// on which blocks were analysed first and needs no semantic model of another file. Virtual,
/// abstract and override members are not aliases (an override may return something else).
/// </remarks>
internal sealed class Aliases
{
    private readonly ConcurrentDictionary<ISymbol, ISymbol?> _cache = new(SymbolEqualityComparer.Default);

    /// <summary>The member <paramref name="member"/> stands for, or null when it is itself.</summary>
    public ISymbol? Of(ISymbol member)
    {
        member = member.OriginalDefinition;
        if (member is not (IPropertySymbol or IFieldSymbol or IMethodSymbol) || member.IsVirtual || member.IsAbstract || member.IsOverride)
        {
            return null;
        }

        return _cache.GetOrAdd(member, static m => Compute(m));
    }

    private static ISymbol? Compute(ISymbol member)
    {
        if (member is IMethodSymbol { Parameters.Length: > 0 } or IMethodSymbol { IsGenericMethod: true } || member.ContainingType is null)
        {
            return null;
        }

        if (member is IFieldSymbol { IsReadOnly: false })
        {
            return null;
        }

        foreach (SyntaxReference reference in member.DeclaringSyntaxReferences)
        {
            ExpressionSyntax? returned = reference.GetSyntax() switch
            {
                PropertyDeclarationSyntax property => property.ExpressionBody?.Expression ?? GetterExpression(property.AccessorList),
                MethodDeclarationSyntax method => method.ExpressionBody?.Expression ?? SingleReturn(method.Body),
                VariableDeclaratorSyntax declarator => declarator.Initializer?.Value,
                _ => null,
            };

            ISymbol? target = returned is null ? null : Lookup(member, returned);
            if (target is not null && !SymbolEqualityComparer.Default.Equals(target, member))
            {
                return target;
            }
        }

        return null;
    }

    private static ExpressionSyntax? GetterExpression(AccessorListSyntax? accessors)
    {
        if (accessors is null)
        {
            return null;
        }

        foreach (AccessorDeclarationSyntax accessor in accessors.Accessors)
        {
            if (accessor.IsKind(SyntaxKind.GetAccessorDeclaration))
            {
                return accessor.ExpressionBody?.Expression ?? SingleReturn(accessor.Body);
            }
        }

        return null;
    }

    private static ExpressionSyntax? SingleReturn(BlockSyntax? body)
        => body is { Statements.Count: 1 } && body.Statements[0] is ReturnStatementSyntax { Expression: { } expression } ? expression : null;

    /// <summary>The field or property named by <paramref name="expression"/> in the declaring type (or a base).</summary>
    private static ISymbol? Lookup(ISymbol member, ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized.Expression;
        }

        string? name = expression switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax n } => n.Identifier.ValueText,
            MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax owner, Name: IdentifierNameSyntax n } when owner.Identifier.ValueText == member.ContainingType.Name => n.Identifier.ValueText,
            _ => null,
        };

        if (name is null)
        {
            return null;
        }

        for (INamedTypeSymbol? type = member.ContainingType; type is not null; type = type.BaseType)
        {
            foreach (ISymbol candidate in type.GetMembers(name))
            {
                switch (candidate)
                {
                    case IFieldSymbol { IsConst: false } field when field.IsStatic || !member.IsStatic:
                        return field;
                    case IPropertySymbol { IsIndexer: false } property when property.IsStatic || !member.IsStatic:
                        return property;
                }
            }
        }

        return null;
    }
}
