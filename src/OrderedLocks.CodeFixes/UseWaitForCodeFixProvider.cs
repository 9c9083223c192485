using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using OrderedLocks.Analyzers;

namespace OrderedLocks.CodeFixes;

/// <summary>
/// OL0101: <c>if (!ready) cond.Wait();</c> becomes <c>cond.WaitFor(() => ready);</c> (and the async
/// form <c>await cond.WaitForAsync(...)</c>); <c>if (!ready) Monitor.Wait(x);</c> becomes
/// <c>while (!ready) Monitor.Wait(x);</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseWaitForCodeFixProvider))]
[Shared]
public sealed class UseWaitForCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIdentifiers.WaitNotInPredicateLoop);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            InvocationExpressionSyntax? wait = node.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            if (wait is null || GuardingIf(wait) is not { } guard)
            {
                continue;
            }

            bool monitor = wait.Expression is MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "Monitor" } }
                || (wait.Expression is MemberAccessExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Monitor" } });
            string title = monitor ? "Wait in a while loop that re-checks the condition" : "Use WaitFor with the condition as predicate";
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => FixAsync(context.Document, wait, guard, monitor, ct), nameof(UseWaitForCodeFixProvider) + (monitor ? ".While" : ".WaitFor")),
                diagnostic);
        }
    }

    /// <summary>The <c>if</c> (without else) whose only statement is the wait.</summary>
    private static IfStatementSyntax? GuardingIf(InvocationExpressionSyntax wait)
    {
        SyntaxNode expression = wait.Parent is AwaitExpressionSyntax awaited ? awaited : wait;
        if (expression.Parent is not ExpressionStatementSyntax statement)
        {
            return null;
        }

        SyntaxNode? parent = statement.Parent is BlockSyntax { Statements.Count: 1 } block ? block.Parent : statement.Parent;
        return parent is IfStatementSyntax { Else: null } guard ? guard : null;
    }

    private static async Task<Document> FixAsync(Document document, InvocationExpressionSyntax wait, IfStatementSyntax guard, bool monitor, CancellationToken ct)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        StatementSyntax replacement;
        if (monitor)
        {
            replacement = SyntaxFactory.WhileStatement(guard.Condition, guard.Statement)
                .WithWhileKeyword(SyntaxFactory.Token(SyntaxKind.WhileKeyword).WithTriviaFrom(guard.IfKeyword))
                .WithOpenParenToken(guard.OpenParenToken)
                .WithCloseParenToken(guard.CloseParenToken);
        }
        else
        {
            var access = (MemberAccessExpressionSyntax)wait.Expression;
            bool isAsync = access.Name.Identifier.ValueText == "WaitAsync";
            ExpressionSyntax predicate = SyntaxFactory.ParenthesizedLambdaExpression(Negate(guard.Condition.WithoutTrivia()));
            InvocationExpressionSyntax waitFor = wait
                .WithExpression(access.WithName(SyntaxFactory.IdentifierName(isAsync ? "WaitForAsync" : "WaitFor")))
                .WithArgumentList(wait.ArgumentList.WithArguments(wait.ArgumentList.Arguments.Insert(0, SyntaxFactory.Argument(predicate))));
            ExpressionSyntax call = isAsync ? SyntaxFactory.AwaitExpression(waitFor.WithoutTrivia()) : waitFor.WithoutTrivia();
            replacement = SyntaxFactory.ExpressionStatement(call);
        }

        replacement = replacement.WithLeadingTrivia(guard.GetLeadingTrivia()).WithTrailingTrivia(guard.GetTrailingTrivia()).WithAdditionalAnnotations(Formatter.Annotation);
        return document.WithSyntaxRoot(root.ReplaceNode(guard, replacement));
    }

    private static ExpressionSyntax Negate(ExpressionSyntax condition)
    {
        while (condition is ParenthesizedExpressionSyntax parenthesized)
        {
            condition = parenthesized.Expression;
        }

        if (condition is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not)
        {
            return not.Operand is ParenthesizedExpressionSyntax inner ? inner.Expression : not.Operand;
        }

        if (condition is BinaryExpressionSyntax binary)
        {
            SyntaxKind? inverted = binary.Kind() switch
            {
                SyntaxKind.EqualsExpression => SyntaxKind.NotEqualsExpression,
                SyntaxKind.NotEqualsExpression => SyntaxKind.EqualsExpression,
                SyntaxKind.LessThanExpression => SyntaxKind.GreaterThanOrEqualExpression,
                SyntaxKind.LessThanOrEqualExpression => SyntaxKind.GreaterThanExpression,
                SyntaxKind.GreaterThanExpression => SyntaxKind.LessThanOrEqualExpression,
                SyntaxKind.GreaterThanOrEqualExpression => SyntaxKind.LessThanExpression,
                _ => null,
            };

            if (inverted is { } kind)
            {
                return SyntaxFactory.BinaryExpression(kind, binary.Left.WithoutTrivia(), binary.Right.WithoutTrivia());
            }
        }

        return SyntaxFactory.PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, SyntaxFactory.ParenthesizedExpression(condition));
    }
}
