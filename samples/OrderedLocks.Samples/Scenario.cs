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
