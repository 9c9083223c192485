using System.Runtime.CompilerServices;
using Xunit;

namespace OrderedLocks.Tests.Condition;

// The article's two Condition scenarios (see /work/shared/notes/article-scenarios.md, items 5 and 6)
// on our types: first written naively, exactly as in the article (notify-then-wait / wait-then-notify),
// which completes when started in the right order and hangs when started in the wrong one -- the
// naive participants wait with a generous timeout (TestTimeouts.NaiveWait) so the hang shows up as
// "a participant timed out and the dialogue did not complete", never as a hung suite -- and then
// with WaitFor on shared state, which always completes in order, whatever the start order.

/// <summary>Shared plumbing: a participant body runs on its own thread (sync) or as a task (async).</summary>
internal static class Dialogue
{
    public static Task Start(Func<Task> body, bool async, string name) =>
        async ? Task.Run(body) : Concurrent.RunThread(() => body().GetAwaiter().GetResult(), name);

    // With async == false nothing below awaits an incomplete task, so the body stays on its thread.
    // Not async methods on purpose: AcquireAsync records the hold in the caller's async flow, and
    // an async helper would record it in the helper's own flow, which ends when the helper returns.
    public static ValueTask<LockScope> Enter(OrderedLockBase lockObject, bool async) =>
        async ? lockObject.AcquireAsync() : new ValueTask<LockScope>(lockObject.Acquire());

    public static ValueTask<bool> Wait(OrderedCondition condition, TimeSpan timeout, bool async) =>
        async ? condition.WaitAsync(timeout) : new ValueTask<bool>(condition.Wait(timeout));

    public static ValueTask<bool> WaitFor(OrderedCondition condition, Func<bool> predicate, TimeSpan timeout, bool async) =>
        async ? condition.WaitForAsync(predicate, timeout) : new ValueTask<bool>(condition.WaitFor(predicate, timeout));

    // Waits until the first participant is waiting; fails at once with its error if it failed.
    public static async Task UntilWaiting(OrderedCondition condition, Task participant, string what)
    {
        await Concurrent.WaitUntilAsync(() => condition.WaiterCount == 1 || participant.IsCompleted, what);
        if (participant.IsFaulted)
        {
            await participant;
        }

        Assert.Equal(1, condition.WaiterCount);
    }

    public static async Task Join(Task[] participants)
    {
        await Concurrent.Within(Task.WhenAll(participants), "the participants");
    }
}

/// <summary>A thread-safe transcript plus the names of participants that gave up waiting.</summary>
internal sealed class Transcript
{
    private readonly object _gate = new();
    private readonly List<string> _lines = new();
    private readonly List<string> _timedOut = new();

    public void Say(string line)
    {
        lock (_gate)
        {
            _lines.Add(line);
        }
    }

    public void TimedOut(string who)
    {
        lock (_gate)
        {
            _timedOut.Add(who);
        }
    }

    public string[] Lines
    {
        get
        {
            lock (_gate)
            {
                return _lines.ToArray();
            }
        }
    }

    public string[] TimedOutParticipants
    {
        get
        {
            lock (_gate)
            {
                return _timedOut.Order().ToArray();
            }
        }
    }
}

/// <summary>The poem: TianMao (天猫精灵) and XiaoAi (小爱) recite alternately, six lines each.</summary>
public sealed class PoemTests
{
    private const int Runs = 5;

    private static readonly string[] TianMaoLines = { "小爱同学", "我们来对古诗吧", "我住长江头", "日日思君不见君", "此水几时休", "只愿君心似我心" };
    private static readonly string[] XiaoAiLines = { "在", "好啊", "君住长江尾", "共饮长江水", "此恨何时已", "定不负相思意" };

    private static readonly string[] WholePoem = TianMaoLines
        .Zip(XiaoAiLines, (t, x) => new[] { $"TianMao: {t}", $"XiaoAi: {x}" })
        .SelectMany(pair => pair)
        .ToArray();

    // Naive, right start order (XiaoAi waiting before TianMao's first notify): completes.
    [Theory]
    [InlineData(LockKind.Plain, false)]
    [InlineData(LockKind.Reentrant, false)]
    [InlineData(LockKind.Plain, true)]
    [InlineData(LockKind.Reentrant, true)]
    public async Task Naive_XiaoAiFirst_Completes(LockKind kind, bool async)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        var transcript = new Transcript();

