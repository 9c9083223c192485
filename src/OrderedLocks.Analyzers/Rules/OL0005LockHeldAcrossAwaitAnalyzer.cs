using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OrderedLocks.Analyzers.Rules;

/// <summary>OL0005: a thread-owned lock (Monitor, Lock, synchronous Acquire) held across an await.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OL0005LockHeldAcrossAwaitAnalyzer : OrderedLocksAnalyzerBase
{
    private static readonly DiagnosticDescriptor s_rule = Describe(
        RuleIdentifiers.ThreadOwnedLockHeldAcrossAwait,
        "Thread-owned lock held across await",
        "'{0}' is owned by the thread and is held across this await; the continuation may run on another thread",
        RuleIdentifiers.DeadlockCategory,
        "Monitor, System.Threading.Lock, ReaderWriterLockSlim and the synchronous Acquire() of OrderedLocks are owned by the acquiring thread. After an await the method may continue on another thread, which then cannot release the lock, and the awaiting thread blocks others meanwhile. Use AcquireAsync or release before awaiting.",
        compilationEnd: false);

    private protected override DiagnosticDescriptor Rule => s_rule;

    private protected override bool ReportsLocalFindings => true;
}
