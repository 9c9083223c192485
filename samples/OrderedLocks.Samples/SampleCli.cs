using System.Diagnostics;

namespace OrderedLocks.Samples;

/// <summary>The command line of the sample programs: run one scenario's variants and say what happened.</summary>
public static class SampleCli
{
    /// <summary>
    /// Runs a child command (such as <see cref="TicketRace.ChildCommand"/>) if the arguments ask for
    /// one. Every program that may be started as a child calls this first.
    /// </summary>
    /// <param name="args">The program's arguments.</param>
    /// <param name="exitCode">The child's exit code, when it ran.</param>
    /// <returns>Whether a child command ran.</returns>
    public static bool TryRunChild(string[] args, out int exitCode)
    {
        if (args.Length > 0 && args[0] == TicketRace.ChildCommand)
        {
            exitCode = TicketClient.RunChild(args[1..]);
            return true;
        }

        exitCode = 0;
        return false;
    }

    /// <summary>Runs every variant of <paramref name="steps"/>, narrating, and returns 0 when all were as expected.</summary>
    public static int Run(string title, IReadOnlyList<ScenarioStep> steps)
    {
        Console.WriteLine(title);
        Console.WriteLine();
        int unexpected = 0;
        foreach (ScenarioStep step in steps)
        {
            Console.WriteLine($"== {step.Variant} (expected: {step.Expected})");
            var clock = Stopwatch.StartNew();
            StepResult result;
            try
            {
                result = step.Run(Console.Out);
            }
            catch (Exception ex)
            {
                result = new StepResult($"error: {ex.GetType().Name}: {ex.Message.Split('\n')[0].TrimEnd()}", false);
            }

            Console.WriteLine($"-> {result.Outcome} [{clock.Elapsed.TotalSeconds:0.00} s]{(result.AsExpected ? string.Empty : "  << UNEXPECTED")}");
            Console.WriteLine();
            if (!result.AsExpected)
            {
                unexpected++;
            }
        }

        Console.WriteLine(unexpected == 0 ? "Every outcome was as expected." : $"{unexpected} outcome(s) were not as expected.");
        return unexpected == 0 ? 0 : 1;
    }
}
