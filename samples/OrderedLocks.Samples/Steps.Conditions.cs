namespace OrderedLocks.Samples;

// The variants of the two condition scenarios.
public static partial class Poem
{
    /// <summary>The variants: raw in both start orders, and with a predicate.</summary>
    public static IReadOnlyList<ScenarioStep> Steps(ConditionOptions options) => new ScenarioStep[]
    {
        new("Poem", "raw Monitor, XiaoAi first", "poem recited", log => DescribeRaw(RunRaw(options, xiaoAiFirst: true, log), expectHang: false)),
        new("Poem", "raw Monitor, TianMao first", "hangs: lost notify", log => DescribeRaw(RunRaw(options, xiaoAiFirst: false, log), expectHang: true)),
        new("Poem", "WaitFor, XiaoAi first", "poem recited", log => DescribeFixed(RunWaitFor(options, xiaoAiFirst: true, log))),
        new("Poem", "WaitFor, TianMao first", "poem recited", log => DescribeFixed(RunWaitFor(options, xiaoAiFirst: false, log))),
    };
}

public static partial class HideAndSeek
{
    /// <summary>The variants: raw in both start orders, and with a predicate.</summary>
    public static IReadOnlyList<ScenarioStep> Steps(ConditionOptions options) => new ScenarioStep[]
    {
        new("HideAndSeek", "raw Monitor, hider first", "game completes", log => DescribeRaw(RunRaw(options, hiderFirst: true, log), expectHang: false)),
        new("HideAndSeek", "raw Monitor, seeker first", "hangs: lost notify", log => DescribeRaw(RunRaw(options, hiderFirst: false, log), expectHang: true)),
        new("HideAndSeek", "WaitForAsync, hider first", "game completes", log => DescribeFixed(RunWaitFor(options, hiderFirst: true, log))),
        new("HideAndSeek", "WaitForAsync, seeker first", "game completes", log => DescribeFixed(RunWaitFor(options, hiderFirst: false, log))),
    };
}
