// The article's ticket race and ABBA deadlock again, across processes on PostgreSQL: raw
// DistributedLock (and raw advisory-lock SQL) against OrderedDistributedLock. This program is
// also every child process (started again with `child ...`).
//
//   dotnet run -c Release --project samples/Distributed [-- tickets|abba]
//
// Server: ORDEREDLOCKS_PG (an Npgsql connection string) if set; otherwise a throwaway cluster
// is started for the run (needs the PostgreSQL server binaries, e.g. apt-get install postgresql).
using System.Diagnostics;
using System.Globalization;
using Medallion.Threading;
using Medallion.Threading.Postgres;
using Npgsql;
using OrderedLocks;
using OrderedLocks.Distributed;
using OrderedLocks.PostgresHarness;

if (args.Length > 0 && args[0] == "child")
{
    return await Child.RunAsync(args[1..]);
}

string which = args.Length > 0 ? args[0] : "all";
if (which is not ("all" or "tickets" or "abba"))
{
    Console.Error.WriteLine("usage: Distributed [tickets|abba]   (server: ORDEREDLOCKS_PG, or a throwaway one)");
    return 2;
}

using ThrowawayPostgres server = ThrowawayPostgres.StartOrUseConfigured(m => Console.WriteLine("   " + m));
string cs = server.ConnectionString;
var rows = new List<(string Scenario, string Variant, string Outcome, bool AsExpected)>();
var total = Stopwatch.StartNew();

if (which is "all" or "tickets")
{
    await Tickets.RunAsync(cs, rows);
}

if (which is "all" or "abba")
{
    await Abba.RunAsync(cs, rows);
}

Console.WriteLine();
Console.WriteLine($"{"scenario",-8} | {"variant",-44} | outcome");
Console.WriteLine(new string('-', 120));
foreach ((string scenario, string variant, string outcome, bool ok) in rows)
{
    Console.WriteLine($"{scenario,-8} | {variant,-44} | {outcome}{(ok ? string.Empty : "   <-- UNEXPECTED")}");
}

bool allOk = rows.TrueForAll(r => r.AsExpected);
Console.WriteLine($"{rows.Count} results, {(allOk ? "all as expected" : "SOME UNEXPECTED")}, {total.Elapsed.TotalSeconds:F1} s");
return allOk ? 0 : 1;

// The ticket race: 4 processes x 25 clients buy from one row of a PostgreSQL table with 3 tickets.
// A client reads the count, waits (network latency), and if a ticket is left writes count - 1
// and records a sale. Raw, clients of every process read 3 before anyone writes (oversold); with
// an OrderedDistributedLock around the read-modify-write, exactly 3 are sold, every time.
internal static class Tickets
{
    internal const int Processes = 4;
    internal const int ClientsPerProcess = 25;
    internal const int OnSale = 3;
    internal const long Key = 0x4F4C_5449_0000_0001; // "OLTI": the ticket lock's advisory key
    internal const int Rank = 100;

    internal static async Task RunAsync(string cs, List<(string, string, string, bool)> rows)
    {
        foreach (string mode in new[] { "raw", "ordered" })
        {
            await Db.ExecAsync(cs, $"""
                DROP TABLE IF EXISTS ol_tickets; DROP TABLE IF EXISTS ol_sales;
                CREATE TABLE ol_tickets (id int PRIMARY KEY, remaining int NOT NULL);
                CREATE TABLE ol_sales (client text NOT NULL);
                INSERT INTO ol_tickets VALUES (1, {OnSale});
                """);
            Console.WriteLine($"== tickets, {mode}: {Processes} processes x {ClientsPerProcess} clients, {OnSale} tickets");
            int[] exits = await Children.RunAllAsync(cs, Enumerable.Range(0, Processes).Select(p => new[] { "ticket-client", mode, p.ToString(CultureInfo.InvariantCulture) }).ToArray());
            long sold = await Db.ScalarAsync(cs, "SELECT count(*) FROM ol_sales");
            long remaining = await Db.ScalarAsync(cs, "SELECT remaining FROM ol_tickets WHERE id = 1");
            bool childrenOk = exits.All(e => e == 0);
            string outcome = $"{sold} sold for {OnSale} tickets, remaining = {remaining}" + (childrenOk ? string.Empty : $", child exit codes {string.Join(',', exits)}");
            bool expected = childrenOk && (mode == "raw" ? sold > OnSale : sold == OnSale && remaining == 0);
            rows.Add(("tickets", mode == "raw" ? "raw (no lock), 100 clients in 4 processes" : "OrderedDistributedLock, 100 clients", (mode == "raw" && sold > OnSale ? "OVERSOLD: " : string.Empty) + outcome, expected));
        }

        await Db.ExecAsync(cs, "DROP TABLE IF EXISTS ol_tickets; DROP TABLE IF EXISTS ol_sales;");
    }

