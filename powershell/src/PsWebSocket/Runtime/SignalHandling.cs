using System.Collections;
using System.Management.Automation;
using System.Net;
using System.Text.Json;
using PsWebSocket.Interop;

namespace PsWebSocket.Runtime;

/// <summary>
/// A signal connection as scripts see it: <c>$WebEvent.Signal</c> (Name, Group,
/// ClientId, IsLocal, IsGlobal) and the sender in <c>$SignalEvent.Signal</c>, with the
/// methods of Pode's PodeSignal that scripts call: Send, Close, IsClosed, LastActivity.
/// </summary>
public sealed class PodeSignalConnection
{
    private readonly NativeServer _server;

    internal PodeSignalConnection(ConnectionInfo info, NativeServer server)
    {
        Info = info;
        _server = server;
    }

    internal ConnectionInfo Info { get; }

    /// <summary>Engine id of the connection.</summary>
    public ulong ConnectionId => Info.Id;
    /// <summary>The Name given at conversion (the URL path for auto-upgrades).</summary>
    public string Name => Info.Name;
    /// <summary>The Group, or null.</summary>
    public string? Group => Info.Group.Length == 0 ? null : Info.Group;
    /// <summary>The client id (signed when signing is on).</summary>
    public string ClientId => Info.ClientId;
    /// <summary><c>Local</c> or <c>Global</c>.</summary>
    public string Scope => Info.Scope;
    /// <summary>True for a Local connection.</summary>
    public bool IsLocal => Info.Scope == "Local";
    /// <summary>True for a Global connection.</summary>
    public bool IsGlobal => !IsLocal;
    /// <summary>Always <c>Signal</c>.</summary>
    public string ConnectionType => "Signal";
    /// <summary>When it opened (UTC).</summary>
    public DateTime Timestamp => Info.Opened;
    /// <summary>When the client last sent something, as of the event or upgrade this object came with (UTC).</summary>
    public DateTime LastActivity => Info.LastActivity;
    /// <summary>True once the connection has closed (asked of the engine now).</summary>
    public bool IsClosed => !_server.IsOpen(Info.Id);

    /// <summary>Sends a text message to this connection only; false if it has closed.</summary>
    public bool Send(string message)
    {
        try
        {
            _server.SendDirect(Info.Id, System.Text.Encoding.UTF8.GetBytes(message), binary: false);
            return true;
        }
        catch (PswsException e) when (e.Status == PswsStatus.UnknownConnection)
        {
            return false;
        }
    }

    /// <summary>Closes the connection (Close 1000); nothing happens if it has closed already.</summary>
    public void Close()
    {
        try
        {
            _server.CloseConnection(Info.Id, 1000, "");
        }
        catch (PswsException e) when (e.Status == PswsStatus.UnknownConnection)
        {
        }
    }

    /// <summary>Pode's connection snapshot ($TriggeredEvent.Connection).</summary>
    public Hashtable ToHashtable(bool closed) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["ConnectionType"] = ConnectionType,
        ["Name"] = Name,
        ["Group"] = Group,
        ["ClientId"] = ClientId,
        ["Scope"] = Scope,
        ["Timestamp"] = Info.Opened,
        ["LastActivity"] = Info.LastActivity,
        ["IsDisposed"] = closed,
        ["IsClosed"] = closed,
    };
}

/// <summary>The upgraded request behind a signal message (<c>$SignalEvent.Request</c>).</summary>
public sealed class PodeSignalRequest
{
    internal PodeSignalRequest(ConnectionInfo c, string body)
    {
        var query = c.Query.Length > 0 ? "?" + c.Query : "";
        Url = new Uri($"{c.Protocol}://{(c.Host.Length > 0 ? c.Host : "localhost")}{Uri.EscapeDataString(c.Path).Replace("%2F", "/")}{query}");
        Host = c.Host;
        RemoteEndPoint = new IPEndPoint(IPAddress.TryParse(c.RemoteIp, out var ip) ? ip : IPAddress.None, c.RemotePort);
        Scheme = c.Protocol;
        Body = body;
    }

