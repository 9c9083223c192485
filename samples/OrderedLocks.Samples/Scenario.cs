namespace OrderedLocks.Samples;

/// <summary>The result of one variant of a scenario, as a person reads it.</summary>
/// <param name="Outcome">What happened, e.g. "oversold: 97 sold, 3 tickets" or "deadlock (hang detected after 1 s)".</param>
/// <param name="AsExpected">Whether that is what this variant is meant to show.</param>
public sealed record StepResult(string Outcome, bool AsExpected);

/// <summary>One variant of one scenario: raw .NET or with OrderedLocks, and what it should show.</summary>
/// <param name="Scenario">The scenario, e.g. "Deadlock".</param>
/// <param name="Variant">The variant, e.g. "raw lock(), ABBA".</param>
/// <param name="Expected">The expected outcome in words, e.g. "hangs".</param>
/// <param name="Run">Runs the variant; narration goes to the writer.</param>
public sealed record ScenarioStep(string Scenario, string Variant, string Expected, Func<TextWriter, StepResult> Run);

/// <summary>Every scenario of the article, in the order the demo runs them.</summary>
public static class Scenarios
{
    /// <summary>The scenario names, as accepted by <see cref="Steps"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "TicketRace", "Deadlock", "Poem", "HideAndSeek", "DiningPhilosophers" };

    /// <summary>The steps of one scenario (case-insensitive name), with the default options.</summary>
    public static IReadOnlyList<ScenarioStep> Steps(string scenario, ChildLauncher? launcher = null) => scenario.ToUpperInvariant() switch
    {
        "TICKETRACE" => TicketRace.Steps(new TicketRaceOptions(), launcher),
        "DEADLOCK" => Deadlock.Steps(new DeadlockOptions()),
        "POEM" => Poem.Steps(new ConditionOptions()),
        "HIDEANDSEEK" => HideAndSeek.Steps(new ConditionOptions()),
        "DININGPHILOSOPHERS" => DiningPhilosophers.Steps(new DiningOptions()),
        _ => throw new ArgumentException($"Unknown scenario '{scenario}'. Known: {string.Join(", ", Names)}.", nameof(scenario)),
    };
}

/// <summary>Short forms of library messages for one-line outcomes.</summary>
public static class Messages
{
    /// <summary>
    /// The first clause of a lock-order message, e.g. "acquiring 'x_lock' (no rank, id 1) while
    /// holding 'y_lock' (no rank, id 2)".
    /// </summary>
    public static string Excerpt(LockOrderException exception)
    {
        string first = exception.Message.Split('\n')[0].TrimEnd('\r');
        int colon = first.IndexOf(": ", StringComparison.Ordinal);
        if (colon >= 0)
        {
            first = first[(colon + 2)..];
        }

        int cut = first.IndexOf(", which", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = first.IndexOf(". ", StringComparison.Ordinal);
        }

        return cut > 0 ? first[..cut] : first;
    }
}
