using OrderedLocks.Analyzers.Rules;
using Xunit;
using V = OrderedLocks.Analyzers.Tests.Verify<OrderedLocks.Analyzers.Rules.OL0001InconsistentLockOrderAnalyzer>;

namespace OrderedLocks.Analyzers.Tests;

public sealed class OL0001InconsistentLockOrderAnalyzerTests
{
    [Fact]
    public async Task LockStatements_AbbaInOneClass_Reports()
    {
        await V.AnalyzerAsync("""
            class Bank
            {
                private readonly object _a = new object();
                private readonly object _b = new object();

                public void Thread1()
                {
                    lock (_a)
                    {
                        lock ({|OL0001:_b|}) { }
                    }
                }

                public void Thread2()
                {
                    lock (_b)
                    {
                        lock (_a) { }
                    }
                }
            }
            """);
    }
}
