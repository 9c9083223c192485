using System.Collections.Concurrent;

namespace OrderedLocks.Samples;

// The fix: wait for a state (whose turn it is), not for a notification.
public static partial class Poem
{
    /// <summary>
    /// Fixed: an <see cref="OrderedCondition"/> and a turn counter; each speaker waits with
    /// <see cref="OrderedCondition.WaitFor"/> until it is its turn. A notify that finds nobody
    /// waiting no longer matters, so the poem is recited in either start order.
    /// </summary>
    public static DialogueResult RunWaitFor(ConditionOptions options, bool xiaoAiFirst, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        var poem = new OrderedPoem(log);
        using var firstIsWaiting = new ManualResetEventSlim();
        DateTime start = DateTime.UtcNow;
        ThreadsResult threads = xiaoAiFirst
            ? BackgroundThreads.Run(ConditionOptions.FinishTimeout, ("XiaoAi", () => poem.Speak(XiaoAi, firstIsWaiting, null)), ("TianMao", () => poem.Speak(TianMao, null, firstIsWaiting)))
            : BackgroundThreads.Run(ConditionOptions.FinishTimeout, ("TianMao", () => poem.Speak(TianMao, firstIsWaiting, null)), ("XiaoAi", () => poem.Speak(XiaoAi, null, firstIsWaiting)));
        return new DialogueResult(!threads.Completed || threads.Errors.Count > 0, poem.Said.ToArray(), DateTime.UtcNow - start);
    }

    private const int TianMao = 0;
    private const int XiaoAi = 1;

    private static StepResult DescribeFixed(DialogueResult r) => !r.Hung && r.Lines.SequenceEqual(Expected)
        ? new StepResult("poem recited in order (12 lines)", true)
        : new StepResult(r.Hung ? $"hung or failed after {r.Lines.Count} lines" : "lines out of order", false);

    private sealed class OrderedPoem
    {
        private readonly TextWriter _log;
        private readonly OrderedLock _lock = new("poem", checking: LockOrderChecking.Strict);
        private readonly OrderedCondition _cond;

        // Whose line is next: even = TianMao's line turn/2, odd = XiaoAi's. Guarded by _lock.
        private int _turn;

        internal OrderedPoem(TextWriter log)
        {
            _log = log;
            _cond = new OrderedCondition(_lock);
        }

        internal ConcurrentQueue<string> Said { get; } = new();

        internal void Speak(int speaker, ManualResetEventSlim? signalWhenWaiting, ManualResetEventSlim? startAfter)
        {
            startAfter?.Wait();
            IReadOnlyList<string> lines = speaker == TianMao ? TianMaoLines : XiaoAiLines;
            using (_lock.Acquire())
            {
                for (int i = 0; i < lines.Count; i++)
                {
                    int myTurn = (2 * i) + speaker;
                    if (i == 0)
                    {
                        signalWhenWaiting?.Set(); // the other thread gets the lock only once we wait
                    }

                    _cond.WaitFor(() => _turn == myTurn);
                    string line = $"{(speaker == TianMao ? "TianMao" : "XiaoAi")}: {lines[i]}";
                    Said.Enqueue(line);
                    _log.WriteLine("  " + line);
                    _turn++;
                    _cond.NotifyAll();
                }
            }
        }
    }
}
