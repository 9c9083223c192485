using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using OrderedLocks.Analyzers;

namespace OrderedLocks.CodeFixes;

/// <summary>
/// OL0003 / OL0004: turns two directly nested ordered-lock acquisitions into one
/// <c>OrderedLock.AcquireAll(a, b)</c> (or <c>await OrderedLock.AcquireAllAsync(a, b)</c>).
/// </summary>
/// <remarks>
/// Handles stacked or nested <c>using (...)</c> statements and two consecutive <c>using var</c>
/// declarations whose locals are not otherwise used. Acquisitions with arguments (cancellation
/// tokens) are left alone: the set overloads order their parameters differently.
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseAcquireAllCodeFixProvider))]
[Shared]
public sealed class UseAcquireAllCodeFixProvider : CodeFixProvider
{
    private const string Title = "Acquire both locks with one OrderedLock.AcquireAll";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(RuleIdentifiers.SameFieldInstancesNested, RuleIdentifiers.NestedOrderedAcquisitions);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            InvocationExpressionSyntax? inner = node.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            if (inner is null || !IsOrderedAcquire(inner, model, context.CancellationToken, out bool innerAsync))
            {
                continue;
            }

            SyntaxNode? plan = Plan(inner, innerAsync, model, context.CancellationToken);
            if (plan is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => FixAsync(context.Document, inner, innerAsync, ct), nameof(UseAcquireAllCodeFixProvider)),
                diagnostic);
        }
    }

    private static bool IsOrderedAcquire(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken ct, out bool isAsync)
    {
        isAsync = false;
        if (invocation.Expression is not MemberAccessExpressionSyntax access || invocation.ArgumentList.Arguments.Count != 0)
        {
            return false;
        }

        if (model.GetSymbolInfo(invocation, ct).Symbol is not IMethodSymbol method || method.IsStatic)
        {
            return false;
        }

        INamedTypeSymbol? baseType = model.Compilation.GetTypeByMetadataName("OrderedLocks.OrderedLockBase");
        bool ordered = false;
        for (ITypeSymbol? type = method.ContainingType; type is not null; type = type.BaseType)
        {
            ordered |= SymbolEqualityComparer.Default.Equals(type, baseType);
        }

        if (!ordered)
        {
            return false;
        }

        isAsync = method.Name == "AcquireAsync";
        bool awaited = invocation.Parent is AwaitExpressionSyntax;
        _ = access;
        return (method.Name == "Acquire" && !awaited) || (isAsync && awaited);
    }

    /// <summary>The statement to replace: the outer using statement, or the first of two using declarations.</summary>
    private static SyntaxNode? Plan(InvocationExpressionSyntax inner, bool innerAsync, SemanticModel model, CancellationToken ct)
    {
        SyntaxNode resource = innerAsync ? inner.Parent! : inner;
        if (resource.Parent is UsingStatementSyntax innerUsing && innerUsing.Expression == resource)
        {
            UsingStatementSyntax? outer = innerUsing.Parent switch
            {
                UsingStatementSyntax stacked => stacked,
                BlockSyntax { Statements.Count: 1, Parent: UsingStatementSyntax nested } => nested,
                _ => null,
            };

            return outer?.Expression is { } outerResource && OuterAcquire(outerResource, innerAsync, model, ct) is not null ? outer : null;
        }

        if (resource.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax innerDeclaration } } innerDeclarator }
            && innerDeclaration.UsingKeyword != default
            && innerDeclaration.Parent is BlockSyntax block)
        {
            int index = block.Statements.IndexOf(innerDeclaration);
            if (index > 0 && block.Statements[index - 1] is LocalDeclarationStatementSyntax { Declaration.Variables.Count: 1 } outerDeclaration
                && outerDeclaration.UsingKeyword != default
                && outerDeclaration.Declaration.Variables[0].Initializer?.Value is { } outerValue
                && OuterAcquire(outerValue, innerAsync, model, ct) is not null
                && !IsReferenced(block, outerDeclaration.Declaration.Variables[0].Identifier.ValueText, outerDeclaration, innerDeclaration)
                && !IsReferenced(block, innerDeclarator.Identifier.ValueText, outerDeclaration, innerDeclaration))
            {
                return outerDeclaration;
            }
        }

        return null;
    }

    private static InvocationExpressionSyntax? OuterAcquire(ExpressionSyntax resource, bool innerAsync, SemanticModel model, CancellationToken ct)
    {
        ExpressionSyntax expression = resource is AwaitExpressionSyntax awaitExpression ? awaitExpression.Expression : resource;
        return expression is InvocationExpressionSyntax invocation
            && IsOrderedAcquire(invocation, model, ct, out bool outerAsync)
            && outerAsync == innerAsync
                ? invocation
                : null;
    }

    private static bool IsReferenced(BlockSyntax block, string name, params SyntaxNode[] except)
        => block.DescendantNodes()
            .OfType<IdentifierNameSyntax>()
            .Any(id => id.Identifier.ValueText == name && !except.Any(e => e.Span.Contains(id.Span)));

    private static async Task<Document> FixAsync(Document document, InvocationExpressionSyntax inner, bool isAsync, CancellationToken ct)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        SemanticModel? model = await document.GetSemanticModelAsync(ct).ConfigureAwait(false);
        if (root is null || model is null || Plan(inner, isAsync, model, ct) is not { } target)
        {
            return document;
        }

        ExpressionSyntax innerLock = ((MemberAccessExpressionSyntax)inner.Expression).Expression;
        SyntaxNode newNode;
        if (target is UsingStatementSyntax outer)
        {
            InvocationExpressionSyntax outerInvocation = OuterAcquire(outer.Expression!, isAsync, model, ct)!;
            ExpressionSyntax outerLock = ((MemberAccessExpressionSyntax)outerInvocation.Expression).Expression;
            var innerUsing = (UsingStatementSyntax)(isAsync ? inner.Parent!.Parent! : inner.Parent!);
            newNode = outer
                .WithExpression(SetAcquire(outerLock, innerLock, isAsync))
                .WithStatement(innerUsing.Statement.WithoutLeadingTrivia().WithLeadingTrivia(outer.Statement.GetLeadingTrivia()))
                .WithAdditionalAnnotations(Formatter.Annotation);
            return document.WithSyntaxRoot(root.ReplaceNode(outer, newNode));
        }

        var outerDeclaration = (LocalDeclarationStatementSyntax)target;
        var block = (BlockSyntax)outerDeclaration.Parent!;
        LocalDeclarationStatementSyntax innerDeclaration = block.Statements[block.Statements.IndexOf(outerDeclaration) + 1] as LocalDeclarationStatementSyntax ?? outerDeclaration;
        VariableDeclaratorSyntax declarator = outerDeclaration.Declaration.Variables[0];
        InvocationExpressionSyntax outerCall = OuterAcquire(declarator.Initializer!.Value, isAsync, model, ct)!;
        ExpressionSyntax first = ((MemberAccessExpressionSyntax)outerCall.Expression).Expression;
        LocalDeclarationStatementSyntax merged = outerDeclaration.WithDeclaration(
            outerDeclaration.Declaration
                .WithType(SyntaxFactory.IdentifierName("var").WithTriviaFrom(outerDeclaration.Declaration.Type))
                .WithVariables(SyntaxFactory.SingletonSeparatedList(declarator.WithInitializer(declarator.Initializer.WithValue(SetAcquire(first, innerLock, isAsync))))))
            .WithTrailingTrivia(innerDeclaration.GetTrailingTrivia());
        SyntaxList<StatementSyntax> statements = block.Statements.Replace(outerDeclaration, merged).RemoveAt(block.Statements.IndexOf(innerDeclaration));
        return document.WithSyntaxRoot(root.ReplaceNode(block, block.WithStatements(statements)));
    }

    private static ExpressionSyntax SetAcquire(ExpressionSyntax first, ExpressionSyntax second, bool isAsync)
    {
        ExpressionSyntax type = SyntaxFactory.ParseExpression("global::OrderedLocks.OrderedLock").WithAdditionalAnnotations(Simplifier.Annotation);
        InvocationExpressionSyntax call = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, type, SyntaxFactory.IdentifierName(isAsync ? "AcquireAllAsync" : "AcquireAll")),
            SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(new[]
            {
                SyntaxFactory.Argument(first.WithoutTrivia()),
                SyntaxFactory.Argument(second.WithoutTrivia()),
            })));
        return isAsync ? SyntaxFactory.AwaitExpression(call) : call;
    }
}
