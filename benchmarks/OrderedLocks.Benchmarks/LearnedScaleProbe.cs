using System.Diagnostics;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Plain memory and time probe for issue 16 (not BenchmarkDotNet: it follows one long run):
/// <c>dotnet run -c Release --project benchmarks/OrderedLocks.Benchmarks -- --learned-scale [count]</c>.
/// For each mode it creates <c>count</c> (default 1,000,000) short-lived row locks, each nested
/// under one long-lived table lock and dropped, and prints at 1,000, 10,000, 100,000 and
/// 1,000,000 rows: the time per row of the last 1,000 rows (fastest and median of five slices of
/// 200, since load only adds time), the live managed heap after
/// full blocking GCs with finalizers run (minus the heap before the first row) and the number of edges learned.
/// Each mode first runs 2 x 1,000 rows on a separate table with a 1 s pause after each (JIT
/// tiering, and the symbol loading of the first stack capture), so the first window measures the
/// graph, not start-up.
/// </summary>
internal static class LearnedScaleProbe
{
    private const int Window = 1_000;
    private const int Slice = 200;

    internal static void Run(int count)
    {
        Console.WriteLine($"learned-scale probe: {count:N0} rows per mode, windows of {Window:N0}; {Environment.ProcessorCount} cores; load average {LoadAverage()}");
        Console.WriteLine("| mode | rows so far | µs per row, fastest (median) of 5 slices of 200 in the last 1,000 | x first 1,000 | live heap after full GC | edges learned |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var variants = new (string Name, LockOrderChecking Mode, bool WithClass)[]
        {
            ("Strict (no graph)", LockOrderChecking.Strict, false),
            ("Hybrid, LockClass", LockOrderChecking.Hybrid, true),
            ("Learned, LockClass", LockOrderChecking.Learned, true),
            ("Hybrid, no class", LockOrderChecking.Hybrid, false),
            ("Learned, no class", LockOrderChecking.Learned, false),
        };
        foreach (var (name, mode, withClass) in variants)
        {
            RunVariant(name, mode, withClass ? new LockClass("row") : null, count);
        }

        // What one live lock with one edge costs: rows kept alive, per row, less the same rows under Strict.
        const int Kept = 10_000;
        double strictBytes = BytesPerKeptRow(LockOrderChecking.Strict, null, Kept);
        double learnedBytes = BytesPerKeptRow(LockOrderChecking.Hybrid, null, Kept);
        double classBytes = BytesPerKeptRow(LockOrderChecking.Hybrid, new LockClass("row"), Kept);
        Console.WriteLine();
        Console.WriteLine($"{Kept:N0} rows kept alive, each nested once under the table: lock object and its hold tracking {strictBytes:N0} B per row (Strict);");
        Console.WriteLine($"  Hybrid, no class: +{learnedBytes - strictBytes:N0} B per row (its node, its edge from the table with the first-seen stack, the table entry)");
        Console.WriteLine($"  Hybrid, LockClass: +{classBytes - strictBytes:N0} B per row (one node and one edge for the class)");
        Console.WriteLine($"load average after: {LoadAverage()}");
    }

    private static double BytesPerKeptRow(LockOrderChecking mode, LockClass? rows, int count)
    {
        var table = new OrderedLock("table", checking: mode);
        LearnedScaleBenchmarks.RowUnderTable(table, mode, rows); // the table's own first use
        var kept = new OrderedLock[count];
        long before = LiveHeap();
        for (int i = 0; i < count; i++)
        {
            kept[i] = new OrderedLock("row", checking: mode, lockClass: rows);
            using (table.Acquire())
            using (kept[i].Acquire())
            {
            }
        }

        long after = LiveHeap();
        GC.KeepAlive(kept);
        GC.KeepAlive(table);
        return (double)(after - before) / count;
    }

    private static void RunVariant(string name, LockOrderChecking mode, LockClass? rows, int count)
    {
        // Warm-up on another table: 1,000 rows, a pause for the tiered JIT's background
        // compilation (slow on a loaded machine), 1,000 more.
        var warmUpTable = new OrderedLock("warm-up table", checking: mode);
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < Window; i++)
            {
                LearnedScaleBenchmarks.RowUnderTable(warmUpTable, mode, rows);
            }

            Thread.Sleep(TimeSpan.FromSeconds(1));
        }

        var table = new OrderedLock("table", checking: mode);
        long heapBefore = LiveHeap();
        int edgesBefore = LockOrderPolicy.LearnedEdgeCount;
        double first = 0;
        var watch = new Stopwatch();
        int done = 0;
        for (int checkpoint = Window; checkpoint <= count; checkpoint *= 10)
        {
            // Untimed up to the window before the checkpoint, then the timed window.
            for (; done < checkpoint - Window; done++)
            {
                LearnedScaleBenchmarks.RowUnderTable(table, mode, rows);
            }

            // The last 1,000 rows before the checkpoint, timed in 5 slices of 200: the machine's
            // load only adds time, so the fastest slice is the figure (the median is shown too).
            var slices = new double[Window / Slice];
            for (int slice = 0; slice < slices.Length; slice++)
            {
                watch.Restart();
                for (int end = done + Slice; done < end; done++)
                {
                    LearnedScaleBenchmarks.RowUnderTable(table, mode, rows);
                }

                watch.Stop();
                slices[slice] = watch.Elapsed.TotalMicroseconds / Slice;
            }

            Array.Sort(slices);
            double microseconds = slices[0];
            double median = slices[slices.Length / 2];
            if (checkpoint == Window)
            {
                first = microseconds;
            }

            long live = LiveHeap() - heapBefore;
            Console.WriteLine($"| {name} | {checkpoint:N0} | {microseconds:F3} ({median:F3}) | {microseconds / first:F2} | {live / 1024.0:N1} KiB | {LockOrderPolicy.LearnedEdgeCount - edgesBefore:N0} |");
        }

        GC.KeepAlive(table);
        GC.KeepAlive(rows);
    }

    // The managed heap after full blocking collections, with finalizers run in between (the
    // learned graph's edge tables free the room of dead entries through finalizable containers).
    private static long LiveHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }
}
