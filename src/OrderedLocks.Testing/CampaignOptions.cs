using System.Reflection;

namespace OrderedLocks.Testing;

/// <summary>How a campaign runs: iterations, seed, bounds, where traces go, what must be rewritten.</summary>
public sealed record CampaignOptions
{
    /// <summary>Gets the number of iterations (schedules) to explore per strategy. Default 100.</summary>
    public uint Iterations { get; init; } = 100;

    /// <summary>
    /// Gets a value indicating whether to stop at the first bug (default) or to keep exploring and
    /// count every buggy iteration.
    /// </summary>
    public bool StopAtFirstBug { get; init; } = true;

    /// <summary>Gets the random seed; <see langword="null"/> lets Coyote choose one.</summary>
    public uint? Seed { get; init; }

    /// <summary>
    /// Gets the bound on scheduling steps per iteration; <see langword="null"/> keeps Coyote's default.
    /// </summary>
    public uint? MaxSteps { get; init; }

    /// <summary>
    /// Gets how long (milliseconds) Coyote waits before reporting a potential deadlock caused by
    /// something it does not control; <see langword="null"/> keeps Coyote's default.
    /// </summary>
    public uint? DeadlockTimeoutMs { get; init; }

    /// <summary>
    /// Gets the folder where the reproducible trace of a found bug is written;
    /// <see langword="null"/> writes none.
    /// </summary>
    public string? TraceDirectory { get; init; }

    /// <summary>
    /// Gets the assemblies that must be Coyote-rewritten, besides the one declaring the test method
    /// (always checked). Add the libraries your test exercises (for example <c>typeof(OrderedLock).Assembly</c>).
    /// </summary>
    public IReadOnlyList<Assembly> AssembliesUnderTest { get; init; } = Array.Empty<Assembly>();

    /// <summary>
    /// Gets a value indicating whether Coyote's own progress and bug logging goes to the console
    /// (off by default: results come back in <see cref="CampaignResult"/>).
    /// </summary>
    public bool CoyoteLogging { get; init; }

    /// <summary>
    /// Gets a value indicating whether uncontrolled invocations are tolerated. Default false: a
    /// campaign that reaches code Coyote does not control (the span overload of
    /// <c>Task.WhenAll</c>, <c>System.Threading.Lock</c>, timers, ...) fails with
    /// <see cref="CampaignIntegrityException"/>, because its verdict cannot be trusted.
    /// </summary>
    public bool AllowUncontrolledInvocations { get; init; }
}
