using Xunit;

// Coyote engines must not run concurrently in one process, and the machine has 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
