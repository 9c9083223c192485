namespace OrderedLocks.Scenarios;

/// <summary>What a campaign over a scenario variant must report.</summary>
public enum Expectation
{
    /// <summary>No schedule may fail: the campaign must report no bug.</summary>
    NoBug = 0,

    /// <summary>The campaign must find a bug whose report contains <see cref="ScenarioCase.ExpectedMessage"/>.</summary>
    Bug = 1,
}

/// <summary>Which group a case belongs to.</summary>
public enum ScenarioKind
{
    /// <summary>One of the article's scenarios: raw .NET vs OrderedLocks.</summary>
    Article = 0,

    /// <summary>Self-verification of an OrderedLocks primitive (invariants in the critical section).</summary>
    Verification = 1,
}

/// <summary>One variant of one scenario, with its expected outcome.</summary>
/// <param name="Scenario">The scenario (for example <c>abba</c>).</param>
/// <param name="Variant">The variant (for example <c>raw-lock</c> or <c>acquire-all</c>).</param>
/// <param name="Expected">Whether a bug must be found.</param>
/// <param name="ExpectedMessage">
/// For <see cref="Expectation.Bug"/>: a fragment the bug report must contain, or several
/// alternatives separated by <c>|</c> (any one suffices).
/// </param>
/// <param name="Description">What the variant does and why it fails or not.</param>
/// <param name="Test">The Coyote test method: builds fresh state on every call.</param>
/// <param name="Kind">Article scenario or self-verification.</param>
public sealed record ScenarioCase(
    string Scenario,
    string Variant,
    Expectation Expected,
    string? ExpectedMessage,
    string Description,
    Func<Task> Test,
    ScenarioKind Kind = ScenarioKind.Article)
{
    /// <summary>Gets <c>scenario/variant</c>.</summary>
    public string Id => $"{Scenario}/{Variant}";

    /// <summary>Returns whether a campaign outcome matches the expectation.</summary>
    /// <param name="foundBug">Whether the campaign found a bug.</param>
    /// <param name="firstReport">The first bug report, if any.</param>
    /// <returns>Whether the outcome is the expected one.</returns>
    public bool Matches(bool foundBug, string? firstReport) => Expected == Expectation.NoBug
        ? !foundBug
        : foundBug && (ExpectedMessage is null || ExpectedMessage.Split('|').Any(m => (firstReport ?? string.Empty).Contains(m, StringComparison.Ordinal)));

    /// <inheritdoc/>
    public override string ToString() => Id;
}
