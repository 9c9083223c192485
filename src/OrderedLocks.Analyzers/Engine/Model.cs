using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace OrderedLocks.Analyzers.Engine;

/// <summary>How a lock is held; decides reentrancy and thread ownership.</summary>
internal enum HoldKind
{
    /// <summary><c>lock</c> on an object, Monitor.Enter, [MethodImpl(Synchronized)]: reentrant, thread-owned.</summary>
    Monitor,

    /// <summary>System.Threading.Lock: reentrant, thread-owned.</summary>
    ThreadingLock,

    /// <summary>SemaphoreSlim with an initial count of one: not reentrant, not thread-owned.</summary>
    Semaphore,

    /// <summary>ReaderWriterLockSlim write or upgradeable lock: thread-owned, not recursive by default.</summary>
    ReaderWriterWrite,

    /// <summary>OrderedLock.Acquire / TryAcquire / AcquireAll: thread-owned, not reentrant.</summary>
    OrderedSync,

    /// <summary>OrderedLock.AcquireAsync / AcquireAllAsync: owned by the async flow, not reentrant.</summary>
    OrderedAsync,

    /// <summary>ReentrantOrderedLock.Acquire: thread-owned, reentrant.</summary>
    ReentrantSync,

    /// <summary>ReentrantOrderedLock.AcquireAsync: owned by the async flow, reentrant.</summary>
    ReentrantAsync,

    /// <summary>A library async lock (Nito, DotNext, vs-threading AsyncSemaphore) or a user type named in .editorconfig: not reentrant, owned by the flow.</summary>
    AsyncLock,

    /// <summary>A reentrant library async lock (NeoSmart AsyncLock, vs-threading AsyncReaderWriterLock write lock) or a user type named reentrant in .editorconfig.</summary>
    ReentrantAsyncLock,

    /// <summary>System.Threading.Mutex (WaitOne / ReleaseMutex): reentrant, thread-owned.</summary>
    Mutex,
}

/// <summary>One lock held at a program point.</summary>
internal sealed class Hold
{
    public Hold(LockKey key, string instance, bool onThis, HoldKind kind, Location location, object? owner, ISymbol? scopeLocal, bool isTry, AccessPath? objectPath = null)
    {
        ObjectPath = objectPath ?? (key.IsStatic ? AccessPath.Static : onThis ? AccessPath.This : AccessPath.Unknown);
        Key = key;
        Instance = instance;
        OnThis = onThis;
        Kind = kind;
        Location = location;
        Owner = owner;
        ScopeLocal = scopeLocal;
        IsTry = isTry;
    }

    public LockKey Key { get; }

    /// <summary>The object the lock belongs to, relative to the method (<c>this</c>, <c>this.Inner</c>, a parameter, static, fresh).</summary>
    public AccessPath ObjectPath { get; }

    /// <summary>Source text naming the instance (<c>this</c> for the method's own object or a static lock).</summary>
    public string Instance { get; }

    /// <summary>The lock belongs to the method's own <c>this</c> (or is static).</summary>
    public bool OnThis { get; }

    public HoldKind Kind { get; }

    public Location Location { get; }

    /// <summary>The operation (lock, using, block) whose end releases the hold; null for flow-released holds.</summary>
    public object? Owner { get; }

    /// <summary>The local that holds the scope, released by its Dispose.</summary>
    public ISymbol? ScopeLocal { get; }

    public bool IsTry { get; }

    public bool IsThreadOwned => Kind is HoldKind.Monitor or HoldKind.ThreadingLock or HoldKind.ReaderWriterWrite or HoldKind.OrderedSync or HoldKind.ReentrantSync or HoldKind.Mutex;

    public bool IsReentrant => Kind is HoldKind.Monitor or HoldKind.ThreadingLock or HoldKind.ReentrantSync or HoldKind.ReentrantAsync or HoldKind.ReentrantAsyncLock or HoldKind.Mutex;
}

/// <summary>An acquisition of <see cref="Lock"/> while <see cref="Held"/> were held.</summary>
internal sealed class Acquisition
{
    public Acquisition(Hold @lock, ImmutableArray<Hold> held, bool isTry)
    {
        Lock = @lock;
        Held = held;
        IsTry = isTry;
    }

    public Hold Lock { get; }

    public ImmutableArray<Hold> Held { get; }

    /// <summary>A timed or non-blocking attempt: it cannot wait forever, so it closes no deadlock cycle.</summary>
    public bool IsTry { get; }
}

