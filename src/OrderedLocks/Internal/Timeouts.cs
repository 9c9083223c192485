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

    /// <summary>The moment a wait of <paramref name="timeoutMs"/> ends (long.MaxValue for infinite).</summary>
    internal static long Deadline(int timeoutMs) =>
        timeoutMs == Timeout.Infinite ? long.MaxValue : Environment.TickCount64 + timeoutMs;

    /// <summary>Milliseconds left until <paramref name="deadline"/>: -1 for infinite, 0 when over.</summary>
    internal static int Remaining(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return Timeout.Infinite;
        }

        long remaining = deadline - Environment.TickCount64;
        return remaining <= 0 ? 0 : (int)Math.Min(remaining, int.MaxValue);
    }
}
