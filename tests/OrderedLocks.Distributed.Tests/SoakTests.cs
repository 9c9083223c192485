using System.Diagnostics;
using OrderedLocks.PostgresHarness;
using Xunit;

namespace OrderedLocks.Distributed.Tests;

// The bounded soak in CI (8 processes x 100 AcquireAll; the long run is the benchmark command in
// docs/distributed.md), and its seeded failure: without the locks the same checks must fail.
[Collection(PostgresCollection.Name)]
public sealed class SoakTests
{
    // Built beside this project (a ProjectReference without the assembly), same configuration.
    private static readonly string SoakDll = FindSoakDll();

    private readonly PostgresFixture _pg;

    public SoakTests(PostgresFixture pg) => _pg = pg;

    [Fact]
    public void Soak_8ProcessesX100_NoViolationNoDeadlockNoLeakedLock()
    {
        (int exit, string output) = RunSoak("soak", "--processes", "8", "--iterations", "100");
        Assert.True(exit == 0, output);
        Assert.Contains("soak: OK", output, StringComparison.Ordinal);
        Assert.Contains("pg_locks: 0 left", output, StringComparison.Ordinal);
        Assert.Equal((0, 0), AdvisoryLocksOfTheSoak());
    }

    [Fact]
    public void Soak_WithoutTheLocks_DetectsLostUpdates()
    {
        (int exit, string output) = RunSoak("soak", "--processes", "4", "--iterations", "50", "--no-lock");
        Assert.True(exit == 1, output);
        Assert.Contains("soak: FAILED", output, StringComparison.Ordinal);
        Assert.Contains("lost updates", output, StringComparison.Ordinal);
    }

    private static string FindSoakDll()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrderedLocks.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        return Path.Combine(dir.FullName, "benchmarks", "OrderedLocks.Distributed.Soak", "bin", configuration, "net10.0", "OrderedLocks.Distributed.Soak.dll");
    }

    private (int Granted, int Waiting) AdvisoryLocksOfTheSoak()
    {
        using var connection = new Npgsql.NpgsqlConnection(_pg.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = 1330402127"; // "OLSO"
        using var reader = command.ExecuteReader();
        reader.Read();
        return ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
    }

    private (int Exit, string Output) RunSoak(params string[] args)
    {
        Assert.True(File.Exists(SoakDll), $"the soak program is not built: {SoakDll}");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(SoakDll);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment[ThrowawayPostgres.ConnectionStringVariable] = _pg.ConnectionString;
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the soak did not finish within 4 minutes (deadlock?)");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
