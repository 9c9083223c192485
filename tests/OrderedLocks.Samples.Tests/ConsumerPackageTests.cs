using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OrderedLocks.Samples.Tests;

/// <summary>
/// The packages as a user gets them: packs OrderedLocks and OrderedLocks.Testing into a local
/// folder feed, restores a fresh consumer project from that feed (plus nuget.org), and checks that
/// the analyzer in the package flags an inverted lock order (OL0001), that AcquireAll works at run
/// time, and that a Coyote campaign of the user's own code runs through OrderedLocks.Testing
/// (after rewriting the consumer's output with the repository's Coyote tool).
/// </summary>
/// <remarks>
/// Packs the build outputs already made for this configuration (<c>--no-build</c>), under a unique
/// version (0.0.0-ci.TIMESTAMP), so the normal NuGet cache can never serve a stale package; that
/// version's folder is deleted from the cache afterwards.
/// </remarks>
public sealed class ConsumerPackageTests : IDisposable
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromMinutes(4);

    private readonly string _dir = Repo.TempDirectory();
    private readonly string _version = "0.0.0-ci." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);

    public void Dispose()
    {
        TryDelete(_dir);
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        TryDelete(Path.Combine(cache, "orderedlocks", _version));
        TryDelete(Path.Combine(cache, "orderedlocks.testing", _version));
    }

    [Fact]
    public void Package_ConsumerBuild_ReportsOL0001_AndAcquireAllRuns()
    {
        string feed = Path.Combine(_dir, "feed");
        string consumer = Path.Combine(_dir, "consumer");
        Directory.CreateDirectory(consumer);

        // 1. Pack what this configuration already built (library for net8.0 + net10.0, analyzers).
        string project = Path.Combine(Repo.Root, "src", "OrderedLocks", "OrderedLocks.csproj");
        Run(Repo.Root, "pack", project, "-c", Repo.Configuration, "--no-build", "--no-restore", "-o", feed, $"-p:Version={_version}");
        string package = Path.Combine(feed, $"OrderedLocks.{_version}.nupkg");
        Assert.True(File.Exists(package), "no package at " + package);
        using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            Assert.Contains("lib/net8.0/OrderedLocks.dll", entries);
            Assert.Contains("lib/net10.0/OrderedLocks.dll", entries);
            Assert.Contains("lib/net10.0/OrderedLocks.xml", entries);
            Assert.Contains("analyzers/dotnet/cs/OrderedLocks.Analyzers.dll", entries);
            Assert.Contains("analyzers/dotnet/cs/OrderedLocks.CodeFixes.dll", entries);
            Assert.Contains("README.md", entries);
        }

        string testing = Path.Combine(Repo.Root, "src", "OrderedLocks.Testing", "OrderedLocks.Testing.csproj");
        Run(Repo.Root, "pack", testing, "-c", Repo.Configuration, "--no-build", "--no-restore", "-o", feed, $"-p:Version={_version}");
        Assert.True(File.Exists(Path.Combine(feed, $"OrderedLocks.Testing.{_version}.nupkg")), "no OrderedLocks.Testing package");

        // 2. A consumer project outside the repository, restoring from the feed.
        WriteConsumer(consumer, feed);
        string build = Run(consumer, "build", "-c", "Release");

        // 3. The packaged analyzer flags the inverted order in Inverted.cs.
        Assert.Matches(@"Inverted\.cs\(\d+,\d+\): warning OL0001", build);
        Assert.Matches(@"InvertedThroughAcquireAll\.cs\(\d+,\d+\): warning OL0001", build);

        // 4. The packaged library runs AcquireAll correctly.
        string dll = Path.Combine(consumer, "bin", "Release", "net10.0", "Consumer.dll");
        string output = Run(consumer, dll);
        Assert.Contains("AcquireAll: 2 locks in order x_lock, y_lock", output, StringComparison.Ordinal);
        Assert.Contains("counter 20000 of 20000, nothing held", output, StringComparison.Ordinal);

        // 5. OrderedLocks.Testing: rewrite the consumer's output, then run its own campaigns.
        string bin = Path.GetDirectoryName(dll)!;
        string json = Path.Combine(_dir, "rewrite.coyote.json");
        File.WriteAllText(json, $$"""{ "AssembliesPath": "{{bin}}", "Assemblies": [ "Consumer.dll", "OrderedLocks.dll" ] }""");
        Run(Repo.Root, "tool", "restore");
        Run(Repo.Root, "coyote", "rewrite", json);
        string campaigns = Run(consumer, dll, "campaign");
        Assert.Matches(@"raw ABBA: bug at iteration \d+: Deadlock detected", campaigns);
        Assert.Contains("AcquireAll: safe over 100 schedules", campaigns, StringComparison.Ordinal);
    }

    private void WriteConsumer(string consumer, string feed)
    {
        // Keep the repository's build and package settings out: empty Directory.* files here.
        File.WriteAllText(Path.Combine(_dir, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(_dir, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(_dir, "Directory.Packages.props"), "<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>");
        File.WriteAllText(Path.Combine(consumer, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local-feed" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local-feed">
                  <package pattern="OrderedLocks" />
                  <package pattern="OrderedLocks.Testing" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <UseAppHost>false</UseAppHost>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="OrderedLocks" Version="{_version}" />
                <PackageReference Include="OrderedLocks.Testing" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "Inverted.cs"), """
            using OrderedLocks;

            namespace Consumer;

            // Thread1 takes x then y, Thread2 y then x: the analyzer must report OL0001.
            public sealed class Inverted
            {
                private readonly OrderedLock _x = new("x");
                private readonly OrderedLock _y = new("y");

                public void Thread1()
                {
                    using (_x.Acquire())
                    using (_y.Acquire())
                    {
                    }
                }

                public void Thread2()
                {
                    using (_y.Acquire())
                    using (_x.Acquire())
                    {
                    }
                }
            }
            """);
        File.WriteAllText(Path.Combine(consumer, "InvertedThroughAcquireAll.cs"), """
            using OrderedLocks;

            namespace Consumer;

            // The same inversion with AcquireAll: C# 13 binds AcquireAll(_a) to the
            // params ReadOnlySpan overload, which the analyzer must see through.
            public sealed class InvertedThroughAcquireAll
            {
                private readonly OrderedLock _a = new("a");
                private readonly object _b = new();

                public void One()
                {
                    using (OrderedLock.AcquireAll(_a))
                    {
                        lock (_b) { }
                    }
                }

                public void Two()
                {
                    lock (_b)
                    {
                        using (OrderedLock.AcquireAll(_a)) { }
                    }
                }
            }
            """);
        File.WriteAllText(Path.Combine(consumer, "Campaigns.cs"), """
            using OrderedLocks;
            using OrderedLocks.Testing;

            namespace Consumer;

            // A user's own Coyote campaigns through OrderedLocks.Testing.
            public static class Campaigns
            {
                public static int Run()
                {
                    var options = new CampaignOptions { Iterations = 100, Seed = 7, AssembliesUnderTest = new[] { typeof(OrderedLock).Assembly } };
                    CampaignResult raw = CampaignRunner.Run(Campaign.Create("abba", RawAbbaAsync, "raw"), CampaignStrategy.Random, options);
                    Console.WriteLine(raw.FoundBug ? $"raw ABBA: bug at iteration {raw.FirstBugIteration}: {raw.FirstBugReport}" : "raw ABBA: no bug");
                    CampaignResult safe = CampaignRunner.Run(Campaign.Create("abba", AcquireAllAsync, "acquire-all"), CampaignStrategy.Random, options);
                    Console.WriteLine(safe.FoundBug ? $"AcquireAll: bug: {safe.FirstBugReport}" : $"AcquireAll: safe over {safe.IterationsRun} schedules");
                    return raw.FoundBug && !safe.FoundBug ? 0 : 1;
                }

            #pragma warning disable OL0001 // ABBA deadlock on purpose: the campaign must find it
                private static async Task RawAbbaAsync()
                {
                    object x = new();
                    object y = new();
                    Task t1 = Task.Run(() => { lock (x) { lock (y) { } } });
                    Task t2 = Task.Run(() => { lock (y) { lock (x) { } } });
                    await Task.WhenAll(new[] { t1, t2 });
                }
            #pragma warning restore OL0001

                private static async Task AcquireAllAsync()
                {
                    var x = new OrderedLock("x");
                    var y = new OrderedLock("y");
                    Task t1 = Task.Run(() => { using (OrderedLock.AcquireAll(x, y)) { } });
                    Task t2 = Task.Run(() => { using (OrderedLock.AcquireAll(y, x)) { } });
                    await Task.WhenAll(new[] { t1, t2 });
                }
            }
            """);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
            using OrderedLocks;

            if (args.Length > 0 && args[0] == "campaign")
            {
                return Consumer.Campaigns.Run();
            }

            var x = new OrderedLock("x_lock");
            var y = new OrderedLock("y_lock");
            using (LockSetScope set = OrderedLock.AcquireAll(y, x))
            {
                Console.WriteLine($"AcquireAll: {set.Count} locks in order {string.Join(", ", set.Locks.Select(l => l.Name))}");
            }

            int counter = 0;
            Task a = Task.Run(() => { for (int i = 0; i < 10_000; i++) { using (OrderedLock.AcquireAll(x, y)) { counter++; } } });
            Task b = Task.Run(() => { for (int i = 0; i < 10_000; i++) { using (OrderedLock.AcquireAll(y, x)) { counter++; } } });
            if (!Task.WaitAll(new[] { a, b }, TimeSpan.FromSeconds(60)))
            {
                Console.WriteLine("deadlock");
                return 1;
            }

            Console.WriteLine($"counter {counter} of 20000, {(x.IsLocked || y.IsLocked ? "still held" : "nothing held")}");
            return 0;
            """);
    }

    private static string Run(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(Repo.DotnetHost)
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

        if (args[0] == "coyote")
        {
            info.Environment["DOTNET_ROLL_FORWARD"] = "Major"; // the Coyote CLI targets net8.0
            info.Environment["COYOTE_CLI_TELEMETRY_OPTOUT"] = "1";
        }

        if (args[0] is "build" or "pack")
        {
            info.ArgumentList.Add("--disable-build-servers"); // leave no compiler server behind
            info.ArgumentList.Add("-nologo");
        }

        // The test host's MSBuild settings must not leak into an independent build.
        foreach (string key in info.Environment.Keys.ToArray())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                info.Environment.Remove(key);
            }
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";

        using Process process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var output = new StringBuilder();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_commandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish within {s_commandTimeout}.");
        }

        process.WaitForExit();
        output.Append(stdout.Result).Append(stderr.Result);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed with exit code {process.ExitCode}:{Environment.NewLine}{output}");
        return output.ToString();
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