        Task xiaoAi = Dialogue.Start(() => NaiveXiaoAi(lockObject, condition, transcript, async), async, "XiaoAi");
        await Dialogue.UntilWaiting(condition, xiaoAi, "XiaoAi waits");
        Task tianMao = Dialogue.Start(() => NaiveTianMao(lockObject, condition, transcript, async), async, "TianMao");
        await Dialogue.Join(new[] { xiaoAi, tianMao });

        Assert.Empty(transcript.TimedOutParticipants);
        Assert.Equal(WholePoem, transcript.Lines);
        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, condition.WaiterCount);
    }

    // Naive, wrong start order: TianMao's first notify finds nobody and is lost, then both wait for
    // each other. Each gives up after its generous timeout; the poem never gets past the first line.
    [Theory]
    [InlineData(LockKind.Plain, false)]
    [InlineData(LockKind.Reentrant, true)]
    public async Task Naive_TianMaoFirst_ShowsTheStartOrderHang(LockKind kind, bool async)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        var transcript = new Transcript();

        Task tianMao = Dialogue.Start(() => NaiveTianMao(lockObject, condition, transcript, async), async, "TianMao");
        await Dialogue.UntilWaiting(condition, tianMao, "TianMao spoke, notified nobody, and waits");
        Task xiaoAi = Dialogue.Start(() => NaiveXiaoAi(lockObject, condition, transcript, async), async, "XiaoAi");
        await Dialogue.Join(new[] { xiaoAi, tianMao });

        Assert.Equal(new[] { "TianMao", "XiaoAi" }, transcript.TimedOutParticipants);
        Assert.Equal(new[] { WholePoem[0] }, transcript.Lines);
        Assert.NotEqual(WholePoem.Length, transcript.Lines.Length);
        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, condition.WaiterCount);
    }

    // Fixed with WaitFor on whose turn it is: always the whole poem in order, in both start orders.
    [Theory]
    [InlineData(LockKind.Plain, false, true)]
    [InlineData(LockKind.Plain, false, false)]
    [InlineData(LockKind.Reentrant, false, true)]
    [InlineData(LockKind.Reentrant, false, false)]
    [InlineData(LockKind.Plain, true, true)]
    [InlineData(LockKind.Plain, true, false)]
    [InlineData(LockKind.Reentrant, true, true)]
    [InlineData(LockKind.Reentrant, true, false)]
    public async Task WithWaitFor_AlwaysCompletesInOrder(LockKind kind, bool async, bool tianMaoFirst)
    {
        for (int run = 0; run < Runs; run++)
        {
            OrderedLockBase lockObject = LockKinds.Create(kind);
            var condition = new OrderedCondition(lockObject);
            var transcript = new Transcript();
            var turn = new StrongBox<int>(0);

            string firstName = tianMaoFirst ? "TianMao" : "XiaoAi";
            Task first = Dialogue.Start(() => Reciter(lockObject, condition, transcript, turn, tianMao: tianMaoFirst, async), async, firstName);

            // Make the hazardous order real: the first one is already waiting (TianMao after its first line).
            await Dialogue.UntilWaiting(condition, first, $"{firstName} waits");
            Task second = Dialogue.Start(() => Reciter(lockObject, condition, transcript, turn, tianMao: !tianMaoFirst, async), async, "second");
            await Dialogue.Join(new[] { first, second });

            Assert.Equal(WholePoem, transcript.Lines);
            Assert.Equal(WholePoem.Length, turn.Value);
            Assert.False(lockObject.IsLocked);
            Assert.Equal(0, condition.WaiterCount);
        }
    }

    // The article's XiaoAi: wait, then say a line and notify, six times.
    private static async Task NaiveXiaoAi(OrderedLockBase lockObject, OrderedCondition condition, Transcript transcript, bool async)
    {
        using (await Dialogue.Enter(lockObject, async))
        {
            foreach (string line in XiaoAiLines)
            {
                if (!await Dialogue.Wait(condition, TestTimeouts.NaiveWait, async))
                {
                    transcript.TimedOut("XiaoAi");
                    return;
                }

                transcript.Say($"XiaoAi: {line}");
                condition.Notify();
            }
        }
    }

    // The article's TianMao: say a line, notify, then wait, six times.
    private static async Task NaiveTianMao(OrderedLockBase lockObject, OrderedCondition condition, Transcript transcript, bool async)
    {
        using (await Dialogue.Enter(lockObject, async))
        {
            foreach (string line in TianMaoLines)
            {
                transcript.Say($"TianMao: {line}");
                condition.Notify();
                if (!await Dialogue.Wait(condition, TestTimeouts.NaiveWait, async))
                {
                    transcript.TimedOut("TianMao");
                    return;
                }
            }
        }
    }

    // The fix: wait for the state (whose turn it is), not for a notification.
    private static async Task Reciter(OrderedLockBase lockObject, OrderedCondition condition, Transcript transcript, StrongBox<int> turn, bool tianMao, bool async)
    {
        string[] lines = tianMao ? TianMaoLines : XiaoAiLines;
        string name = tianMao ? "TianMao" : "XiaoAi";
        using (await Dialogue.Enter(lockObject, async))
        {
            for (int i = 0; i < lines.Length; i++)
            {
                int myTurn = (2 * i) + (tianMao ? 0 : 1);
                Assert.True(await Dialogue.WaitFor(condition, () => turn.Value == myTurn, TestTimeouts.HangGuard, async), $"{name} never got turn {myTurn}");
                transcript.Say($"{name}: {lines[i]}");
                turn.Value++;
                condition.NotifyAll();
            }
        }
    }
}

