using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Rules;

/// <summary>OL0001: a cycle in the compilation-wide lock-order graph (a potential deadlock).</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OL0001InconsistentLockOrderAnalyzer : OrderedLocksAnalyzerBase
{
    private static readonly DiagnosticDescriptor s_rule = Describe(
        RuleIdentifiers.InconsistentLockOrder,
        "Inconsistent lock order",
        "Inconsistent lock order can deadlock: {0}",
        RuleIdentifiers.DeadlockCategory,
        "Locks are acquired in an order that forms a cycle across the compilation (methods, classes, calls, async locks). Two flows following different edges of the cycle can each hold one lock and wait forever for the next.",
        compilationEnd: true);

    private protected override DiagnosticDescriptor Rule => s_rule;

    private protected override bool ReportsGraphFindings => true;
}
