using System.Diagnostics;
using System.Globalization;
using OrderedLocks;
using OrderedLocks.Scenarios;
using OrderedLocks.Testing;

// The campaign runner: every article scenario (raw vs OrderedLocks) and self-verification
// campaign of the registry, with chosen profile, iterations and strategies; prints the table,
// writes bug traces, replays a trace. Exit code 1 when an outcome differs from its expectation.
// See docs/coyote.md.
namespace OrderedLocks.Campaigns;
internal static class CampaignCli
{
    private const uint FastSeed = 20181106;

    internal static int Main(string[] args) => Execute(args);

    private static int Execute(string[] args)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                PrintUsage();
                return args.Length == 0 ? 2 : 0;
            }

            return args[0] switch
            {
                "run" => Run(Options.Parse(args.AsSpan(1))),
                "replay" => Replay(args.AsSpan(1)),
                "list" => List(),
                _ => Fail($"Unknown command '{args[0]}'."),
            };
        }
        catch (ArgumentException e)
        {
            return Fail(e.Message);
        }
        catch (CampaignIntegrityException e)
        {
            Console.Error.WriteLine("INTEGRITY: " + e.Message);
            return 3;
        }
    }

    private static int Run(Options o)
    {
        string profile = o.Profile ?? "fast";
        bool deep = profile == "deep";
        if (profile is not "fast" and not "deep")
        {
            return Fail($"Unknown profile '{profile}': use fast or deep.");
        }

        IReadOnlyList<CampaignStrategy> strategies = o.Strategies ?? (deep
            ? new[] { CampaignStrategy.Random, CampaignStrategy.Probabilistic, CampaignStrategy.Prioritization }
            : new[] { CampaignStrategy.Random, CampaignStrategy.Prioritization });
        string traces = Path.GetFullPath(o.TraceDirectory ?? "coyote-traces");
        List<ScenarioCase> cases = Select(o);
        if (cases.Count == 0)
        {
            return Fail("No scenario matches the filter (see 'list').");
        }

        Console.WriteLine($"# OrderedLocks Coyote campaigns: profile {profile}, strategies {string.Join(",", strategies.Select(s => s.ShortName()))}, " +
            $"{cases.Count} cases, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"# traces: {traces}");
        var results = new List<CampaignResult>();
        var verdicts = new List<string>();
        int failures = 0;
        var total = Stopwatch.StartNew();
        foreach (ScenarioCase c in cases)
        {
            uint iterations = o.Iterations ?? (deep ? 10_000u : c.Expected == Expectation.Bug ? 1000u : 100u);
            var options = new CampaignOptions
            {
                Iterations = iterations,
                Seed = o.Seed ?? (deep ? null : FastSeed),
                StopAtFirstBug = !o.Explore,
                TraceDirectory = traces,
                DeadlockTimeoutMs = 5000,
                AssembliesUnderTest = new[] { typeof(OrderedLock).Assembly, typeof(ScenarioRegistry).Assembly },
            };
            var campaign = Campaign.Create(c.Scenario, c.Test, c.Variant);
            var caseResults = new List<CampaignResult>();
            foreach (CampaignStrategy s in strategies)
            {
                CampaignResult r = CampaignRunner.Run(campaign, s, options);
                caseResults.Add(r);
                results.Add(r);
                string verdict = Verdict(c, r);
                verdicts.Add(verdict);
                Console.Error.WriteLine($"  {c.Id,-42} {s.ShortName(),-13} {verdict,-10} {r.IterationsRun,6} it {CampaignTable.FormatTime(r.Elapsed),9}");
                if (verdict is not "ok" and not "missed")
                {
                    failures++;
                    Console.Error.WriteLine($"    report: {r.FirstBugReport}");
                }

                if (verdict == "missed" && !deep)
                {
                    failures++; // the fast profile's strategies are chosen so that each finds each bug
                }
            }

            if (c.Expected == Expectation.Bug && caseResults.All(r => !r.FoundBug) && deep)
            {
                failures++; // the deep profile accepts a strategy that misses, not a bug nobody finds
            }
        }

        total.Stop();
        Console.WriteLine();
        Console.WriteLine(CampaignTable.Format(results, verdicts));
        Console.WriteLine($"{cases.Count} cases x {strategies.Count} strategies in {CampaignTable.FormatTime(total.Elapsed)}; " +
            (failures == 0 ? "every outcome as expected." : $"{failures} UNEXPECTED outcome(s)."));
        if (o.MarkdownFile is not null)
        {
            File.WriteAllText(o.MarkdownFile, CampaignTable.Format(results, verdicts));
        }

        return failures == 0 ? 0 : 1;
    }

    private static string Verdict(ScenarioCase c, CampaignResult r)
    {
        if (c.Expected == Expectation.NoBug)
        {
            return r.FoundBug ? "UNEXPECTED" : "ok";
        }

        if (!r.FoundBug)
        {
            return "missed";
        }

        return c.Matches(true, r.FirstBugReport) ? "ok" : "WRONG-MSG";
    }

    private static int Replay(ReadOnlySpan<string> args)
    {
        if (args.Length == 0)
        {
            return Fail("replay needs a trace file.");
        }

        string file = args[0];
        if (!File.Exists(file))
        {
            return Fail($"No such trace file: {file}");
        }

        // Trace files are named scenario~variant~strategy.trace (CampaignRunner.TraceFileName).
        string[] parts = Path.GetFileNameWithoutExtension(file).Split('~');
        if (parts.Length < 2)
        {
            return Fail("Cannot tell the scenario from the file name; expected scenario~variant~strategy.trace.");
        }

        ScenarioCase c = ScenarioRegistry.Get(parts[0], parts.Length == 2 ? string.Empty : parts[1]); // name~strategy: no variant
        ReplayResult replay = CampaignRunner.ReplayFile(Campaign.Create(c.Scenario, c.Test, c.Variant), file);
        Console.WriteLine(replay.ReadableTrace);
        Console.WriteLine(replay.Reproduced
            ? $"Reproduced {c.Id} in {CampaignTable.FormatTime(replay.Elapsed)}: {replay.BugReports[0]}"
            : $"The trace did not reproduce a bug in {c.Id}.");
        return replay.Reproduced ? 0 : 1;
    }

    private static int List()
    {
        foreach (ScenarioCase c in ScenarioRegistry.All)
        {
            string expected = c.Expected == Expectation.Bug ? $"bug: {c.ExpectedMessage}" : "no bug";
            Console.WriteLine($"{c.Id,-42} {expected,-36} {c.Description}");
        }

        return 0;
    }

    private static List<ScenarioCase> Select(Options o) => ScenarioRegistry.All
        .Where(c => o.Scenarios is null || o.Scenarios.Contains(c.Scenario) || o.Scenarios.Contains(c.Id))
        .Where(c => o.Variant is null || c.Variant == o.Variant)
        .ToList();

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        PrintUsage();
        return 2;
    }

    private static void PrintUsage() => Console.Error.WriteLine("""
        Usage:
          dotnet run -c Release --project tools/OrderedLocks.Campaigns -- run [options]
          dotnet run -c Release --project tools/OrderedLocks.Campaigns -- replay <coyote-traces/scenario~variant~strategy.trace>
          dotnet run -c Release --project tools/OrderedLocks.Campaigns -- list
        Options of run:
          --profile fast|deep      fast (default): random,pct; 1000 iterations max for buggy variants, 100 for fixed; fixed seed.
                                   deep: random,probabilistic,pct; 10000 iterations each; random seed.
          --scenario a,b           only these scenarios (or scenario/variant ids)
          --variant v              only this variant
          --strategy random,probabilistic,pct,portfolio
          --iterations N           iterations per strategy (overrides the profile)
          --seed N                 random seed
          --explore                keep exploring after the first bug (count buggy iterations)
          --traces DIR             where bug traces go (default ./coyote-traces)
          --markdown FILE          also write the table to FILE
        """);

    private sealed class Options
    {
        internal string? Profile { get; private set; }

        internal HashSet<string>? Scenarios { get; private set; }

        internal string? Variant { get; private set; }

        internal IReadOnlyList<CampaignStrategy>? Strategies { get; private set; }

        internal uint? Iterations { get; private set; }

        internal uint? Seed { get; private set; }

        internal bool Explore { get; private set; }

        internal string? TraceDirectory { get; private set; }

        internal string? MarkdownFile { get; private set; }

        internal static Options Parse(ReadOnlySpan<string> args)
        {
            var o = new Options();
            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                if (arg == "--explore")
                {
                    o.Explore = true;
                    continue;
                }

                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException($"Option {arg} needs a value.");
                }

                string value = args[++i];
                switch (arg)
                {
                    case "--profile": o.Profile = value; break;
                    case "--scenario": o.Scenarios = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(); break;
                    case "--variant": o.Variant = value; break;
                    case "--strategy": o.Strategies = CampaignStrategies.ParseList(value); break;
                    case "--iterations": o.Iterations = uint.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--seed": o.Seed = uint.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--traces": o.TraceDirectory = value; break;
                    case "--markdown": o.MarkdownFile = value; break;
                    default: throw new ArgumentException($"Unknown option {arg}.");
                }
            }

            return o;
        }
    }
}