/// <summary>Seeker and hider: the hider waits, the seeker covers its eyes and notifies, and so on.</summary>
public sealed class SeekerHiderTests
{
    private const int Runs = 5;
    private const string EyesCovered = "seeker: 我已经把眼睛蒙上了";
    private const string Hidden = "hider: 我已经藏好了,你快来找我吧";
    private const string FoundYou = "seeker: 我找到你了 ~_~";
    private const string IWon = "seeker: 我赢了";
    private const string Found = "hider: 被你找到了,哎~~~";

    // Naive, right order (the hider waits first): completes.
    [Theory]
    [InlineData(LockKind.Plain, false)]
    [InlineData(LockKind.Reentrant, false)]
    [InlineData(LockKind.Plain, true)]
    [InlineData(LockKind.Reentrant, true)]
    public async Task Naive_HiderFirst_Completes(LockKind kind, bool async)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        var transcript = new Transcript();

        Task hider = Dialogue.Start(() => NaiveHider(lockObject, condition, transcript, async), async, "hider");
        await Dialogue.UntilWaiting(condition, hider, "the hider waits");
        Task seeker = Dialogue.Start(() => NaiveSeeker(lockObject, condition, transcript, async), async, "seeker");
        await Dialogue.Join(new[] { hider, seeker });

