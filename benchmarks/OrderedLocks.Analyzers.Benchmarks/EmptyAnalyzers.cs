using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Benchmarks;

/// <summary>
/// The baseline of an analyzer-enabled build: one analyzer with an (empty) operation-block action
/// and an (empty) invocation action, the shape of the SDK's CA and code-style analyzers this
/// repository builds with (AnalysisLevel latest, EnforceCodeStyleInBuild). The driver then binds
/// IOperation trees and materialises every operation of every body — costs an extra analyzer using
/// operations shares rather than adds.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
#pragma warning disable RS1036, RS2008 // benchmark-only analyzer
internal sealed class EmptyOperationBlockAnalyzer : DiagnosticAnalyzer
#pragma warning restore RS1036, RS2008
{
#pragma warning disable RS2008 // benchmark-only descriptor
    private static readonly DiagnosticDescriptor s_rule = new("BENCH001", "Empty", "Empty", "Benchmark", DiagnosticSeverity.Hidden, isEnabledByDefault: true);
#pragma warning restore RS2008

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(s_rule);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationBlockAction(static _ => { });
        context.RegisterOperationAction(static _ => { }, OperationKind.Invocation);
    }
}
