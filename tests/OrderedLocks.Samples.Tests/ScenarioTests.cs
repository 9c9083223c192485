namespace OrderedLocks.Samples.Tests;

/// <summary>Every sample's check, in-process, with small parameters: each variant shows what it should.</summary>
public class ScenarioTests
{
    public static TheoryData<string> StepNames()
    {
        var data = new TheoryData<string>();
        foreach (string scenario in Scenarios.Names)
        {
            foreach (ScenarioStep step in AllSteps().Where(s => s.Scenario == scenario))
            {
                data.Add($"{step.Scenario} / {step.Variant}");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(StepNames))]
    public void Step_Runs_OutcomeAsExpected(string name)
    {
        ScenarioStep step = AllSteps().Single(s => $"{s.Scenario} / {s.Variant}" == name);
        using var log = new StringWriter();
        StepResult result = step.Run(log);
        Assert.True(result.AsExpected, $"{name}: {result.Outcome} (expected: {step.Expected}){Environment.NewLine}{log}");
    }

    [Fact]
    public void Deadlock_Strict_MessageNamesBothLocksAndTheFix()
    {
        DeadlockResult result = Deadlock.RunStrict(new DeadlockOptions(), TextWriter.Null);

        Assert.False(result.Deadlocked);
        LockOrderException violation = Assert.IsType<LockOrderException>(result.Violation);
        Assert.Equal(LockViolationKind.OrderViolation, violation.Kind);
        Assert.Contains("'x_lock'", violation.Message, StringComparison.Ordinal);
        Assert.Contains("'y_lock'", violation.Message, StringComparison.Ordinal);
        Assert.Contains("AcquireAll", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TicketRace_LockedThreads_SellExactlyTheTickets_EveryTime()
    {
        var options = new TicketRaceOptions(Tickets: 5, ThreadClients: 30, ThreadDelayMs: 1);
        for (int run = 0; run < 3; run++)
        {
            TicketRaceResult result = TicketRace.RunThreads(options, locked: true, TextWriter.Null);
            Assert.Equal(5, result.Sold);
            Assert.Equal(0, result.Remaining);
        }
    }

    [Fact]
    public void Poem_WaitFor_RecitesInOrder_InBothStartOrders()
    {
        Assert.Equal(Poem.Expected, Poem.RunWaitFor(new ConditionOptions(), xiaoAiFirst: true, TextWriter.Null).Lines);
        Assert.Equal(Poem.Expected, Poem.RunWaitFor(new ConditionOptions(), xiaoAiFirst: false, TextWriter.Null).Lines);
    }

    [Fact]
    public async Task DeadlockProgram_RawThreadsHang_ProcessStillExitsWithZero()
    {
        // The article's daemon-thread point: the deadlocked raw threads are background threads, so
        // the program reports the deadlock and ends instead of hanging.
        string dll = Path.Combine(Repo.Root, "samples", "Deadlock", "bin", Repo.Configuration, "net10.0", "Deadlock.dll");
        using System.Diagnostics.Process program = System.Diagnostics.Process.Start(ChildLauncher.ForDll(dll).StartInfo())!;
        using var timeout = new CancellationTokenSource(Repo.ChildTimeout);
        string output = await program.StandardOutput.ReadToEndAsync(timeout.Token);
        await program.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, program.ExitCode);
        Assert.Contains("deadlock", output, StringComparison.Ordinal);
        Assert.Contains("Every outcome was as expected.", output, StringComparison.Ordinal);
    }

    private static IEnumerable<ScenarioStep> AllSteps()
    {
        var hang = TimeSpan.FromMilliseconds(500);
        return TicketRace.Steps(new TicketRaceOptions(ThreadClients: 40, ProcessClients: 6, ThreadDelayMs: 10, ProcessDelayMs: 100), Repo.Child)
            .Concat(Deadlock.Steps(new DeadlockOptions(hang, Rounds: 2_000)))
            .Concat(Poem.Steps(new ConditionOptions(hang)))
            .Concat(HideAndSeek.Steps(new ConditionOptions(hang)))
            .Concat(DiningPhilosophers.Steps(new DiningOptions(Meals: 200, HangTimeout: hang)));
    }
}
