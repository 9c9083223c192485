using Microsoft.Coyote.Specifications;
using Monitor = System.Threading.Monitor;

namespace OrderedLocks.Scenarios;

/// <summary>
/// The article's seeker and hider: the hider waits; the seeker covers its eyes, notifies, waits;
/// the hider hides, notifies, waits; the seeker finds it, notifies and wins; the hider ends. The
/// same start-order hazard as the poem: a notify before the other side waits is lost.
/// </summary>
public static partial class SeekerHider
{
    /// <summary>Raw Monitor.Wait/Pulse: Coyote finds the schedule where the seeker's first pulse is lost.</summary>
    /// <returns>The scenario.</returns>
    public static async Task RawMonitorAsync()
    {
        var game = new WithMonitor();
        Task seeker = Task.Run(game.Seeker);
        Task hider = Task.Run(game.Hider);
        await Task.WhenAll(new[] { seeker, hider });
        AssertStory(game.Story);
    }

    private static readonly string[] s_story = { "eyes covered", "hidden", "found you", "I won" };

    private static void AssertStory(List<string> story)
    {
        Specification.Assert(story.Count == s_story.Length, $"Expected {s_story.Length} steps, got {story.Count}.");
        for (int i = 0; i < story.Count; i++)
        {
            Specification.Assert(story[i] == s_story[i], $"Step {i} should be '{s_story[i]}', was '{story[i]}'.");
        }
    }

    private sealed class WithMonitor
    {
        private readonly object _cond = new();

        internal List<string> Story { get; } = new();

#pragma warning disable OL0101 // seeker and hider: Monitor.Wait without a predicate loop; the seeker's first Pulse can come before the hider waits
        internal void Hider()
        {
            lock (_cond)
            {
                Monitor.Wait(_cond);
                Story.Add("hidden");
                Monitor.Pulse(_cond);
                Monitor.Wait(_cond);
            }
        }

        internal void Seeker()
        {
            lock (_cond)
            {
                Story.Add("eyes covered");
                Monitor.Pulse(_cond);
                Monitor.Wait(_cond);
                Story.Add("found you");
                Monitor.Pulse(_cond);
            }

            lock (_cond)
            {
                Story.Add("I won");
            }
        }
#pragma warning restore OL0101
    }
}
