using System.Text.RegularExpressions;

namespace OrderedLocks.Samples.Tests;

/// <summary>
/// The consumer solution written by <see cref="ConsumerPackageTests"/>: everything here is text of
/// this test, or comes out of the packages (the README quick starts); nothing is copied from the
/// repository. App (net8.0;net10.0): analyzer cases and a runtime check. Lib: the user's code under
/// test. App.Tests (net8.0 self-contained; net10.0): the user's own Coyote campaigns.
/// </summary>
internal static class ConsumerSources
{
    internal static void Write(string root, string feed, string version, string runtimeReadme, string testingReadme)
    {
        // Nothing from above the temp folder: empty Directory.* files, no central package versions.
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(root, "Directory.Packages.props"), "<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>");
        File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
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

        WriteApp(Path.Combine(root, "App"), version, FirstCSharpBlock(runtimeReadme));
        WriteLib(Path.Combine(root, "Lib"), version);
        WriteTests(Path.Combine(root, "App.Tests"), version, FirstCSharpBlock(testingReadme));
    }

    internal static string FirstCSharpBlock(string readme)
    {
        Match m = Regex.Match(readme.ReplaceLineEndings("\n"), "```csharp\n(.*?)\n```", RegexOptions.Singleline);
        Assert.True(m.Success, "the package README has no C# quick start");
        return m.Groups[1].Value + "\n";
    }

    private static void WriteApp(string dir, string version, string quickStart)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFrameworks>net8.0;net10.0</TargetFrameworks>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <UseAppHost>false</UseAppHost>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="OrderedLocks" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "QuickStart.cs"), quickStart);
        File.WriteAllText(Path.Combine(dir, "Inverted.cs"), """
            namespace App;

            // One() takes x then y, Two() y then x: OL0001 (a cycle in the lock-order graph).
            public sealed class Inverted
            {
                private readonly object _x = new();
                private readonly object _y = new();

                public void One()
                {
                    lock (_x)
                    {
                        lock (_y) { }
                    }
                }

                public void Two()
                {
                    lock (_y)
                    {
                        lock (_x) { }
                    }
                }
            }
            """);
        File.WriteAllText(Path.Combine(dir, "Ranks.cs"), """
            using OrderedLocks;

            namespace App;

            // docs/analyzers/OL0002.md: ranks as named constructor arguments; page (5) held, index (1) taken.
            public sealed class Db
            {
                private readonly OrderedLock _index = new("index", rank: 1);
                private readonly OrderedLock _page = new("page", rank: 5);

                public void Wrong()
                {
                    using (_page.Acquire())
                    using (_index.Acquire())
                    { }
                }
            }
            """);
        File.WriteAllText(Path.Combine(dir, "RanksConst.cs"), """
            using OrderedLocks;

            namespace App;

            // Ranks as positional arguments from const fields: same violation.
            public sealed class Cache
            {
                private const int EntryRank = 2;
                private const int ShardRank = 8;
                private readonly OrderedLock _entry = new("entry", EntryRank);
                private readonly OrderedLock _shard = new("shard", ShardRank);

                public void Wrong()
                {
                    using (_shard.Acquire())
                    {
                        using (_entry.Acquire()) { }
                    }
                }
            }
            """);
        File.WriteAllText(Path.Combine(dir, "Nested.cs"), """
            using OrderedLocks;

            namespace App;

            // Two unranked ordered-lock fields nested directly: OL0004 (use one AcquireAll).
            public sealed class Nested
            {
                private readonly OrderedLock _a = new("a");
                private readonly OrderedLock _b = new("b");

                public void Both()
                {
                    using (_a.Acquire())
                    using (_b.Acquire())
                    { }
                }
            }
            """);
        File.WriteAllText(Path.Combine(dir, "Conditions.cs"), """
            using OrderedLocks;

            namespace App;

            // A condition wait guarded by an if, not a predicate loop: OL0101.
            public sealed class Queue
            {
                private readonly OrderedLock _lock = new("queue");
                private readonly OrderedCondition _notEmpty;
                private int _count;

                public Queue() => _notEmpty = new OrderedCondition(_lock);

                public void Take()
                {
                    using (_lock.Acquire())
                    {
                        if (_count == 0) _notEmpty.Wait();
                        _count--;
                    }
                }
            }
            """);
        File.WriteAllText(Path.Combine(dir, "Clean.cs"), """
            using OrderedLocks;

            namespace App;

            // Correct use: no diagnostic.
            public sealed class Clean
            {
                private readonly OrderedLock _from = new("from");
                private readonly OrderedLock _to = new("to");
                private readonly OrderedCondition _ready;
                private bool _isReady;

                public Clean() => _ready = new OrderedCondition(_from);

                public void Move()
                {
                    using (OrderedLock.AcquireAll(_from, _to)) { }
                }

                public async Task MoveAsync(CancellationToken cancellationToken)
                {
                    await using (await OrderedLock.AcquireAllAsync(cancellationToken, _to, _from)) { }
                }

                public void WaitReady()
                {
                    using (_from.Acquire())
                    {
                        _ready.WaitFor(() => _isReady);
                    }
                }

                public void SetReady()
                {
                    using (_from.Acquire())
                    {
                        _isReady = true;
                        _ready.NotifyAll();
                    }
                }
            }
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), """
            using System.Runtime.InteropServices;
            using OrderedLocks;

            Console.WriteLine(RuntimeInformation.FrameworkDescription);
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

            await using (await x.AcquireAsync())
            {
            }

            Console.WriteLine(x.IsLocked ? "await using: still held" : "await using: released");

            // The package README's quick start, as a user would paste it.
            var bank = new Bank();
            bank.Transfer();
            await bank.SaveAsync(CancellationToken.None);
            try
            {
                bank.Wrong();
                Console.WriteLine("quick start: Wrong did not throw");
            }
            catch (LockOrderException ex) when (ex.Message.Contains("'accounts'") && ex.Message.Contains("'audit'"))
            {
                Console.WriteLine("quick start: Transfer, SaveAsync ok; Wrong threw LockOrderException naming 'accounts' and 'audit'");
            }

            return 0;
            """);
    }

    private static void WriteLib(string dir, string version)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "Lib.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFrameworks>net8.0;net10.0</TargetFrameworks>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="OrderedLocks" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Bank.cs"), """
            using OrderedLocks;

            namespace Lib;

            public sealed class Account
            {
                public Account(string name) => Lock = new OrderedLock(name);

                public OrderedLock Lock { get; }

                public object Gate { get; } = new();

                public int Balance { get; set; } = 100;
            }

            public sealed class Bank
            {
                private readonly Dictionary<string, Account> _accounts = new() { ["alice"] = new("alice"), ["bob"] = new("bob") };

                public int Total => _accounts.Values.Sum(a => a.Balance);

                // The bug: each transfer locks its source first, so two opposite transfers can deadlock.
                public void TransferRaw(string from, string to, int amount)
                {
                    Account source = _accounts[from];
                    Account target = _accounts[to];
                    lock (source.Gate)
                    {
                        lock (target.Gate)
                        {
                            source.Balance -= amount;
                            target.Balance += amount;
                        }
                    }
                }

                // The fix: both locks at once, in the global order.
                public void TransferOrdered(string from, string to, int amount)
                {
                    Account source = _accounts[from];
                    Account target = _accounts[to];
                    using (OrderedLock.AcquireAll(source.Lock, target.Lock))
                    {
                        source.Balance -= amount;
                        target.Balance += amount;
                    }
                }
            }
            """);
    }

    private static void WriteTests(string dir, string version, string quickStart)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "App.Tests.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFrameworks>net8.0;net10.0</TargetFrameworks>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <IsPackable>false</IsPackable>
                <!-- Only the .NET 10 runtime is installed here: run net8.0 self-contained on the
                     .NET 8 runtime pack from NuGet. -->
                <RuntimeIdentifiers>$(NETCoreSdkRuntimeIdentifier)</RuntimeIdentifiers>
              </PropertyGroup>
              <PropertyGroup Condition="'$(TargetFramework)' == 'net8.0'">
                <RuntimeIdentifier>$(NETCoreSdkRuntimeIdentifier)</RuntimeIdentifier>
                <SelfContained>true</SelfContained>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="2.9.3" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
                <PackageReference Include="OrderedLocks" Version="{version}" />
                <PackageReference Include="OrderedLocks.Testing" Version="{version}" />
                <ProjectReference Include="../Lib/Lib.csproj" />
                <!-- The only Coyote setting: rewrite Lib.dll too (this assembly and OrderedLocks.dll always are). -->
                <CoyoteRewrite Include="Lib" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "ReadmeQuickStart.cs"), quickStart);
        File.WriteAllText(Path.Combine(dir, "TransferCampaigns.cs"), """
            using System.Runtime.InteropServices;
            using Lib;
            using Microsoft.Coyote.Specifications;
            using OrderedLocks;
            using OrderedLocks.Testing;
            using Xunit;

            namespace App.Tests;

            public class TransferCampaigns
            {
                private static readonly string Traces = Path.Combine(AppContext.BaseDirectory, "coyote-traces");

                private static CampaignOptions Options => new()
                {
                    Iterations = 300,
                    Seed = 11,
                    TraceDirectory = Traces,
                    AssembliesUnderTest = new[] { typeof(OrderedLock).Assembly, typeof(Bank).Assembly },
                };

                [Fact]
                public void Runtime_IsTheTargetFrameworks()
                {
            #if NET8_0
                    Assert.StartsWith(".NET 8.", RuntimeInformation.FrameworkDescription);
            #else
                    Assert.StartsWith(".NET 10.", RuntimeInformation.FrameworkDescription);
            #endif
                }

                [Fact]
                public void EverythingUnderTest_IsRewritten()
                {
                    Assert.True(CampaignRunner.IsRewritten(typeof(TransferCampaigns).Assembly), "test assembly");
                    Assert.True(CampaignRunner.IsRewritten(typeof(Bank).Assembly), "Lib");
                    Assert.True(CampaignRunner.IsRewritten(typeof(OrderedLock).Assembly), "OrderedLocks");
                }

                [Fact]
                public void RawTransfers_Deadlock_WithAReplayableTrace()
                {
                    var campaign = Campaign.Create("transfer", RawBothWaysAsync);
                    CampaignResult r = CampaignRunner.Run(campaign, CampaignStrategy.Random, Options);

                    Assert.True(r.FoundBug, "the ABBA deadlock was not found");
                    Assert.Contains("Deadlock detected", r.FirstBugReport);
                    Assert.Equal("transfer~random.trace", Path.GetFileName(r.TraceFile));
                    Assert.Contains("TransferCampaigns.RawBothWaysAsync at ", r.TestSource);

                    ReplayResult replay = CampaignRunner.ReplayFile(campaign, r.TraceFile!);
                    Assert.True(replay.Reproduced, "the saved trace did not reproduce the deadlock");
                    Assert.Contains("Deadlock detected", replay.ReadableTrace);
                    File.WriteAllText(Path.Combine(Traces, "report.txt"), r.FormatBugReport() + "\n----\n" + replay.ReadableTrace);
                }

                [Fact]
                public void OrderedTransfers_NeverDeadlock_AndKeepTheTotal()
                {
                    var campaign = Campaign.Create("transfer", OrderedBothWaysAsync, "acquire-all");
                    foreach (CampaignResult r in CampaignRunner.Run(campaign, CampaignStrategies.Default, Options))
                    {
                        Assert.False(r.FoundBug, r.FormatBugReport());
                        Assert.Equal(300u, r.IterationsRun);
                    }
                }

                private static async Task RawBothWaysAsync()
                {
                    var bank = new Bank();
                    Task a = Task.Run(() => bank.TransferRaw("alice", "bob", 10));
                    Task b = Task.Run(() => bank.TransferRaw("bob", "alice", 5));
                    await Task.WhenAll(new[] { a, b });
                }

                private static async Task OrderedBothWaysAsync()
                {
                    var bank = new Bank();
                    Task a = Task.Run(() => bank.TransferOrdered("alice", "bob", 10));
                    Task b = Task.Run(() => bank.TransferOrdered("bob", "alice", 5));
                    await Task.WhenAll(new[] { a, b });
                    Specification.Assert(bank.Total == 200, "money created or lost");
                }
            }
            """);
    }
}
