"""Seeded bugs for the mutation check (issue 12). Each mutant replaces one exact piece of text in
one file of a temporary copy of the repository; run.py applies it, runs the test suites and
reports which tests fail. A mutant whose text is not found (the code changed) is reported as
'does not apply' and must be updated: it is never counted as caught.

Fields: id, what (the bug in words), file, old (exact text), new (replacement)."""

MUTANTS = [
    dict(
        id="lost-wakeup-condition",
        what="Notify dequeues the waiters but never completes them (lost wake-up)",
        file="src/OrderedLocks/OrderedCondition.cs",
        old="            woken.Completion.TrySetResult(true);\n            woken = next;",
        new="            woken = next;",
    ),
    dict(
        id="lost-wakeup-lock",
        what="a woken waiter that gives up (timeout) does not pass its wake-up on",
        file="src/OrderedLocks/OrderedLockBase.Mutex.cs",
        old="        int taken = TryLockBarging();\n        if (taken != 0)\n        {\n            Unlock(taken);\n        }\n\n        token = 0;\n        return true;",
        new="        token = 0;\n        return true;",
    ),
    dict(
        id="no-dequeue-on-abandon",
        what="a synchronous waiter that times out or is cancelled stays in the queue",
        file="src/OrderedLocks/OrderedLockBase.Mutex.cs",
        old="            if (waiter.Status == WaiterStatus.Waiting)\n            {\n                Remove(waiter);\n                waiter.Status = WaiterStatus.Abandoned;\n                token = 0;",
        new="            if (waiter.Status == WaiterStatus.Waiting)\n            {\n                waiter.Status = WaiterStatus.Abandoned;\n                token = 0;",
    ),
    dict(
        id="sort-by-id",
        what="AcquireAll sorts by creation id alone, ignoring the declared rank",
        file="src/OrderedLocks/OrderedLock.AcquireAll.cs",
        old="            long key = item.OrderKey;",
        new="            long key = item.Id;",
        also=[("            while (at > 0 && work[at - 1]!.OrderKey > key)", "            while (at > 0 && work[at - 1]!.Id > key)")],
    ),
    dict(
        id="two-cycles-only",
        what="the learned graph looks for a direct edge back only (cycles of two locks)",
        file="src/OrderedLocks/Checking/LockOrderGraph.cs",
        old="                queue.Enqueue(edge.To);\n",
        new="",
    ),
    dict(
        id="stale-holds",
        what="a flow's hold record stays valid after the lock was released (token not checked)",
        file="src/OrderedLocks/Tracking/HoldNode.cs",
        old="            return (token & 1) != 0 && Lock.IsHeldWithToken(token);",
        new="            return (token & 1) != 0;",
    ),
    dict(
        id="double-release",
        what="disposing a scope twice releases whatever hold the lock has now",
        file="src/OrderedLocks/OrderedLock.cs",
        old="            token = ResolveToken(token);\n            if (token == 0)\n            {\n                return;\n            }\n        }\n\n        _ownerThreadId = 0;",
        new="            token = CurrentToken();\n            if (token == 0)\n            {\n                return;\n            }\n        }\n\n        _ownerThreadId = 0;",
    ),
    dict(
        id="non-owner-release",
        what="a reentrant lock held by a thread accepts a release from another thread",
        file="src/OrderedLocks/ReentrantOrderedLock.Release.cs",
        old="        if (_ownerThreadId != Environment.CurrentManagedThreadId)\n        {\n            lock (_frameGate)",
        new="        if (_ownerThreadId != Environment.CurrentManagedThreadId && _ownerThreadId < 0)\n        {\n            lock (_frameGate)",
    ),
    dict(
        id="granted-waiter-rethrows",
        what="a synchronous waiter cancelled after it was granted the lock ignores the abandon result, rethrows and leaks the lock",
        file="src/OrderedLocks/OrderedLockBase.Mutex.cs",
        old="                if (AbandonWaiter(waiter, out token))\n                {\n                    throw;\n                }",
        new="                if (AbandonWaiter(waiter, out token) || token != 0)\n                {\n                    throw;\n                }",
    ),
    dict(
        id="fast-path-check-then-act",
        what="the fast path checks 'free', then swaps without looking at the result",
        file="src/OrderedLocks/OrderedLockBase.Mutex.cs",
        old="            if (Interlocked.CompareExchange(ref _state, locked, state) == state)\n            {\n                return locked;\n            }\n        }\n\n        return 0;",
        new="            Interlocked.CompareExchange(ref _state, locked, state);\n            return locked;\n        }\n\n        return 0;",
    ),
    dict(
        id="fast-path-plain-store",
        what="the fast path stores 'locked' with a plain write instead of a compare-and-swap",
        file="src/OrderedLocks/OrderedLockBase.Mutex.cs",
        old="            if (Interlocked.CompareExchange(ref _state, locked, state) == state)\n            {\n                return locked;\n            }\n        }\n\n        return 0;",
        new="            _state = locked;\n            return locked;\n        }\n\n        return 0;",
    ),
    dict(
        id="tryacquireall-keeps-first",
        what="a two-lock TryAcquireAll whose second lock times out keeps the first",
        file="src/OrderedLocks/OrderedLock.AcquireAll.cs",
        old="        if (!second.IsAcquired)\n        {\n            first.Dispose();",
        new="        if (!second.IsAcquired)\n        {",
    ),
    dict(
        id="thread-id-identity-reentrant",
        what="(issue 12) an async acquisition on the thread that holds a reentrant lock synchronously is granted a re-entry",
        file="src/OrderedLocks/ReentrantOrderedLock.Acquire.cs",
        old="        HoldNode pending = node!;\n        Decision",
        new="        HoldNode pending = node!;\n        if (_ownerThreadId == Environment.CurrentManagedThreadId && Volatile.Read(ref _depth) > 0)\n        {\n            pending.Fail();\n            return new ValueTask<LockScope>(PushThreadFrame());\n        }\n\n        Decision",
    ),
    dict(
        id="thread-id-identity-checks",
        what="(issue 12) async acquisitions count the thread's synchronous holds as their own",
        file="src/OrderedLocks/Tracking/HeldLocks.cs",
        old="        get => t_asyncCaller ? null : t_thread;",
        new="        get => t_thread;",
        also=[("    internal bool IsOwnedByCurrentThread => _ownerThreadId == Environment.CurrentManagedThreadId && IsLocked && !HeldLocks.InAsyncCaller;",
               "    internal bool IsOwnedByCurrentThread => _ownerThreadId == Environment.CurrentManagedThreadId && IsLocked;",
               "src/OrderedLocks/OrderedLockBase.Mutex.cs")],
    ),
]