    internal static async Task<int> ClientProcessAsync(string cs, string mode, string process)
    {
        // Data connections are pooled (at most 10 per process); the lock has its own connection.
        string data = cs + ";Maximum Pool Size=10";
        OrderedDistributedLock? ticketLock = mode == "ordered"
            ? new OrderedDistributedLock(new PostgresDistributedLock(new PostgresAdvisoryLockKey(Key), cs), Rank, "tickets")
            : null;
        var clients = new Task[ClientsPerProcess];
        for (int c = 0; c < clients.Length; c++)
        {
            string client = $"{process}.{c}";
            clients[c] = Task.Run(async () =>
            {
                if (ticketLock is null)
                {
                    await BuyAsync(data, client);
                }
                else
                {
                    using (await ticketLock.AcquireAsync())
                    {
                        await BuyAsync(data, client);
                    }
                }
            });
        }

        await Task.WhenAll(clients);
        return 0;
    }

    // The article's get(): read, wait, and if a ticket is left, write count - 1.
    private static async Task BuyAsync(string cs, string client)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        long count = await Db.ScalarAsync(connection, "SELECT remaining FROM ol_tickets WHERE id = 1");
        await Task.Delay(20); // the article's network latency, scaled down
        if (count > 0)
        {
            await Db.ExecAsync(connection, $"UPDATE ol_tickets SET remaining = {count - 1} WHERE id = 1; INSERT INTO ol_sales VALUES ('{client}')");
        }
    }
}

// ABBA across two processes: side 1 takes A then B, side 2 takes B then A; each takes its
// second lock only once both hold their first (a rendezvous in the database).
internal static class Abba
{
    internal const long KeyA = 0x4F4C_4142_0000_000A; // "OLAB"
    internal const long KeyB = 0x4F4C_4142_0000_000B;
    internal const int RankA = 210;
    internal const int RankB = 220;
    internal const int SecondLockTimeoutSeconds = 5;

    internal static async Task RunAsync(string cs, List<(string, string, string, bool)> rows)
    {
        var variants = new (string Mode, string Title)[]
        {
            ("raw-distributedlock", "raw DistributedLock (session-level locks)"),
            ("raw-sql", "raw SQL, one connection per process"),
            ("ordered-nested", "OrderedDistributedLock, nested B then A"),
            ("ordered-acquireall", "OrderedLock.AcquireAll(A, B) / (B, A) x 20"),
        };
        foreach ((string mode, string title) in variants)
        {
            await Db.ExecAsync(cs, "DROP TABLE IF EXISTS ol_abba_ready; CREATE TABLE ol_abba_ready (side int);");
            Console.WriteLine($"== abba, {title}");
            var watch = Stopwatch.StartNew();
            string[][] sides = [["abba-side", mode, "1"], ["abba-side", mode, "2"]];
            int[] exits = await Children.RunAllAsync(cs, sides, capture: true);
            string[] outcomes = Children.LastOutputs.Select(o => o.Split('\n').LastOrDefault(l => l.StartsWith("outcome:", StringComparison.Ordinal))?["outcome:".Length..].Trim() ?? "(no outcome)").ToArray();
            string outcome = $"side 1: {outcomes[0]}; side 2: {outcomes[1]} ({watch.Elapsed.TotalSeconds:F1} s)";
            bool expected = mode switch
            {
                // A hang that PostgreSQL cannot see (each process waits on another connection than
                // the one holding its first lock): only the sample's timeout ends it. The side that
                // times out first releases its first lock, so the other may then get both.
                "raw-distributedlock" => outcomes.Any(o => o.StartsWith("HUNG", StringComparison.Ordinal)) && !outcomes.Any(o => o.StartsWith("KILLED", StringComparison.Ordinal)),
                // Both waits are on the holding sessions: the server's deadlock detector kills one.
                "raw-sql" => outcomes.Count(o => o.StartsWith("KILLED", StringComparison.Ordinal)) == 1 && outcomes.Count(o => o.StartsWith("done", StringComparison.Ordinal)) == 1,
                "ordered-nested" => outcomes[0].StartsWith("done", StringComparison.Ordinal) && outcomes[1].StartsWith("LockOrderException", StringComparison.Ordinal),
                _ => outcomes.All(o => o.StartsWith("done", StringComparison.Ordinal)),
            };
            rows.Add(("abba", title, outcome, expected && exits.All(e => e == 0)));
        }

        await Db.ExecAsync(cs, "DROP TABLE IF EXISTS ol_abba_ready;");
    }

