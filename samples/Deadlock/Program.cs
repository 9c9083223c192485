// The article's thread_1 / thread_2 deadlock with x_lock and y_lock: raw it hangs (detected by a
// timeout; the hung threads are background threads and do not keep the process alive), strict
// checking raises instead, AcquireAll never deadlocks.
using OrderedLocks.Samples;

return SampleCli.Run("Deadlock: x_lock and y_lock taken in opposite orders, raw and with OrderedLocks", Scenarios.Steps("Deadlock"));
