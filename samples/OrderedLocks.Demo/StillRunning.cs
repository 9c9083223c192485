using System.Diagnostics;

namespace OrderedLocks.Demo;

/// <summary>Prints "still running" every few seconds while a long step runs.</summary>
internal sealed class StillRunning : IDisposable
{
    private static readonly TimeSpan s_every = TimeSpan.FromSeconds(3);
    private readonly Timer _timer;

    private StillRunning(Stopwatch clock, bool onOwnLine)
    {
        TextWriter console = Console.Out; // the real console, even if a step redirects Console.Out
        _timer = new Timer(_ => console.Write(onOwnLine ? $"  ... still running ({clock.Elapsed.TotalSeconds:0} s){Environment.NewLine}" : $" {clock.Elapsed.TotalSeconds:0} s..."), null, s_every, s_every);
    }

    internal static StillRunning Report(Stopwatch clock, bool onOwnLine) => new(clock, onOwnLine);

    public void Dispose()
    {
        using var done = new ManualResetEvent(false);
        _timer.Dispose(done);
        done.WaitOne();
    }
}