    internal static async Task<int> SideProcessAsync(string cs, string mode, int side)
    {
        long first = side == 1 ? KeyA : KeyB;
        long second = side == 1 ? KeyB : KeyA;
        TimeSpan timeout = TimeSpan.FromSeconds(SecondLockTimeoutSeconds);
        switch (mode)
        {
            case "raw-distributedlock":
            {
                var a = new PostgresDistributedLock(new PostgresAdvisoryLockKey(first), cs);
                var b = new PostgresDistributedLock(new PostgresAdvisoryLockKey(second), cs);
                await using (await a.AcquireAsync())
                {
                    await RendezvousAsync(cs, side);
                    var waited = Stopwatch.StartNew();
                    try
                    {
                        await using IDistributedSynchronizationHandle? handle = await b.TryAcquireAsync(timeout);
                        Console.WriteLine(handle is null
                            ? $"outcome: HUNG: no second lock after {SecondLockTimeoutSeconds} s, and PostgreSQL did not detect a deadlock"
                            : $"outcome: done (got both after {waited.Elapsed.TotalSeconds:F1} s, once the other side gave up)");
                    }
                    catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected)
                    {
                        Console.WriteLine($"outcome: KILLED by PostgreSQL's deadlock detector ({ex.SqlState})");
                    }
                }

                return 0;
            }

            case "raw-sql":
            {
                await using var connection = new NpgsqlConnection(cs + ";Pooling=false");
                await connection.OpenAsync();
                await Db.ExecAsync(connection, $"SET lock_timeout = '{SecondLockTimeoutSeconds}s'; SELECT pg_advisory_lock({first})");
                await RendezvousAsync(cs, side);
                try
                {
                    await Db.ExecAsync(connection, $"SELECT pg_advisory_lock({second})");
                    Console.WriteLine("outcome: done (got both after the other side was killed)");
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected)
                {
                    Console.WriteLine($"outcome: KILLED by PostgreSQL's deadlock detector ({ex.SqlState} {ex.MessageText})");
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
                {
                    Console.WriteLine($"outcome: HUNG until lock_timeout ({SecondLockTimeoutSeconds} s)");
                }

                return 0; // closing the session releases its advisory locks
            }

            case "ordered-nested":
            {
                var a = new OrderedDistributedLock(new PostgresDistributedLock(new PostgresAdvisoryLockKey(KeyA), cs), RankA, "A");
                var b = new OrderedDistributedLock(new PostgresDistributedLock(new PostgresAdvisoryLockKey(KeyB), cs), RankB, "B");
                OrderedDistributedLock firstLock = side == 1 ? a : b;
                OrderedDistributedLock secondLock = side == 1 ? b : a;
                try
                {
                    using (await firstLock.AcquireAsync())
                    {
                        await RendezvousAsync(cs, side);
                        using (await secondLock.AcquireAsync())
                        {
                            Console.WriteLine("outcome: done (got both, in rank order)");
                        }
                    }
                }
                catch (LockOrderException ex)
                {
                    string firstLine = ex.Message.Split('\n')[0];
                    Console.WriteLine($"outcome: LockOrderException before anything was sent: {firstLine[..(firstLine.IndexOf(", which", StringComparison.Ordinal) is > 0 and int cut ? cut : firstLine.Length)]}");
                }

                return 0;
            }

            default:
            {
                var a = new OrderedDistributedLock(new PostgresDistributedLock(new PostgresAdvisoryLockKey(KeyA), cs), RankA, "A");
                var b = new OrderedDistributedLock(new PostgresDistributedLock(new PostgresAdvisoryLockKey(KeyB), cs), RankB, "B");
                await RendezvousAsync(cs, side);
                for (int i = 0; i < 20; i++)
                {
                    using (await (side == 1 ? OrderedLock.AcquireAllAsync(a, b) : OrderedLock.AcquireAllAsync(b, a)))
                    {
                        await Task.Delay(5);
                    }
                }

                Console.WriteLine("outcome: done (20 x both, never deadlocked)");
                return 0;
            }
        }
    }

