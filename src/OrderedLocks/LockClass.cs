using System.Diagnostics;
using OrderedLocks.Checking;

namespace OrderedLocks;

/// <summary>
/// A lock class for learned checking (<see cref="LockOrderChecking.Hybrid"/> and
/// <see cref="LockOrderChecking.Learned"/>): every lock created with the same class shares one
/// node of the learned lock-order graph, like a lock class of Linux lockdep. Give one class to
/// the many short-lived locks one piece of code creates (one per account, per row, per entity):
/// the graph then grows with the classes in your code, not with the entities in your data, and
/// an order learned with one member applies to every member.
/// </summary>
/// <remarks>
/// <para>Create a class once, usually in a static field, and pass it to the constructors:</para>
/// <code>
/// static readonly LockClass AccountLocks = new("account");
/// var account = new OrderedLock($"account {id}", lockClass: AccountLocks);
/// </code>
/// <para>Between members of one class the order is learned per instance: members taken together
/// with <see cref="OrderedLock.AcquireAll(OrderedLockBase[])"/> (always in the global order) never
/// form a cycle among themselves, while two members nested by hand in both orders are reported.
/// Locks created without a class each have their own node, which is forgotten with its edges once
/// the lock is garbage-collected.</para>
/// <para>A class is only a grouping for the learned order: it has no effect on
/// <see cref="LockOrderChecking.Strict"/> checking, on ranks or on <c>AcquireAll</c>'s order.</para>
/// </remarks>
[DebuggerDisplay("LockClass '{Name,nq}'")]
public sealed class LockClass
{
    /// <summary>Initializes a new lock class.</summary>
    /// <param name="name">The class name used in reports (for example "account").</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    public LockClass(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("A lock class needs a name for its reports, for example new LockClass(\"account\").", nameof(name));
        }

        Name = name;
        Node = new LockGraphNode(this);
    }

    /// <summary>Gets the class name used in reports.</summary>
    public string Name { get; }

    // The class's node in the learned graph; alive exactly as long as the class object.
    internal LockGraphNode Node { get; }

    /// <summary>Describes the class.</summary>
    /// <returns>For example <c>class 'account'</c>.</returns>
    public override string ToString() => $"class '{Name}'";
}
