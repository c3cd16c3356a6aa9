using System.Net.WebSockets;

namespace PsWebSocket.Interop.Tests.Harness;

/// <summary>
/// A libpsws server through the module's <see cref="NativeServer"/>: one Ws endpoint "ws" on
/// 127.0.0.1, port 0 (the bound port from psws_server_endpoint), every event copied into
/// <see cref="Events"/> by NativeServer's sink.
/// </summary>
internal sealed class TestServer : IDisposable
{
    private TestServer(NativeServer server, Inbox<ServerEvent> events, int port)
    {
        Server = server;
        Events = events;
        Port = port;
    }

    public NativeServer Server { get; }
    public Inbox<ServerEvent> Events { get; }
    public int Port { get; }

    /// <summary>Starts a server; <paramref name="configure"/> adds routes before the start.</summary>
    public static TestServer Start(bool autoUpgrade = true, Action<NativeServer>? configure = null, NativeScope defaultScope = NativeScope.Global)
    {
        var events = new Inbox<ServerEvent>();
        var server = new NativeServer(new ServerSettings(defaultScope), events.Add);
        try
        {
            server.AddEndpoint(new EndpointSpec("ws", NativeProtocol.Ws, "127.0.0.1", 0, null, null, null, NoAutoUpgrade: !autoUpgrade));
            configure?.Invoke(server);
            var bound = server.Start();
            Assert.Single(bound);
            Assert.Equal("ws", bound[0].Name);
            Assert.Equal(NativeProtocol.Ws, bound[0].Protocol);
            Assert.Equal("127.0.0.1", bound[0].Address);
            Assert.NotEqual(0, bound[0].Port);
            return new TestServer(server, events, bound[0].Port);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public Uri Ws(string pathAndQuery) => new($"ws://127.0.0.1:{Port}{pathAndQuery}");
    public Uri Http(string pathAndQuery) => new($"http://127.0.0.1:{Port}{pathAndQuery}");

    /// <summary>Waits for the next event of a kind that matches.</summary>
    public Task<T> Take<T>(CancellationToken cancel, Func<T, bool>? match = null) where T : ServerEvent => Events.TakeAsync(cancel, match);

    /// <summary>Connects a ClientWebSocket (auto-upgrade) and waits for its CONNECT event.</summary>
    public async Task<(ClientWebSocket Socket, ConnectionInfo Connection)> ConnectAsync(string path, CancellationToken cancel, string userAgent = "interop-tests")
    {
        var socket = WsClient.Create(userAgent);
        await socket.ConnectAsync(Ws(path), cancel);
        var local = socket.HttpResponseHeaders is { } headers ? WsClient.Header(headers, "X-Pode-Signal-Client-Id") : null;
        var connect = await Take<ConnectEvent>(cancel, e => local is null || e.Connection.ClientId == local);
        return (socket, connect.Connection);
    }

    /// <summary>
    /// Connects a ClientWebSocket to an HTTP route (no auto-upgrade) and upgrades its
    /// REQUEST with these settings; returns once both sides are open.
    /// </summary>
    public async Task<(ClientWebSocket Socket, ConnectionInfo Connection, RequestHandle Request)> UpgradeAsync(
        string path, string name, string? group, string? clientId, NativeScope scope, CancellationToken cancel, string userAgent = "interop-tests")
    {
        var socket = WsClient.Create(userAgent);
        var connecting = socket.ConnectAsync(Ws(path), cancel);
        var request = await Take<RequestEvent>(cancel);
        try
        {
            var connection = NativeRequest.Upgrade(request.Request, name, group, clientId, scope);
            await connecting;
            await Take<ConnectEvent>(cancel, e => e.Connection.Id == connection.Id);
            return (socket, connection, request.Request);
        }
        catch
        {
            request.Request.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Stops and frees the server, then releases requests nobody took.</summary>
    public void Dispose()
    {
        Server.Dispose();
        foreach (var e in Events.Pending().OfType<RequestEvent>())
        {
            e.Request.Dispose();
        }
    }

    public static HttpClient NewHttpClient() => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Limits.Wait };
}
