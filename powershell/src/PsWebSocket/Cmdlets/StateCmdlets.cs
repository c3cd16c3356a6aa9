using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Specialized;
using System.Management.Automation;
using System.Text.RegularExpressions;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>Shared state entries: Pode's { Value, Scope } records in PodeContext.State, by name (case-insensitive).</summary>
internal static class StateEntries
{
    public static Hashtable? Entry(PodeContext context, string name) => context.State[name] as Hashtable;

    public static Hashtable New(object? value, string[] scope) => new(StringComparer.OrdinalIgnoreCase) { ["Value"] = value, ["Scope"] = scope };
}

/// <summary>
/// <para type="synopsis">Sets a value in the server's shared state.</para>
/// <para type="description">The state is shared by every route, signal route, timer and schedule of the server: a
/// hashtable set here is the same object everywhere, so wrap changes to it in Lock-PodeObject. Returns the value
/// stored. -NewCollectionType stores a new, empty collection instead of -Value (ConcurrentDictionary, ConcurrentBag,
/// ConcurrentQueue and ConcurrentStack need no locking). -Scope is kept with the value (Get-PodeState -WithScope
/// returns it).</para>
/// <example>
///   <code>Set-PodeState -Name 'Data' -Value @{ 'Name' = 'Rick Sanchez' } | Out-Null</code>
///   <para>Stores a hashtable under Data.</para>
/// </example>
/// <example>
///   <code>Set-PodeState -Name 'Cache' -NewCollectionType 'ConcurrentDictionary' | Out-Null</code>
///   <para>Stores a new thread-safe dictionary under Cache.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PodeState", DefaultParameterSetName = ValueSet)]
[OutputType(typeof(object))]
public sealed class SetPodeStateCommand : PodeCmdlet
{
    private const string ValueSet = "Value";
    private const string CollectionSet = "Collection";
    private readonly List<object?> _piped = [];

    /// <summary><para type="description">The state's name (case-insensitive).</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The value; several piped values are stored as an array.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ParameterSetName = ValueSet)]
    [AllowNull, AllowEmptyString, AllowEmptyCollection]
    public object? Value { get; set; }

    /// <summary><para type="description">Scopes kept with the value, as Pode keeps them (Get-PodeState -WithScope returns them).</para></summary>
    [Parameter]
    public string[]? Scope { get; set; }

    /// <summary><para type="description">Store a new empty collection of this type instead of a value.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = CollectionSet)]
    [ValidateSet("Hashtable", "ConcurrentDictionary", "OrderedDictionary", "ConcurrentBag", "ConcurrentQueue", "ConcurrentStack")]
    public string? NewCollectionType { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (MyInvocation.ExpectingInput)
        {
            _piped.Add(Value);
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        object? value = NewCollectionType switch
        {
            "Hashtable" => new Hashtable(StringComparer.OrdinalIgnoreCase),
            "ConcurrentDictionary" => new ConcurrentDictionary<string, object?>(StringComparer.OrdinalIgnoreCase),
            "OrderedDictionary" => new OrderedDictionary(StringComparer.OrdinalIgnoreCase),
            "ConcurrentBag" => new ConcurrentBag<object?>(),
            "ConcurrentQueue" => new ConcurrentQueue<object?>(),
            "ConcurrentStack" => new ConcurrentStack<object?>(),
            _ => MyInvocation.ExpectingInput ? (_piped.Count == 1 ? _piped[0] : _piped.ToArray()) : Value,
        };
        context.State[Name] = StateEntries.New(value, Scope ?? []);
        WriteObject(value);
    }
}

/// <summary>
/// <para type="synopsis">Gets a value from the server's shared state.</para>
/// <para type="description">Returns the stored object itself (not a copy), or nothing if the name is not set.
/// -WithScope returns the record { Value, Scope } instead.</para>
/// <example>
///   <code>$data = Get-PodeState -Name 'Data'</code>
///   <para>Gets the Data value.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeState")]
[OutputType(typeof(object))]
public sealed class GetPodeStateCommand : PodeCmdlet
{
    /// <summary><para type="description">The state's name.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Return the record with Value and Scope.</para></summary>
    [Parameter]
    public SwitchParameter WithScope { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (StateEntries.Entry(Context, Name) is { } entry)
        {
            WriteObject(WithScope ? entry : entry["Value"]);
        }
    }
}

/// <summary>
/// <para type="synopsis">Runs a script block while holding a lock on an object.</para>
/// <para type="description">Takes the object's monitor (its SyncRoot for collections, such as the synchronized
/// $WebEvent.Lockable), runs the script block in the caller's scope (variables it sets stay set) and releases the
/// lock, even if the script block throws. Without -Object the server's global Lockable is locked, the same object
/// as $WebEvent.Lockable, $SignalEvent.Lockable, $TimerEvent.Lockable and $ScheduleEvent.Lockable. The script
/// block's output is returned only with -Return, as in Pode.</para>
/// <example>
///   <code>Lock-PodeObject -ScriptBlock { $state = Get-PodeState -Name 'Hits'; $state.Count++ }</code>
///   <para>Counts hits safely across the server's threads.</para>
/// </example>
/// <example>
///   <code>$count = Lock-PodeObject -Object $WebEvent.Lockable -Return -ScriptBlock { (Get-PodeState -Name 'Hits').Count }</code>
///   <para>Reads a value under the lock.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Lock, "PodeObject", DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(object))]
public sealed class LockPodeObjectCommand : PodeCmdlet
{
    private const string ObjectSet = "Object";
    private int _items;

