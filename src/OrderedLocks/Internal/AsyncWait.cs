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
/// through an async method awaiting <c>Task.Delay</c>, all of which Coyote controls (it does not
/// control <c>Task.ContinueWith</c>: campaigns with timeouts reported it as uncontrolled).
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
            _ = AbandonAfterAsync(timeoutMs, timer.Token, abandon, state);
        }

        return new WaitAbandonment(registration, timer);
    }

    // The timer: an async method awaiting the delay (Coyote controls it; it does not control
    // Task.ContinueWith). Disarming cancels the delay.
    private static async Task AbandonAfterAsync(int timeoutMs, CancellationToken disarmed, Action<object?> abandon, object state)
    {
        // WhenAny over an array never throws, so disarming costs no exception (ConfigureAwait with
        // SuppressThrowing would too, but Coyote's rewriting crashes on that awaiter).
        Task delay = Task.Delay(timeoutMs, disarmed);
        await Task.WhenAny(new[] { delay }).ConfigureAwait(false);
        if (delay.Status == TaskStatus.RanToCompletion)
        {
            abandon(state);
        }
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
