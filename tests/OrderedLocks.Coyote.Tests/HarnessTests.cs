using OrderedLocks.Scenarios;
using OrderedLocks.Testing;
using Xunit;

namespace OrderedLocks.Coyote.Tests;

/// <summary>The harness itself: rewriting is real, traces are saved and replay the bug.</summary>
public sealed class HarnessTests
{
    [Fact]
    public void AssembliesUnderTest_AreRewritten()
    {
        foreach (System.Reflection.Assembly assembly in Profiles.UnderTest)
        {
            Assert.True(CampaignRunner.IsRewritten(assembly), $"{assembly.GetName().Name} is not Coyote-rewritten in {assembly.Location}.");
        }
    }

    [Fact]
    public void HarnessAssembly_IsNotRewritten_AndIsRejectedAsUnderTest()
    {
        // The harness drives Coyote and is deliberately left alone: asking for it must fail loudly.
        var options = new CampaignOptions { AssembliesUnderTest = new[] { typeof(CampaignRunner).Assembly } };
        Assert.Throws<CampaignIntegrityException>(() => CampaignRunner.EnsureRewritten(Campaign.Create("x", () => Task.CompletedTask), options));
    }

    [Fact]
    public void BugTrace_IsWrittenAndReplaysTheBug()
    {
        string dir = Path.Combine(Path.GetTempPath(), "orderedlocks-coyote-" + Guid.NewGuid().ToString("N"));
        try
        {
            ScenarioCase c = ScenarioRegistry.Get("abba", "raw-lock");
            var campaign = Campaign.Create(c.Scenario, c.Test, c.Variant);
            CampaignResult r = CampaignRunner.Run(campaign, CampaignStrategy.Random, Profiles.For(Expectation.Bug, dir));
            Assert.True(r.FoundBug);
            Assert.NotNull(r.TraceFile);
            Assert.True(File.Exists(r.TraceFile));
            Assert.Equal(CampaignRunner.TraceFileName("abba", "raw-lock", CampaignStrategy.Random), Path.GetFileName(r.TraceFile));

            ReplayResult replay = CampaignRunner.ReplayFile(campaign, r.TraceFile!);
            Assert.True(replay.Reproduced, "Replaying the saved trace did not hit the bug again.");
            Assert.Contains(ScenarioRegistry.Deadlock, replay.BugReports[0], StringComparison.Ordinal);

            // A report a person can act on: the readable trace is filled on replay and names the code.
            Assert.Contains(replay.BugReports[0], replay.ReadableTrace, StringComparison.Ordinal);
            Assert.NotNull(replay.TestSource);
            Assert.Contains("Test method: ", replay.ReadableTrace, StringComparison.Ordinal);
            Assert.Matches(@"\.cs:\d+-\d+", replay.TestSource);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void UserCampaignWithoutVariant_ReportNamesTheSourceLines_TraceNameIsClean_ReplayIsReadable()
    {
        string dir = Path.Combine(Path.GetTempPath(), "orderedlocks-coyote-" + Guid.NewGuid().ToString("N"));
        try
        {
            var campaign = Campaign.Create("deposit-audit", DepositAuditAbbaAsync);
            var options = new CampaignOptions { Iterations = 200, Seed = 3, TraceDirectory = dir, AssembliesUnderTest = Profiles.UnderTest };
            CampaignResult r = CampaignRunner.Run(campaign, CampaignStrategy.Random, options);

            Assert.True(r.FoundBug, "the seeded ABBA deadlock was not found");
            Assert.Equal("deposit-audit~random.trace", Path.GetFileName(r.TraceFile));
            Assert.Equal("deposit-audit~pct.trace", CampaignRunner.TraceFileName("deposit-audit", string.Empty, CampaignStrategy.Prioritization));

            // The test method's own lines, from the (rewritten) portable PDB and the source file here.
            Assert.NotNull(r.TestSource);
            Assert.StartsWith("HarnessTests.DepositAuditAbbaAsync at ", r.TestSource, StringComparison.Ordinal);
            Assert.Contains("HarnessTests.cs:", r.TestSource, StringComparison.Ordinal);
            Assert.Contains("Task.Run(accounts.DepositThenAudit)", r.TestSource, StringComparison.Ordinal);
            string report = r.FormatBugReport();
            Assert.Contains("deposit-audit (random): bug at iteration", report, StringComparison.Ordinal);
            Assert.Contains("Deadlock detected", report, StringComparison.Ordinal);
            Assert.Contains("Task.Run(accounts.AuditThenDeposit)", report, StringComparison.Ordinal);
            Assert.Contains(r.TraceFile!, report, StringComparison.Ordinal);

            ReplayResult replay = CampaignRunner.ReplayFile(campaign, r.TraceFile!);
            Assert.True(replay.Reproduced);
            Assert.Contains("Deadlock detected", replay.ReadableTrace, StringComparison.Ordinal);
            Assert.Contains("Task.Run(accounts.DepositThenAudit)", replay.ReadableTrace, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void SourceLines_DisplayName_UndoesLambdaAndLocalFunctionNames()
    {
        Func<Task> lambda = () => Task.CompletedTask;
        Assert.Equal("HarnessTests.SourceLines_DisplayName_UndoesLambdaAndLocalFunctionNames (lambda)", SourceLines.DisplayName(lambda.Method));
        Assert.Equal("HarnessTests.DepositAuditAbbaAsync", SourceLines.DisplayName(((Func<Task>)DepositAuditAbbaAsync).Method));
        static Task LocalAsync() => Task.CompletedTask;
        Assert.Equal("HarnessTests.LocalAsync", SourceLines.DisplayName(((Func<Task>)LocalAsync).Method));
    }

    private static async Task DepositAuditAbbaAsync()
    {
        var accounts = new DepositAudit();
        Task a = Task.Run(accounts.DepositThenAudit);
        Task b = Task.Run(accounts.AuditThenDeposit);
        await Task.WhenAll(new[] { a, b });
    }

#pragma warning disable OL0001 // ABBA deadlock on purpose: DepositThenAudit locks _deposit then _audit, AuditThenDeposit the reverse
    private sealed class DepositAudit
    {
        private readonly object _deposit = new();
        private readonly object _audit = new();

        public void DepositThenAudit()
        {
            lock (_deposit)
            {
                lock (_audit)
                {
                }
            }
        }

        public void AuditThenDeposit()
        {
            lock (_audit)
            {
                lock (_deposit)
                {
                }
            }
        }
    }
#pragma warning restore OL0001

    [Fact]
    public void UserTestMethod_CanBeRunAsCampaign()
    {
        // What a user does with their own method: no registry involved.
        var campaign = Campaign.Create("user-counter", UserCounterAsync);
        IReadOnlyList<CampaignResult> results = CampaignRunner.Run(campaign, CampaignStrategies.Default, new CampaignOptions { Iterations = 50, Seed = 1, AssembliesUnderTest = Profiles.UnderTest });
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.False(r.FoundBug, r.FirstBugReport));
        string table = CampaignTable.Format(results);
        Assert.Contains("user-counter", table, StringComparison.Ordinal);
        Assert.Contains("pct", table, StringComparison.Ordinal);
    }

    private static async Task UserCounterAsync()
    {
        var l = new OrderedLock("counter");
        int count = 0;
        async Task IncrementAsync()
        {
            using (await l.AcquireAsync())
            {
                int seen = count;
                await Task.Yield();
                count = seen + 1;
            }
        }

        await Task.WhenAll(new[] { Task.Run(IncrementAsync), Task.Run(IncrementAsync) });
        Microsoft.Coyote.Specifications.Specification.Assert(count == 2, "Lost update.");
    }
}
