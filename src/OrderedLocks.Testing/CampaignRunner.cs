using System.Diagnostics;
using System.Reflection;
using Microsoft.Coyote;
using Microsoft.Coyote.Logging;
using Microsoft.Coyote.Rewriting;
using Microsoft.Coyote.SystematicTesting;

namespace OrderedLocks.Testing;

/// <summary>
/// Runs <see cref="Campaign"/>s with Coyote's <see cref="TestingEngine"/>: one run per strategy,
/// with integrity checks (assemblies rewritten, no uncontrolled invocations), the iteration and
/// time of the first bug, and the reproducible trace saved to a file.
/// </summary>
/// <remarks>
/// Runs are sequential: Coyote engines must not run concurrently in one process.
/// </remarks>
public static class CampaignRunner
{
    private static readonly object s_gate = new();

    /// <summary>Runs <paramref name="campaign"/> once per strategy.</summary>
    /// <param name="campaign">The campaign.</param>
    /// <param name="strategies">The strategies; <see langword="null"/> means <see cref="CampaignStrategies.Default"/>.</param>
    /// <param name="options">The options; <see langword="null"/> means the defaults.</param>
    /// <returns>One result per strategy, in order.</returns>
    /// <exception cref="CampaignIntegrityException">An assembly under test is not rewritten, or the run was not fully controlled.</exception>
    public static IReadOnlyList<CampaignResult> Run(Campaign campaign, IEnumerable<CampaignStrategy>? strategies = null, CampaignOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var results = new List<CampaignResult>();
        foreach (CampaignStrategy strategy in strategies ?? CampaignStrategies.Default)
        {
            results.Add(Run(campaign, strategy, options));
        }

        return results;
    }

    /// <summary>Runs <paramref name="campaign"/> with one strategy.</summary>
    /// <param name="campaign">The campaign.</param>
    /// <param name="strategy">The strategy.</param>
    /// <param name="options">The options; <see langword="null"/> means the defaults.</param>
    /// <returns>The result.</returns>
    /// <exception cref="CampaignIntegrityException">An assembly under test is not rewritten, or the run was not fully controlled.</exception>
    public static CampaignResult Run(Campaign campaign, CampaignStrategy strategy, CampaignOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        options ??= new CampaignOptions();
        EnsureRewritten(campaign, options);

        Configuration config = CreateConfiguration(options, strategy);
        lock (s_gate)
        {
            using TestingEngine engine = CreateEngine(config, campaign);
            if (!options.CoyoteLogging)
            {
                engine.SetLogger(new SilentLogger());
            }

            using WaitForReport waitFor = WaitForReport.Attach(engine);
            uint? firstBugIteration = null;
            TimeSpan? timeToFirstBug = null;
            var stopwatch = Stopwatch.StartNew();
            engine.RegisterEndIterationCallBack(iteration =>
            {
                if (firstBugIteration is null && engine.TestReport.NumOfFoundBugs > 0)
                {
                    firstBugIteration = iteration + 1;
                    timeToFirstBug = stopwatch.Elapsed;
                }
            });
            engine.Run();
            stopwatch.Stop();

            TestReport report = engine.TestReport;
            uint iterationsRun = (uint)(report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths);
            int bugs = report.NumOfFoundBugs;
            if (bugs > 0 && firstBugIteration is null)
            {
                // The report is updated after the end-of-iteration callbacks: the first bug was in
                // the last iteration that ran before the callback could see it.
                firstBugIteration = options.StopAtFirstBug ? Math.Max(iterationsRun, 1) : 1;
                timeToFirstBug = stopwatch.Elapsed;
            }

            var uncontrolled = report.UncontrolledInvocations.OrderBy(s => s, StringComparer.Ordinal).ToArray();
            if (uncontrolled.Length > 0 && !options.AllowUncontrolledInvocations)
            {
                throw new CampaignIntegrityException(
                    $"Campaign '{campaign.DisplayName}' ({strategy.ShortName()}) reached code that Coyote does not control, so its verdict cannot be trusted: " +
                    string.Join("; ", uncontrolled) +
                    ". Use controlled primitives (Monitor, SemaphoreSlim, TaskCompletionSource, Task.WhenAll over an array, not the span overload; not System.Threading.Lock).");
            }

            string? trace = bugs > 0 ? engine.ReproducibleTrace : null;
            string? traceFile = null;
            if (trace is not null && options.TraceDirectory is not null)
            {
                traceFile = WriteTrace(options.TraceDirectory, campaign, strategy, trace);
            }

            return new CampaignResult
            {
                Name = campaign.Name,
                Variant = campaign.Variant,
                Strategy = strategy,
                IterationsRun = iterationsRun,
                Bugs = bugs,
                FirstBugIteration = bugs > 0 ? firstBugIteration : null,
                TimeToFirstBug = bugs > 0 ? timeToFirstBug : null,
                Elapsed = stopwatch.Elapsed,
                BugReports = report.BugReports.ToArray(),
                UncontrolledInvocations = uncontrolled,
                TraceFile = traceFile,
                ReproducibleTrace = trace,
                DeadlockWaitFor = bugs > 0 ? waitFor.Summary : null,
                ReadableTrace = bugs > 0 && !string.IsNullOrEmpty(engine.ReadableTrace) ? engine.ReadableTrace : null,
                TestSource = bugs > 0 ? SourceLines.Describe(campaign.Method) : null,
            };
        }
    }

