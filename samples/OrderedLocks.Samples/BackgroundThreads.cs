using System.Collections.Concurrent;

namespace OrderedLocks.Samples;

/// <summary>What became of a group of threads started by <see cref="BackgroundThreads.Run"/>.</summary>
/// <param name="Completed">Whether every thread finished before the timeout.</param>
/// <param name="Stuck">The names of the threads still running at the timeout (hung).</param>
/// <param name="Errors">The exceptions that ended threads, by thread name.</param>
public sealed record ThreadsResult(bool Completed, IReadOnlyList<string> Stuck, IReadOnlyList<(string Thread, Exception Error)> Errors);

/// <summary>
/// Runs scenario threads as background threads (<see cref="Thread.IsBackground"/>, the article's
/// daemon threads): a raw variant that deadlocks leaves them hung, but they do not keep the
/// process alive, and the caller learns of the hang from a timeout instead of hanging itself.
/// </summary>
public static class BackgroundThreads
{
    /// <summary>Starts one background thread per body and waits for all of them, at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait for all threads together.</param>
    /// <param name="bodies">The threads: a name and what it runs.</param>
    /// <returns>Which threads finished, which are stuck, and which threw.</returns>
    public static ThreadsResult Run(TimeSpan timeout, params (string Name, Action Body)[] bodies)
    {
        var errors = new ConcurrentQueue<(string, Exception)>();
        var threads = new Thread[bodies.Length];
        for (int i = 0; i < bodies.Length; i++)
        {
            (string name, Action body) = bodies[i];
            threads[i] = new Thread(() =>
            {
                try
                {
                    body();
                }
                catch (Exception ex)
                {
                    errors.Enqueue((name, ex));
                }
            })
            {
                IsBackground = true, // a hung raw variant must not keep the process alive
                Name = name,
            };
        }

        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var stuck = new List<string>();
        foreach (Thread thread in threads)
        {
            int remaining = (int)Math.Max(0, deadline - Environment.TickCount64);
            if (!thread.Join(remaining))
            {
                stuck.Add(thread.Name!);
            }
        }

        return new ThreadsResult(stuck.Count == 0, stuck, errors.ToArray());
    }
}
