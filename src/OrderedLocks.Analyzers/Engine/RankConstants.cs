using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// The constant value of a rank argument. The real constructors take <c>int? rank</c>, so an
/// argument arrives wrapped in an implicit <c>int</c> → <c>int?</c> conversion that has no constant
/// value of its own: the conversion is unwrapped. Literals, <c>const</c> fields and
/// <c>static readonly</c> fields initialised from a literal or a <c>const</c> count as constant.
/// </summary>
internal static class RankConstants
{
    public static int? ValueOf(IOperation value)
    {
        for (int depth = 0; depth < 4; depth++)
        {
            if (value.ConstantValue is { HasValue: true, Value: int constant })
            {
                return constant;
            }

            switch (value)
            {
                case IConversionOperation conversion:
                    value = conversion.Operand;
                    continue;
                case IParenthesizedOperation parenthesized:
                    value = parenthesized.Operand;
                    continue;
                case IFieldReferenceOperation { Field: { IsStatic: true, IsReadOnly: true } field }:
                    return ReadonlyInitializer(field);
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary><c>static readonly int Rank = 3;</c> or <c>= SomeConst;</c> (a const of the same type), read from syntax.</summary>
    private static int? ReadonlyInitializer(IFieldSymbol field)
    {
        foreach (SyntaxReference reference in field.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: { } initializer })
            {
                continue;
            }

            switch (initializer)
            {
                case LiteralExpressionSyntax { Token.Value: int literal }:
                    return literal;
                case PrefixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.UnaryMinusExpression, Operand: LiteralExpressionSyntax { Token.Value: int negative } }:
                    return -negative;
                case IdentifierNameSyntax name:
                    foreach (ISymbol member in field.ContainingType.GetMembers(name.Identifier.ValueText))
                    {
                        if (member is IFieldSymbol { IsConst: true, ConstantValue: int value })
                        {
                            return value;
                        }
                    }

                    break;
            }
        }

        return null;
    }
}
