namespace OrderedLocks.Benchmarks;

/// <summary>
/// Runs the same work on the calling thread and on one dedicated worker thread at once, and
/// returns when both are done. The worker is created once (GlobalSetup), so an invocation costs
/// two semaphore signals, not a thread start; both threads pass a spinning start line together so
/// that neither runs its share alone while the other wakes up.
/// </summary>
internal sealed class TwoThreadRunner : IDisposable
{
    private readonly Thread _worker;
    private readonly SemaphoreSlim _start = new(0);
    private readonly SemaphoreSlim _done = new(0);
    private Action<int>? _work;
    private volatile bool _stopping;
    private int _arrived;

    internal TwoThreadRunner()
    {
        _worker = new Thread(WorkerLoop) { IsBackground = true, Name = "benchmark worker" };
        _worker.Start();
    }

    /// <summary>Runs <paramref name="work"/>(0) here and <paramref name="work"/>(1) on the worker.</summary>
    internal void Run(Action<int> work)
    {
        _work = work;
        Volatile.Write(ref _arrived, 0);
        _start.Release();
        StartLine();
        work(0);
        _done.Wait();
    }

    public void Dispose()
    {
        _stopping = true;
        _start.Release();
        _worker.Join();
        _start.Dispose();
        _done.Dispose();
    }

    private void StartLine()
    {
        Interlocked.Increment(ref _arrived);
        var spin = default(SpinWait);
        while (Volatile.Read(ref _arrived) < 2)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _start.Wait();
            if (_stopping)
            {
                return;
            }

            StartLine();
            _work!(1);
            _done.Release();
        }
    }
}