    // Each side records that it holds its first lock, then waits until both have.
    private static async Task RendezvousAsync(string cs, int side)
    {
        await Db.ExecAsync(cs, $"INSERT INTO ol_abba_ready VALUES ({side})");
        var deadline = Stopwatch.StartNew();
        while (await Db.ScalarAsync(cs, "SELECT count(*) FROM ol_abba_ready") < 2)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("The other side did not arrive within 60 s.");
            }

            await Task.Delay(20);
        }
    }
}

internal static class Child
{
    internal static Task<int> RunAsync(string[] args)
    {
        string cs = Environment.GetEnvironmentVariable(ThrowawayPostgres.ConnectionStringVariable)
            ?? throw new InvalidOperationException($"Child processes get the server from {ThrowawayPostgres.ConnectionStringVariable}.");
        return args[0] switch
        {
            "ticket-client" => Tickets.ClientProcessAsync(cs, args[1], args[2]),
            "abba-side" => Abba.SideProcessAsync(cs, args[1], int.Parse(args[2], CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"Unknown child role {args[0]}."),
        };
    }
}

internal static class Children
{
    internal static string[] LastOutputs { get; private set; } = [];

    // Starts one copy of this program per argument list (with the server in ORDEREDLOCKS_PG), and
    // waits for all; a child that takes longer than two minutes is killed.
    internal static async Task<int[]> RunAllAsync(string cs, string[][] argLists, bool capture = false)
    {
        string self = Environment.ProcessPath!;
        bool viaDotnet = Path.GetFileNameWithoutExtension(self) == "dotnet";
        var processes = new List<Process>();
        var outputs = new List<Task<string>>();
        foreach (string[] argList in argLists)
        {
            var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            if (viaDotnet)
            {
                start.ArgumentList.Add(typeof(Children).Assembly.Location);
            }

            start.ArgumentList.Add("child");
            foreach (string a in argList)
            {
                start.ArgumentList.Add(a);
            }

            start.Environment[ThrowawayPostgres.ConnectionStringVariable] = cs;
            Process process = Process.Start(start)!;
            processes.Add(process);
            outputs.Add(ReadAllAsync(process));
        }

        var exits = new int[processes.Count];
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        for (int i = 0; i < processes.Count; i++)
        {
            try
            {
                await processes[i].WaitForExitAsync(timeout.Token);
                exits[i] = processes[i].ExitCode;
            }
            catch (OperationCanceledException)
            {
                processes[i].Kill(entireProcessTree: true);
                exits[i] = -1;
            }
        }

        string[] texts = await Task.WhenAll(outputs);
        for (int i = 0; i < texts.Length; i++)
        {
            if (exits[i] != 0)
            {
                Console.WriteLine($"   child {string.Join(' ', argLists[i])} exited with {exits[i]}:{Environment.NewLine}{texts[i]}");
            }
            else if (capture)
            {
                Console.WriteLine($"   side {i + 1}: {texts[i].Trim()}");
            }
        }

        LastOutputs = texts;
        foreach (Process p in processes)
        {
            p.Dispose();
        }

        return exits;

        static async Task<string> ReadAllAsync(Process process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            return await stdout + await stderr;
        }
    }
}

internal static class Db
{
    internal static async Task ExecAsync(string cs, string sql)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await ExecAsync(connection, sql);
    }

    internal static async Task ExecAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    internal static async Task<long> ScalarAsync(string cs, string sql)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        return await ScalarAsync(connection, sql);
    }

    internal static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
