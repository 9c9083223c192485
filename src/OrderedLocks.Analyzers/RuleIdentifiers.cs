namespace OrderedLocks.Analyzers;

/// <summary>Rule IDs, categories and help links of every OrderedLocks analyzer.</summary>
/// <remarks>
/// OL0001–OL0099 are ordering and deadlock rules, OL0100–OL0199 condition misuse. Help links point
/// at the rule's page under docs/analyzers in the repository.
/// </remarks>
public static class RuleIdentifiers
{
    /// <summary>A cycle in the compilation-wide lock-order graph.</summary>
    public const string InconsistentLockOrder = "OL0001";

    /// <summary>A lock acquired while a lock of higher declared rank is held.</summary>
    public const string DeclaredRankViolation = "OL0002";

    /// <summary>Two instances of the same lock field or property nested without an order.</summary>
    public const string SameFieldInstancesNested = "OL0003";

    /// <summary>Directly nested ordered-lock acquisitions that should be one AcquireAll.</summary>
    public const string NestedOrderedAcquisitions = "OL0004";

    /// <summary>A thread-owned lock held across an await.</summary>
    public const string ThreadOwnedLockHeldAcrossAwait = "OL0005";

    /// <summary>A non-reentrant lock acquired again while the same flow already holds it.</summary>
    public const string NonReentrantReacquisition = "OL0006";

    /// <summary>A condition wait that is not inside a predicate loop.</summary>
    public const string WaitNotInPredicateLoop = "OL0101";

    /// <summary>OrderedCondition wait or notify without holding the condition's lock.</summary>
    public const string ConditionUsedWithoutLock = "OL0102";

    /// <summary>Monitor.Wait / Pulse / PulseAll without holding the monitor.</summary>
    public const string MonitorUsedWithoutLock = "OL0103";

    /// <summary>Category of ordering and deadlock rules.</summary>
    public const string DeadlockCategory = "Deadlock";

    /// <summary>Category of condition-variable rules.</summary>
    public const string ConditionCategory = "Condition";

    /// <summary>Base address of the rule pages.</summary>
    public const string HelpLinkBase = "https://github.com/orderedlocks/orderedlocks/blob/main/docs/analyzers/";

    /// <summary>The help link of a rule.</summary>
    /// <param name="id">The rule ID, e.g. <c>OL0001</c>.</param>
    /// <returns>The address of the rule's documentation page.</returns>
    public static string HelpLink(string id) => HelpLinkBase + id + ".md";
}
