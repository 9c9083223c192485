using System.Collections.Concurrent;

namespace OrderedLocks.Samples;

/// <summary>
/// The article's seeker and hider (Python 2, with CPython's Condition internals in comments): the
/// hider waits; the seeker covers its eyes and notifies, then waits; the hider hides, notifies
/// and waits; the seeker finds it, notifies and wins. Same start-order hazard as the poem: if the
/// seeker notifies before the hider waits, the notify is lost and both wait for ever.
/// </summary>
public static partial class HideAndSeek
{
    /// <summary>The first three lines, always in this order; the last two may come in either order.</summary>
    public static IReadOnlyList<string> ExpectedStart { get; } = new[]
    {
        "seeker: 我已经把眼睛蒙上了 (my eyes are covered)",
        "hider: 我已经藏好了,你快来找我吧 (I'm hidden, come find me)",
        "seeker: 我找到你了 ~_~ (found you ~_~)",
    };

    /// <summary>The two closing lines, in any order.</summary>
    public static IReadOnlyList<string> ExpectedEnd { get; } = new[]
    {
        "seeker: 我赢了 (I won)",
        "hider: 被你找到了,哎~~~ (you found me, sigh)",
    };

    /// <summary>Whether <paramref name="lines"/> is the whole game in a valid order.</summary>
    public static bool IsWholeGame(IReadOnlyList<string> lines) =>
        lines.Count == 5 && lines.Take(3).SequenceEqual(ExpectedStart) && lines.Skip(3).OrderBy(l => l, StringComparer.Ordinal).SequenceEqual(ExpectedEnd.OrderBy(l => l, StringComparer.Ordinal));

    /// <summary>Raw: Monitor.Wait/Pulse without predicates; the outcome depends on who starts first.</summary>
    public static DialogueResult RunRaw(ConditionOptions options, bool hiderFirst, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        var game = new RawGame(log);
        using var firstIsWaiting = new ManualResetEventSlim();
        DateTime start = DateTime.UtcNow;
        // In the order that works, a slow machine must not pass for a hang: wait as for a fix.
        ThreadsResult threads = hiderFirst
            ? BackgroundThreads.Run(ConditionOptions.FinishTimeout, ("hider", () => game.Hider(firstIsWaiting, null)), ("seeker", () => game.Seeker(null, firstIsWaiting)))
            : BackgroundThreads.Run(options.HangTimeout, ("seeker", () => game.Seeker(firstIsWaiting, null)), ("hider", () => game.Hider(null, firstIsWaiting)));
        if (!threads.Completed)
        {
            log.WriteLine($"  ... nobody moves: the seeker's notify came before the hider waited, so it was lost (detected after {options.HangTimeout.TotalSeconds:0.#} s).");
        }

        return new DialogueResult(!threads.Completed, game.Said.ToArray(), DateTime.UtcNow - start);
    }

    private static StepResult DescribeRaw(DialogueResult r, bool expectHang) => (r.Hung, expectHang) switch
    {
        (true, true) => new StepResult($"hung after {r.Lines.Count} line: first notify lost (timeout {r.Elapsed.TotalSeconds:0.0} s)", true),
        (false, false) when IsWholeGame(r.Lines) => new StepResult("game played to the end (5 lines)", true),
        (true, false) => new StepResult($"hung after {r.Lines.Count} line(s)", false),
        _ => new StepResult($"{r.Lines.Count} lines, {(IsWholeGame(r.Lines) ? "in order" : "out of order")}", false),
    };

    private sealed class RawGame(TextWriter log)
    {
        private readonly object _cond = new();

        internal ConcurrentQueue<string> Said { get; } = new();

#pragma warning disable OL0101 // lost wake-up: Monitor.Wait without a predicate; the game depends on start order
        internal void Seeker(ManualResetEventSlim? signalWhenWaiting, ManualResetEventSlim? startAfter)
        {
            startAfter?.Wait();
            lock (_cond)
            {
                Say("seeker", "我已经把眼睛蒙上了 (my eyes are covered)");
                Monitor.Pulse(_cond);
                signalWhenWaiting?.Set();
                Monitor.Wait(_cond);
                Say("seeker", "我找到你了 ~_~ (found you ~_~)");
                Monitor.Pulse(_cond);
            }

            Say("seeker", "我赢了 (I won)");
        }

        internal void Hider(ManualResetEventSlim? signalWhenWaiting, ManualResetEventSlim? startAfter)
        {
            startAfter?.Wait();
            lock (_cond)
            {
                signalWhenWaiting?.Set(); // the other thread can enter only once we wait
                Monitor.Wait(_cond);
                Say("hider", "我已经藏好了,你快来找我吧 (I'm hidden, come find me)");
                Monitor.Pulse(_cond);
                Monitor.Wait(_cond);
            }

            Say("hider", "被你找到了,哎~~~ (you found me, sigh)");
        }
#pragma warning restore OL0101

        private void Say(string who, string line)
        {
            Said.Enqueue($"{who}: {line}");
            log.WriteLine($"  {who}: {line}");
        }
    }
}
