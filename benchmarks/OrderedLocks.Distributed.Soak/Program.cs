// Soak and throughput of OrderedDistributedLock on PostgreSQL, with real worker processes
// (copies of this program started with `worker ...`).
//
//   soak       [--processes 8] [--iterations 1000] [--seed 1]
//       every worker does N AcquireAll (sync in even workers, async in odd ones) of a random
//       subset of 4 distributed locks passed in random order; under the locks it checks
//       exclusion in the database: a per-lock "inside" counter must read 1, and a read-then-write
//       counter must not lose updates. At the end: no violation, every worker finished (no
//       deadlock; bounded by a deadline), totals match, pg_locks holds none of the soak's locks.
//       --no-lock: the workers skip the locks (the checks must then fail: lost updates).
//   throughput [--processes 8] [--iterations 1000]
//       the same workers acquire and release ONE lock N times: raw PostgresDistributedLock,
//       then OrderedDistributedLock over the same key; prints both rates and the ratio.
//   bench [BenchmarkDotNet arguments]
//       BenchmarkDotNet, one process, one uncontended lock: raw PostgresDistributedLock as the
//       baseline, OrderedDistributedLock beside it (sync and async; see OneLockBenchmarks).
//
// Server: ORDEREDLOCKS_PG, or a throwaway cluster started for the run.
using System.Diagnostics;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using System.Globalization;
using Medallion.Threading;
using Medallion.Threading.Postgres;
using Npgsql;
using OrderedLocks;
using OrderedLocks.Distributed;
using OrderedLocks.PostgresHarness;

const long KeySpace = 0x4F4C_534F; // "OLSO": pg_locks classid of the soak's advisory keys
const int Locks = 4;
const int FirstRank = 300;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: soak|throughput [--processes N] [--iterations N] [--seed N]");
    return 2;
}

if (args[0] == "worker")
{
    string workerCs = Environment.GetEnvironmentVariable(ThrowawayPostgres.ConnectionStringVariable)!;
    return args[1] == "soak"
        ? await SoakWorkerAsync(workerCs, int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), args[5] == "lock")
        : await ThroughputWorkerAsync(workerCs, args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
}

if (args[0] == "bench")
{
    using ThrowawayPostgres benchServer = ThrowawayPostgres.StartOrUseConfigured(m => Console.WriteLine("   " + m));
    Environment.SetEnvironmentVariable(ThrowawayPostgres.ConnectionStringVariable, benchServer.ConnectionString);
    Console.WriteLine($"load average before: {LoadAverage()}");
    ManualConfig config = DefaultConfig.Instance
        .WithOptions(ConfigOptions.DisableLogFile)
        // In process: no boilerplate project to build (its build times out on a loaded machine),
        // and both kinds run the same way, side by side, so their ratio stands.
        .AddJob(Job.ShortRun.WithWarmupCount(3).WithIterationCount(8).WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance).WithId("InProcess").AsDefault());
    BenchmarkDotNet.Running.BenchmarkSwitcher.FromTypes([typeof(OrderedLocks.Distributed.Soak.OneLockBenchmarks)]).Run(args[1..].Length == 0 ? ["--filter", "*"] : args[1..], config);
    Console.WriteLine($"load average after: {LoadAverage()}");
    return 0;
}

int processes = Option("--processes", 8);
int iterations = Option("--iterations", 1000);
int seed = Option("--seed", 1);
bool noLock = args.Contains("--no-lock");
Console.WriteLine($"load average before: {LoadAverage()}");
using ThrowawayPostgres server = ThrowawayPostgres.StartOrUseConfigured(m => Console.WriteLine("   " + m));
string cs = server.ConnectionString;
int exit = args[0] switch
{
    "soak" => await SoakAsync(),
    "throughput" => await ThroughputAsync(),
    _ => 2,
};
Console.WriteLine($"load average after: {LoadAverage()}");
return exit;