        Assert.Empty(transcript.TimedOutParticipants);
        AssertWholeGame(transcript.Lines);
        Assert.False(lockObject.IsLocked);
    }

    // Naive, wrong order: the seeker's "eyes covered" notify is lost; both wait until they give up.
    [Theory]
    [InlineData(LockKind.Reentrant, false)]
    [InlineData(LockKind.Plain, true)]
    public async Task Naive_SeekerFirst_ShowsTheStartOrderHang(LockKind kind, bool async)
    {
        OrderedLockBase lockObject = LockKinds.Create(kind);
        var condition = new OrderedCondition(lockObject);
        var transcript = new Transcript();

        Task seeker = Dialogue.Start(() => NaiveSeeker(lockObject, condition, transcript, async), async, "seeker");
        await Dialogue.UntilWaiting(condition, seeker, "the seeker notified nobody and waits");
        Task hider = Dialogue.Start(() => NaiveHider(lockObject, condition, transcript, async), async, "hider");
        await Dialogue.Join(new[] { hider, seeker });

        Assert.Equal(new[] { "hider", "seeker" }, transcript.TimedOutParticipants);
        Assert.Equal(new[] { EyesCovered }, transcript.Lines);
        Assert.DoesNotContain(IWon, transcript.Lines);
        Assert.False(lockObject.IsLocked);
        Assert.Equal(0, condition.WaiterCount);
    }

    // Fixed with WaitFor on the stage of the game: always completes in order, both start orders.
    [Theory]
    [InlineData(LockKind.Plain, false, true)]
    [InlineData(LockKind.Plain, false, false)]
    [InlineData(LockKind.Reentrant, false, true)]
    [InlineData(LockKind.Reentrant, false, false)]
    [InlineData(LockKind.Plain, true, true)]
    [InlineData(LockKind.Plain, true, false)]
    [InlineData(LockKind.Reentrant, true, true)]
    [InlineData(LockKind.Reentrant, true, false)]
    public async Task WithWaitFor_AlwaysCompletesInOrder(LockKind kind, bool async, bool seekerFirst)
    {
        for (int run = 0; run < Runs; run++)
        {
            OrderedLockBase lockObject = LockKinds.Create(kind);
            var condition = new OrderedCondition(lockObject);
            var transcript = new Transcript();
            var stage = new StrongBox<int>(0);

            Func<Task> seeker = () => Seeker(lockObject, condition, transcript, stage, async);
            Func<Task> hider = () => Hider(lockObject, condition, transcript, stage, async);
            Task first = Dialogue.Start(seekerFirst ? seeker : hider, async, seekerFirst ? "seeker" : "hider");
            await Dialogue.UntilWaiting(condition, first, "the first participant waits");
            Task second = Dialogue.Start(seekerFirst ? hider : seeker, async, "second");
            await Dialogue.Join(new[] { first, second });

            AssertWholeGame(transcript.Lines);
            Assert.Equal(3, stage.Value);
            Assert.False(lockObject.IsLocked);
            Assert.Equal(0, condition.WaiterCount);
        }
    }

    // The last two lines are said after each participant released the lock: either order.
    private static void AssertWholeGame(string[] lines)
    {
        Assert.Equal(new[] { EyesCovered, Hidden, FoundYou }, lines.Take(3));
        Assert.Equal(new[] { Found, IWon }.Order(), lines.Skip(3).Order());
    }

    private static async Task NaiveSeeker(OrderedLockBase lockObject, OrderedCondition condition, Transcript transcript, bool async)
    {
        using (await Dialogue.Enter(lockObject, async))
        {
            transcript.Say(EyesCovered);
            condition.Notify();
            if (!await Dialogue.Wait(condition, TestTimeouts.NaiveWait, async))
            {
                transcript.TimedOut("seeker");
                return;
            }

            transcript.Say(FoundYou);
            condition.Notify();
        }

        transcript.Say(IWon);
    }

    private static async Task NaiveHider(OrderedLockBase lockObject, OrderedCondition condition, Transcript transcript, bool async)
    {
        using (await Dialogue.Enter(lockObject, async))
        {
            if (!await Dialogue.Wait(condition, TestTimeouts.NaiveWait, async))
            {
                transcript.TimedOut("hider");
                return;
            }

            transcript.Say(Hidden);
            condition.Notify();
            if (!await Dialogue.Wait(condition, TestTimeouts.NaiveWait, async))
            {
                transcript.TimedOut("hider");
                return;
            }
        }

        transcript.Say(Found);
    }

    // Stages: 0 nothing yet, 1 eyes covered, 2 hidden, 3 found.
    private static async Task Seeker(OrderedLockBase lockObject, OrderedCondition condition, Transcript transcript, StrongBox<int> stage, bool async)
    {
        using (await Dialogue.Enter(lockObject, async))
        {
            transcript.Say(EyesCovered);
            stage.Value = 1;
            condition.NotifyAll();
            Assert.True(await Dialogue.WaitFor(condition, () => stage.Value == 2, TestTimeouts.HangGuard, async), "the hider never hid");
            transcript.Say(FoundYou);
            stage.Value = 3;
            condition.NotifyAll();
        }

        transcript.Say(IWon);
    }

    private static async Task Hider(OrderedLockBase lockObject, OrderedCondition condition, Transcript transcript, StrongBox<int> stage, bool async)
    {
        using (await Dialogue.Enter(lockObject, async))
        {
            Assert.True(await Dialogue.WaitFor(condition, () => stage.Value == 1, TestTimeouts.HangGuard, async), "the seeker never covered its eyes");
            transcript.Say(Hidden);
            stage.Value = 2;
            condition.NotifyAll();
            Assert.True(await Dialogue.WaitFor(condition, () => stage.Value == 3, TestTimeouts.HangGuard, async), "the seeker never found the hider");
        }

        transcript.Say(Found);
    }
}
