using System.Diagnostics.CodeAnalysis;

namespace OrderedLocks.Internal;

/// <summary>Throws out of line so that hot methods stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowArgumentNull(string paramName) =>
        throw new ArgumentNullException(paramName);

    [DoesNotReturn]
    internal static void ThrowTimeout(string paramName, TimeSpan timeout) =>
        throw new ArgumentOutOfRangeException(
            paramName,
            timeout,
            $"The timeout must be Timeout.InfiniteTimeSpan (-1 ms) or between 0 and {int.MaxValue} ms; it was {timeout}. Pass Timeout.InfiniteTimeSpan to wait without a limit.");

    [DoesNotReturn]
    internal static void ThrowEmptyLockSet(string paramName) =>
        throw new ArgumentException("At least one lock is required: the set of locks to acquire is empty.", paramName);

    [DoesNotReturn]
    internal static void ThrowNullInLockSet(string paramName, int index, int count) =>
        throw new ArgumentNullException(
            paramName,
            $"Lock number {index} of the {count} locks passed is null. Pass only non-null locks; nothing was acquired.");

    [DoesNotReturn]
    internal static void ThrowUnknownLockKind(string paramName, OrderedLockBase lockObject) =>
        throw new ArgumentException($"Lock {lockObject} is of a kind that cannot be acquired here.", paramName);

    [DoesNotReturn]
    internal static void ThrowObjectDisposed(string name) =>
        throw new ObjectDisposedException(name);

    [DoesNotReturn]
    internal static void ThrowInvalidOperation(string message) =>
        throw new InvalidOperationException(message);

    [DoesNotReturn]
    internal static void ThrowSynchronizationLock(string message) =>
        throw new SynchronizationLockException(message);
}