async Task<int> SoakAsync()
{
    await ExecAsync(cs, $"""
        DROP TABLE IF EXISTS ol_soak;
        CREATE TABLE ol_soak (id int PRIMARY KEY, inside int NOT NULL, total bigint NOT NULL, racy bigint NOT NULL);
        INSERT INTO ol_soak SELECT g, 0, 0, 0 FROM generate_series(0, {Locks - 1}) g;
        """);
    Console.WriteLine($"soak: {processes} processes x {iterations} AcquireAll of random subsets of {Locks} distributed locks{(noLock ? " -- WITHOUT the locks (--no-lock): the checks must fail" : string.Empty)}");
    var watch = Stopwatch.StartNew();
    // No deadlock: every worker must finish well within this bound (generous for a loaded machine).
    TimeSpan deadline = TimeSpan.FromSeconds(60 + (iterations * processes / 10.0));
    string[] outputs = await RunWorkersAsync(Enumerable.Range(0, processes).Select(p => new[] { "soak", p.ToString(CultureInfo.InvariantCulture), iterations.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture), noLock ? "no-lock" : "lock" }).ToArray(), deadline);
    watch.Stop();

    var failures = new List<string>();
    long[] acquired = new long[Locks];
    long violations = 0;
    foreach (string output in outputs)
    {
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith("result ", StringComparison.Ordinal));
        if (line is null)
        {
            failures.Add("a worker reported no result: " + output.Trim());
            continue;
        }

        long[] numbers = line["result ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(n => long.Parse(n, CultureInfo.InvariantCulture)).ToArray();
        for (int k = 0; k < Locks; k++)
        {
            acquired[k] += numbers[k];
        }

        violations += numbers[Locks];
    }

    if (violations != 0)
    {
        failures.Add($"{violations} exclusion violations (the 'inside' counter read more than 1)");
    }

    await using (var connection = new NpgsqlConnection(cs))
    {
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, inside, total, racy FROM ol_soak ORDER BY id", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            int id = reader.GetInt32(0);
            (int inside, long total, long racy) = (reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3));
            Console.WriteLine($"   lock {id}: acquired {acquired[id]} times by the workers, total {total}, read-then-write counter {racy}, inside now {inside}");
            if (inside != 0 || total != acquired[id] || racy != acquired[id])
            {
                failures.Add($"lock {id}: inside {inside}, total {total}, racy {racy}, workers counted {acquired[id]} (lost updates mean two holders at once)");
            }
        }
    }

    long leaked = await ScalarAsync(cs, $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = {KeySpace}");
    if (leaked != 0)
    {
        failures.Add($"{leaked} advisory locks of the soak are still in pg_locks");
    }

    long sets = (long)processes * iterations;
    Console.WriteLine($"   {sets} AcquireAll in {watch.Elapsed.TotalSeconds:F1} s ({sets / watch.Elapsed.TotalSeconds:F0} sets/s, {acquired.Sum()} lock acquisitions), pg_locks: {leaked} left");
    await ExecAsync(cs, "DROP TABLE ol_soak");
    foreach (string failure in failures)
    {
        Console.WriteLine("   FAILED: " + failure);
    }

    Console.WriteLine(failures.Count == 0 ? "soak: OK" : "soak: FAILED");
    return failures.Count == 0 ? 0 : 1;
}

async Task<int> ThroughputAsync()
{
    Console.WriteLine($"throughput: {processes} processes x {iterations} acquire/release of one lock");
    // Rounds in the order raw, ordered, ordered, raw, so that a drift of the machine's load
    // affects both kinds alike; the rate of a kind is over its two rounds.
    var seconds = new Dictionary<string, double> { ["raw"] = 0, ["ordered"] = 0 };
    foreach (string kind in new[] { "raw", "ordered", "ordered", "raw" })
    {
        var watch = Stopwatch.StartNew();
        string[] outputs = await RunWorkersAsync(Enumerable.Range(0, processes).Select(_ => new[] { "throughput", kind, iterations.ToString(CultureInfo.InvariantCulture) }).ToArray(), TimeSpan.FromMinutes(10));
        watch.Stop();
        if (outputs.Any(o => !o.Contains("done", StringComparison.Ordinal)))
        {
            Console.WriteLine("   FAILED: a worker did not finish: " + string.Join(" | ", outputs));
            return 1;
        }

        // Workers start together (each waits for the others in the database), so the wall time
        // after the start is the contended phase; process start-up is excluded by the rendezvous.
        double round = outputs.Select(o => double.Parse(o.Split('\n').First(l => l.StartsWith("done ", StringComparison.Ordinal))["done ".Length..], CultureInfo.InvariantCulture)).Max();
        seconds[kind] += round;
        Console.WriteLine($"   {kind,-8}: {processes * iterations} acquisitions in {round:F2} s = {processes * iterations / round:F0} /s (load average {LoadAverage()})");
    }

    double raw = 2.0 * processes * iterations / seconds["raw"];
    double ordered = 2.0 * processes * iterations / seconds["ordered"];
    Console.WriteLine($"   raw {raw:F0} /s, ordered {ordered:F0} /s: ratio ordered/raw throughput {ordered / raw:F2} (a loaded, shared machine)");
    return 0;
}

async Task<string[]> RunWorkersAsync(string[][] argLists, TimeSpan deadline)
{
    await ExecAsync(cs, "DROP TABLE IF EXISTS ol_soak_ready; CREATE TABLE ol_soak_ready (n int);");
    string self = Environment.ProcessPath!;
    bool viaDotnet = Path.GetFileNameWithoutExtension(self) == "dotnet";
    var running = new List<(Process Process, Task<string> Output)>();
    foreach (string[] argList in argLists)
    {
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (viaDotnet)
        {
            start.ArgumentList.Add(typeof(ThrowawayPostgres).Assembly.Location);
        }

        start.ArgumentList.Add("worker");
        foreach (string a in argList)
        {
            start.ArgumentList.Add(a);
        }

        start.ArgumentList.Add(argLists.Length.ToString(CultureInfo.InvariantCulture));
        start.Environment[ThrowawayPostgres.ConnectionStringVariable] = cs;
        Process process = Process.Start(start)!;
        running.Add((process, ReadAllAsync(process)));
    }

    using var timeout = new CancellationTokenSource(deadline);
    var outputs = new string[running.Count];
    for (int i = 0; i < running.Count; i++)
    {
        try
        {
            await running[i].Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A deadlock (or a hopelessly slow machine): kill them all and report.
            foreach ((Process p, _) in running)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // already exited
                }
            }

            Console.WriteLine($"   FAILED: workers did not finish within {deadline.TotalSeconds:F0} s (deadlock?)");
        }

        outputs[i] = await running[i].Output;
        if (running[i].Process.ExitCode != 0)
        {
            Console.WriteLine($"   worker {i} exited with {running[i].Process.ExitCode}: {outputs[i].Trim()}");
        }

        running[i].Process.Dispose();
    }

    await ExecAsync(cs, "DROP TABLE IF EXISTS ol_soak_ready");
    return outputs;

    static async Task<string> ReadAllAsync(Process process)
    {
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        return await stdout + await stderr;
    }
}

