using System.Collections.Concurrent;

namespace OrderedLocks.Samples;

// The fix, in async code: each player awaits the game's state with WaitForAsync.
public static partial class HideAndSeek
{
    /// <summary>
    /// Fixed, asynchronously: an <see cref="OrderedCondition"/> on an <see cref="OrderedLock"/>
    /// held with <c>AcquireAsync</c>, and a step counter; each player awaits
    /// <see cref="OrderedCondition.WaitForAsync"/> for its step. Works in either start order.
    /// </summary>
    public static DialogueResult RunWaitFor(ConditionOptions options, bool hiderFirst, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        var game = new OrderedGame(log);
        using var firstIsWaiting = new ManualResetEventSlim();
        DateTime start = DateTime.UtcNow;
        ThreadsResult threads = hiderFirst
            ? BackgroundThreads.Run(ConditionOptions.FinishTimeout, ("hider", () => game.HiderAsync(firstIsWaiting, null).AsTask().GetAwaiter().GetResult()), ("seeker", () => game.SeekerAsync(null, firstIsWaiting).AsTask().GetAwaiter().GetResult()))
            : BackgroundThreads.Run(ConditionOptions.FinishTimeout, ("seeker", () => game.SeekerAsync(firstIsWaiting, null).AsTask().GetAwaiter().GetResult()), ("hider", () => game.HiderAsync(null, firstIsWaiting).AsTask().GetAwaiter().GetResult()));
        return new DialogueResult(!threads.Completed || threads.Errors.Count > 0, game.Said.ToArray(), DateTime.UtcNow - start);
    }

    private static StepResult DescribeFixed(DialogueResult r) => !r.Hung && IsWholeGame(r.Lines)
        ? new StepResult("game played to the end (5 lines)", true)
        : new StepResult(r.Hung ? $"hung or failed after {r.Lines.Count} lines" : "lines out of order", false);

    private sealed class OrderedGame
    {
        // The game's steps: 0 start, 1 eyes covered, 2 hidden, 3 found. Guarded by _lock.
        private const int EyesCovered = 1;
        private const int Hidden = 2;
        private const int Found = 3;

        private readonly TextWriter _log;
        private readonly OrderedLock _lock = new("game", checking: LockOrderChecking.Strict);
        private readonly OrderedCondition _cond;
        private int _step;

        internal OrderedGame(TextWriter log)
        {
            _log = log;
            _cond = new OrderedCondition(_lock);
        }

        internal ConcurrentQueue<string> Said { get; } = new();

        internal async ValueTask SeekerAsync(ManualResetEventSlim? signalWhenWaiting, ManualResetEventSlim? startAfter)
        {
            startAfter?.Wait();
            using (await _lock.AcquireAsync())
            {
                Say("seeker", "我已经把眼睛蒙上了 (my eyes are covered)");
                _step = EyesCovered;
                _cond.NotifyAll();
                signalWhenWaiting?.Set();
                await _cond.WaitForAsync(() => _step == Hidden).ConfigureAwait(false);
                Say("seeker", "我找到你了 ~_~ (found you ~_~)");
                _step = Found;
                _cond.NotifyAll();
            }

            Say("seeker", "我赢了 (I won)");
        }

        internal async ValueTask HiderAsync(ManualResetEventSlim? signalWhenWaiting, ManualResetEventSlim? startAfter)
        {
            startAfter?.Wait();
            using (await _lock.AcquireAsync())
            {
                signalWhenWaiting?.Set(); // the other player gets the lock only once we wait
                await _cond.WaitForAsync(() => _step == EyesCovered).ConfigureAwait(false);
                Say("hider", "我已经藏好了,你快来找我吧 (I'm hidden, come find me)");
                _step = Hidden;
                _cond.NotifyAll();
                await _cond.WaitForAsync(() => _step == Found).ConfigureAwait(false);
            }

            Say("hider", "被你找到了,哎~~~ (you found me, sigh)");
        }

        private void Say(string who, string line)
        {
            Said.Enqueue($"{who}: {line}");
            _log.WriteLine($"  {who}: {line}");
        }
    }
}
