using Microsoft.Coyote.Specifications;

namespace OrderedLocks.Scenarios;

/// <summary>
/// The article's ticket race ("多进程的锁"): clients each check the remaining tickets, pause (the
/// article's <c>sleep(0.1)</c>, here <c>Task.Yield</c>), then buy. Without a lock several clients
/// see the last ticket and all buy it (oversell); with the purchase under a lock, exactly as many
/// tickets are sold as existed.
/// </summary>
public static class TicketRace
{
    private const int Clients = 3;
    private const int Tickets = 1;

    /// <summary>Raw: check-then-act with nothing held. Coyote finds the oversell.</summary>
    /// <returns>The scenario.</returns>
    public static async Task RawCheckThenBuyAsync()
    {
        var store = new Store();
        var clients = new Task[Clients];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = Task.Run(store.BuyUnlockedAsync);
        }

        await Task.WhenAll(clients);
        store.AssertNotOversold();
    }

    /// <summary>Fixed: the purchase (not the search) under an <see cref="OrderedLock"/>.</summary>
    /// <returns>The scenario.</returns>
    public static async Task OrderedLockAsync()
    {
        var store = new Store();
        var clients = new Task[Clients];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = Task.Run(store.BuyLockedAsync);
        }

        await Task.WhenAll(clients);
        store.AssertNotOversold();
        Specification.Assert(store.Sold == Tickets, $"Every ticket should be sold exactly once, sold {store.Sold}.");
    }

    private sealed class Store
    {
        private readonly OrderedLock _lock = new("ticket-store");
        private int _remaining = Tickets;

        internal int Sold { get; private set; }

        internal async Task BuyUnlockedAsync()
        {
            if (_remaining > 0)
            {
                await Task.Yield(); // the article's sleep between reading and writing the file
                _remaining--;
                Sold++;
            }
        }

        internal async Task BuyLockedAsync()
        {
            using (await _lock.AcquireAsync())
            {
                if (_remaining > 0)
                {
                    await Task.Yield();
                    _remaining--;
                    Sold++;
                }
            }
        }

        internal void AssertNotOversold() =>
            Specification.Assert(Sold <= Tickets, $"Oversold: {Sold} clients bought, only {Tickets} ticket(s) existed.");
    }
}
