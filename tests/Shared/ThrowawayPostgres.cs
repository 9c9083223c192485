using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrderedLocks.PostgresHarness;

// A PostgreSQL server for the distributed tests, samples and soak (compiled into each of them).
// With ORDEREDLOCKS_PG set (an Npgsql connection string) that server is used and never touched.
// Otherwise a throwaway cluster is initialised in a temp folder and started on a free port on
// 127.0.0.1; PostgreSQL refuses to run as root, so as root the cluster belongs to a system user
// created for it and every server command runs through `runuser`. Dispose stops the server and
// deletes the folder.
internal sealed class ThrowawayPostgres : IDisposable
{
    internal const string ConnectionStringVariable = "ORDEREDLOCKS_PG";
    private const string ServiceUser = "orderedlocks-pg";

    private readonly string? _binDir;
    private readonly string? _dataDir;
    private int _stopped;

    private ThrowawayPostgres(string connectionString, string? binDir, string? dataDir, bool owned)
    {
        ConnectionString = connectionString;
        _binDir = binDir;
        _dataDir = dataDir;
        IsOwned = owned;
    }

    // An Npgsql connection string for the server.
    internal string ConnectionString { get; }

    // Whether this process started the server (and may restart or stop it).
    internal bool IsOwned { get; }

    // The server of ORDEREDLOCKS_PG, or a new throwaway one.
    internal static ThrowawayPostgres StartOrUseConfigured(Action<string>? log = null)
    {
        string? configured = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            log?.Invoke($"using the server of {ConnectionStringVariable}");
            return new ThrowawayPostgres(configured, null, null, owned: false);
        }

        return StartNew(log);
    }

    // Always a new throwaway server (for tests that restart it).
    internal static ThrowawayPostgres StartNew(Action<string>? log = null)
    {
        string binDir = FindBinDir();
        bool root = Environment.UserName == "root" || GetEuid() == 0;
        string dataDir = Path.Combine(Path.GetTempPath(), "orderedlocks-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDir);
        if (root)
        {
            EnsureServiceUser();
            Run("chown", ["-R", ServiceUser, dataDir], asUser: null);
        }

        string? user = root ? ServiceUser : null;
        Run(Path.Combine(binDir, "initdb"), ["-D", Path.Combine(dataDir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"], user);
        int port = FreePort();
        string options = $"-p {port} -k {dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB";
        var server = new ThrowawayPostgres(
            $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=15;Command Timeout=60",
            binDir,
            dataDir,
            owned: true);
        server._options = options;
        server.PgCtl("start", "-w", "-t", "60", "-o", options, "-l", Path.Combine(dataDir, "server.log"));
        log?.Invoke($"started a throwaway PostgreSQL ({binDir}) on 127.0.0.1:{port} in {dataDir}");
        return server;
    }

    private string _options = string.Empty;

    // Stops and starts the server (fast shutdown: every session is terminated).
    internal void Restart()
    {
        if (!IsOwned)
        {
            throw new InvalidOperationException($"The server of {ConnectionStringVariable} is not restarted by the tests.");
        }

        PgCtl("restart", "-w", "-t", "60", "-m", "fast", "-o", _options, "-l", Path.Combine(_dataDir!, "server.log"));
    }

    public void Dispose()
    {
        if (!IsOwned || Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        try
        {
            PgCtl("stop", "-w", "-t", "60", "-m", "immediate");
        }
        finally
        {
            try
            {
                Directory.Delete(_dataDir!, recursive: true);
            }
            catch (IOException)
            {
                // a leftover temp folder is harmless
            }
        }
    }

    private void PgCtl(params string[] args)
    {
        bool root = GetEuid() == 0;
        Run(Path.Combine(_binDir!, "pg_ctl"), ["-D", Path.Combine(_dataDir!, "data"), .. args], root ? ServiceUser : null);
    }

    private static string FindBinDir()
    {
        // Debian/Ubuntu install under /usr/lib/postgresql/<major>/bin; take the newest.
        string[] candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out int major) ? major : 0)
                .ToArray()
            : [];
        if (candidates.Length > 0)
        {
            return candidates[0];
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException(
            $"PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or on PATH. " +
            $"Install them (`apt-get update && apt-get install -y postgresql`; .ci/run does this), " +
            $"or set {ConnectionStringVariable} to the connection string of a server to use.");
    }

    private static void EnsureServiceUser()
    {
        if (Run("id", ["-u", ServiceUser], asUser: null, check: false) == 0)
        {
            return;
        }

        Run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ServiceUser], asUser: null, check: false);
        Run("id", ["-u", ServiceUser], asUser: null); // now it must exist
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int GetEuid()
    {
        try
        {
            string status = File.ReadAllText("/proc/self/status");
            string? line = status.Split('\n').FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return line is null ? -1 : int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static int Run(string file, string[] args, string? asUser, bool check = true)
    {
        var start = new ProcessStartInfo(asUser is null ? file : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asUser is not null)
        {
            foreach (string a in new[] { "-u", asUser, "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        // pg_ctl start leaves the server holding inherited pipes open: read to the end only after
        // the command itself exited (the server's output goes to its log file).
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` did not finish within 120 s.");
        }

        if (check && process.ExitCode != 0)
        {
            Task.WaitAll(new Task[] { stdout, stderr }, 2000);
            throw new InvalidOperationException(
                $"`{(asUser is null ? string.Empty : $"runuser -u {asUser} -- ")}{file} {string.Join(' ', args)}` failed with exit code {process.ExitCode}: " +
                $"{(stderr.IsCompletedSuccessfully ? stderr.Result : string.Empty)}{(stdout.IsCompletedSuccessfully ? stdout.Result : string.Empty)}");
        }

        return process.ExitCode;
    }
}
