// Five philosophers, five forks, left fork first: raw, they deadlock; strict checking stops the
// one philosopher whose order is inverted; AcquireAll(left, right) lets everyone eat.
using OrderedLocks.Samples;

return SampleCli.Run("DiningPhilosophers: five philosophers, five forks", Scenarios.Steps("DiningPhilosophers"));
