using System.Collections;
using PsWebSocket.Interop;

namespace PsWebSocket.Runtime;

/// <summary>
/// The lifecycle events of external WebSocket connections that scripts can handle
/// (Register-PodeWebSocketEvent), and the <c>$WsEvent</c> they run with. They run in the
/// connection's order with its messages, on the WebSockets pool.
/// </summary>
internal static class WebSocketEventTypes
{
    /// <summary>The type of an engine event, or null for one scripts do not handle as an event (messages, log lines).</summary>
    public static string? Of(ClientEvent e) => e switch
    {
        ClientDisconnectedEvent => "Disconnected",
        ClientReconnectingEvent => "Reconnecting",
        ClientReconnectedEvent => "Reconnected",
        ClientReconnectFailedEvent => "ReconnectFailed",
        _ => null,
    };

    /// <summary>The connection Name an engine event is about ("" for log lines).</summary>
    public static string NameOf(ClientEvent e) => e switch
    {
        ClientMessageEvent m => m.Name,
        ClientDisconnectedEvent d => d.Name,
        ClientReconnectingEvent r => r.Name,
        ClientReconnectedEvent r => r.Name,
        ClientReconnectFailedEvent f => f.Name,
        _ => "",
    };

    /// <summary>
    /// <c>$WsEvent</c> of a lifecycle event: Type, Name, WebSocket, Lockable, Timestamp, Metadata, and what the
    /// event knows: Code, Reason, ClosedByServer and Reconnecting (Disconnected); Attempt, Delay and Error
    /// (Reconnecting: the attempt about to be made, the wait before it, why the last one failed);
    /// Url (Reconnected); Attempt and Error (ReconnectFailed).
    /// </summary>
    public static Hashtable Hashtable(ClientEvent e, string type, PodeWebSocket socket, Hashtable lockable)
    {
        var ws = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Type"] = type,
            ["Name"] = NameOf(e),
            ["WebSocket"] = socket,
            ["Lockable"] = lockable,
            ["Timestamp"] = DateTime.UtcNow,
            ["Metadata"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
        };
        switch (e)
        {
            case ClientDisconnectedEvent d:
                (ws["Code"], ws["Reason"], ws["ClosedByServer"], ws["Reconnecting"]) = (d.Code, d.Reason, d.ClosedByServer, d.Reconnecting);
                break;
            case ClientReconnectingEvent r:
                (ws["Attempt"], ws["Delay"], ws["Error"]) = (r.Attempt, r.Delay, r.LastError);
                break;
            case ClientReconnectedEvent r:
                ws["Url"] = r.Url;
                break;
            case ClientReconnectFailedEvent f:
                (ws["Attempt"], ws["Error"]) = (f.Attempts, f.Error);
                break;
        }
        return ws;
    }
}
