using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// What Register-PodeSignalEvent and Register-PodeWebSocketEvent share: a script block registered under
/// an event name for some connection Names and one event type, in the derived cmdlet's <see cref="EventTable"/>.
/// </summary>
public abstract class RegisterConnectionEventCmdlet : PodeCmdlet
{
    /// <summary><para type="description">The connection Names the event is for.</para></summary>
    [Parameter(Mandatory = true)]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">A name for this registration (unique per connection Name and type).</para></summary>
    [Parameter(Mandatory = true)]
    public string EventName { get; set; } = "";

    /// <summary><para type="description">The script block to run.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">Arguments splatted into the script block.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <summary>The event type (the derived cmdlet's -Type).</summary>
    private protected abstract string EventType { get; }

    /// <summary>The table the registration goes into.</summary>
    private protected abstract EventTable TableOf(PodeContext context);

    /// <summary>The start of the error id (SignalEvent, WebSocketEvent).</summary>
    private protected abstract string ErrorIdPrefix { get; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var context = Context;
        var script = Capture(ScriptBlock, null, ArgumentList);
        foreach (var name in Name)
        {
            try
            {
                TableOf(context).Add(new EventRegistration(name, EventType, EventName, script));
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, ErrorIdPrefix + "Exists", ErrorCategory.ResourceExists, EventName));
            }
        }
    }
}

/// <summary>
/// What Unregister-PodeSignalEvent and Unregister-PodeWebSocketEvent share: every Name must have the
/// registration, else nothing is removed.
/// </summary>
public abstract class UnregisterConnectionEventCmdlet : PodeCmdlet
{
    /// <summary><para type="description">The connection Names to remove the event from.</para></summary>
    [Parameter(Mandatory = true)]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">The name the event was registered with.</para></summary>
    [Parameter(Mandatory = true)]
    public string EventName { get; set; } = "";

    /// <summary>The event type (the derived cmdlet's -Type).</summary>
    private protected abstract string EventType { get; }

    /// <summary>The table the registration is in.</summary>
    private protected abstract EventTable TableOf(PodeContext context);

    /// <summary>The start of the error id (SignalEvent, WebSocketEvent).</summary>
    private protected abstract string ErrorIdPrefix { get; }

    /// <summary>What to tell a user whose registration is missing (e.g. the cmdlet that lists them).</summary>
    private protected abstract string NotRegistered(string name);

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var table = TableOf(Context);
        foreach (var name in Name)
        {
            if (!table.For(name, EventType).Any(h => h.EventName.Equals(EventName, StringComparison.OrdinalIgnoreCase)))
            {
                Fail(ErrorIdPrefix + "NotRegistered", ErrorCategory.ObjectNotFound, EventName, NotRegistered(name));
            }
        }
        foreach (var name in Name)
        {
            table.Remove(name, EventType, EventName);
        }
    }
}
