namespace OrderedLocks.Internal;

/// <summary>
/// Arms a timeout and a cancellation token for an asynchronous wait whose waiter is a
/// <see cref="TaskCompletionSource{TResult}"/> awaited directly. When either fires first, the
/// callback abandons the waiter (under the owner's gate) and completes it; the awaiting code then
/// sees the outcome in the waiter's status.
/// </summary>
/// <remarks>
/// Why not WhenAny over the waiter and a <c>Task.Delay(timeout, token)</c>: when the waiter's completion
/// source runs continuations asynchronously, WhenAny's internal continuation hops through the
/// real thread pool, which Microsoft Coyote cannot see: a campaign then reports a false
/// "Deadlock detected" while the hop is in flight, and an infinite wait would depend on
/// <c>Task.Delay(-1)</c> never finishing (under Coyote a delay may finish at any time). Here the
/// waiter is awaited directly, cancellation arrives through a registration, and a finite timeout
/// through <c>Task.Delay(...).ContinueWith</c>, all of which Coyote controls.
/// </remarks>
internal readonly struct WaitAbandonment : IDisposable
{
    private readonly CancellationTokenRegistration _registration;
    private readonly CancellationTokenSource? _timer;

    private WaitAbandonment(CancellationTokenRegistration registration, CancellationTokenSource? timer)
    {
        _registration = registration;
        _timer = timer;
    }

    /// <summary>Calls <paramref name="abandon"/>(<paramref name="state"/>) on cancellation or after <paramref name="timeoutMs"/>.</summary>
    internal static WaitAbandonment Arm(int timeoutMs, CancellationToken cancellationToken, Action<object?> abandon, object state)
    {
        CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(abandon, state)
            : default;
        CancellationTokenSource? timer = null;
        if (timeoutMs != Timeout.Infinite)
        {
            timer = new CancellationTokenSource();
            _ = Task.Delay(timeoutMs, timer.Token).ContinueWith(
                static (delay, s) =>
                {
                    var (callback, target) = ((Action<object?>, object))s!;
                    callback(target);
                },
                (abandon, state),
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return new WaitAbandonment(registration, timer);
    }

    /// <summary>Disarms: a late callback finds the waiter already settled and does nothing.</summary>
    public void Dispose()
    {
        // Unregister, not Dispose: Dispose blocks until a callback running on the cancelling
        // thread finishes, a wait Coyote cannot see. A late callback is harmless.
        _registration.Unregister();
        if (_timer is not null)
        {
            _timer.Cancel();
            _timer.Dispose();
        }
    }
}
