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
public sealed class RegisterPodeWebSocketEventCommand : RegisterConnectionEventCmdlet
{
    /// <summary><para type="description">Disconnected, Reconnecting, Reconnected or ReconnectFailed.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Disconnected", "Reconnecting", "Reconnected", "ReconnectFailed")]
    public string Type { get; set; } = "";

    private protected override string EventType => Type;

    private protected override EventTable TableOf(PodeContext context) => context.WebSocketEvents;

    private protected override string ErrorIdPrefix => "WebSocketEvent";
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
public sealed class UnregisterPodeWebSocketEventCommand : UnregisterConnectionEventCmdlet
{
    /// <summary><para type="description">Disconnected, Reconnecting, Reconnected or ReconnectFailed.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Disconnected", "Reconnecting", "Reconnected", "ReconnectFailed")]
    public string Type { get; set; } = "";

    private protected override string EventType => Type;

    private protected override EventTable TableOf(PodeContext context) => context.WebSocketEvents;

    private protected override string ErrorIdPrefix => "WebSocketEvent";

    private protected override string NotRegistered(string name) => $"{Type} event not registered for WebSocket {name}: {EventName}.";
}
