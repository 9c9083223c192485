namespace OrderedLocks.Scenarios;

// The poem with OrderedCondition: the same unlucky start order, but each side waits for a *state*
// (whose turn it is) with WaitFor, so a notification sent before the other side waits is not
// needed: it completes in every schedule. The Wait-without-predicate variant shows that
// OrderedCondition, like Python's Condition, does not remember a notify with no waiter.
public static partial class Poem
{
    /// <summary>Fixed: <see cref="OrderedCondition.WaitFor(Func{bool}, TimeSpan?)"/> on whose turn it is.</summary>
    /// <returns>The scenario.</returns>
    public static async Task WaitForAsync()
    {
        var poem = new WithCondition();
        Task tianMao = Task.Run(() => poem.Recite("TianMao", "XiaoAi"));
        Task xiaoAi = Task.Run(() => poem.Recite("XiaoAi", "TianMao"));
        await Task.WhenAll(new[] { tianMao, xiaoAi });
        AssertAlternating(poem.Said);
    }

    /// <summary>Fixed, asynchronous: <c>AcquireAsync</c> and <see cref="OrderedCondition.WaitForAsync"/>.</summary>
    /// <returns>The scenario.</returns>
    public static async Task WaitForAsyncAsync()
    {
        var poem = new WithCondition();
        Task tianMao = Task.Run(() => poem.ReciteAsync("TianMao", "XiaoAi"));
        Task xiaoAi = Task.Run(() => poem.ReciteAsync("XiaoAi", "TianMao"));
        await Task.WhenAll(new[] { tianMao, xiaoAi });
        AssertAlternating(poem.Said);
    }

    /// <summary>
    /// OrderedCondition used like the article (notify/wait, no predicate): the same lost wake-up as
    /// the raw Monitor version, found by Coyote.
    /// </summary>
    /// <returns>The scenario.</returns>
    public static async Task OrderedConditionNoPredicateAsync()
    {
        var poem = new WithConditionNoPredicate();
        Task tianMao = Task.Run(poem.TianMao);
        Task xiaoAi = Task.Run(poem.XiaoAi);
        await Task.WhenAll(new[] { tianMao, xiaoAi });
        AssertAlternating(poem.Said);
    }

    private sealed class WithCondition
    {
        private readonly OrderedLock _lock = new("poem");
        private readonly OrderedCondition _turnChanged;
        private string _turn = "TianMao";

        internal WithCondition() => _turnChanged = new OrderedCondition(_lock);

        internal List<string> Said { get; } = new();

        internal void Recite(string me, string other)
        {
            for (int i = 0; i < Lines; i++)
            {
                using (_lock.Acquire())
                {
                    _turnChanged.WaitFor(() => _turn == me);
                    Said.Add(me);
                    _turn = other;
                    _turnChanged.NotifyAll();
                }
            }
        }

        internal async Task ReciteAsync(string me, string other)
        {
            for (int i = 0; i < Lines; i++)
            {
                using (await _lock.AcquireAsync())
                {
                    await _turnChanged.WaitForAsync(() => _turn == me);
                    Said.Add(me);
                    _turn = other;
                    _turnChanged.NotifyAll();
                }
            }
        }
    }

    private sealed class WithConditionNoPredicate
    {
        private readonly OrderedLock _lock = new("poem");
        private readonly OrderedCondition _cond;

        internal WithConditionNoPredicate() => _cond = new OrderedCondition(_lock);

        internal List<string> Said { get; } = new();

#pragma warning disable OL0101 // the poem on OrderedCondition without a predicate: a notify before the other side waits is not remembered
        internal void XiaoAi()
        {
            using (_lock.Acquire())
            {
                for (int i = 0; i < Lines; i++)
                {
                    _cond.Wait();
                    Said.Add("XiaoAi");
                    _cond.Notify();
                }
            }
        }

        internal void TianMao()
        {
            using (_lock.Acquire())
            {
                for (int i = 0; i < Lines; i++)
                {
                    Said.Add("TianMao");
                    _cond.Notify();
                    _cond.Wait();
                }
            }
        }
#pragma warning restore OL0101
    }
}