/// <summary>A call (method, accessor, constructor, delegate, event) made while <see cref="Held"/> were held.</summary>
internal sealed class CallSite
{
    public CallSite(IMethodSymbol? target, ISymbol? delegateSymbol, bool receiverIsThis, ImmutableArray<Hold> held, Location location, CallReceiver receiver)
    {
        Receiver = receiver;
        Target = target;
        DelegateSymbol = delegateSymbol;
        ReceiverIsThis = receiverIsThis;
        Held = held;
        Location = location;
    }

    public IMethodSymbol? Target { get; }

    public CallReceiver Receiver { get; }

    /// <summary>For a delegate or event invocation: the field, property, event, local or parameter invoked.</summary>
    public ISymbol? DelegateSymbol { get; }

    public bool ReceiverIsThis { get; }

    public ImmutableArray<Hold> Held { get; }

    public Location Location { get; }

    /// <summary>The callee's <c>this</c> in the caller's frame (<see cref="AccessPath.Fresh"/> for a constructor or a call on a new object).</summary>
    public AccessPath ReceiverPath { get; set; } = AccessPath.Unknown;

    /// <summary>Each callee parameter (by ordinal) in the caller's frame.</summary>
    public ImmutableArray<AccessPath> ArgumentPaths { get; set; } = ImmutableArray<AccessPath>.Empty;

    /// <summary>
    /// Each callee parameter (by ordinal) as a lock in the caller's frame: the key and object path the
    /// argument expression denotes (<c>Worker(_a, b)</c>: the field <c>_a</c> on this, the local <c>b</c>);
    /// null where the argument is no lock the walker can name. Binds a callee's locks on its parameters.
    /// </summary>
    public ImmutableArray<BoundLock?> ArgumentLocks { get; set; } = ImmutableArray<BoundLock?>.Empty;

    /// <summary>The receiver's static type (the caller's own type for an implicit <c>this</c>): virtual calls dispatch below it.</summary>
    public ITypeSymbol? ReceiverType { get; set; }

    /// <summary>The call is made by a constructor (events raised there have no subscribers from outside yet).</summary>
    public bool InConstructor { get; set; }

    /// <summary>
    /// The call runs exactly <see cref="Target"/>: a call through <c>base.</c> (method, property or
    /// indexer), or an invocation the compiler emits as non-virtual. Overrides are not followed.
    /// </summary>
    public bool NonVirtual { get; set; }

    /// <summary>The callee's path <paramref name="path"/> in the caller's frame.</summary>
    public AccessPath Translate(AccessPath path)
    {
        switch (path.Root)
        {
            case PathRoot.This:
                return path.Rebase(ReceiverPath);
            case PathRoot.Static:
                return path;
            case PathRoot.Parameter when path.RootSymbol is IParameterSymbol parameter && parameter.Ordinal < ArgumentPaths.Length
                && parameter.ContainingSymbol is IMethodSymbol owner && Target is not null
                && SymbolEqualityComparer.Default.Equals(owner.OriginalDefinition, Target.OriginalDefinition):
                return path.Rebase(ArgumentPaths[parameter.Ordinal]);
            case PathRoot.Parameter when path.RootSymbol is IParameterSymbol parameter && parameter.Ordinal < ArgumentPaths.Length:
                // An override or implementation of the called member: same ordinal.
                return path.Rebase(ArgumentPaths[parameter.Ordinal]);
            default:
                return AccessPath.Unknown;
        }
    }
}

/// <summary>A lock as an argument expression denotes it in the caller's frame: its key and the path of its object.</summary>
internal sealed class BoundLock
{
    public BoundLock(LockKey key, AccessPath path, string instance)
    {
        Key = key;
        Path = path;
        Instance = instance;
    }

    public LockKey Key { get; }

    public AccessPath Path { get; }

    /// <summary>Source text naming the argument.</summary>
    public string Instance { get; }
}

/// <summary>What a call's receiver is: the caller's own object, another object named by a parameter or local, or something else.</summary>
internal enum CallReceiver
{
    This,
    ParameterOrLocal,
    Other,

    /// <summary>A constructor, or a call on an object the caller just created: its locks are not the caller's.</summary>
    Fresh,
}

/// <summary>Which condition API a <see cref="ConditionUse"/> calls.</summary>
internal enum ConditionUseKind
{
    OrderedWait,
    OrderedNotify,
    MonitorWait,
    MonitorPulse,
}

