using System.Diagnostics;
using System.Text;

namespace OrderedLocks.Samples.Tests;

/// <summary>Runs dotnet (or another program) as an independent child process and returns its output.</summary>
internal static class Dotnet
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Runs <c>dotnet args</c>; fails the test unless it exits with 0.</summary>
    internal static string Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        (int exitCode, string output) = RunAllowingFailure(workingDirectory, environment, args);
        Assert.True(exitCode == 0, $"dotnet {string.Join(' ', args)} failed with exit code {exitCode}:{Environment.NewLine}{output}");
        return output;
    }

    /// <summary>Runs <c>dotnet args</c> and returns its exit code and output.</summary>
    internal static (int ExitCode, string Output) RunAllowingFailure(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var all = new List<string>(args);
        if (args[0] is "build" or "pack" or "test" or "restore")
        {
            all.Add("--disable-build-servers"); // leave no compiler server behind
            all.Add("-nologo");
        }

        return Start(Repo.DotnetHost, workingDirectory, environment, all);
    }

    /// <summary>Runs another program; fails the test unless it exits with 0.</summary>
    internal static string RunProcess(string program, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        (int exitCode, string output) = Start(program, workingDirectory, environment, args);
        Assert.True(exitCode == 0, $"{program} {string.Join(' ', args)} failed with exit code {exitCode}:{Environment.NewLine}{output}");
        return output;
    }

    private static (int ExitCode, string Output) Start(string program, string workingDirectory, IReadOnlyDictionary<string, string>? environment, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The test host's MSBuild and test-platform settings must not leak into an independent build;
        // nor may a roll-forward or Coyote setting: the shipped targets must work without any.
        foreach (string key in info.Environment.Keys.ToArray())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("DOTNET_ROLL_FORWARD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("COYOTE", StringComparison.OrdinalIgnoreCase))
            {
                info.Environment.Remove(key);
            }
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (KeyValuePair<string, string> pair in environment ?? new Dictionary<string, string>())
        {
            info.Environment[pair.Key] = pair.Value;
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException(program + " did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_commandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {s_commandTimeout}.");
        }

        process.WaitForExit();
        var output = new StringBuilder().Append(stdout.Result).Append(stderr.Result);
        return (process.ExitCode, output.ToString());
    }
}
