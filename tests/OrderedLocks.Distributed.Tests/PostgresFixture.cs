using Medallion.Threading;
using Medallion.Threading.Postgres;
using Npgsql;
using OrderedLocks.Distributed;
using OrderedLocks.PostgresHarness;
using Xunit;

namespace OrderedLocks.Distributed.Tests;

// One real server for the whole test assembly: a throwaway cluster (or ORDEREDLOCKS_PG's server).
public sealed class PostgresFixture : IDisposable
{
    // Every advisory key of the tests has this high word, so pg_locks can be searched for ours only
    // (pg_locks shows a bigint key as classid = high 32 bits, objid = low 32 bits, objsubid = 1).
    internal const long KeySpace = 0x4F4C_5445; // "OLTE"

    private static int s_lastKey;

    public PostgresFixture()
    {
        Server = ThrowawayPostgres.StartOrUseConfigured();
    }

    internal ThrowawayPostgres Server { get; }

    internal string ConnectionString => Server.ConnectionString;

    public void Dispose() => Server.Dispose();

    // A fresh advisory key (unique in this test run), and a rank of its own for it.
    internal static (long Key, int Rank) NextKey()
    {
        int n = Interlocked.Increment(ref s_lastKey);
        return ((KeySpace << 32) | (uint)n, 1000 + n);
    }

    internal IDistributedLock RawLock(long key, string? connectionString = null) =>
        new PostgresDistributedLock(new PostgresAdvisoryLockKey(key), connectionString ?? ConnectionString);

    internal (OrderedDistributedLock Lock, CountingLock Counter, long Key) NewLock(string name, int? rank = null, LockOrderChecking? checking = null, string? connectionString = null)
    {
        (long key, int ownRank) = NextKey();
        var counter = new CountingLock(RawLock(key, connectionString));
        return (new OrderedDistributedLock(counter, rank ?? ownRank, name, checking), counter, key);
    }

    // Advisory locks of this test run in pg_locks: granted ones, and waits.
    internal (int Granted, int Waiting) AdvisoryLocks(params long[] keys)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted) FROM pg_locks " +
            "WHERE locktype = 'advisory' AND objsubid = 1 AND classid::bigint = @space" +
            (keys.Length > 0 ? " AND objid::bigint = ANY(@ids)" : string.Empty);
        command.Parameters.AddWithValue("space", KeySpace);
        if (keys.Length > 0)
        {
            command.Parameters.AddWithValue("ids", keys.Select(k => k & 0xFFFF_FFFFL).ToArray());
        }

        using NpgsqlDataReader reader = command.ExecuteReader();
        reader.Read();
        return (checked((int)reader.GetInt64(0)), checked((int)reader.GetInt64(1)));
    }

    // The backend pids holding the advisory lock `key`.
    internal int[] HolderPids(long key)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND classid::bigint = @space AND objid::bigint = @id";
        command.Parameters.AddWithValue("space", KeySpace);
        command.Parameters.AddWithValue("id", key & 0xFFFF_FFFFL);
        var pids = new List<int>();
        using NpgsqlDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            pids.Add(reader.GetInt32(0));
        }

        return pids.ToArray();
    }

    internal void TerminateBackend(int pid)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT pg_terminate_backend(@pid)";
        command.Parameters.AddWithValue("pid", pid);
        Assert.True((bool)command.ExecuteScalar()!, $"pg_terminate_backend({pid}) failed");
    }

    // A session of "another process": holds the advisory lock `key` on its own connection
    // (pg_advisory_lock, not through DistributedLock) until disposed.
    internal ForeignHolder HoldElsewhere(long key) => new(ConnectionString, key);

    internal sealed class ForeignHolder : IDisposable
    {
        private readonly NpgsqlConnection _connection;

        internal ForeignHolder(string connectionString, long key)
        {
            _connection = new NpgsqlConnection(connectionString + ";Pooling=false");
            _connection.Open();
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT pg_advisory_lock(@key)";
            command.Parameters.AddWithValue("key", key);
            command.ExecuteNonQuery();
        }

        public void Dispose() => _connection.Dispose(); // the session ends: the server releases the lock
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

// Wraps the real PostgreSQL lock and records every call that reaches it (to prove that a checked
// violation sends nothing to the server, and in which order AcquireAll reaches the server).
internal sealed class CountingLock : IDistributedLock
{
    private static readonly List<string> s_log = new();
    private readonly IDistributedLock _inner;
    private int _calls;

    internal CountingLock(IDistributedLock inner) => _inner = inner;

    public string Name => _inner.Name;

    internal int Calls => Volatile.Read(ref _calls);

    // The names of the locks whose acquisition reached the server, in order, across all counters.
    internal static string[] TakeLog()
    {
        lock (s_log)
        {
            string[] copy = s_log.ToArray();
            s_log.Clear();
            return copy;
        }
    }

    public IDistributedSynchronizationHandle? TryAcquire(TimeSpan timeout = default, CancellationToken cancellationToken = default)
    {
        Record();
        return _inner.TryAcquire(timeout, cancellationToken);
    }

    public IDistributedSynchronizationHandle Acquire(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Record();
        return _inner.Acquire(timeout, cancellationToken);
    }

    public ValueTask<IDistributedSynchronizationHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default)
    {
        Record();
        return _inner.TryAcquireAsync(timeout, cancellationToken);
    }

    public ValueTask<IDistributedSynchronizationHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Record();
        return _inner.AcquireAsync(timeout, cancellationToken);
    }

    private void Record()
    {
        Interlocked.Increment(ref _calls);
        lock (s_log)
        {
            s_log.Add(Name);
        }
    }
}
