using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Rules;

/// <summary>OL0006: a non-reentrant lock acquired again by the flow that holds it (self-deadlock).</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OL0006NonReentrantReacquisitionAnalyzer : OrderedLocksAnalyzerBase
{
    private static readonly DiagnosticDescriptor s_rule = Describe(
        RuleIdentifiers.NonReentrantReacquisition,
        "Non-reentrant lock acquired again while held",
        "'{0}' is acquired again while this flow already holds it{1}; it is not reentrant",
        RuleIdentifiers.DeadlockCategory,
        "SemaphoreSlim, async locks and OrderedLock are not reentrant: acquiring one again while the same flow holds it waits for itself forever (or throws). Use ReentrantOrderedLock, or split the method into a locked entry point and an unlocked helper.",
        compilationEnd: true);

    private protected override DiagnosticDescriptor Rule => s_rule;

    private protected override bool ReportsGraphFindings => true;
}
