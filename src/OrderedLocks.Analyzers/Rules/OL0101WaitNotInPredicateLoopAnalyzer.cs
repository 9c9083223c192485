using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Rules;

/// <summary>OL0101: a condition wait that is not inside a loop re-checking its predicate.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OL0101WaitNotInPredicateLoopAnalyzer : OrderedLocksAnalyzerBase
{
    private static readonly DiagnosticDescriptor s_rule = Describe(
        RuleIdentifiers.WaitNotInPredicateLoop,
        "Condition wait not inside a predicate loop",
        "'{0}' is not inside a loop that re-checks the awaited condition; use WaitFor with a predicate or wait in a while loop",
        RuleIdentifiers.ConditionCategory,
        "A wait can wake spuriously, by a notification meant for another waiter, or never, when the notification came before the wait (a lost wake-up: the article's poem deadlocks when started in the wrong order). Waiting for a predicate (WaitFor, or while (!ready) Wait()) removes both hazards.",
        compilationEnd: false);

    private protected override DiagnosticDescriptor Rule => s_rule;

    private protected override bool ReportsLocalFindings => true;
}
