using Microsoft.Coyote.Specifications;
using Monitor = System.Threading.Monitor;

namespace OrderedLocks.Scenarios;

/// <summary>
/// The article's poem (XiaoAi and TianMao recite alternately on one condition). TianMao says a
/// line, notifies, waits; XiaoAi waits, says a line, notifies. A notify with no waiter is lost, so
/// "start order matters": when TianMao's first notify comes before XiaoAi waits, both wait forever.
/// </summary>
public static partial class Poem
{
    private const int Lines = 3;

    /// <summary>
    /// Raw <see cref="Monitor.Wait(object)"/>/<see cref="Monitor.Pulse(object)"/>, TianMao started
    /// first (the wrong order): Coyote finds the schedule where the first pulse is lost.
    /// </summary>
    /// <returns>The scenario.</returns>
    public static async Task RawMonitorAsync()
    {
        var poem = new WithMonitor();
        Task tianMao = Task.Run(poem.TianMao);
        Task xiaoAi = Task.Run(poem.XiaoAi);
        await Task.WhenAll(new[] { tianMao, xiaoAi });
        AssertAlternating(poem.Said);
    }

    private static void AssertAlternating(List<string> said)
    {
        Specification.Assert(said.Count == 2 * Lines, $"Expected {2 * Lines} lines, got {said.Count}.");
        for (int i = 0; i < said.Count; i++)
        {
            string expected = i % 2 == 0 ? "TianMao" : "XiaoAi";
            Specification.Assert(said[i] == expected, $"Line {i} should be {expected}'s, was {said[i]}'s.");
        }
    }

    private sealed class WithMonitor
    {
        private readonly object _cond = new();

        internal List<string> Said { get; } = new();

#pragma warning disable OL0101 // the poem: Monitor.Wait without a predicate loop; a Pulse before the Wait is lost and both wait forever
        internal void XiaoAi()
        {
            lock (_cond)
            {
                for (int i = 0; i < Lines; i++)
                {
                    Monitor.Wait(_cond);
                    Said.Add("XiaoAi");
                    Monitor.Pulse(_cond);
                }
            }
        }

        internal void TianMao()
        {
            lock (_cond)
            {
                for (int i = 0; i < Lines; i++)
                {
                    Said.Add("TianMao");
                    Monitor.Pulse(_cond);
                    Monitor.Wait(_cond);
                }
            }
        }
#pragma warning restore OL0101
    }
}
