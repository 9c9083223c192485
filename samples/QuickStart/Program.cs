// QuickStart: the article's two locks, taken in both argument orders without deadlock, and a
// nested acquisition in the wrong order caught by strict checking before it can deadlock.
using System.Diagnostics;
using OrderedLocks;

// Strict checking (the article's rule: locks without ranks are ordered by creation). The
// library's default, Hybrid, would report the same nesting below by the order AcquireAll used.
var xLock = new OrderedLock("x_lock", checking: LockOrderChecking.Strict);
var yLock = new OrderedLock("y_lock", checking: LockOrderChecking.Strict);
int shared = 0;
const int Rounds = 100_000;

var stopwatch = Stopwatch.StartNew();
Task thread1 = Task.Run(() =>
{
    for (int i = 0; i < Rounds; i++)
    {
        using (OrderedLock.AcquireAll(xLock, yLock))
        {
            shared++;
        }
    }
});
Task thread2 = Task.Run(() =>
{
    for (int i = 0; i < Rounds; i++)
    {
        using (OrderedLock.AcquireAll(yLock, xLock)) // opposite argument order: still safe
        {
            shared++;
        }
    }
});

if (!Task.WaitAll(new[] { thread1, thread2 }, TimeSpan.FromSeconds(60)))
{
    Console.WriteLine("FAILED: AcquireAll did not finish within 60 s");
    return 1;
}

Console.WriteLine($"AcquireAll(x, y) and AcquireAll(y, x), {Rounds:N0} rounds each: counter = {shared:N0} (expected {2 * Rounds:N0}), no deadlock, {stopwatch.ElapsedMilliseconds} ms");

try
{
    using (yLock.Acquire())
    using (xLock.Acquire()) // x_lock was created first: it comes first in the global order
    {
        Console.WriteLine("FAILED: the out-of-order acquisition was not caught");
        return 1;
    }
}
catch (LockOrderException ex)
{
    Console.WriteLine();
    Console.WriteLine("Strict checking caught a nested acquisition in the wrong order, before it could block:");
    Console.WriteLine(ex.Message);
}

Console.WriteLine();
Console.WriteLine($"Nothing left held: x_lock locked = {xLock.IsLocked}, y_lock locked = {yLock.IsLocked}");
return shared == 2 * Rounds && !xLock.IsLocked && !yLock.IsLocked ? 0 : 1;
