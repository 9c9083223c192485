using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Rules;

/// <summary>OL0102: OrderedCondition wait or notify without holding the condition's lock.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OL0102ConditionWithoutLockAnalyzer : OrderedLocksAnalyzerBase
{
    private static readonly DiagnosticDescriptor s_rule = Describe(
        RuleIdentifiers.ConditionUsedWithoutLock,
        "Condition used without holding its lock",
        "'{0}' is called without holding {1}, which the condition requires",
        RuleIdentifiers.ConditionCategory,
        "OrderedCondition.Wait*, WaitFor* and Notify* must be called with the condition's lock held (by the caller or by every caller in the compilation); otherwise they throw, or a notification races the state change it announces.",
        compilationEnd: true);

    private protected override DiagnosticDescriptor Rule => s_rule;

    private protected override bool ReportsGraphFindings => true;
}
