using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Benchmarks;

/// <summary>
/// The floor: an analyzer that asks for every operation block (as the lock model does) and does
/// nothing with it. Its cost is the analyzer driver's (binding for IOperation trees), not ours.
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
    }
}