    /// <summary>Replays a reproducible trace saved by a campaign run.</summary>
    /// <param name="campaign">The campaign the trace was recorded from.</param>
    /// <param name="traceFile">The trace file.</param>
    /// <returns>Whether the bug was reproduced, with the readable trace of the schedule.</returns>
    /// <exception cref="FileNotFoundException">The trace file does not exist.</exception>
    /// <exception cref="CampaignIntegrityException">An assembly under test is not rewritten.</exception>
    public static ReplayResult ReplayFile(Campaign campaign, string traceFile) =>
        Replay(campaign, File.ReadAllText(traceFile));

    /// <summary>Replays a reproducible trace (the text of <see cref="CampaignResult.ReproducibleTrace"/>).</summary>
    /// <param name="campaign">The campaign the trace was recorded from.</param>
    /// <param name="trace">The trace.</param>
    /// <param name="options">Options; only <see cref="CampaignOptions.AssembliesUnderTest"/> and the step and deadlock bounds are used.</param>
    /// <returns>Whether the bug was reproduced, with the readable trace of the schedule.</returns>
    /// <exception cref="CampaignIntegrityException">An assembly under test is not rewritten.</exception>
    public static ReplayResult Replay(Campaign campaign, string trace, CampaignOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentException.ThrowIfNullOrEmpty(trace);
        options ??= new CampaignOptions();
        EnsureRewritten(campaign, options);
        // Coyote fills its own ReadableTrace only while exploring: on replay, log the iteration
        // into a capturing logger and build the account from it.
        Configuration config = Configuration.Create()
            .WithTelemetryEnabled(false)
            .WithVerbosityEnabled(VerbosityLevel.Info)
            .WithConsoleLoggingEnabled(false)
            .WithReproducibleTrace(trace);
        if (options.MaxSteps is { } steps)
        {
            config = config.WithMaxSchedulingSteps(steps);
        }

        if (options.DeadlockTimeoutMs is { } deadlockMs)
        {
            config = config.WithDeadlockTimeout(deadlockMs);
        }

        lock (s_gate)
        {
            using TestingEngine engine = CreateEngine(config, campaign);
            var log = new CapturingLogger();
            engine.SetLogger(log);
            var stopwatch = Stopwatch.StartNew();
            engine.Run();
            stopwatch.Stop();
            string[] reports = engine.TestReport.BugReports.ToArray();
            string? source = SourceLines.Describe(campaign.Method);
            var readable = new System.Text.StringBuilder();
            readable.Append("Replay of ").Append(campaign.DisplayName).Append(": ")
                .AppendLine(reports.Length > 0 ? "the bug was reproduced." : "no bug this time (the trace does not match this build of the code).");
            foreach (string report in reports)
            {
                readable.Append("  ").AppendLine(report);
            }

            if (source is not null)
            {
                readable.Append("Test method: ").AppendLine(source);
            }

            string coyoteLog = string.IsNullOrEmpty(engine.ReadableTrace) ? log.Text : engine.ReadableTrace;
            if (coyoteLog.Length > 0)
            {
                readable.AppendLine("Coyote's log of the replayed iteration:").Append(coyoteLog.TrimEnd());
            }

            return new ReplayResult(reports.Length > 0, reports, readable.ToString().TrimEnd(), stopwatch.Elapsed) { TestSource = source };
        }
    }

    /// <summary>
    /// Returns whether <paramref name="assembly"/> was rewritten by Coyote. Without rewriting Coyote
    /// runs but reports nonsense (false deadlocks, missed bugs).
    /// </summary>
    /// <param name="assembly">The assembly.</param>
    /// <returns>Whether it is rewritten.</returns>
    public static bool IsRewritten(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return RewritingEngine.IsAssemblyRewritten(assembly);
    }

