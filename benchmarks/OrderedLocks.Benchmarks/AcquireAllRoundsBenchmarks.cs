using BenchmarkDotNet.Attributes;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// The cases of <see cref="AcquireAllBenchmarks"/> again, in rounds: BenchmarkDotNet runs every
/// case of one parameter value before the next value, so with one launch per case each
/// AcquireAll(n) process runs next to the process of its nested baseline, and each round has its
/// own Ratio. On a shared VM whose speed drifts over minutes (measured: the same nested baseline at
/// 89 ns in two launches and 113–124 ns in the next four), the plain class runs all launches of
/// one case, then all of the next, so its ratio carries the drift; here the drift falls on both
/// sides of each round's ratio. Read the median of the rounds' ratios.
///
///   dotnet bin/Release/net10.0/OrderedLocks.Benchmarks.dll --job medium --launchCount 1 --filter '*.AcquireAllRoundsBenchmarks.*'
/// </summary>
public class AcquireAllRoundsBenchmarks : AcquireAllBenchmarks
{
    /// <summary>The round: not used by the benchmarks, it only makes BenchmarkDotNet run every case once per value, in order.</summary>
    [Params(1, 2, 3, 4, 5, 6)]
    public int Round { get; set; }
}
