// The article's poem recited by TianMao and XiaoAi through one condition variable: raw, it works
// only in one start order (a notify with no waiter is lost); with WaitFor, in both.
using OrderedLocks.Samples;

return SampleCli.Run("Poem: TianMao and XiaoAi recite alternately through one condition", Scenarios.Steps("Poem"));