    /// <summary>
    /// Throws <see cref="CampaignIntegrityException"/> unless the campaign's assembly and every
    /// assembly of <see cref="CampaignOptions.AssembliesUnderTest"/> are rewritten.
    /// </summary>
    /// <param name="campaign">The campaign.</param>
    /// <param name="options">The options.</param>
    /// <exception cref="CampaignIntegrityException">An assembly is not rewritten.</exception>
    public static void EnsureRewritten(Campaign campaign, CampaignOptions options)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(options);
        var missing = new List<string>();
        foreach (Assembly assembly in options.AssembliesUnderTest.Prepend(campaign.Method.Module.Assembly).Distinct())
        {
            if (!IsRewritten(assembly))
            {
                missing.Add($"{assembly.GetName().Name} ({assembly.Location})");
            }
        }

        if (missing.Count > 0)
        {
            throw new CampaignIntegrityException(
                $"Campaign '{campaign.DisplayName}': not rewritten by Coyote: {string.Join(", ", missing)}. " +
                "Reference the OrderedLocks.Testing package from the project that runs the campaigns (its build targets rewrite " +
                "the test assembly, OrderedLocks.dll and every <CoyoteRewrite Include=\"MyLib\" /> after each build), " +
                "and run from that project's build output (not a publish folder). See docs/coyote.md.");
        }
    }

    /// <summary>Builds the Coyote configuration for one strategy.</summary>
    /// <param name="options">The options.</param>
    /// <param name="strategy">The strategy.</param>
    /// <returns>The configuration (telemetry off).</returns>
    public static Configuration CreateConfiguration(CampaignOptions options, CampaignStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(options);
        Configuration config = Configuration.Create()
            .WithTelemetryEnabled(false)
            .WithVerbosityEnabled(options.CoyoteLogging ? VerbosityLevel.Info : VerbosityLevel.None)
            .WithConsoleLoggingEnabled(options.CoyoteLogging)
            .WithTestingIterations(Math.Max(options.Iterations, 1))
            .WithTestIterationsRunToCompletion(!options.StopAtFirstBug);
        config = strategy switch
        {
            CampaignStrategy.Random => config.WithRandomStrategy(),
            CampaignStrategy.Probabilistic => config.WithProbabilisticStrategy(),
            CampaignStrategy.Prioritization => config.WithPrioritizationStrategy(),
            CampaignStrategy.Portfolio => config, // no explicit strategy: Coyote's tuned default portfolio
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown strategy."),
        };
        if (options.Seed is { } seed)
        {
            config = config.WithRandomGeneratorSeed(seed);
        }

        if (options.MaxSteps is { } steps)
        {
            config = config.WithMaxSchedulingSteps(steps);
        }

        if (options.DeadlockTimeoutMs is { } deadlockMs)
        {
            config = config.WithDeadlockTimeout(deadlockMs);
        }

        return config;
    }

    private static TestingEngine CreateEngine(Configuration config, Campaign campaign) => campaign.Test switch
    {
        Func<Task> asyncTest => TestingEngine.Create(config, asyncTest),
        Action syncTest => TestingEngine.Create(config, syncTest),
        _ => throw new InvalidOperationException("A campaign's test is a Func<Task> or an Action."),
    };

    private static string WriteTrace(string directory, Campaign campaign, CampaignStrategy strategy, string trace)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, TraceFileName(campaign.Name, campaign.Variant, strategy));
        File.WriteAllText(path, trace);
        return Path.GetFullPath(path);
    }

    /// <summary>
    /// Gets the file name a trace of this campaign and strategy is saved under:
    /// <c>name~variant~strategy.trace</c>, or <c>name~strategy.trace</c> without a variant (unsafe
    /// characters replaced).
    /// </summary>
    /// <param name="name">The campaign's name.</param>
    /// <param name="variant">The variant.</param>
    /// <param name="strategy">The strategy.</param>
    /// <returns>The file name.</returns>
    public static string TraceFileName(string name, string variant, CampaignStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(name);
        return string.IsNullOrEmpty(variant)
            ? $"{Safe(name)}~{strategy.ShortName()}.trace"
            : $"{Safe(name)}~{Safe(variant)}~{strategy.ShortName()}.trace";

        static string Safe(string text)
        {
            char[] chars = text.ToCharArray();
            for (int i = 0; i < chars.Length; i++)
            {
                if (!char.IsLetterOrDigit(chars[i]) && chars[i] is not '-' and not '_' and not '.')
                {
                    chars[i] = '_';
                }
            }

            return new string(chars);
        }
    }
}
