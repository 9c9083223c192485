namespace OrderedLocks;

/// <summary>
/// What a condition wait gave up and must restore: the original token its holder's scope
/// carries, how the hold was tracked, and for re-entrant locks the frames.
/// </summary>
internal sealed class WaitHold
{
    // The token of the hold when the wait began (what the holder's scope knows).
    internal int OriginalToken;

    // Whether the hold was recorded on the thread's list, and/or by a flow node.
    internal bool TrackedOnThread;
    internal HoldNode? Node;

    // Re-entrant locks: the saved frame stack and ownership.
    internal object? Frames;
    internal int Depth;
    internal bool ThreadOwned;
    internal HoldNode? FlowTop;
}
