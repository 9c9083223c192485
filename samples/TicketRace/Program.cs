// The article's ticket race ("多进程的锁"): 100 clients buy from ticket.txt, as threads and as
// real processes. Raw, they oversell; with the lock around get(), exactly the tickets on sale
// are sold. This program is also the client process: it is started again with --ticket-client.
//
//   dotnet run -c Release --project samples/TicketRace [-- --processes 100] [--tickets 3]
using System.Globalization;
using OrderedLocks.Samples;

if (SampleCli.TryRunChild(args, out int exitCode))
{
    return exitCode;
}

var options = new TicketRaceOptions();
for (int i = 0; i + 1 < args.Length; i += 2)
{
    int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    options = args[i] switch
    {
        "--processes" => options with { ProcessClients = value },
        "--clients" => options with { ThreadClients = value },
        "--tickets" => options with { Tickets = value },
        _ => throw new ArgumentException($"Unknown option {args[i]}; use --processes N, --clients N, --tickets N."),
    };
}

return SampleCli.Run("TicketRace: clients buying from one ticket.txt, raw and with OrderedLocks", TicketRace.Steps(options));
