using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// Whether a lock member has a declared rank, decided from its own declaration so that a method-local
/// rule does not depend on which blocks were analysed first: <c>[LockRank(n)]</c>, or a
/// <c>rank</c> argument (named or second positional) other than the literal 0 in its initializer.
/// </summary>
internal static class RankSyntax
{
    public static bool HasDeclaredRank(ISymbol member, KnownTypes types)
    {
        if (member is not (IFieldSymbol or IPropertySymbol))
        {
            return false;
        }

        if (types.LockRankAttribute is not null && member.GetAttributes().Any(a => KnownTypes.Is(a.AttributeClass, types.LockRankAttribute)))
        {
            return true;
        }

        foreach (SyntaxReference reference in member.DeclaringSyntaxReferences)
        {
            ExpressionSyntax? initializer = reference.GetSyntax() switch
            {
                VariableDeclaratorSyntax declarator => declarator.Initializer?.Value,
                PropertyDeclarationSyntax property => property.Initializer?.Value,
                _ => null,
            };

            ArgumentListSyntax? arguments = initializer switch
            {
                ObjectCreationExpressionSyntax creation => creation.ArgumentList,
                ImplicitObjectCreationExpressionSyntax implicitCreation => implicitCreation.ArgumentList,
                _ => null,
            };

            if (arguments is null)
            {
                continue;
            }

            for (int i = 0; i < arguments.Arguments.Count; i++)
            {
                ArgumentSyntax argument = arguments.Arguments[i];
                bool isRank = argument.NameColon is { } name ? name.Name.Identifier.ValueText == "rank" : i == 1;
                if (isRank)
                {
                    return !(argument.Expression is LiteralExpressionSyntax literal && literal.Token.Value is 0);
                }
            }
        }

        return false;
    }
}
