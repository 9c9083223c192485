using BenchmarkDotNet.Attributes;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Figure "condition wait/notify ping-pong ≥ 0.8x Monitor.Wait/Pulse": two threads hand a turn
/// back and forth, each waiting on the condition until it is its turn and notifying the other;
/// time is per hand-off. Baseline: the same with <c>lock</c> + Monitor.Wait/Pulse. The Ratio
/// column is time per hand-off, so the throughput target ≥ 0.8x means Ratio ≤ 1.25.
/// </summary>
public class ConditionBenchmarks
{
    private const int TurnsPerThread = 500;
    private const int HandOffs = 2 * TurnsPerThread;

    private readonly object _monitor = new();
    private readonly OrderedLock _strict = new("condition lock strict", checking: LockOrderChecking.Strict);
    private readonly OrderedLock _off = new("condition lock off", checking: LockOrderChecking.Off);
    private OrderedCondition _strictCondition = null!;
    private OrderedCondition _offCondition = null!;
    private TwoThreadRunner _runner = null!;
    private Action<int> _monitorWork = null!;
    private Action<int> _strictWork = null!;
    private Action<int> _offWork = null!;
    private int _turn;

    [GlobalSetup]
    public void Setup()
    {
        RewriteGuard.EnsureNormalBuild();
        _runner = new TwoThreadRunner();
        _strictCondition = new OrderedCondition(_strict);
        _offCondition = new OrderedCondition(_off);
        _monitorWork = me =>
        {
            lock (_monitor)
            {
                for (int i = 0; i < TurnsPerThread; i++)
                {
                    while (_turn != me)
                    {
                        Monitor.Wait(_monitor);
                    }

                    _turn = 1 - me;
                    Monitor.Pulse(_monitor);
                }
            }
        };
        _strictWork = me => PingPong(_strict, _strictCondition, me);
        _offWork = me => PingPong(_off, _offCondition, me);
    }

    [GlobalCleanup]
    public void Cleanup() => _runner.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = HandOffs, Description = "Monitor.Wait/Pulse")]
    public void MonitorPingPong() => _runner.Run(_monitorWork);

    [Benchmark(OperationsPerInvoke = HandOffs, Description = "OrderedCondition Strict")]
    public void OrderedConditionStrict() => _runner.Run(_strictWork);

    [Benchmark(OperationsPerInvoke = HandOffs, Description = "OrderedCondition Off")]
    public void OrderedConditionOff() => _runner.Run(_offWork);

    private void PingPong(OrderedLock lockObject, OrderedCondition condition, int me)
    {
        using (lockObject.Acquire())
        {
            for (int i = 0; i < TurnsPerThread; i++)
            {
                while (_turn != me)
                {
                    condition.Wait();
                }

                _turn = 1 - me;
                condition.Notify();
            }
        }
    }
}
