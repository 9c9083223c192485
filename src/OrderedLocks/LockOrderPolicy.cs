namespace OrderedLocks;

/// <summary>
/// Process-wide lock-order checking settings. Each lock may override <see cref="Checking"/> at
/// construction.
/// </summary>
public static class LockOrderPolicy
{
    internal static volatile LockOrderChecking s_checking = LockOrderChecking.Hybrid;
    internal static volatile LockViolationAction s_action = LockViolationAction.Throw;
    private static Action<LockOrderViolation>? s_reported;

    /// <summary>
    /// Gets or sets the checking mode of every lock created without its own mode. Default:
    /// <see cref="LockOrderChecking.Hybrid"/> (declared ranks checked strictly, everything else by
    /// the learned order). Set <see cref="LockOrderChecking.Strict"/> for the rule that creation
    /// order is the order of locks without ranks. Changing it affects later acquisitions; holds
    /// taken while checking was <see cref="LockOrderChecking.Off"/> are not tracked.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined mode.</exception>
    public static LockOrderChecking Checking
    {
        get => s_checking;
        set
        {
            if (!IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown lock-order checking mode.");
            }

            s_checking = value;
        }
    }

    /// <summary>
    /// Gets or sets what a violation does: throw <see cref="LockOrderException"/> (default) or
    /// report it to <see cref="ViolationReported"/> and go on.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined action.</exception>
    public static LockViolationAction OnViolation
    {
        get => s_action;
        set
        {
            if (value is not LockViolationAction.Throw and not LockViolationAction.Report)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown violation action.");
            }

            s_action = value;
        }
    }

    /// <summary>
    /// Raised for every violation, before it is thrown (with <see cref="LockViolationAction.Throw"/>)
    /// or instead of throwing (with <see cref="LockViolationAction.Report"/>). Handlers run on the
    /// acquiring thread, before it blocks; they must not acquire ordered locks. An exception from a
    /// handler is swallowed so that reporting never changes what the acquisition does.
    /// </summary>
    public static event Action<LockOrderViolation>? ViolationReported
    {
        add => Update(value, add: true);
        remove => Update(value, add: false);
    }

    /// <summary>
    /// Forgets every edge learned by <see cref="LockOrderChecking.Learned"/> and
    /// <see cref="LockOrderChecking.Hybrid"/> checking. Meant for
    /// tests that need independent graphs; never call it while other threads acquire locks you
    /// care about.
    /// </summary>
    public static void ResetLearnedOrder() => OrderedLocks.Checking.LockOrderGraph.Reset();

    /// <summary>
    /// Gets the number of distinct lock-order edges learned since start-up or the last
    /// <see cref="ResetLearnedOrder"/>, including edges of locks collected since (which the graph
    /// has dropped). Edges between classes count once per pair of classes.
    /// </summary>
    public static int LearnedEdgeCount => OrderedLocks.Checking.LockOrderGraph.EdgeCount;

    /// <summary>
    /// Starts an isolated flow: until the returned scope is disposed, the current async flow and
    /// every task forked from it start with no inherited asynchronous holds. Use it to start
    /// fire-and-forget work under a lock that must wait for that lock like any other contender:
    /// <code>using (LockOrderPolicy.SuppressInheritance()) { _ = Task.Run(BackgroundWorkAsync); }</code>
    /// Synchronous holds of the current thread are unaffected (they always belong to the thread).
    /// Inside the scope the current flow's own asynchronous holds are hidden too: keep the scope
    /// around the fork only, since acquiring a lock this flow holds would not be caught there.
    /// </summary>
    /// <returns>A scope that restores the flow's holds when disposed. Dispose it in the same flow.</returns>
    public static InheritanceSuppression SuppressInheritance() => new(HeldLocks.ReplaceFlow(null));

    internal static bool IsDefined(LockOrderChecking mode) =>
        mode is LockOrderChecking.Off or LockOrderChecking.Strict or LockOrderChecking.Learned or LockOrderChecking.Hybrid;

    internal static void Report(LockOrderViolation violation)
    {
        OrderedLocks.Diagnostics.LockDiagnostics.OnViolation(violation);
        Action<LockOrderViolation>? handlers = Volatile.Read(ref s_reported);
        if (handlers is null)
        {
            return;
        }

        foreach (Action<LockOrderViolation> handler in handlers.GetInvocationList())
        {
            try
            {
                handler(violation);
            }
            catch (Exception)
            {
                // A faulty handler must not change the outcome of an acquisition.
            }
        }
    }

    private static void Update(Action<LockOrderViolation>? handler, bool add)
    {
        Action<LockOrderViolation>? current, updated;
        do
        {
            current = Volatile.Read(ref s_reported);
            updated = add
                ? (Action<LockOrderViolation>?)Delegate.Combine(current, handler)
                : (Action<LockOrderViolation>?)Delegate.Remove(current, handler);
        }
        while (Interlocked.CompareExchange(ref s_reported, updated, current) != current);
    }

    /// <summary>Restores the async flow's inherited holds when disposed.</summary>
    public readonly struct InheritanceSuppression : IDisposable
    {
        private readonly HoldNode? _saved;

        internal InheritanceSuppression(HoldNode? saved) => _saved = saved;

        /// <summary>Restores the holds that were suppressed.</summary>
        public void Dispose() => HeldLocks.ReplaceFlow(_saved);
    }
}
