using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Rules;

/// <summary>OL0103: Monitor.Wait / Pulse / PulseAll without holding the monitor.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OL0103MonitorWithoutLockAnalyzer : OrderedLocksAnalyzerBase
{
    private static readonly DiagnosticDescriptor s_rule = Describe(
        RuleIdentifiers.MonitorUsedWithoutLock,
        "Monitor.Wait or Pulse without holding the monitor",
        "Monitor.{0} is called on '{1}' without holding its monitor",
        RuleIdentifiers.ConditionCategory,
        "Monitor.Wait, Pulse and PulseAll throw SynchronizationLockException unless the calling thread holds the object's monitor (lock (obj) here or in every caller in the compilation).",
        compilationEnd: true);

    private protected override DiagnosticDescriptor Rule => s_rule;

    private protected override bool ReportsGraphFindings => true;
}