    /// <summary><para type="description">The object to lock (default: the server's global Lockable).</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
    [AllowNull]
    public object? Object { get; set; }

    /// <summary><para type="description">The script block to run while the lock is held.</para></summary>
    [Parameter(Mandatory = true)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">Milliseconds to wait for the lock before failing (default: wait forever).</para></summary>
    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int Timeout { get; set; } = System.Threading.Timeout.Infinite;

    /// <summary><para type="description">Return the script block's output.</para></summary>
    [Parameter]
    public SwitchParameter Return { get; set; }

    /// <summary><para type="description">Wait until the global Lockable is free before locking the object.</para></summary>
    [Parameter]
    public SwitchParameter CheckGlobal { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => _items++;

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (_items > 1)
        {
            Fail("LockPipelineArray", ErrorCategory.InvalidArgument, Object, "Lock-PodeObject locks one object: pass it with -Object, not several through the pipeline.");
        }
        var target = Object is PSObject wrapped ? wrapped.BaseObject : Object;
        target ??= Context.Lockable;
        if (target is ValueType)
        {
            Fail("LockValueType", ErrorCategory.InvalidArgument, Object, $"Cannot lock a value of type [{target.GetType().Name}]: lock a reference object, such as a hashtable or $WebEvent.Lockable.");
        }
        if (CheckGlobal)
        {
            var global = ContextOrNull?.Lockable.SyncRoot;
            if (global is not null)
            {
                Enter(global);
                Monitor.Exit(global);
            }
        }
        var sync = target is ICollection collection ? collection.SyncRoot : target;
        Enter(sync);
        System.Collections.ObjectModel.Collection<PSObject> output;
        try
        {
            output = SessionState.InvokeCommand.InvokeScript(false, ScriptBlock, null);
        }
        catch (RuntimeException e)
        {
            Monitor.Exit(sync);
            ThrowTerminatingError(new ErrorRecord(e.ErrorRecord, e));
            return;
        }
        catch
        {
            Monitor.Exit(sync);
            throw;
        }
        Monitor.Exit(sync);
        if (Return)
        {
            foreach (var item in output)
            {
                WriteObject(item);
            }
        }
    }

    private void Enter(object sync)
    {
        if (!Monitor.TryEnter(sync, Timeout))
        {
            Fail("LockTimeout", ErrorCategory.OperationTimeout, Object, $"Could not lock the object within {Timeout} ms: another thread holds the lock. Give a longer -Timeout, or keep locked script blocks short.");
        }
    }
}
