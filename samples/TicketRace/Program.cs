// The article's ticket race ("多进程的锁"): 100 clients buy from ticket.txt, as threads and as
// real processes. Raw, they oversell; with the lock around get(), exactly the tickets on sale
// are sold. This program is also the client process: it is started again with --ticket-client.
using OrderedLocks.Samples;

if (SampleCli.TryRunChild(args, out int exitCode))
{
    return exitCode;
}

return SampleCli.Run("TicketRace: clients buying from one ticket.txt, raw and with OrderedLocks", Scenarios.Steps("TicketRace"));
