using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// Whether a rule is suppressed at a location by <c>#pragma warning disable</c> or by
/// <c>[SuppressMessage]</c> on the enclosing member or type, so that a cycle suppressed at any one of
/// its sites is silenced as a whole (the compiler only suppresses a diagnostic at its own location).
/// </summary>
/// <remarks>
/// Assembly-level <c>[assembly: SuppressMessage(..., Target = ...)]</c> and .editorconfig severities
/// are not consulted here: they act on the reported diagnostic as usual.
/// </remarks>
internal sealed class Suppressions
{
    private readonly Dictionary<SyntaxTree, List<(int Position, string Id, bool Disable)>> _pragmas = new();

    public bool IsSuppressed(string id, Location location, IMethodSymbol method)
        => location.SourceTree is { } tree && (ByPragma(tree, location.SourceSpan.Start, id) || ByAttribute(method, id));

    private bool ByPragma(SyntaxTree tree, int position, string id)
    {
        if (!_pragmas.TryGetValue(tree, out List<(int Position, string Id, bool Disable)>? directives))
        {
            directives = new List<(int, string, bool)>();
            SyntaxNode root = tree.GetRoot();
            if (root.ContainsDirectives)
            {
                foreach (SyntaxTrivia trivia in root.DescendantTrivia(descendIntoTrivia: true))
                {
                    if (trivia.GetStructure() is PragmaWarningDirectiveTriviaSyntax pragma)
                    {
                        bool disable = pragma.DisableOrRestoreKeyword.IsKind(SyntaxKind.DisableKeyword);
                        if (pragma.ErrorCodes.Count == 0)
                        {
                            directives.Add((pragma.SpanStart, "*", disable));
                        }

                        foreach (ExpressionSyntax code in pragma.ErrorCodes)
                        {
                            directives.Add((pragma.SpanStart, code.ToString().Trim(), disable));
                        }
                    }
                }
            }

            _pragmas[tree] = directives;
        }

        bool suppressed = false;
        foreach ((int at, string code, bool disable) in directives)
        {
            if (at > position)
            {
                break;
            }

            if (code == "*" || string.Equals(code, id, StringComparison.OrdinalIgnoreCase))
            {
                suppressed = disable;
            }
        }

        return suppressed;
    }

    private static bool ByAttribute(IMethodSymbol method, string id)
    {
        for (ISymbol? symbol = method; symbol is not null and not INamespaceSymbol; symbol = symbol.ContainingSymbol)
        {
            if (HasSuppressMessage(symbol, id) || (symbol is IMethodSymbol { AssociatedSymbol: { } associated } && HasSuppressMessage(associated, id)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasSuppressMessage(ISymbol symbol, string id)
    {
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "SuppressMessageAttribute" or "UnconditionalSuppressMessageAttribute" }
                && attribute.ConstructorArguments.Length >= 2
                && attribute.ConstructorArguments[1].Value is string checkId
                && (checkId == id || checkId.StartsWith(id + ":", StringComparison.Ordinal) || checkId.StartsWith(id + " ", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
