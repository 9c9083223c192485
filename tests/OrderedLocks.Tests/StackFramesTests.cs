using System.Diagnostics;
using System.Runtime.CompilerServices;
using OrderedLocks.Checking;
using Xunit;

namespace OrderedLocks.Tests;

/// <summary>
/// Frames in learned-order reports carry the names the user wrote, not the compiler's
/// (issue 11, item 10): async and iterator state machines, lambdas and local functions, nested.
/// Each case captures a real stack inside real compiler-generated code.
/// </summary>
public sealed class StackFramesTests
{
    private static readonly string Self = typeof(StackFramesTests).FullName!;

    // The demangled name of the innermost frame that belongs to this test class.
    private static string Innermost(StackTrace stack)
    {
        StackFrame frame = stack.GetFrames().First(f =>
        {
            Type? t = f.GetMethod()?.DeclaringType;
            while (t?.DeclaringType is not null)
            {
                t = t.DeclaringType;
            }

            return t == typeof(StackFramesTests);
        });
        string name = StackFrames.SourceName(frame.GetMethod()!);
        Assert.DoesNotContain("<", name);
        Assert.DoesNotContain("MoveNext", name);
        return name;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<StackTrace> CaptureAfterAwaitAsync()
    {
        await Task.Yield();
        return new StackTrace();
    }

    private static IEnumerable<StackTrace> CaptureInIterator()
    {
        yield return new StackTrace();
    }

    [Fact]
    public void PlainMethod_KeepsItsName()
    {
        Assert.Equal($"{Self}.{nameof(PlainMethod_KeepsItsName)}", Innermost(new StackTrace()));
    }

    [Fact]
    public async Task AsyncMethod_ShowsTheMethod()
    {
        Assert.Equal($"{Self}.{nameof(CaptureAfterAwaitAsync)} (async)", Innermost(await CaptureAfterAwaitAsync()));
    }

    [Fact]
    public void Iterator_ShowsTheMethod()
    {
        Assert.Equal($"{Self}.{nameof(CaptureInIterator)} (iterator)", Innermost(CaptureInIterator().Single()));
    }

    [Fact]
    public void Lambda_ShowsTheEnclosingMethod()
    {
        int captured = 1;
        Func<StackTrace> capture = () => captured > 0 ? new StackTrace() : throw new InvalidOperationException();
        Assert.Equal($"{Self}.{nameof(Lambda_ShowsTheEnclosingMethod)} (lambda)", Innermost(capture()));
    }

    [Fact]
    public async Task AsyncLambda_ShowsTheEnclosingMethod()
    {
        Func<Task<StackTrace>> capture = async () =>
        {
            await Task.Yield();
            return new StackTrace();
        };
        Assert.Equal($"{Self}.{nameof(AsyncLambda_ShowsTheEnclosingMethod)} (async lambda)", Innermost(await capture()));
    }

    [Fact]
    public async Task AsyncLocalFunction_AndLambdaInsideIt_ShowTheMethods()
    {
        Assert.Equal($"{Self}.{nameof(AsyncLocalFunction_AndLambdaInsideIt_ShowTheMethods)}.Local (async)", Innermost(await Local()));
        // The compiler names a lambda after the method it is written in, local function or not.
        Assert.Equal($"{Self}.{nameof(AsyncLocalFunction_AndLambdaInsideIt_ShowTheMethods)} (lambda)", Innermost(Outer()));

        static async Task<StackTrace> Local()
        {
            await Task.Yield();
            return new StackTrace();
        }

        static StackTrace Outer()
        {
            Func<StackTrace> inner = () => new StackTrace();
            return inner();
        }
    }
}
