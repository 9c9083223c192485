using System.Collections.Concurrent;

namespace OrderedLocks.Samples;

/// <summary>Parameters of the condition-variable scenarios (poem, hide and seek).</summary>
/// <param name="HangTimeout">How long a raw variant may make no progress before it counts as hung.</param>
public sealed record ConditionOptions(TimeSpan HangTimeout)
{
    /// <summary>Initializes the defaults: a 1 s hang timeout.</summary>
    public ConditionOptions()
        : this(TimeSpan.FromSeconds(1))
    {
    }

    internal static TimeSpan FinishTimeout => TimeSpan.FromSeconds(60);
}

/// <summary>What a condition scenario did.</summary>
/// <param name="Hung">Whether the threads hung (a lost notify).</param>
/// <param name="Lines">What was said, in order.</param>
/// <param name="Elapsed">How long it ran.</param>
public sealed record DialogueResult(bool Hung, IReadOnlyList<string> Lines, TimeSpan Elapsed);

/// <summary>
/// The article's poem: TianMao (天猫精灵) and XiaoAi (小爱) recite alternately through one
/// condition variable, six lines each. Raw, with <c>Monitor.Wait</c>/<c>Pulse</c> and no
/// predicate, it works only if XiaoAi is already waiting when TianMao's first notify comes: a
/// notify with no waiter is lost, and started the other way round both wait for ever ("启动顺序很重要",
/// start order matters). With <c>OrderedCondition.WaitFor</c> and a turn variable it works in
/// either start order.
/// </summary>
public static partial class Poem
{
    /// <summary>TianMao's lines, in order.</summary>
    public static readonly IReadOnlyList<string> TianMaoLines = new[]
    {
        "小爱同学 (XiaoAi!)",
        "我们来对古诗吧 (Let's match lines of a classical poem)",
        "我住长江头 (I live at the head of the Yangtze)",
        "日日思君不见君 (Day after day I think of you but never see you)",
        "此水几时休 (When will this river stop flowing?)",
        "只愿君心似我心 (I only wish your heart were like mine)",
    };

    /// <summary>XiaoAi's lines, in order.</summary>
    public static readonly IReadOnlyList<string> XiaoAiLines = new[]
    {
        "在 (Here)",
        "好啊 (Sure)",
        "君住长江尾 (You live at its tail)",
        "共饮长江水 (We drink from the same river)",
        "此恨何时已 (When will this longing end?)",
        "定不负相思意 (I will be true to our love)",
    };

    /// <summary>The whole poem in the right order: TianMao, XiaoAi, TianMao, ...</summary>
    public static IReadOnlyList<string> Expected { get; } =
        Enumerable.Range(0, 6).SelectMany(i => new[] { "TianMao: " + TianMaoLines[i], "XiaoAi: " + XiaoAiLines[i] }).ToArray();

    /// <summary>Raw: XiaoAi starts (and waits) first, as the article does: the poem is recited.</summary>
    public static DialogueResult RunRaw(ConditionOptions options, bool xiaoAiFirst, TextWriter log)
    {
        log = TextWriter.Synchronized(log); // scenario threads write concurrently
        var poem = new RawPoem(log);
        using var firstIsWaiting = new ManualResetEventSlim();
        DateTime start = DateTime.UtcNow;
        // In the order that works, a slow machine must not pass for a hang: wait as for a fix.
        ThreadsResult threads = xiaoAiFirst
            ? BackgroundThreads.Run(ConditionOptions.FinishTimeout, ("XiaoAi", () => poem.XiaoAi(firstIsWaiting, null)), ("TianMao", () => poem.TianMao(null, firstIsWaiting)))
            : BackgroundThreads.Run(options.HangTimeout, ("TianMao", () => poem.TianMao(firstIsWaiting, null)), ("XiaoAi", () => poem.XiaoAi(null, firstIsWaiting)));
        if (!threads.Completed)
        {
            log.WriteLine($"  ... silence: TianMao's first notify came before XiaoAi waited, so it was lost; both wait for ever (detected after {options.HangTimeout.TotalSeconds:0.#} s).");
        }

        return new DialogueResult(!threads.Completed, poem.Said.ToArray(), DateTime.UtcNow - start);
    }

    private static StepResult DescribeRaw(DialogueResult r, bool expectHang) => (r.Hung, expectHang) switch
    {
        (true, true) => new StepResult($"hung after {r.Lines.Count} line: first notify lost (timeout {r.Elapsed.TotalSeconds:0.0} s)", true),
        (false, false) when r.Lines.SequenceEqual(Expected) => new StepResult("poem recited in order (12 lines)", true),
        (true, false) => new StepResult($"hung after {r.Lines.Count} line(s)", false),
        _ => new StepResult($"{r.Lines.Count} lines, {(r.Lines.SequenceEqual(Expected) ? "in order" : "out of order")}", false),
    };

    // The article's code with Monitor: a notify (Pulse) with no waiter is lost.
    private sealed class RawPoem(TextWriter log)
    {
        private readonly object _cond = new();

        internal ConcurrentQueue<string> Said { get; } = new();

#pragma warning disable OL0101 // lost wake-up: Monitor.Wait without a predicate; the poem depends on start order
        internal void XiaoAi(ManualResetEventSlim? signalWhenWaiting, ManualResetEventSlim? startAfter)
        {
            startAfter?.Wait();
            lock (_cond)
            {
                for (int i = 0; i < XiaoAiLines.Count; i++)
                {
                    if (i == 0)
                    {
                        signalWhenWaiting?.Set(); // the other thread can enter only once we wait
                    }

                    Monitor.Wait(_cond);
                    Say("XiaoAi", XiaoAiLines[i]);
                    Monitor.Pulse(_cond);
                }
            }
        }

        internal void TianMao(ManualResetEventSlim? signalWhenWaiting, ManualResetEventSlim? startAfter)
        {
            startAfter?.Wait();
            lock (_cond)
            {
                for (int i = 0; i < TianMaoLines.Count; i++)
                {
                    Say("TianMao", TianMaoLines[i]);
                    Monitor.Pulse(_cond);
                    if (i == 0)
                    {
                        signalWhenWaiting?.Set();
                    }

                    Monitor.Wait(_cond);
                }
            }
        }
#pragma warning restore OL0101

        private void Say(string who, string line)
        {
            Said.Enqueue($"{who}: {line}");
            log.WriteLine($"  {who}: {line}");
        }
    }
}
