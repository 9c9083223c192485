using System.Diagnostics;
using System.Text.Json;

namespace OrderedLocks.Samples;

/// <summary>Parameters of the ticket race.</summary>
/// <param name="Tickets">Tickets in <c>ticket.txt</c> at the start.</param>
/// <param name="ThreadClients">Clients in the threads variants (the article's 100).</param>
/// <param name="ProcessClients">Client processes in the processes variants.</param>
/// <param name="ThreadDelayMs">The read delay of a thread client; the write delay is twice as long (the article: 0.1 s and 0.2 s).</param>
/// <param name="ProcessDelayMs">The read delay of a client process; the write delay is twice as long.</param>
public sealed record TicketRaceOptions(int Tickets = 3, int ThreadClients = 100, int ProcessClients = 16, int ThreadDelayMs = 10, int ProcessDelayMs = 50);

/// <summary>How many clients bought a ticket.</summary>
/// <param name="Tickets">Tickets on sale.</param>
/// <param name="Clients">Clients that tried.</param>
/// <param name="Sold">Clients told "bought".</param>
/// <param name="Remaining">The count left in the file at the end.</param>
/// <param name="Elapsed">How long it ran.</param>
public sealed record TicketRaceResult(int Tickets, int Clients, int Sold, int Remaining, TimeSpan Elapsed)
{
    /// <summary>Gets the tickets sold that did not exist.</summary>
    public int Oversold => Math.Max(0, Sold - Tickets);

    /// <summary>Gets a value indicating whether exactly the tickets on sale were sold (or every client got one).</summary>
    public bool Exact => Sold == Math.Min(Tickets, Clients) && Remaining == Tickets - Sold;
}

/// <summary>
/// The article's 100 clients buying from <c>ticket.txt</c>: each reads the count, waits, and if a
/// ticket is left, decrements it, waits, and writes it back. Without a lock, clients that read
/// the same count all "buy" (oversell). With the lock around <c>get()</c>, exactly the tickets on
/// sale are sold. Threads share an <see cref="OrderedLock"/>; processes share an
/// <see cref="OrderedFileLock"/> on the file.
/// </summary>
public static class TicketRace
{
    /// <summary>The child command that runs one client process.</summary>
    public const string ChildCommand = "--ticket-client";

    /// <summary>The four variants: threads and processes, raw and locked.</summary>
    /// <param name="options">The parameters.</param>
    /// <param name="launcher">Starts client processes; defaults to copies of the current program.</param>
    public static IReadOnlyList<ScenarioStep> Steps(TicketRaceOptions options, ChildLauncher? launcher = null) => new ScenarioStep[]
    {
        new("TicketRace", $"raw, {options.ThreadClients} threads", "oversold", log => DescribeRaw(RunThreads(options, locked: false, log))),
        new("TicketRace", $"OrderedLock, {options.ThreadClients} threads", $"exactly {options.Tickets} sold", log => DescribeLocked(RunThreads(options, locked: true, log))),
        new("TicketRace", $"raw, {options.ProcessClients} processes", "oversold", log => DescribeRaw(RunProcesses(options, locked: false, launcher ?? ChildLauncher.Self(), log))),
        new("TicketRace", $"OrderedFileLock, {options.ProcessClients} processes", $"exactly {options.Tickets} sold", log => DescribeLocked(RunProcesses(options, locked: true, launcher ?? ChildLauncher.Self(), log))),
    };

