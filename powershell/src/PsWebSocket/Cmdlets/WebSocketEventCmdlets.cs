using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Runs a script block when an external WebSocket connection drops, reconnects or gives up.</para>
/// <para type="description">Beyond Pode. -Type is Disconnected (the connection closed: $WsEvent.Code, .Reason,
/// .ClosedByServer, .Reconnecting), Reconnecting (an attempt is about to be made: $WsEvent.Attempt, .Delay (a
/// TimeSpan), .Error of the last attempt), Reconnected ($WsEvent.Url) or ReconnectFailed ($WsEvent.Attempt, .Error).
/// Every $WsEvent also has Type, Name, WebSocket, Lockable, Timestamp and Metadata. The scripts run on the WebSockets
/// runspaces in order with the connection's messages. Registering before Connect-PodeWebSocket is fine; a second
/// registration with the same -EventName is an error.</para>
/// <example>
///   <code>Register-PodeWebSocketEvent -Name 'Feed' -Type Reconnecting -EventName 'Log' -ScriptBlock { "attempt $($WsEvent.Attempt) in $($WsEvent.Delay)" | Out-Default }</code>
///   <para>Prints each reconnect attempt of the Feed connection and how long it waits first.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "PodeWebSocketEvent")]
[OutputType(typeof(void))]
public sealed class RegisterPodeWebSocketEventCommand : PodeCmdlet
{
    /// <summary><para type="description">Names of external WebSocket connections (Connect-PodeWebSocket -Name).</para></summary>
    [Parameter(Mandatory = true)]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">Disconnected, Reconnecting, Reconnected or ReconnectFailed.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Disconnected", "Reconnecting", "Reconnected", "ReconnectFailed")]
    public string Type { get; set; } = "";

    /// <summary><para type="description">A name for this registration (unique per connection Name and type).</para></summary>
    [Parameter(Mandatory = true)]
    public string EventName { get; set; } = "";

    /// <summary><para type="description">The script block to run, with $WsEvent.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">Arguments splatted into the script block.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var context = Context;
        var script = Capture(ScriptBlock, null, ArgumentList);
        foreach (var name in Name)
        {
            try
            {
                context.WebSocketEvents.Add(new EventRegistration(name, Type, EventName, script));
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, "WebSocketEventExists", ErrorCategory.ResourceExists, EventName));
            }
        }
    }
}

/// <summary>
/// <para type="synopsis">Removes an event registration of external WebSocket connections.</para>
/// <para type="description">The script no longer runs. An event that is not registered for one of the Names is an
/// error, and then nothing is removed.</para>
/// <example>
///   <code>Unregister-PodeWebSocketEvent -Name 'Feed' -Type Reconnecting -EventName 'Log'</code>
///   <para>Removes the Log registration of Feed.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Unregister, "PodeWebSocketEvent")]
[OutputType(typeof(void))]
public sealed class UnregisterPodeWebSocketEventCommand : PodeCmdlet
{
    /// <summary><para type="description">Names of external WebSocket connections.</para></summary>
    [Parameter(Mandatory = true)]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">Disconnected, Reconnecting, Reconnected or ReconnectFailed.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Disconnected", "Reconnecting", "Reconnected", "ReconnectFailed")]
    public string Type { get; set; } = "";

    /// <summary><para type="description">The name the event was registered with.</para></summary>
    [Parameter(Mandatory = true)]
    public string EventName { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        foreach (var name in Name)
        {
            if (!context.WebSocketEvents.For(name, Type).Any(h => h.EventName.Equals(EventName, StringComparison.OrdinalIgnoreCase)))
            {
                Fail("WebSocketEventNotRegistered", ErrorCategory.ObjectNotFound, EventName, $"{Type} event not registered for WebSocket {name}: {EventName}.");
            }
        }
        foreach (var name in Name)
        {
            context.WebSocketEvents.Remove(name, Type, EventName);
        }
    }
}
