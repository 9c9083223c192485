namespace OrderedLocks.Scenarios;

/// <summary>
/// The ABBA deadlock between two async flows on ordered locks with checking off: Coyote finds the
/// deadlock, and the campaign report names it from the wait-for registry
/// ("flow 1 holds 'x', waits for 'y'; flow 2 holds 'y', waits for 'x'").
/// </summary>
public static class AbbaDeadlockAsync
{
    /// <summary>Seeded bug: flow 1 takes x then y, flow 2 y then x, asynchronously, with checking off.</summary>
    /// <returns>The scenario.</returns>
    public static Task CheckingOffNestedAsync()
    {
        var x = new OrderedLock("x", rank: 1, checking: LockOrderChecking.Off);
        var y = new OrderedLock("y", rank: 2, checking: LockOrderChecking.Off);
        return Task.WhenAll(new[] { Task.Run(() => NestedAsync(x, y)), Task.Run(() => NestedAsync(y, x)) });
    }

#pragma warning disable OL0001 // ABBA with ordered locks, asynchronously: the seeded bug (the two parameters are bound to the caller's locals x and y)
    private static async Task NestedAsync(OrderedLock first, OrderedLock second)
    {
        using (await first.AcquireAsync())
        {
            using (await second.AcquireAsync())
            {
            }
        }
    }
#pragma warning restore OL0001
}