/// <summary>A Wait / Notify / Pulse call and the locks held there.</summary>
internal sealed class ConditionUse
{
    public ConditionUse(ConditionUseKind kind, LockKey? requiredLock, string instance, string display, ImmutableArray<Hold> held, Location location)
    {
        Kind = kind;
        RequiredLock = requiredLock;
        Instance = instance;
        Display = display;
        Held = held;
        Location = location;
    }

    public ConditionUseKind Kind { get; }

    /// <summary>For Monitor: the monitor's key. For OrderedCondition: the condition member's key (bound to its lock later).</summary>
    public LockKey? RequiredLock { get; }

    public string Instance { get; }

    public string Display { get; }

    public ImmutableArray<Hold> Held { get; }

    public Location Location { get; }

    /// <summary>
    /// A Monitor use on a local that takes over a monitor entered under another local
    /// (<c>Monitor.Enter(next); ...; last = next;</c>, with <c>next</c> never exited by that name):
    /// hand over hand, which the walker's intersection of loop states cannot follow.
    /// </summary>
    public bool HandOverHand { get; set; }
}

/// <summary>A diagnostic found while walking one method, reported by the rule's analyzer.</summary>
internal sealed class LocalFinding
{
    public LocalFinding(string ruleId, Location location, ImmutableArray<Location> additional, ImmutableDictionary<string, string?> properties, params object[] args)
    {
        RuleId = ruleId;
        Location = location;
        Additional = additional;
        Properties = properties;
        Args = args;
    }

    public string RuleId { get; }

    public Location Location { get; }

    public ImmutableArray<Location> Additional { get; }

    public ImmutableDictionary<string, string?> Properties { get; }

    public object[] Args { get; }
}

/// <summary>What one method (or accessor, constructor, lambda, local function) does with locks.</summary>
internal sealed class MethodSummary
{
    // Most methods acquire nothing, use no condition and enter no monitor by hand (many call
    // nothing): each list or set is made on its first addition, and until then the property reads
    // a shared empty one. Add through the Add methods only: the shared ones are never written.
    private static readonly List<Acquisition> s_noAcquisitions = new(0);
    private static readonly List<CallSite> s_noCalls = new(0);
    private static readonly List<ConditionUse> s_noConditionUses = new(0);
    private static readonly HashSet<LockKey> s_noMonitors = new();

    private List<Acquisition>? _acquisitions;
    private List<CallSite>? _calls;
    private List<ConditionUse>? _conditionUses;
    private HashSet<LockKey>? _enteredMonitors;
    private HashSet<LockKey>? _exitedMonitors;

    public MethodSummary(IMethodSymbol method)
    {
        Method = method;
    }

    public IMethodSymbol Method { get; }

    /// <summary>The locks taken here (read only: see <see cref="Add(Acquisition)"/>).</summary>
    public List<Acquisition> Acquisitions => _acquisitions ?? s_noAcquisitions;

    /// <summary>The calls made here (read only: see <see cref="Add(CallSite)"/>).</summary>
    public List<CallSite> Calls => _calls ?? s_noCalls;

    /// <summary>The condition and monitor waits and signals here (read only: see <see cref="Add(ConditionUse)"/>).</summary>
    public List<ConditionUse> ConditionUses => _conditionUses ?? s_noConditionUses;

    /// <summary>Monitors entered by hand here (Monitor.Enter / TryEnter, not <c>lock</c>; read only: see <see cref="AddEnteredMonitor"/>).</summary>
    public HashSet<LockKey> EnteredMonitors => _enteredMonitors ?? s_noMonitors;

    /// <summary>Monitors exited by hand here (Monitor.Exit; read only: see <see cref="AddExitedMonitor"/>).</summary>
    public HashSet<LockKey> ExitedMonitors => _exitedMonitors ?? s_noMonitors;

    public void Add(Acquisition acquisition) => (_acquisitions ??= new List<Acquisition>()).Add(acquisition);

    public void Add(CallSite call) => (_calls ??= new List<CallSite>()).Add(call);

    public void Add(ConditionUse use) => (_conditionUses ??= new List<ConditionUse>()).Add(use);

    public void AddEnteredMonitor(LockKey key) => (_enteredMonitors ??= new HashSet<LockKey>()).Add(key);

    public void AddExitedMonitor(LockKey key) => (_exitedMonitors ??= new HashSet<LockKey>()).Add(key);

    /// <summary>A helper that enters a monitor and leaves it held for its caller (<c>TakeLock(ref taken)</c>).</summary>
    public bool LeavesEntered(LockKey key) => EnteredMonitors.Contains(key) && !ExitedMonitors.Contains(key);
}
