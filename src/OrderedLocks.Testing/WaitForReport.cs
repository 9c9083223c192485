using Microsoft.Coyote.SystematicTesting;
using OrderedLocks.Diagnostics;

namespace OrderedLocks.Testing;

/// <summary>
/// The wait-for snapshot in campaign reports ("thread 5 holds 'x', waits for 'y'; thread 6 holds
/// 'y', waits for 'x'"): every contended wait looks for a cycle as it begins
/// (<see cref="LockDiagnostics.DetectDeadlocksOnWait"/>; no timer, which Coyote could not control),
/// and the first cycle found in a campaign is kept. Kept apart from the runner so the runner only
/// calls <see cref="Attach"/> and <see cref="Summary"/>.
/// </summary>
internal sealed class WaitForReport : IDisposable
{
    private readonly bool _previous;
    private string? _first;

    private WaitForReport()
    {
        _previous = LockDiagnostics.DetectDeadlocksOnWait;
        LockDiagnostics.DetectDeadlocksOnWait = true;
        LockDiagnostics.ResetWaits();
    }

    /// <summary>Gets the first wait-for cycle seen in the campaign (null when none).</summary>
    internal string? Summary => _first ?? LockDiagnostics.LastDetectedDeadlock?.Summary;

    /// <summary>Starts collecting for <paramref name="engine"/>: each iteration starts with an empty registry (a deadlocked iteration leaves its waits behind).</summary>
    internal static WaitForReport Attach(TestingEngine engine)
    {
        var report = new WaitForReport();
        engine.RegisterStartIterationCallBack(_ => LockDiagnostics.ResetWaits());
        engine.RegisterEndIterationCallBack(_ => report._first ??= LockDiagnostics.LastDetectedDeadlock?.Summary);
        return report;
    }

    public void Dispose()
    {
        LockDiagnostics.ResetWaits();
        LockDiagnostics.DetectDeadlocksOnWait = _previous;
    }
}
