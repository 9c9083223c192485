namespace OrderedLocks.Testing;

/// <summary>A Coyote exploration strategy used by a campaign.</summary>
/// <remarks>
/// Strategies find different bugs at very different speeds (measured with Coyote 1.7.11: the five
/// dining philosophers deadlock is found at once by <see cref="Random"/> and never in 1,000
/// iterations by <see cref="Probabilistic"/>). Run several.
/// </remarks>
public enum CampaignStrategy
{
    /// <summary>Uniformly random scheduling choices (Coyote's <c>random</c>).</summary>
    Random = 0,

    /// <summary>Random choices biased to keep running the current operation (Coyote's <c>probabilistic</c>).</summary>
    Probabilistic = 1,

    /// <summary>Priority-based scheduling with a few priority changes (PCT; Coyote's <c>prioritization</c>).</summary>
    Prioritization = 2,

    /// <summary>Coyote's portfolio: a mix of strategies across iterations.</summary>
    Portfolio = 3,
}

/// <summary>Parsing and naming of <see cref="CampaignStrategy"/> values.</summary>
public static class CampaignStrategies
{
    /// <summary>Gets the strategies run when none are chosen: random and PCT (prioritization).</summary>
    public static IReadOnlyList<CampaignStrategy> Default { get; } = new[] { CampaignStrategy.Random, CampaignStrategy.Prioritization };

    /// <summary>Gets every strategy.</summary>
    public static IReadOnlyList<CampaignStrategy> All { get; } =
        new[] { CampaignStrategy.Random, CampaignStrategy.Probabilistic, CampaignStrategy.Prioritization, CampaignStrategy.Portfolio };

    /// <summary>Gets the short name of a strategy, as printed in tables and used in trace file names.</summary>
    /// <param name="strategy">The strategy.</param>
    /// <returns><c>random</c>, <c>probabilistic</c>, <c>pct</c> or <c>portfolio</c>.</returns>
    public static string ShortName(this CampaignStrategy strategy) => strategy switch
    {
        CampaignStrategy.Random => "random",
        CampaignStrategy.Probabilistic => "probabilistic",
        CampaignStrategy.Prioritization => "pct",
        CampaignStrategy.Portfolio => "portfolio",
        _ => strategy.ToString(),
    };

    /// <summary>Parses a strategy name: random, probabilistic (prob), pct (prioritization) or portfolio.</summary>
    /// <param name="name">The name, case-insensitive.</param>
    /// <returns>The strategy.</returns>
    /// <exception cref="ArgumentException">The name is not a known strategy.</exception>
    public static CampaignStrategy Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "random" => CampaignStrategy.Random,
        "probabilistic" or "prob" => CampaignStrategy.Probabilistic,
        "pct" or "prioritization" => CampaignStrategy.Prioritization,
        "portfolio" => CampaignStrategy.Portfolio,
        _ => throw new ArgumentException($"Unknown strategy '{name}'. Use random, probabilistic, pct or portfolio.", nameof(name)),
    };

    /// <summary>Parses a comma-separated list of strategy names.</summary>
    /// <param name="names">For example <c>random,pct</c>.</param>
    /// <returns>The strategies, in the order given, without duplicates.</returns>
    /// <exception cref="ArgumentException">A name is not a known strategy.</exception>
    public static IReadOnlyList<CampaignStrategy> ParseList(string names) =>
        names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).Distinct().ToArray();
}
