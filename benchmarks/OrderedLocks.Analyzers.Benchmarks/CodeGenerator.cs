using System.Text;

namespace OrderedLocks.Analyzers.Benchmarks;

/// <summary>
/// Generates a synthetic code base of about <c>targetLines</c> lines: many classes with lock fields
/// of every supported kind, methods that nest locks in a consistent per-class order, calls into
/// other classes (static and through interfaces), properties, events, lambdas and async methods.
/// A few deliberate inversions make the analyzers do real cycle work.
/// </summary>
internal static class CodeGenerator
{
    private const int MethodsPerClass = 8;
    private const int Interfaces = 40;

    public static IReadOnlyList<string> Generate(int targetLines, int seed = 42)
    {
        // Size one class to decide how many make up the target.
        var probe = new StringBuilder();
        AppendClass(probe, 7, 100, new Random(seed));
        int linesPerClass = probe.ToString().Count(c => c == '\n');
        int classCount = Math.Max(4, targetLines / linesPerClass);

        var random = new Random(seed);
        var files = new List<string>();
        var builder = new StringBuilder();
        for (int first = 0; first < classCount; first += 10)
        {
            builder.Clear();
            builder.AppendLine("using System;");
            builder.AppendLine("using System.Collections.Generic;");
            builder.AppendLine("using System.Threading;");
            builder.AppendLine("using System.Threading.Tasks;");
            builder.AppendLine();
            builder.AppendLine($"namespace Generated.Part{first / 10};");
            builder.AppendLine();
            for (int index = first; index < Math.Min(first + 10, classCount); index++)
            {
                AppendClass(builder, index, classCount, random);
            }

            files.Add(builder.ToString());
        }

        files.Add(Shared(classCount));
        return files;
    }

    private static string Shared(int classCount)
    {
        var builder = new StringBuilder();
        builder.AppendLine("namespace Generated;");
        for (int i = 0; i < Interfaces; i++)
        {
            builder.AppendLine($"public interface IWorker{i} {{ void Work(int value); int Load {{ get; }} }}");
        }

        builder.AppendLine("public static class Registry");
        builder.AppendLine("{");
        builder.AppendLine("    public static readonly object Gate = new object();");
        builder.AppendLine($"    public const int ClassCount = {classCount};");
        builder.AppendLine("}");
        return builder.ToString();
    }

    private static void AppendClass(StringBuilder b, int index, int classCount, Random random)
    {
        string name = "Service" + index;
        int next = (index + 1) % classCount;
        int other = random.Next(classCount);
        string nextNs = $"Generated.Part{next / 10}";
        string otherNs = $"Generated.Part{other / 10}";

        b.AppendLine($"public sealed class {name} : Generated.IWorker{index % Interfaces}");
        b.AppendLine("{");
        b.AppendLine("    private readonly object _sync = new object();");
        b.AppendLine("    private readonly object _state = new object();");
        b.AppendLine("    private readonly SemaphoreSlim _io = new SemaphoreSlim(1, 1);");
        b.AppendLine("    private readonly SemaphoreSlim _slots = new SemaphoreSlim(4);");
        b.AppendLine("    private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();");
        b.AppendLine("    internal static readonly object Shared = new object();");
        b.AppendLine("    private readonly List<int> _items = new List<int>();");
        b.AppendLine($"    private readonly Generated.IWorker{(index + 1) % Interfaces}? _peer;");
        b.AppendLine("    private int _count;");
        b.AppendLine("    public event Action<int>? Changed;");
        b.AppendLine();
        b.AppendLine($"    public {name}(Generated.IWorker{(index + 1) % Interfaces}? peer) {{ _peer = peer; Changed += OnChanged; }}");
        b.AppendLine();
        b.AppendLine("    public int Load { get { lock (_state) { return _count; } } }");
        b.AppendLine();
        b.AppendLine("    public void Work(int value)");
        b.AppendLine("    {");
        b.AppendLine("        lock (_sync)");
        b.AppendLine("        {");
        b.AppendLine("            lock (_state) { _items.Add(value); _count++; }");
        b.AppendLine("            Changed?.Invoke(value);");
        b.AppendLine("        }");
        b.AppendLine("    }");
        b.AppendLine();
        b.AppendLine("    private void OnChanged(int value) { lock (_state) { _count += value % 3; } }");
        b.AppendLine();
        for (int m = 0; m < MethodsPerClass; m++)
        {
            b.AppendLine($"    public int Step{m}(int input)");
            b.AppendLine("    {");
            b.AppendLine("        int total = input;");
            b.AppendLine($"        for (int i = 0; i < {m + 2}; i++)");
            b.AppendLine("        {");
            b.AppendLine("            total += i * input;");
            b.AppendLine("        }");
            switch (m % 4)
            {
                case 0:
                    b.AppendLine("        lock (_sync) { total += Helper(total); }");
                    break;
                case 1:
                    b.AppendLine($"        total += global::{nextNs}.Service{next}.Compute(total);");
                    break;
                case 2:
                    b.AppendLine("        Func<int, int> f = x => { lock (_state) { return x + _count; } };");
                    b.AppendLine("        total = f(total);");
                    break;
                default:
                    b.AppendLine("        _rw.EnterWriteLock();");
                    b.AppendLine("        try { _peer?.Work(total); } finally { _rw.ExitWriteLock(); }");
                    break;
            }

            b.AppendLine("        return total;");
            b.AppendLine("    }");
            b.AppendLine();
        }

        b.AppendLine("    private int Helper(int value)");
        b.AppendLine("    {");
        b.AppendLine("        lock (_state) { return value + _items.Count; }");
        b.AppendLine("    }");
        b.AppendLine();
        b.AppendLine("    public static int Compute(int value)");
        b.AppendLine("    {");
        b.AppendLine("        lock (Shared) { return value * 2; }");
        b.AppendLine("    }");
        b.AppendLine();
        b.AppendLine("    public async Task<int> FetchAsync(int value)");
        b.AppendLine("    {");
        b.AppendLine("        await _io.WaitAsync();");
        b.AppendLine("        try");
        b.AppendLine("        {");
        b.AppendLine("            await Task.Yield();");
        b.AppendLine($"            return value + global::{otherNs}.Service{other}.Compute(value);");
        b.AppendLine("        }");
        b.AppendLine("        finally");
        b.AppendLine("        {");
        b.AppendLine("            _io.Release();");
        b.AppendLine("        }");
        b.AppendLine("    }");
        b.AppendLine();
        b.AppendLine("    public async Task ThrottledAsync()");
        b.AppendLine("    {");
        b.AppendLine("        await _slots.WaitAsync();");
        b.AppendLine("        try { lock (_sync) { _count++; } } finally { _slots.Release(); }");
        b.AppendLine("    }");
        b.AppendLine();
        b.AppendLine("    public void Gated()");
        b.AppendLine("    {");
        b.AppendLine("        lock (Generated.Registry.Gate) { lock (_sync) { lock (_state) { _count--; } } }");
        b.AppendLine("    }");
        if (index % 50 == 7)
        {
            // A deliberate inversion: _state then _sync, the reverse of Work().
            b.AppendLine();
            b.AppendLine("    public void Inverted() { lock (_state) { lock (_sync) { _count = 0; } } }");
        }

        b.AppendLine("}");
        b.AppendLine();
    }
}
