using System.Reflection;

namespace OrderedLocks.Benchmarks;

/// <summary>
/// Refuses to measure a Coyote-rewritten OrderedLocks.dll. The Coyote test projects rewrite the
/// library so Coyote can control its scheduling; such a copy is far slower and says nothing about
/// the shipped library. Called by Program and by every benchmark's GlobalSetup, because
/// BenchmarkDotNet runs the benchmarks in child processes that do not go through Program.
/// </summary>
internal static class RewriteGuard
{
    internal static void EnsureNormalBuild()
    {
        Assembly library = typeof(OrderedLock).Assembly;
        string? coyoteReference = library.GetReferencedAssemblies()
            .Select(a => a.Name)
            .FirstOrDefault(n => n is not null && n.StartsWith("Microsoft.Coyote", StringComparison.OrdinalIgnoreCase));
        // Checked only without a Coyote reference: reading a rewritten assembly's attributes can
        // fail to resolve them, and the reference alone is enough to refuse.
        bool rewrittenMark = coyoteReference is null && library.GetCustomAttributesData()
            .Any(a => a.AttributeType.FullName?.Contains("Coyote", StringComparison.OrdinalIgnoreCase) == true);

        if (coyoteReference is not null || rewrittenMark)
        {
            string reason = coyoteReference is not null ? $"it references {coyoteReference}" : "it carries a Coyote rewriting attribute";
            throw new InvalidOperationException(
                $"Refusing to benchmark {library.Location}: {reason}, so it is a Coyote-rewritten build. " +
                "Benchmarks must load the normal Release build of src/OrderedLocks (ProjectReference without rewriting).");
        }

        if (library.GetCustomAttribute<System.Diagnostics.DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            throw new InvalidOperationException($"Refusing to benchmark {library.Location}: it is a Debug build. Run with -c Release.");
        }
    }
}