static async Task<int> SoakWorkerAsync(string cs, int index, int iterations, int seed, bool useLocks)
{
    var locks = new OrderedDistributedLock[Locks];
    for (int k = 0; k < Locks; k++)
    {
        locks[k] = new OrderedDistributedLock(new PostgresDistributedLock(new PostgresAdvisoryLockKey((KeySpace << 32) | (uint)k), cs), FirstRank + k, $"soak-{k}");
    }

    var random = new Random(seed * 1000 + index);
    long[] acquired = new long[Locks];
    long violations = 0;
    await using var data = new NpgsqlConnection(cs);
    await data.OpenAsync();
    await RendezvousAsync(cs);
    for (int i = 0; i < iterations; i++)
    {
        int mask = random.Next(1, 1 << Locks); // a non-empty subset
        OrderedLockBase[] subset = Enumerable.Range(0, Locks).Where(k => (mask & (1 << k)) != 0).Select(k => (OrderedLockBase)locks[k]).OrderBy(_ => random.Next()).ToArray();
        LockSetScope set = !useLocks ? default : index % 2 == 0 ? OrderedLock.AcquireAll(subset) : await OrderedLock.AcquireAllAsync(subset);
        using (set)
        {
            foreach (OrderedLockBase member in subset)
            {
                int k = Array.IndexOf(locks, member);
                acquired[k]++;
                // Enter: no one else may be inside. Then a read-then-write increment, which loses
                // updates if two holders interleave.
                // (Synchronous database calls: a synchronous AcquireAll is held by the thread.)
                long racy;
                using (var enter = new NpgsqlCommand($"UPDATE ol_soak SET inside = inside + 1, total = total + 1 WHERE id = {k} RETURNING inside, racy", data))
                using (NpgsqlDataReader reader = enter.ExecuteReader())
                {
                    reader.Read();
                    if (reader.GetInt32(0) != 1)
                    {
                        violations++;
                    }

                    racy = reader.GetInt64(1);
                }

                using var leave = new NpgsqlCommand($"UPDATE ol_soak SET inside = inside - 1, racy = {racy + 1} WHERE id = {k}", data);
                leave.ExecuteNonQuery();
            }
        }
    }

    Console.WriteLine($"result {string.Join(' ', acquired)} {violations}");
    return 0;
}

static async Task<int> ThroughputWorkerAsync(string cs, string kind, int iterations)
{
    IDistributedLock raw = new PostgresDistributedLock(new PostgresAdvisoryLockKey((KeySpace << 32) | 99), cs);
    var ordered = new OrderedDistributedLock(raw, FirstRank + 99, "throughput");
    // Warm the connection pool and JIT before the timed part.
    using (raw.Acquire())
    {
    }

    await RendezvousAsync(cs);
    var watch = Stopwatch.StartNew();
    for (int i = 0; i < iterations; i++)
    {
        if (kind == "raw")
        {
            using (raw.Acquire())
            {
            }
        }
        else
        {
            using (ordered.Acquire())
            {
            }
        }
    }

    Console.WriteLine($"done {watch.Elapsed.TotalSeconds.ToString("F4", CultureInfo.InvariantCulture)}");
    return 0;
}

// Every worker waits until all have started, so the timed parts overlap.
static async Task RendezvousAsync(string cs)
{
    int expected = int.Parse(Environment.GetCommandLineArgs()[^1], CultureInfo.InvariantCulture);
    await ExecAsync(cs, "INSERT INTO ol_soak_ready VALUES (1)");
    var wait = Stopwatch.StartNew();
    while (await ScalarAsync(cs, "SELECT count(*) FROM ol_soak_ready") < expected)
    {
        if (wait.Elapsed > TimeSpan.FromMinutes(2))
        {
            throw new TimeoutException("The other workers did not start within 2 minutes.");
        }

        await Task.Delay(10);
    }
}

static async Task ExecAsync(string cs, string sql)
{
    await using var connection = new NpgsqlConnection(cs);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    await command.ExecuteNonQueryAsync();
}

static async Task<long> ScalarAsync(string cs, string sql)
{
    await using var connection = new NpgsqlConnection(cs);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

int Option(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
