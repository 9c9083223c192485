using System.Diagnostics;

namespace OrderedLocks.Samples.Tests;

/// <summary>Paths in the repository and helpers to run child processes.</summary>
internal static class Repo
{
    internal static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(60);

    internal static string Root { get; } = FindRoot();

    // The configuration this test assembly was built in (bin/<Configuration>/net10.0/).
    internal static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    internal static string ChildDll { get; } = Path.Combine(Root, "tests", "OrderedLocks.FileLockChild", "bin", Configuration, "net10.0", "OrderedLocks.FileLockChild.dll");

    internal static ChildLauncher Child => ChildLauncher.ForDll(ChildDll);

    internal static string DotnetHost { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    internal static Process StartChild(params string[] args) =>
        Process.Start(Child.StartInfo(args)) ?? throw new InvalidOperationException("Could not start the child process.");

    internal static string ReadLine(Process child)
    {
        Task<string?> line = child.StandardOutput.ReadLineAsync();
        if (!line.Wait(ChildTimeout))
        {
            throw new TimeoutException("The child process said nothing within the timeout.");
        }

        return line.Result ?? $"(end of output; stderr: {child.StandardError.ReadToEnd()})";
    }

    internal static string TempDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "orderedlocks-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrderedLocks.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OrderedLocks.sln not found above " + AppContext.BaseDirectory);
    }
}
