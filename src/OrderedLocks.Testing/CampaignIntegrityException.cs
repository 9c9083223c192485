namespace OrderedLocks.Testing;

/// <summary>
/// A campaign's verdict cannot be trusted: an assembly under test is not Coyote-rewritten, or the
/// test reached concurrency that Coyote does not control.
/// </summary>
public sealed class CampaignIntegrityException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    public CampaignIntegrityException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public CampaignIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
