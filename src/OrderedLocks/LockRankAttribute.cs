namespace OrderedLocks;

/// <summary>
/// Declares the rank of a lock held in a field or property whose lock type has no rank of its own
/// (a plain <see langword="object"/> used with <c>lock</c>, a semaphore used as a mutex, or any other
/// lock type the analyzer recognises; see docs/analyzers/OL0002.md): lower ranks are acquired first.
/// </summary>
/// <remarks>
/// <para>The attribute is read only at compile time, by the OrderedLocks analyzer (rule OL0002
/// reports an acquisition of a lower-ranked lock while a higher-ranked one is held). It changes
/// nothing at run time: an <see cref="OrderedLock"/> or <see cref="ReentrantOrderedLock"/> takes its
/// rank from its constructor (<c>new OrderedLock("index", rank: 1)</c>), which the runtime checks
/// and the analyzer also reads; put the attribute on such a field only when its constructor
/// rank is not a compile-time constant, and keep the two equal.</para>
/// <example>
/// <code>
/// [LockRank(10)] private readonly object _accounts = new();
/// [LockRank(20)] private readonly object _audit = new();
/// </code>
/// </example>
/// </remarks>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LockRankAttribute : Attribute
{
    /// <summary>Initializes the attribute with the lock's declared rank.</summary>
    /// <param name="rank">The rank: locks are acquired in ascending rank. 0 means unranked.</param>
    public LockRankAttribute(int rank)
    {
        Rank = rank;
    }

    /// <summary>Gets the declared rank: locks are acquired in ascending rank; 0 means unranked.</summary>
    public int Rank { get; }
}
