namespace PsWebSocket.Interop;

/// <summary>A signal connection, copied out of a psws_connection_info.</summary>
public sealed class ConnectionInfo
{
    /// <summary>Engine connection id (for direct sends).</summary>
    public ulong Id { get; init; }
    /// <summary>Name the connection is registered under.</summary>
    public string Name { get; init; } = "";
    /// <summary>Group, empty when none.</summary>
    public string Group { get; init; } = "";
    /// <summary>Client id (signed when signing was on).</summary>
    public string ClientId { get; init; } = "";
    /// <summary><c>Local</c> or <c>Global</c>.</summary>
    public string Scope { get; init; } = "";
    /// <summary>URL path of the upgrade request, URL-decoded.</summary>
    public string Path { get; init; } = "";
    /// <summary>Query string of the upgrade request.</summary>
    public string Query { get; init; } = "";
    /// <summary>Endpoint name.</summary>
    public string EndpointName { get; init; } = "";
    /// <summary><c>ws</c> or <c>wss</c>.</summary>
    public string Protocol { get; init; } = "";
    /// <summary>Host header of the upgrade request.</summary>
    public string Host { get; init; } = "";
    /// <summary>Peer IP.</summary>
    public string RemoteIp { get; init; } = "";
    /// <summary>Peer port.</summary>
    public int RemotePort { get; init; }
    /// <summary>User-Agent of the upgrade request.</summary>
    public string UserAgent { get; init; } = "";
    /// <summary>When it opened (UTC).</summary>
    public DateTime Opened { get; init; }
    /// <summary>When the last frame arrived (UTC).</summary>
    public DateTime LastActivity { get; init; }

    internal static ConnectionInfo From(in psws_connection_info c) => new()
    {
        Id = c.id,
        Name = c.name.ToString(),
        Group = c.group.ToString(),
        ClientId = c.client_id.ToString(),
        Scope = (NativeScope)c.scope == NativeScope.Local ? "Local" : "Global",
        Path = c.path.ToString(),
        Query = c.query.ToString(),
        EndpointName = c.endpoint_name.ToString(),
        Protocol = (NativeProtocol)c.protocol == NativeProtocol.Wss ? "wss" : "ws",
        Host = c.host.ToString(),
        RemoteIp = c.remote_ip.ToString(),
        RemotePort = c.remote_port,
        UserAgent = c.user_agent.ToString(),
        Opened = DateTime.UnixEpoch.AddMilliseconds(c.opened_unix_ms),
        LastActivity = DateTime.UnixEpoch.AddMilliseconds(c.last_activity_unix_ms),
    };
}

/// <summary>An event from the server, copied out of the callback.</summary>
internal abstract record ServerEvent;

/// <summary>An HTTP request for a route; the handle must be completed and disposed.</summary>
internal sealed record RequestEvent(RequestHandle Request) : ServerEvent;

/// <summary>A client message for a signal route.</summary>
internal sealed record SignalEvent(ConnectionInfo Connection, string Route, string MessageJson, string Path, string[] ClientIds, string[] Groups, bool Direct, DateTime Received)
    : ServerEvent;

/// <summary>A connection opened.</summary>
internal sealed record ConnectEvent(ConnectionInfo Connection) : ServerEvent;

/// <summary>A connection closed.</summary>
internal sealed record DisconnectEvent(ConnectionInfo Connection, int Code, string Reason, bool ClosedByServer) : ServerEvent;

/// <summary>A client sent text that is not a signal envelope.</summary>
internal sealed record MessageErrorEvent(ConnectionInfo Connection, string Text, string Error) : ServerEvent;

/// <summary>A client sent binary data.</summary>
internal sealed record BinaryEvent(ConnectionInfo Connection, byte[] Data) : ServerEvent;

/// <summary>A log line from the engine (level 0 debug .. 3 error).</summary>
internal sealed record LogEvent(int Level, string Message) : ServerEvent;
