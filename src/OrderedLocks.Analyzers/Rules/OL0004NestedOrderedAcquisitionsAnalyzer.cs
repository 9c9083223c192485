using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Rules;

/// <summary>OL0004: directly nested ordered-lock acquisitions that should be one AcquireAll.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OL0004NestedOrderedAcquisitionsAnalyzer : OrderedLocksAnalyzerBase
{
    private static readonly DiagnosticDescriptor s_rule = Describe(
        RuleIdentifiers.NestedOrderedAcquisitions,
        "Nested ordered-lock acquisitions should be one AcquireAll",
        "'{1}' is acquired directly inside '{0}'; acquire both with one OrderedLock.AcquireAll",
        RuleIdentifiers.DeadlockCategory,
        "Two ordered locks acquired one directly inside the other, with nothing in between, hard-code an order that other code may not share. OrderedLock.AcquireAll / AcquireAllAsync takes them together in the one global order.",
        compilationEnd: false);

    private protected override DiagnosticDescriptor Rule => s_rule;

    private protected override bool ReportsLocalFindings => true;
}
