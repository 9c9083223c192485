namespace OrderedLocks.Testing;

/// <summary>The outcome of one campaign run with one strategy.</summary>
public sealed record CampaignResult
{
    /// <summary>Gets the campaign's name (for the built-in scenarios: the scenario).</summary>
    public required string Name { get; init; }

    /// <summary>Gets the campaign's variant (for example <c>raw-lock</c> or <c>acquire-all</c>); may be empty.</summary>
    public required string Variant { get; init; }

    /// <summary>Gets the strategy used.</summary>
    public required CampaignStrategy Strategy { get; init; }

    /// <summary>Gets the number of iterations actually run (fewer than asked when stopped at the first bug).</summary>
    public required uint IterationsRun { get; init; }

    /// <summary>Gets the number of iterations that found a bug.</summary>
    public required int Bugs { get; init; }

    /// <summary>Gets the 1-based iteration of the first bug, or <see langword="null"/> when none was found.</summary>
    public uint? FirstBugIteration { get; init; }

    /// <summary>Gets the time from the start of the campaign to the first bug, when one was found.</summary>
    public TimeSpan? TimeToFirstBug { get; init; }

    /// <summary>Gets the wall-clock time of the whole run.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Gets the Coyote bug reports (distinct messages).</summary>
    public required IReadOnlyList<string> BugReports { get; init; }

    /// <summary>Gets the invocations Coyote reported as uncontrolled (empty for a trustworthy run).</summary>
    public required IReadOnlyList<string> UncontrolledInvocations { get; init; }

    /// <summary>Gets the file the reproducible trace of the bug was written to, if any.</summary>
    public string? TraceFile { get; init; }

    /// <summary>Gets the reproducible trace of the bug (Coyote's format), if a bug was found.</summary>
    public string? ReproducibleTrace { get; init; }

    /// <summary>
    /// Gets Coyote's human-readable log of the buggy iteration (the test's own console output and
    /// Coyote's strategy summary), if a bug was found.
    /// </summary>
    public string? ReadableTrace { get; init; }

    /// <summary>
    /// Gets where the test method is (<c>Type.Method at File.cs:12-30</c>) and, when the source file
    /// is on this machine, its lines; from the portable PDB, when a bug was found and the PDB has line
    /// information (see <see cref="SourceLines.Describe"/>).
    /// </summary>
    public string? TestSource { get; init; }

    /// <summary>Gets a value indicating whether a bug was found.</summary>
    public bool FoundBug => Bugs > 0;

    /// <summary>
    /// Gets the wait-for cycle of the first deadlock among ordered locks, naming the locks
    /// ("thread 5 holds 'x', waits for 'y'; ..."), or null (no bug, or not a deadlock of ordered locks).
    /// </summary>
    public string? DeadlockWaitFor { get; init; }

    /// <summary>Gets the first bug report, or <see langword="null"/>.</summary>
    public string? FirstBugReport => BugReports.Count > 0 ? BugReports[0] : null;

    /// <summary>Gets the iterations per second of the run.</summary>
    public double IterationsPerSecond => Elapsed.TotalSeconds > 0 ? IterationsRun / Elapsed.TotalSeconds : 0;

    /// <summary>
    /// Formats the bug for a person: campaign, strategy and iteration, Coyote's report, the test
    /// method's source lines and how to replay the trace. For a run without a bug, one line saying so.
    /// </summary>
    /// <returns>The report.</returns>
    public string FormatBugReport()
    {
        string name = Variant.Length == 0 ? Name : $"{Name}/{Variant}";
        if (!FoundBug)
        {
            return $"{name} ({Strategy.ShortName()}): no bug in {IterationsRun} iterations.";
        }

        var text = new System.Text.StringBuilder();
        text.Append(name).Append(" (").Append(Strategy.ShortName()).Append("): bug at iteration ").Append(FirstBugIteration)
            .Append(" of ").Append(IterationsRun).AppendLine(".");
        foreach (string report in BugReports)
        {
            text.Append("  ").AppendLine(report);
        }

        if (TestSource is not null)
        {
            text.Append("Test method: ").AppendLine(TestSource);
        }

        if (TraceFile is not null)
        {
            text.Append("Replay: CampaignRunner.ReplayFile(campaign, \"").Append(TraceFile).AppendLine("\") re-runs this exact schedule.");
        }

        return text.ToString().TrimEnd();
    }
}

/// <summary>The outcome of replaying a saved trace.</summary>
/// <param name="Reproduced">Whether the replay hit a bug again.</param>
/// <param name="BugReports">The bug reports of the replay.</param>
/// <param name="ReadableTrace">
/// A human-readable account of the replayed schedule: Coyote's log of the iteration (with the test's
/// console output), the bug reports and the test method's source lines. Never empty after a replay.
/// </param>
/// <param name="Elapsed">How long the replay took.</param>
public sealed record ReplayResult(bool Reproduced, IReadOnlyList<string> BugReports, string ReadableTrace, TimeSpan Elapsed)
{
    /// <summary>Gets where the test method is and its source lines (see <see cref="CampaignResult.TestSource"/>).</summary>
    public string? TestSource { get; init; }
}
