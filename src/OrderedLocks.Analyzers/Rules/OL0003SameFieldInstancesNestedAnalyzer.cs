using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Rules;

/// <summary>OL0003: two instances of the same lock field are nested without an order.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OL0003SameFieldInstancesNestedAnalyzer : OrderedLocksAnalyzerBase
{
    private static readonly DiagnosticDescriptor s_rule = Describe(
        RuleIdentifiers.SameFieldInstancesNested,
        "Two instances of the same lock nested without an order",
        "Two instances of '{0}' are nested without an order ('{1}', then '{2}'); acquire both in one ordered acquisition",
        RuleIdentifiers.DeadlockCategory,
        "Nesting the same lock field of two objects (lock (_sync) lock (other._sync)) deadlocks when two flows do it with the objects swapped, as in a.Transfer(b) racing b.Transfer(a). Acquire both locks in one ordered multi-acquire (OrderedLock.AcquireAll).",
        compilationEnd: true);

    private protected override DiagnosticDescriptor Rule => s_rule;

    private protected override bool ReportsLocalFindings => true;

    private protected override bool ReportsGraphFindings => true;
}
