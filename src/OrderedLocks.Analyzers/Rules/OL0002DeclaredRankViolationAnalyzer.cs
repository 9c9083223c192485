using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Rules;

/// <summary>OL0002: a lock is acquired while a lock of higher declared rank is held.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OL0002DeclaredRankViolationAnalyzer : OrderedLocksAnalyzerBase
{
    private static readonly DiagnosticDescriptor s_rule = Describe(
        RuleIdentifiers.DeclaredRankViolation,
        "Declared lock rank violated",
        "'{0}' (rank {1}) is acquired while '{2}' (rank {3}) is held{4}; locks must be acquired in ascending rank",
        RuleIdentifiers.DeadlockCategory,
        "Ranks declared with the rank: constructor argument or [LockRank] fix the global order of locks. Acquiring a lower-ranked lock while holding a higher-ranked one breaks that order; the runtime rejects it, and this rule finds it at compile time.",
        compilationEnd: true);

    private protected override DiagnosticDescriptor Rule => s_rule;

    private protected override bool ReportsGraphFindings => true;
}
