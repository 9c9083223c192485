using System.Diagnostics;

namespace OrderedLocks.Internal;

/// <summary>A node of a <see cref="WaitList{T}"/>: a queued waiter.</summary>
/// <typeparam name="T">The waiter type.</typeparam>
internal abstract class WaitNode<T>
    where T : WaitNode<T>
{
    internal T? Next;
    internal T? Prev;

    // Whether the node is in a list now (set by AddLast/AddFirst, cleared by Remove).
    internal bool IsQueued;
}

/// <summary>
/// An intrusive doubly linked FIFO of waiters, shared by the locks' waiter queue and the
/// conditions' wait queue. Not thread-safe: the owner changes it under its own gate.
/// </summary>
/// <typeparam name="T">The waiter type.</typeparam>
internal struct WaitList<T>
    where T : WaitNode<T>
{
    private T? _tail;

    /// <summary>Gets the oldest waiter, or null when the list is empty.</summary>
    internal T? Head { readonly get; private set; }

    internal readonly bool IsEmpty => Head is null;

    internal readonly int Count
    {
        get
        {
            int count = 0;
            for (T? node = Head; node is not null; node = node.Next)
            {
                count++;
            }

            return count;
        }
    }

    internal void AddLast(T node)
    {
        Debug.Assert(!node.IsQueued, "A node is in one list at a time.");
        node.Prev = _tail;
        if (_tail is null)
        {
            Head = node;
        }
        else
        {
            _tail.Next = node;
        }

        _tail = node;
        node.IsQueued = true;
    }

    internal void AddFirst(T node)
    {
        Debug.Assert(!node.IsQueued, "A node is in one list at a time.");
        node.Next = Head;
        if (Head is null)
        {
            _tail = node;
        }
        else
        {
            Head.Prev = node;
        }

        Head = node;
        node.IsQueued = true;
    }

    internal void Remove(T node)
    {
        Debug.Assert(node.IsQueued, "Only a queued node is removed.");
        if (node.Prev is null)
        {
            Head = node.Next;
        }
        else
        {
            node.Prev.Next = node.Next;
        }

        if (node.Next is null)
        {
            _tail = node.Prev;
        }
        else
        {
            node.Next.Prev = node.Prev;
        }

        node.Next = null;
        node.Prev = null;
        node.IsQueued = false;
    }
}
