using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace OrderedLocks.Diagnostics;

/// <summary>
/// Captures and renders stacks for diagnostics: only the caller's frames (the library's own frames
/// and the runtime's async plumbing are left out), with source method names: an async method's
/// state machine <c>&lt;SaveAsync&gt;d__4.MoveNext</c> is shown as <c>Type.SaveAsync</c>, a lambda as
/// <c>Type.Method (lambda)</c>.
/// </summary>
internal static class StackText
{
    private static readonly Assembly s_library = typeof(OrderedLockBase).Assembly;

    /// <summary>
    /// The current stack without the library's frames. No fixed number of frames is skipped: the
    /// JIT inlines the library's small frames into each other (and into the caller) once they are
    /// hot, so a count that is right for unoptimised code would skip the caller's own frames in
    /// optimised code. The library's frames are left out by assembly instead.
    /// </summary>
    internal static string Capture() => Format(new StackTrace(fNeedFileInfo: false));

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Frames are only printed; a trimmed method is left out.")]
    internal static string Format(StackTrace stack)
    {
        var text = new StringBuilder();
        foreach (StackFrame frame in stack.GetFrames())
        {
            string? name = Describe(frame.GetMethod());
            if (name is not null)
            {
                text.Append("   at ").AppendLine(name);
            }
        }

        return text.ToString();
    }

    /// <summary>The source-level name of a frame's method, or null for frames left out.</summary>
    internal static string? Describe(MethodBase? method)
    {
        Type? type = method?.DeclaringType;
        if (method is null || type is null || type.Assembly == s_library || IsPlumbing(type))
        {
            return null;
        }

        string methodName = method.Name;
        string suffix = string.Empty;

        // Compiler-generated types: async/iterator state machines (<Name>d__N) and closures
        // (<>c, <>c__DisplayClass) nested in the type that declared the source method.
        while (type.DeclaringType is not null && type.Name.StartsWith('<'))
        {
            if (TryInnerName(type.Name, out string? inner) && methodName is "MoveNext")
            {
                methodName = inner;
            }

            type = type.DeclaringType;
        }

        if (methodName.StartsWith('<') && TryInnerName(methodName, out string? outer))
        {
            // <Main>b__0_0 (lambda) or <Main>g__Local|0_0 (local function)
            suffix = methodName.Contains(">g__", StringComparison.Ordinal) ? $" (local function {LocalName(methodName)})" : " (lambda)";
            methodName = outer;
        }

        return $"{Clean(type.FullName ?? type.Name)}.{methodName}{suffix}";
    }

    private static bool TryInnerName(string name, out string inner)
    {
        int close = name.IndexOf('>', StringComparison.Ordinal);
        inner = close > 1 ? name.Substring(1, close - 1) : string.Empty;
        return inner.Length > 0;
    }

    private static string LocalName(string name)
    {
        int start = name.IndexOf(">g__", StringComparison.Ordinal) + 4;
        int end = name.IndexOf('|', start);
        return end > start ? name[start..end] : name[start..];
    }

    private static string Clean(string typeName) => typeName.Replace('+', '.');

    private static bool IsPlumbing(Type type)
    {
        if (type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) && type.DeclaringType is null)
        {
            return true;
        }

        string ns = type.Namespace ?? string.Empty;
        return ns.StartsWith("System.Runtime.CompilerServices", StringComparison.Ordinal)
            || ns.StartsWith("System.Threading", StringComparison.Ordinal)
            || ns.StartsWith("Microsoft.Coyote", StringComparison.Ordinal)
            || ns.StartsWith("System.Runtime.ExceptionServices", StringComparison.Ordinal);
    }
}