    /// <summary><c>ws(s)://host/path?query</c> of the connection.</summary>
    public Uri Url { get; }
    /// <summary>Host header of the upgrade request.</summary>
    public string Host { get; }
    /// <summary>The client's address.</summary>
    public IPEndPoint RemoteEndPoint { get; }
    /// <summary><c>ws</c> or <c>wss</c>.</summary>
    public string Scheme { get; }
    /// <summary>The message's <c>message</c> value as JSON.</summary>
    public string Body { get; }
}

/// <summary>Runs signal routes (<c>$SignalEvent</c>) and Connect/Disconnect handlers (<c>$TriggeredEvent</c>).</summary>
internal static class SignalHandling
{
    private static object? OneOrMany(string[] values) => values.Length switch
    {
        0 => null,
        1 => values[0],
        _ => values,
    };

    public static void RunRoute(PodeContext ctx, Worker worker, Interop.SignalEvent s)
    {
        SignalRoute? route;
        lock (ctx.SignalRoutes)
        {
            route = ctx.SignalRoutes.FirstOrDefault(r => r.Path.Equals(s.Route, StringComparison.OrdinalIgnoreCase) && r.Serves(s.Connection.EndpointName));
        }
        if (route is null)
        {
            return; // removed since the engine matched it
        }
        object? message;
        try
        {
            message = Json.Deserialize(s.MessageJson, asHashtable: false);
        }
        catch (JsonException e)
        {
            ctx.Log.Error(new ErrorRecord(e, "SignalMessageInvalid", ErrorCategory.InvalidData, s.MessageJson));
            return;
        }
        var sender = new PodeSignalConnection(s.Connection, ctx.Server);
        var signalEvent = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Data"] = new Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                ["Path"] = s.Path.Length == 0 ? null : s.Path,
                ["Message"] = message,
                ["ClientId"] = OneOrMany(s.ClientIds),
                ["Group"] = OneOrMany(s.Groups),
                ["Direct"] = s.Direct,
            },
            ["Endpoint"] = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["Protocol"] = s.Connection.Protocol, ["Address"] = s.Connection.Host, ["Name"] = s.Connection.EndpointName },
            ["Lockable"] = ctx.Lockable,
            ["Path"] = s.Connection.Path,
            ["Request"] = new PodeSignalRequest(s.Connection, s.MessageJson),
            ["Response"] = null,
            ["Route"] = route.ToHashtable(),
            ["Streamed"] = true,
            ["Timestamp"] = s.Received,
            ["ClientId"] = s.Connection.ClientId,
            ["ContextId"] = s.Connection.Id.ToString(),
            ["Signal"] = sender,
            ["Auth"] = ctx.SignalAuth.Of(s.Connection.Id)?.Auth ?? new Hashtable(StringComparer.OrdinalIgnoreCase),
            ["Metadata"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
        };
        worker.Invoke(route.Script, [new("SignalEvent", signalEvent)], out _);
    }

    public static void RunConnectionEvent(PodeContext ctx, Worker worker, EventRegistration[] handlers, ConnectionInfo connection, string type, DisconnectEvent? disconnect)
    {
        var signal = new PodeSignalConnection(connection, ctx.Server);
        var auth = (disconnect is null ? ctx.SignalAuth.Of(connection.Id) : ctx.SignalAuth.Forget(connection.Id))?.Auth;
        foreach (var handler in handlers)
        {
            var snapshot = signal.ToHashtable(closed: disconnect is not null);
            snapshot["Auth"] = auth ?? new Hashtable(StringComparer.OrdinalIgnoreCase);
            if (disconnect is not null)
            {
                snapshot["CloseCode"] = disconnect.Code;
                snapshot["CloseReason"] = disconnect.Reason;
                snapshot["ClosedBy"] = disconnect.ClosedByServer ? "Server" : "Client";
            }
            var triggered = new Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                ["Lockable"] = ctx.Lockable,
                ["Name"] = connection.Name,
                ["Type"] = type,
                ["EventName"] = handler.EventName,
                ["Timestamp"] = DateTime.UtcNow,
                ["Connection"] = snapshot,
                ["Metadata"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
            };
            worker.Invoke(handler.Script, [new("TriggeredEvent", triggered)], out _);
        }
    }
}
