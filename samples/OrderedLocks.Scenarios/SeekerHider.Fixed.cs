namespace OrderedLocks.Scenarios;

// Seeker and hider with OrderedCondition.WaitFor on the game's phase: no step depends on who
// started first.
public static partial class SeekerHider
{
    /// <summary>Fixed: each side waits for the game's phase with <see cref="OrderedCondition.WaitFor(Func{bool}, TimeSpan?)"/>.</summary>
    /// <returns>The scenario.</returns>
    public static async Task WaitForAsync()
    {
        var game = new WithCondition();
        Task seeker = Task.Run(game.Seeker);
        Task hider = Task.Run(game.Hider);
        await Task.WhenAll(new[] { seeker, hider });
        AssertStory(game.Story);
    }

    private sealed class WithCondition
    {
        private readonly OrderedLock _lock = new("game");
        private readonly OrderedCondition _phaseChanged;
        private int _phase; // index of the next story step

        internal WithCondition() => _phaseChanged = new OrderedCondition(_lock);

        internal List<string> Story { get; } = new();

        internal void Hider()
        {
            using (_lock.Acquire())
            {
                Step(1, "hidden");
                _phaseChanged.WaitFor(() => _phase >= 3);
            }
        }

        internal void Seeker()
        {
            using (_lock.Acquire())
            {
                Step(0, "eyes covered");
                Step(2, "found you");
            }

            using (_lock.Acquire())
            {
                Step(3, "I won");
            }
        }

        // Waits for the step's turn, says it, passes the turn on. The lock is held.
        private void Step(int phase, string line)
        {
            _phaseChanged.WaitFor(() => _phase == phase);
            Story.Add(line);
            _phase = phase + 1;
            _phaseChanged.NotifyAll();
        }
    }
}
