using System.Diagnostics;
using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// <c>--interleaved</c>: a cross-check of the Ratio column that survives a loaded machine. For
/// each benchmark class, runs all its benchmarks in one process in many short rounds, in a new
/// random order every round, so a burst of load from other processes hits every method alike;
/// reports the 10th percentile and the median of the per-round times, and their ratios to the
/// class's baseline. The cost of the delegate call that drives each invocation is measured the
/// same way (an empty method, 10th percentile) and subtracted. The 10th percentile is the
/// figure to read on a loaded machine: load only adds time. No allocation figures: use BenchmarkDotNet's.
/// </summary>
internal static class InterleavedRunner
{
    private const int Rounds = 300;
    private static readonly TimeSpan s_roundTarget = TimeSpan.FromMilliseconds(1);

    internal static void Run(string? filter, string? against = null)
    {
        Type[] classes = typeof(InterleavedRunner).Assembly.GetTypes()
            .Where(t => t.IsPublic && t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
            .Where(t => filter is null || t.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToArray();
        Type? exact = classes.FirstOrDefault(t => string.Equals(t.Name, filter, StringComparison.OrdinalIgnoreCase));
        if (exact is not null)
        {
            classes = [exact];
        }
        if (classes.Length == 1)
        {
            RunClass(classes[0], against);
            return;
        }

        // Several classes: one child process each, like BenchmarkDotNet, so that the JIT's
        // profile of one class's locks (guarded devirtualization) does not shape another's code.
        Console.WriteLine($"Interleaved run: {Rounds} rounds of ~{s_roundTarget.TotalMilliseconds} ms per method, random order per round. Times are per operation; p10 is the figure to read on a loaded machine.");
        foreach (Type type in classes)
        {
            string host = Environment.ProcessPath!;
            var start = new ProcessStartInfo(host) { UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            {
                start.ArgumentList.Add(typeof(InterleavedRunner).Assembly.Location);
            }

            start.ArgumentList.Add("--interleaved");
            start.ArgumentList.Add(type.Name);
            if (against is not null)
            {
                start.ArgumentList.Add("--against");
                start.ArgumentList.Add(against);
            }

            using var child = Process.Start(start)!;
            child.WaitForExit();
        }
    }

    // One class; with `against` (a folder holding another build of OrderedLocks.dll), the same
    // class is also loaded against that build in a context of its own, and both builds' cases are
    // sampled in one random order per round: an A/B of two builds that the load of the machine
    // and the process's own state (code placement, tiering) hit alike.
    private static void RunClass(Type type, string? against)
    {
        (List<Case> cases, Action cleanup) = Prepare(type, string.Empty);
        (List<Case> others, Action cleanupOthers) = against is null ? ([], static () => { }) : Prepare(LoadAgainst(type, against), " [B]");
        var overhead = new Case("(delegate call)", false, 1, static () => { });
        List<Case> all = [.. cases, .. others, overhead];

        foreach (Case c in all)
        {
            c.Calibrate();
        }

        var random = new Random(12345);
        for (int round = 0; round < Rounds; round++)
        {
            foreach (Case c in all.OrderBy(_ => random.Next()))
            {
                c.Sample();
            }
        }

        cleanup();
        cleanupOthers();

        // The delegate call's own cost is taken at its 10th percentile for both columns: load
        // only ever adds time, and subtracting a load-inflated median would bias the ratios.
        double overheadP10 = overhead.Percentile(0.1);
        Console.WriteLine();
        Console.WriteLine($"## {type.Name}");
        Console.WriteLine();
        if (against is null)
        {
            Console.WriteLine("| Method | p10 | p10 ratio | median | median ratio |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            foreach (Case c in cases)
            {
                // A class grouped by category has one baseline per category (BenchmarkDotNet's rule).
                Case baseline = BaselineOf(cases, c);
                Console.WriteLine($"| {c.Name}{(c.Baseline ? " (baseline)" : string.Empty)} | {Format(c.Net(0.1, overheadP10))} | {c.Net(0.1, overheadP10) / baseline.Net(0.1, overheadP10):F2} | {Format(c.Net(0.5, overheadP10))} | {c.Net(0.5, overheadP10) / baseline.Net(0.5, overheadP10):F2} |");
            }

            return;
        }

        Console.WriteLine($"A: {typeof(OrderedLock).Assembly.Location}");
        Console.WriteLine($"B: {Path.GetFullPath(Path.Combine(against, "OrderedLocks.dll"))}");
        Console.WriteLine();
        Console.WriteLine("| Method | A p10 | B p10 | B/A p10 | A median | B median | B/A median | A p10 ratio | B p10 ratio |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < cases.Count; i++)
        {
            Case a = cases[i];
            Case b = others[i];
            double aP10 = a.Net(0.1, overheadP10), bP10 = b.Net(0.1, overheadP10);
            double aMedian = a.Net(0.5, overheadP10), bMedian = b.Net(0.5, overheadP10);
            double aRatio = aP10 / BaselineOf(cases, a).Net(0.1, overheadP10);
            double bRatio = bP10 / BaselineOf(others, b).Net(0.1, overheadP10);
            Console.WriteLine($"| {a.Name} | {Format(aP10)} | {Format(bP10)} | {bP10 / aP10:F3} | {Format(aMedian)} | {Format(bMedian)} | {bMedian / aMedian:F3} | {aRatio:F2} | {bRatio:F2} |");
        }
    }

    private static Case BaselineOf(List<Case> cases, Case c) =>
        cases.FirstOrDefault(b => b.Baseline && b.Category == c.Category) ?? cases.First(b => b.Baseline);

    // An instance of the class, its global setups run, a case per benchmark method, and the
    // instance's global cleanup.
    private static (List<Case> Cases, Action Cleanup) Prepare(Type type, string suffix)
    {
        object instance = Activator.CreateInstance(type)!;

        // A global setup for one benchmark alone changes the process for that benchmark (say, it
        // records an asynchronous hold so that every later synchronous acquisition reads the
        // flow): in one shared process it would change every other row too. Such benchmarks
        // need a process of their own, so they are left to BenchmarkDotNet.
        HashSet<string> ownProcess = OwnProcessBenchmarks(type);
        Invoke(type, instance, typeof(GlobalSetupAttribute), ownProcess);
        if (suffix.Length == 0)
        {
            foreach (string name in ownProcess)
            {
                Console.WriteLine($"(skipped {name}: its global setup is its own, so it needs a process of its own; see BenchmarkDotNet's figure)");
            }
        }

        List<Case> cases = type.GetMethods()
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<BenchmarkAttribute>()))
            .Where(c => c.Attribute is not null && !ownProcess.Contains(c.Method.Name))
            .Select(c => new Case((c.Attribute!.Description ?? c.Method.Name) + suffix, c.Attribute.Baseline, c.Attribute.OperationsPerInvoke, ToAction(c.Method, instance))
            {
                Category = c.Method.GetCustomAttribute<BenchmarkCategoryAttribute>()?.Categories.FirstOrDefault() ?? string.Empty,
            })
            .ToList();
        return (cases, () => Invoke(type, instance, typeof(GlobalCleanupAttribute)));
    }

    // The same benchmark class, loaded in a context whose OrderedLocks.dll comes from `folder`
    // (everything else is shared with the default context).
    private static Type LoadAgainst(Type type, string folder)
    {
        string library = Path.GetFullPath(Path.Combine(folder, "OrderedLocks.dll"));
        if (!File.Exists(library))
        {
            throw new FileNotFoundException($"--against needs a folder holding another build of OrderedLocks.dll; {library} does not exist.", library);
        }

        var context = new AgainstContext(library, type.Assembly.Location);
        Assembly benchmarks = context.LoadFromAssemblyPath(type.Assembly.Location);
        return benchmarks.GetType(type.FullName!, throwOnError: true)!;
    }

    private sealed class AgainstContext(string library, string benchmarks) : System.Runtime.Loader.AssemblyLoadContext($"against {library}")
    {
        protected override Assembly? Load(AssemblyName name) => name.Name switch
        {
            "OrderedLocks" => LoadFromAssemblyPath(library),
            "OrderedLocks.Benchmarks" => LoadFromAssemblyPath(benchmarks),
            _ => null,
        };
    }

    private static string Format(double ns) => ns >= 1000 ? $"{ns / 1000:F2} us" : $"{ns:F2} ns";

    private static void Invoke(Type type, object instance, Type attribute, HashSet<string>? skippedTargets = null)
    {
        foreach (MethodInfo method in type.GetMethods().Where(m => m.GetCustomAttribute(attribute) is not null))
        {
            string[] targets = (method.GetCustomAttribute(attribute) as TargetedAttribute)?.Targets ?? [];
            if (skippedTargets is not null && targets.Length > 0 && targets.All(skippedTargets.Contains))
            {
                continue;
            }

            method.Invoke(instance, null);
        }
    }

    // Benchmarks whose global setup targets them and no other benchmark.
    private static HashSet<string> OwnProcessBenchmarks(Type type)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (MethodInfo method in type.GetMethods())
        {
            if (method.GetCustomAttribute<GlobalSetupAttribute>() is { Targets: { Length: 1 } targets })
            {
                result.Add(targets[0]);
            }
        }

        return result;
    }

    private static Action ToAction(MethodInfo method, object instance)
    {
        if (method.ReturnType == typeof(void))
        {
            return method.CreateDelegate<Action>(instance);
        }

        Func<Task> asTask = method.CreateDelegate<Func<Task>>(instance);
        return () => asTask().GetAwaiter().GetResult();
    }

    private sealed class Case(string name, bool baseline, int operationsPerInvoke, Action action)
    {
        private readonly List<double> _samples = new(Rounds);
        private int _invocations = 1;

        internal string Name { get; } = name;

        internal bool Baseline { get; } = baseline;

        internal string Category { get; init; } = string.Empty;

        internal void Calibrate()
        {
            for (int i = 0; i < 3; i++)
            {
                Loop(_invocations); // warm up (and let tiering settle)
            }

            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                Loop(_invocations);
                if (Stopwatch.GetElapsedTime(start) >= s_roundTarget || _invocations >= 1 << 24)
                {
                    return;
                }

                _invocations *= 2;
            }
        }

        internal void Sample()
        {
            long start = Stopwatch.GetTimestamp();
            Loop(_invocations);
            _samples.Add(Stopwatch.GetElapsedTime(start).TotalNanoseconds / _invocations);
        }

        // Time per operation, less the driving delegate's cost per invocation.
        internal double Net(double quantile, double overheadPerInvocation) =>
            (Percentile(quantile) - overheadPerInvocation) / operationsPerInvoke;

        internal double Percentile(double quantile)
        {
            var sorted = _samples.Order().ToList();
            return sorted[(int)(quantile * (sorted.Count - 1))];
        }

        private void Loop(int count)
        {
            for (int i = 0; i < count; i++)
            {
                action();
            }
        }
    }
}
