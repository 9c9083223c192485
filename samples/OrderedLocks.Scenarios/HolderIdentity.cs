using Microsoft.Coyote.Runtime;
using Microsoft.Coyote.Specifications;

namespace OrderedLocks.Scenarios;

/// <summary>
/// Who is the holder of a synchronous hold (issue 12): a holder takes the lock synchronously and,
/// inside its section, completes a <see cref="TaskCompletionSource"/> that other tasks await. With
/// default options their continuations may run inline on the holder's thread and ask for the lock
/// asynchronously there. They must wait like any contender: never be let in beside the holder,
/// never get a false self-deadlock, never leave the lock stuck. The seeded variant identifies the
/// synchronous holder by thread id alone, the bug the library had.
/// </summary>
public static class HolderIdentity
{
    private const int Waiters = 2;

    /// <summary>The holder completes a TCS inside a synchronous hold; the waiters then acquire asynchronously.</summary>
    /// <param name="create">Creates the lock under test.</param>
    /// <param name="inline">Whether continuations may run inline (default options) or not (RunContinuationsAsynchronously).</param>
    /// <returns>The campaign body.</returns>
    public static async Task HolderCompletesTcsAsync(Func<ICampaignLock> create, bool inline)
    {
        ICampaignLock l = create();
        var section = new Verification.Section();
        var signal = new TaskCompletionSource(inline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        var waiters = new Task[Waiters + 1];
        for (int i = 0; i < Waiters; i++)
        {
            waiters[i] = Task.Run(async () =>
            {
                await signal.Task;
                using (await l.EnterAsync())
                {
                    section.Enter();
                    await Task.Yield(); // resumes elsewhere, still inside
                    section.Exit();
                }
            });
        }

        waiters[Waiters] = Task.Run(() =>
        {
            using (l.Enter())
            {
                section.Enter();
                signal.SetResult(); // inline continuations run here, on the holder's thread
                SchedulingPoint.Interleave();
                section.Exit();
            }
        });

        await Task.WhenAll(waiters);
        section.AssertCompleted(Waiters + 1);
        Specification.Assert(!l.IsLocked, "The lock is still held after every holder released it.");
    }

    /// <summary>
    /// A holder hands its synchronous scope to another task, which releases it after a scheduling
    /// point, and then takes the lock again on its own thread, while a third task contends. With
    /// <see cref="LockScope.HandOff"/> the holder's second acquisition waits for the receiver's
    /// release like any contender: one inside at a time, no self-deadlock error, nothing left held.
    /// Without it (<paramref name="handOff"/> false, the seeded variant) the holder's thread still
    /// counts as the holder and its second acquisition is refused as a self-deadlock.
    /// </summary>
    /// <param name="handOff">Whether the holder calls <see cref="LockScope.HandOff"/> before passing the scope on.</param>
    /// <returns>The campaign body.</returns>
    public static async Task HandOffToAnotherTaskAsync(bool handOff)
    {
        var l = new OrderedLock("handed-off");
        var section = new Verification.Section();
        var handed = new TaskCompletionSource<LockScope>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task receiver = Task.Run(async () =>
        {
            LockScope scope = await handed.Task;
            SchedulingPoint.Interleave();
            section.Exit(); // the holder's first section ends with the receiver's release
            scope.Dispose();
        });

        Task contender = Task.Run(() =>
        {
            using (l.Acquire())
            {
                section.Enter();
                SchedulingPoint.Interleave();
                section.Exit();
            }
        });

        Task holder = Task.Run(() =>
        {
            LockScope scope = l.Acquire();
            section.Enter();
            handed.SetResult(handOff ? scope.HandOff() : scope);
            using (l.Acquire()) // waits for the receiver's release (or, without HandOff, throws)
            {
                section.Enter();
                SchedulingPoint.Interleave();
                section.Exit();
            }
        });

        await Task.WhenAll(new[] { receiver, contender, holder });
        section.AssertCompleted(3);
        Specification.Assert(!l.IsLocked, "The lock is still held after the handed scope and every other holder released it.");
    }

    /// <summary>
    /// Seeded bug: a reentrant lock that identifies a synchronous holder by thread id alone and lets
    /// an asynchronous acquisition on that thread re-enter.
    /// </summary>
    /// <returns>The adapter.</returns>
    public static ICampaignLock ThreadIdOwnerLock() => new ThreadIdOwnerReentrantLock();

    // A naive reentrant lock over a non-reentrant OrderedLock: the synchronous holder is the thread
    // id, and any acquisition on that thread (synchronous or asynchronous) counts as a re-entry.
    private sealed class ThreadIdOwnerReentrantLock : ICampaignLock
    {
        private readonly OrderedLock _inner = new("thread-id-owner", checking: LockOrderChecking.Off);
        private int _ownerThread;
        private int _depth;

        public bool IsLocked => _inner.IsLocked;

        public IDisposable Enter()
        {
            if (Volatile.Read(ref _ownerThread) == Environment.CurrentManagedThreadId)
            {
                _depth++;
                return new Exit(this, default);
            }

            LockScope scope = _inner.Acquire();
            Volatile.Write(ref _ownerThread, Environment.CurrentManagedThreadId);
            _depth = 1;
            return new Exit(this, scope);
        }

        public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken = default)
        {
            if (Volatile.Read(ref _ownerThread) == Environment.CurrentManagedThreadId)
            {
                _depth++; // BUG: the caller may be another task's continuation running inline
                return new ValueTask<IDisposable>(new Exit(this, default));
            }

            return EnterSlowAsync(cancellationToken);
        }

        private async ValueTask<IDisposable> EnterSlowAsync(CancellationToken cancellationToken)
        {
            LockScope scope = await _inner.AcquireAsync(cancellationToken);
            _depth = 1;
            return new Exit(this, scope);
        }

        private sealed class Exit : IDisposable
        {
            private readonly ThreadIdOwnerReentrantLock _owner;
            private readonly LockScope _scope;

            internal Exit(ThreadIdOwnerReentrantLock owner, LockScope scope)
            {
                _owner = owner;
                _scope = scope;
            }

            public void Dispose()
            {
                if (--_owner._depth == 0)
                {
                    Volatile.Write(ref _owner._ownerThread, 0);
                    _scope.Dispose();
                }
            }
        }
    }
}
