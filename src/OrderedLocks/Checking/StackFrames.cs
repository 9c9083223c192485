using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace OrderedLocks.Checking;

/// <summary>
/// Prints the user's frames of a captured stack, with the names the user wrote: async and
/// iterator state machines, lambdas and local functions are shown as the method they were
/// written in (<c>Program.Main (lambda, async)</c>) instead of the compiler's
/// <c>&lt;&lt;Main&gt;$&gt;b__0_3&gt;d.MoveNext</c>.
/// </summary>
internal static class StackFrames
{
    private const int MaxFrames = 8;

    // The user's frames of a stack (library, framework and test-runner frames left out), at most 8.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Frames are only printed; a trimmed method shows as unknown.")]
    internal static void Append(StringBuilder text, StackTrace? stack)
    {
        if (stack is null)
        {
            text.AppendLine("    (no stack captured)");
            return;
        }

        Assembly library = typeof(StackFrames).Assembly;
        int shown = 0;
        foreach (StackFrame frame in stack.GetFrames())
        {
            MethodBase? method = frame.GetMethod();
            if (method is null || method.DeclaringType?.Assembly == library || IsFramework(method.DeclaringType))
            {
                continue;
            }

            text.Append("    at ").Append(SourceName(method));
            string? file = frame.GetFileName();
            if (file is not null)
            {
                text.Append(" in ").Append(file).Append(':').Append(frame.GetFileLineNumber());
            }

            text.AppendLine();
            if (++shown == MaxFrames)
            {
                text.AppendLine("    ...");
                break;
            }
        }

        if (shown == 0)
        {
            text.AppendLine("    (no user frames)");
        }

        static bool IsFramework(Type? type) =>
            type?.Namespace is { } ns && (ns.StartsWith("System.", StringComparison.Ordinal) || ns == "System" || ns.StartsWith("Microsoft.Coyote", StringComparison.Ordinal) || ns.StartsWith("Xunit", StringComparison.Ordinal));
    }

    /// <summary>
    /// The method as written in source: <c>Namespace.Type.Method</c>, with "(async)",
    /// "(iterator)", "(lambda)" or ".LocalFunction" for compiler-generated code.
    /// </summary>
    internal static string SourceName(MethodBase method)
    {
        Type? type = method.DeclaringType;
        string name = method.Name;
        string? kind = null;

        // A state machine's MoveNext: the type is "<Method>d__N", nested in the method's type.
        if (name == "MoveNext" && type is not null && type.DeclaringType is not null && Split(type.Name) is { } machine)
        {
            kind = typeof(IAsyncStateMachine).IsAssignableFrom(type) ? "async" : "iterator";
            name = machine.Inside;
            type = type.DeclaringType;
        }

        // "<Outer>b__1_0" (lambda), "<Outer>g__Local|1_0" (local function), "<Main>$" (top-level
        // statements), possibly nested: "<<Main>$>b__0_3".
        var locals = new List<string>();
        bool lambda = false;
        while (Split(name) is { } part)
        {
            if (part.Tail.StartsWith("b__", StringComparison.Ordinal))
            {
                lambda = true;
            }
            else if (part.Tail.StartsWith("g__", StringComparison.Ordinal))
            {
                int bar = part.Tail.IndexOf('|', StringComparison.Ordinal);
                locals.Insert(0, bar > 3 ? part.Tail[3..bar] : part.Tail[3..]);
            }

            name = part.Inside;
        }

        // Closures live in display classes ("<>c", "<>c__DisplayClass0_0") nested in the user's type.
        while (type is not null && type.Name.StartsWith('<') && type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        var result = new StringBuilder();
        if (type is not null)
        {
            result.Append(type.FullName?.Replace('+', '.') ?? type.Name).Append('.');
        }

        result.Append(name);
        foreach (string local in locals)
        {
            result.Append('.').Append(local);
        }

        if (lambda || kind is not null)
        {
            result.Append(" (").Append(lambda ? (kind is null ? "lambda" : $"{kind} lambda") : kind).Append(')');
        }

        return result.ToString();
    }

    // "<Inside>Tail" with balanced angle brackets, or null when the name is not of that shape.
    private static (string Inside, string Tail)? Split(string name)
    {
        if (name.Length < 2 || name[0] != '<')
        {
            return null;
        }

        int depth = 0;
        for (int i = 0; i < name.Length; i++)
        {
            if (name[i] == '<')
            {
                depth++;
            }
            else if (name[i] == '>' && --depth == 0)
            {
                return i == 1 ? null : (name[1..i], name[(i + 1)..]);
            }
        }

        return null;
    }
}
