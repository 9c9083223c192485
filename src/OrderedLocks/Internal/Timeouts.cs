namespace OrderedLocks.Internal;

internal static class Timeouts
{
    /// <summary>Validates a timeout and converts it to milliseconds (-1 for infinite).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative other than infinite, or above int.MaxValue ms.</exception>
    internal static int ToMilliseconds(TimeSpan timeout, string paramName)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return Timeout.Infinite;
        }

        double ms = timeout.TotalMilliseconds;
        if (ms < 0 || ms > int.MaxValue)
        {
            ThrowHelper.ThrowTimeout(paramName, timeout);
        }

        return (int)ms;
    }

    internal static int ToMilliseconds(TimeSpan? timeout, string paramName) =>
        timeout is { } value ? ToMilliseconds(value, paramName) : Timeout.Infinite;
}
