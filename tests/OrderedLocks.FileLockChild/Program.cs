// Child process for tests/OrderedLocks.Samples.Tests. Commands (one per run):
//   hold PATH MS|forever        acquire, print "acquired", hold for MS (or until killed), release, print "released"
//   try PATH TIMEOUT_MS         TryAcquire with the timeout, print "acquired" or "timeout"
//   count PATH COUNTER N        N times: under the lock, read the integer in COUNTER, add 1, write it back
//   --ticket-client ...         the TicketRace client (see OrderedLocks.Samples.TicketClient)
using System.Globalization;
using OrderedLocks;
using OrderedLocks.Samples;

if (SampleCli.TryRunChild(args, out int ticketExit))
{
    return ticketExit;
}

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: hold PATH MS|forever | try PATH TIMEOUT_MS | count PATH COUNTER N");
    return 2;
}

var fileLock = new OrderedFileLock(args[1]);
switch (args[0])
{
    case "hold":
        using (fileLock.Acquire())
        {
            Console.WriteLine("acquired");
            Console.Out.Flush();
            if (args[2] == "forever")
            {
                Thread.Sleep(Timeout.Infinite);
            }

            Thread.Sleep(int.Parse(args[2], CultureInfo.InvariantCulture));
        }

        Console.WriteLine("released");
        return 0;

    case "try":
        if (fileLock.TryAcquire(TimeSpan.FromMilliseconds(int.Parse(args[2], CultureInfo.InvariantCulture)), out LockScope scope))
        {
            using (scope)
            {
                Console.WriteLine("acquired");
            }
        }
        else
        {
            Console.WriteLine("timeout");
        }

        return 0;

    case "count":
        string counter = args[2];
        int n = int.Parse(args[3], CultureInfo.InvariantCulture);
        for (int i = 0; i < n; i++)
        {
            using (fileLock.Acquire())
            {
                int value = int.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture);
                File.WriteAllText(counter, (value + 1).ToString(CultureInfo.InvariantCulture));
            }
        }

        Console.WriteLine("counted");
        return 0;

    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'");
        return 2;
}
