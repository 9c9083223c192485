using System.Diagnostics;
using System.Reflection;

namespace OrderedLocks.Samples;

/// <summary>
/// How to start a child process that understands the samples' child commands (for example
/// <c>--ticket-client</c>): a program that calls <see cref="SampleCli.TryRunChild"/> first thing.
/// </summary>
/// <param name="FileName">The executable: an apphost, or the dotnet host.</param>
/// <param name="PrefixArguments">Arguments before the child command (the dll, when started through dotnet).</param>
public sealed record ChildLauncher(string FileName, IReadOnlyList<string> PrefixArguments)
{
    /// <summary>Starts children as copies of the current program (apphost or <c>dotnet program.dll</c>).</summary>
    public static ChildLauncher Self()
    {
        string processPath = Environment.ProcessPath ?? throw new InvalidOperationException("The current process has no known path.");
        string host = Path.GetFileNameWithoutExtension(processPath);
        if (string.Equals(host, "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            string entry = Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("No entry assembly to start.");
            return new ChildLauncher(processPath, new[] { entry });
        }

        return new ChildLauncher(processPath, Array.Empty<string>());
    }

    /// <summary>Starts children as <c>dotnet <paramref name="dllPath"/></c>.</summary>
    public static ChildLauncher ForDll(string dllPath)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";
        return new ChildLauncher(host, new[] { dllPath });
    }

    /// <summary>Creates the start info for one child command, with standard input and output redirected.</summary>
    public ProcessStartInfo StartInfo(params string[] arguments)
    {
        var info = new ProcessStartInfo(FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in PrefixArguments.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }
}
