using System.Runtime.CompilerServices;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>
/// JIT options for the engine's methods. The compiler process JIT-compiles for its whole life, so
/// the runtime's tiering delay keeps being extended and the engine would run as unoptimised tier-0
/// code through most of a build (measured on NLog: the analyzers' time fell by about half with
/// tiering off). The engine's methods are therefore compiled optimised on first call.
/// </summary>
internal static class Jit
{
    /// <summary><c>MethodImplOptions.AggressiveOptimization</c> (512), which the netstandard2.0 reference does not declare; the runtime honours the flag.</summary>
    public const MethodImplOptions Optimized = (MethodImplOptions)512;
}