    /// <summary>Runs the clients as threads of this process, released together by a barrier.</summary>
    public static TicketRaceResult RunThreads(TicketRaceOptions options, bool locked, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "ticket.txt");
        TicketStore.Write(path, options.Tickets);
        var ticketLock = new OrderedLock("ticket.txt", checking: LockOrderChecking.Strict);
        var start = new Barrier(options.ThreadClients);
        int sold = 0;
        var clock = Stopwatch.StartNew();
        var clients = new (string, Action)[options.ThreadClients];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = ($"client {i}", () =>
            {
                start.SignalAndWait();
                bool bought;
                TicketClient.Search(path, TextWriter.Null);
                if (locked)
                {
                    using (ticketLock.Acquire())
                    {
                        bought = TicketClient.Get(path, options.ThreadDelayMs, TextWriter.Null);
                    }
                }
                else
                {
                    bought = TicketClient.Get(path, options.ThreadDelayMs, TextWriter.Null);
                }

                if (bought)
                {
                    Interlocked.Increment(ref sold);
                }
            });
        }

        ThreadsResult threads = BackgroundThreads.Run(TimeSpan.FromSeconds(120), clients);
        if (!threads.Completed || threads.Errors.Count > 0)
        {
            throw new InvalidOperationException($"Ticket clients failed: {threads.Stuck.Count} stuck, {threads.Errors.Count} errors. {threads.Errors.FirstOrDefault().Error}");
        }

        var result = new TicketRaceResult(options.Tickets, options.ThreadClients, sold, TicketStore.Read(path), clock.Elapsed);
        Report(result, log);
        return result;
    }

    /// <summary>
    /// Runs the clients as separate processes sharing the JSON file on disk. Every client starts,
    /// says it is ready, and waits for "go", so that all of them race (process start-up takes
    /// longer than a client's work).
    /// </summary>
    public static TicketRaceResult RunProcesses(TicketRaceOptions options, bool locked, ChildLauncher launcher, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "ticket.txt");
        TicketStore.Write(path, options.Tickets);
        var clock = Stopwatch.StartNew();
        var processes = new List<Process>();
        try
        {
            for (int i = 0; i < options.ProcessClients; i++)
            {
                Process child = Process.Start(launcher.StartInfo(ChildCommand, path, locked ? "locked" : "raw", options.ProcessDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                    ?? throw new InvalidOperationException("Could not start a client process.");
                processes.Add(child);
            }

            log.WriteLine($"  started {processes.Count} client processes; waiting until all are ready...");
            foreach (Process child in processes)
            {
                string? line = ReadLine(child, TimeSpan.FromSeconds(60));
                if (line != "ready")
                {
                    throw new InvalidOperationException($"A client process did not get ready (said '{line}'): {FirstLine(child.StandardError.ReadToEnd())}");
                }
            }

            foreach (Process child in processes)
            {
                child.StandardInput.WriteLine("go");
                child.StandardInput.Flush();
            }

            int sold = 0;
            int finished = 0;
            foreach (Process child in processes)
            {
                Task<string> output = child.StandardOutput.ReadToEndAsync();
                if (!output.Wait(TimeSpan.FromSeconds(120)) || !child.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    throw new TimeoutException("A client process did not finish within 2 minutes.");
                }

                if (child.ExitCode != 0)
                {
                    throw new InvalidOperationException($"A client process failed (exit code {child.ExitCode}): {FirstLine(child.StandardError.ReadToEnd())}");
                }

                if (output.Result.Split('\n').Any(l => l.TrimEnd('\r') == "bought"))
                {
                    sold++;
                }

                if (++finished % 4 == 0 || finished == processes.Count)
                {
                    log.WriteLine($"  {finished}/{processes.Count} client processes finished");
                }
            }

            var result = new TicketRaceResult(options.Tickets, options.ProcessClients, sold, TicketStore.Read(path), clock.Elapsed);
            Report(result, log);
            return result;
        }
        finally
        {
            foreach (Process child in processes)
            {
                if (!child.HasExited)
                {
                    child.Kill(entireProcessTree: true);
                }

                child.Dispose();
            }
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0].TrimEnd();

    private static string? ReadLine(Process child, TimeSpan timeout)
    {
        Task<string?> line = child.StandardOutput.ReadLineAsync();
        return line.Wait(timeout) ? line.Result : null;
    }

    private static void Report(TicketRaceResult result, TextWriter log) =>
        log.WriteLine($"  {result.Clients} clients, {result.Tickets} tickets: {result.Sold} told \"bought\", {result.Remaining} left in the file{(result.Oversold > 0 ? $" -> oversold by {result.Oversold}" : string.Empty)}.");

    private static StepResult DescribeRaw(TicketRaceResult r) => r.Oversold > 0
        ? new StepResult($"oversold {r.Oversold}: {r.Sold} sold, {r.Tickets} tickets", true)
        : new StepResult($"not oversold this time ({r.Sold} sold): the race was lost", false);

    private static StepResult DescribeLocked(TicketRaceResult r) => r.Exact
        ? new StepResult($"exactly {r.Sold} sold, {r.Clients - r.Sold} told sold out", true)
        : new StepResult($"{r.Sold} sold, {r.Remaining} left (expected exactly {r.Tickets})", false);

    private sealed class TempFolder : IDisposable
    {
        internal TempFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "orderedlocks-tickets-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        internal string Path { get; }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }
}

/// <summary>The shared <c>ticket.txt</c>: <c>{"count": N}</c>.</summary>
public static class TicketStore
{
    /// <summary>Reads the count. A read that catches a writer half-way (an empty or torn file) is retried.</summary>
    public static int Read(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
                return document.RootElement.GetProperty("count").GetInt32();
            }
            catch (Exception ex) when (attempt < 200 && ex is JsonException or IOException or KeyNotFoundException)
            {
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>Writes the count.</summary>
    public static void Write(string path, int count) => File.WriteAllText(path, $"{{\"count\": {count}}}");
}

/// <summary>One client: the article's <c>search()</c> and <c>get()</c>, and the child-process entry point.</summary>
public static class TicketClient
{
    /// <summary>The article's <c>search()</c>: prints the remaining count.</summary>
    public static int Search(string path, TextWriter log)
    {
        int count = TicketStore.Read(path);
        log.WriteLine($"remaining: {count}");
        return count;
    }

    /// <summary>
    /// The article's <c>get()</c>: read, wait (network latency), and if a ticket is left, decrement,
    /// wait, write back. Returns whether this client "bought" a ticket. Not safe without a lock.
    /// </summary>
    public static bool Get(string path, int delayMs, TextWriter log)
    {
        int count = TicketStore.Read(path);
        Thread.Sleep(delayMs);
        if (count > 0)
        {
            count--;
            Thread.Sleep(2 * delayMs);
            TicketStore.Write(path, count);
            log.WriteLine("bought");
            return true;
        }

        log.WriteLine("sold out");
        return false;
    }

    /// <summary>
    /// Child process entry: <c>--ticket-client PATH raw|locked DELAY_MS</c>. Prints "ready", waits
    /// for a line on standard input, then runs search() and get() (inside an
    /// <see cref="OrderedFileLock"/> on PATH when "locked"), printing "bought" or "sold out".
    /// </summary>
    public static int RunChild(IReadOnlyList<string> args)
    {
        if (args.Count != 3)
        {
            Console.Error.WriteLine($"usage: {TicketRace.ChildCommand} PATH raw|locked DELAY_MS");
            return 2;
        }

        string path = args[0];
        bool locked = args[1] == "locked";
        int delayMs = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        var fileLock = new OrderedFileLock(path, "ticket.txt");
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        Console.In.ReadLine();
        Search(path, Console.Out);
        if (locked)
        {
            using (fileLock.Acquire())
            {
                Get(path, delayMs, Console.Out);
            }
        }
        else
        {
            Get(path, delayMs, Console.Out);
        }

        return 0;
    }
}
