// The article's seeker and hider: the same start-order hazard as the poem, fixed with WaitFor.
using OrderedLocks.Samples;

return SampleCli.Run("HideAndSeek: a seeker and a hider take turns through one condition", Scenarios.Steps("HideAndSeek"));
