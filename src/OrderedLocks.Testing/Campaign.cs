using System.Reflection;

namespace OrderedLocks.Testing;

/// <summary>
/// A test method to explore systematically: a named <see cref="Func{Task}"/> or <see cref="Action"/>
/// that Coyote runs once per iteration, each time under a different schedule.
/// </summary>
/// <remarks>
/// <para>The method must build all its state itself (fresh locks and data each call): Coyote caches
/// lock objects per iteration, and state kept across iterations makes runs irreproducible.</para>
/// <para>A bug is an assertion failure (<c>Microsoft.Coyote.Specifications.Specification.Assert</c>),
/// an unhandled exception, or a deadlock among controlled operations.</para>
/// </remarks>
public sealed class Campaign
{
    private Campaign(string name, string variant, Delegate test, MethodInfo method)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Variant = variant ?? string.Empty;
        Test = test;
        Method = method;
    }

    /// <summary>Gets the campaign's name.</summary>
    public string Name { get; }

    /// <summary>Gets the variant (may be empty).</summary>
    public string Variant { get; }

    /// <summary>Gets the test delegate, a <see cref="Func{Task}"/> or an <see cref="Action"/>.</summary>
    public Delegate Test { get; }

    /// <summary>Gets the method behind the delegate; its assembly must be rewritten.</summary>
    public MethodInfo Method { get; }

    /// <summary>Gets the display name: <c>Name/Variant</c>, or the name alone.</summary>
    public string DisplayName => Variant.Length == 0 ? Name : $"{Name}/{Variant}";

    /// <summary>Creates a campaign from an asynchronous test method.</summary>
    /// <param name="name">The campaign's name.</param>
    /// <param name="test">The test; called once per iteration.</param>
    /// <param name="variant">The variant, if any.</param>
    /// <returns>The campaign.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="test"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    public static Campaign Create(string name, Func<Task> test, string variant = "")
    {
        ArgumentNullException.ThrowIfNull(test);
        return new Campaign(name, variant, test, test.Method);
    }

    /// <summary>Creates a campaign from a synchronous test method (it may start threads or tasks).</summary>
    /// <param name="name">The campaign's name.</param>
    /// <param name="test">The test; called once per iteration.</param>
    /// <param name="variant">The variant, if any.</param>
    /// <returns>The campaign.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="test"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    public static Campaign Create(string name, Action test, string variant = "")
    {
        ArgumentNullException.ThrowIfNull(test);
        return new Campaign(name, variant, test, test.Method);
    }

    /// <inheritdoc/>
    public override string ToString() => DisplayName;
}
