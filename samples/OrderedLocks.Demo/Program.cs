// The main job: every lock scenario of the article, raw .NET and with OrderedLocks (and a short
// Coyote campaign per scenario), printed as one table. Exits non-zero if any outcome is not the
// expected one.
//
//   dotnet run -c Release --project samples/OrderedLocks.Demo [-- --verbose] [--only Deadlock] [--no-coyote]
using System.Diagnostics;
using OrderedLocks.Demo;
using OrderedLocks.Samples;

if (SampleCli.TryRunChild(args, out int childExit))
{
    return childExit; // started as a ticket client process by the TicketRace scenario
}

bool verbose = args.Contains("--verbose");
bool coyote = !args.Contains("--no-coyote");
string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
string traces = Path.GetFullPath("coyote-traces");

var steps = new List<ScenarioStep>();
foreach (string scenario in Scenarios.Names)
{
    if (only is null || string.Equals(only, scenario, StringComparison.OrdinalIgnoreCase))
    {
        steps.AddRange(Scenarios.Steps(scenario));
        if (scenario == "Deadlock")
        {
            steps.AddRange(WatchdogHang.Steps(new WatchdogOptions())); // the hang with checking Off, found by the watchdog
        }

        if (coyote)
        {
            steps.AddRange(CoyoteCampaigns.Steps(scenario, traces));
        }
    }
}

Console.WriteLine("OrderedLocks demo: the article's lock scenarios, raw .NET and with OrderedLocks");
Console.WriteLine($"{steps.Count} steps on {Environment.ProcessorCount} cores; raw deadlocks and lost wake-ups are detected by a timeout, never a real hang.");
Console.WriteLine();

var rows = new List<Row>();
var total = Stopwatch.StartNew();
for (int i = 0; i < steps.Count; i++)
{
    ScenarioStep step = steps[i];
    Console.Write($"[{i + 1,2}/{steps.Count}] {step.Scenario} / {step.Variant} ...");
    if (verbose)
    {
        Console.WriteLine();
    }

    var clock = Stopwatch.StartNew();
    StepResult result;
    using (StillRunning.Report(clock, verbose))
    {
        try
        {
            result = step.Run(verbose ? Console.Out : TextWriter.Null);
        }
        catch (Exception ex)
        {
            result = new StepResult($"error: {ex.GetType().Name}: {ex.Message.Split('\n')[0].TrimEnd()}", false);
        }
    }

    clock.Stop();
    rows.Add(new Row(step.Scenario, step.Variant, result.Outcome, result.AsExpected, clock.Elapsed));
    Console.WriteLine($" {(result.AsExpected ? "as expected" : "UNEXPECTED: " + result.Outcome.Replace('\n', ' ') + " (expected: " + step.Expected + ")")} ({ResultTable.FormatTime(clock.Elapsed)})");
}

Console.WriteLine();
Console.Write(ResultTable.Format(rows));
Console.WriteLine();
int unexpected = rows.Count(r => !r.AsExpected);
Console.WriteLine(unexpected == 0
    ? $"All {rows.Count} outcomes as expected, in {ResultTable.FormatTime(total.Elapsed)}."
    : $"{unexpected} of {rows.Count} outcomes NOT as expected, in {ResultTable.FormatTime(total.Elapsed)}.");
return unexpected == 0 ? 0 : 1;
