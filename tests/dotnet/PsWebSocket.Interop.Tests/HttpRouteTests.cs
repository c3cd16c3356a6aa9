using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace PsWebSocket.Interop.Tests;

/// <summary>
/// A Ws endpoint without auto-upgrade: requests for HTTP routes arrive as REQUEST events,
/// read with NativeRequest.Info and completed with Respond or Upgrade.
/// </summary>
public sealed class HttpRouteTests
{
    [Fact]
    public async Task RequestInfoAndRespond()
    {
        using var cts = Limits.Token();
        ulong routeId = 0;
        using var server = TestServer.Start(autoUpgrade: false, configure: s => routeId = s.AddRoute("POST", "/items/:id/:part", []));
        using var http = TestServer.NewHttpClient();

        using var message = new HttpRequestMessage(HttpMethod.Post, server.Http("/items/42/caf%C3%A9?q=a%20b&flag"));
        message.Headers.Add("X-Test", "yes");
        message.Headers.Add("User-Agent", "interop-http/2");
        message.Content = new ByteArrayContent([1, 2, 3, 0, 255]);
        var sending = http.SendAsync(message, cts.Token);

        var request = (await server.Take<RequestEvent>(cts.Token)).Request;
        using (request)
        {
            var info = NativeRequest.Info(request);
            Assert.Equal("POST", info.Method);
            Assert.Equal("/items/42/café", info.Path);
            Assert.Equal("q=a%20b&flag", info.Query);
            Assert.Equal(new byte[] { 1, 2, 3, 0, 255 }, info.Body);
            Assert.Contains(info.Headers, h => h.Key.Equals("x-test", StringComparison.OrdinalIgnoreCase) && h.Value == "yes");
            Assert.Contains(info.Headers, h => h.Key.Equals("user-agent", StringComparison.OrdinalIgnoreCase) && h.Value == "interop-http/2");
            Assert.Contains(info.Headers, h => h.Key.Equals("content-length", StringComparison.OrdinalIgnoreCase) && h.Value == "5");
            Assert.Equal([new("id", "42"), new("part", "café")], info.Parameters);
            Assert.Equal("127.0.0.1", info.RemoteIp);
            Assert.NotEqual(0, info.RemotePort);
            Assert.Equal("ws", info.EndpointName);
            Assert.Equal(NativeProtocol.Ws, info.EndpointProtocol);
            Assert.Equal($"127.0.0.1:{server.Port}", info.Host);
            Assert.Equal(routeId, info.RouteId);
            Assert.Equal("/items/:id/:part", info.RoutePath);
            Assert.Null(info.Signal);

            NativeRequest.Respond(request, 201, [new("X-Reply", "done"), new("Content-Type", "text/plain; charset=utf-8"), new("X-Multi", "a"), new("X-Multi", "b")],
                Encoding.UTF8.GetBytes("created ✓"));

            // One completion only.
            var again = Assert.Throws<PswsException>(() => NativeRequest.Respond(request, 200, [], []));
            Assert.Equal(PswsStatus.RequestCompleted, again.Status);
            Assert.Equal("the request has already been completed", again.Message);

            // Info stays readable until the free.
            Assert.Equal("POST", NativeRequest.Info(request).Method);
        }

        using var response = await sending;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["done"], response.Headers.GetValues("X-Reply"));
        Assert.Equal(["a", "b"], response.Headers.GetValues("X-Multi"));
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("created ✓", await response.Content.ReadAsStringAsync(cts.Token));
    }

    [Fact]
    public async Task BadRespondArgumentsLeaveTheRequestPending()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(autoUpgrade: false, configure: s => s.AddRoute("GET", "/bad", []));
        using var http = TestServer.NewHttpClient();
        var sending = http.GetAsync(server.Http("/bad"), cts.Token);
        var request = (await server.Take<RequestEvent>(cts.Token)).Request;
        using (request)
        {
            var status = Assert.Throws<PswsException>(() => NativeRequest.Respond(request, 42, [], []));
            Assert.Equal(PswsStatus.InvalidArgument, status.Status);
            Assert.Contains("42 is not an HTTP status", status.Message);
            var header = Assert.Throws<PswsException>(() => NativeRequest.Respond(request, 200, [new("bad header", "x")], []));
            Assert.Equal(PswsStatus.InvalidArgument, header.Status);
            Assert.Contains("'bad header' is not a valid header name", header.Message);
            NativeRequest.Respond(request, 204, [], []);
        }
        using var response = await sending;
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task RequestDisposedWithoutAnAnswerGives500()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(autoUpgrade: false, configure: s => s.AddRoute("GET", "/forgotten", []));
        using var http = TestServer.NewHttpClient();
        var sending = http.GetAsync(server.Http("/forgotten"), cts.Token);
        var request = (await server.Take<RequestEvent>(cts.Token)).Request;
        Assert.Equal("/forgotten", NativeRequest.Info(request).Path);
        request.Dispose();
        using var response = await sending;
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);

        // The handle is closed: the SafeHandle refuses it, the raw number is not live.
        Assert.Throws<ObjectDisposedException>(() => NativeRequest.Info(request));

        // A path without a route is a 404 from the engine, no event.
        using var missing = await http.GetAsync(server.Http("/nothing-here"), cts.Token);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task RequestFreedTwiceByNumberIsInvalidHandle()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(autoUpgrade: false, configure: s => s.AddRoute("GET", "/twice", []));
        using var http = TestServer.NewHttpClient();
        var sending = http.GetAsync(server.Http("/twice"), cts.Token);
        var request = (await server.Take<RequestEvent>(cts.Token)).Request;
        var raw = request.DangerousGetHandle();
        request.SetHandleAsInvalid();
        var (first, second, error) = FreeTwice(raw);
        Assert.Equal(PswsStatus.Ok, first);
        Assert.Equal(PswsStatus.InvalidHandle, second);
        Assert.Equal("the psws_request handle is not live (freed, or never created)", error);
        using var response = await sending;
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);

        static (PswsStatus, PswsStatus, string) FreeTwice(IntPtr raw)
        {
            var first = NativeMethods.psws_request_free(raw);
            var second = NativeMethods.psws_request_free(raw);
            return (first, second, Raw.LastError());
        }
    }

    [Fact]
    public async Task UpgradeSetsNameGroupClientIdAndTheHandshakeHeaders()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(autoUpgrade: false, configure: s => s.AddRoute("GET", "/room", []));
        using var socket = WsClient.Create("upgrader/1");
        var connecting = socket.ConnectAsync(server.Ws("/room?who=me"), cts.Token);

        var request = (await server.Take<RequestEvent>(cts.Token)).Request;
        using (request)
        {
            var info = NativeRequest.Info(request);
            Assert.Equal("GET", info.Method);
            Assert.Equal("/room", info.Path);
            Assert.Equal("who=me", info.Query);
            Assert.Contains(info.Headers, h => h.Key.Equals("upgrade", StringComparison.OrdinalIgnoreCase) && h.Value.Equals("websocket", StringComparison.OrdinalIgnoreCase));

            var connection = NativeRequest.Upgrade(request, "Room", "blue", "client-7", NativeScope.Global);
            Assert.Equal("Room", connection.Name);
            Assert.Equal("blue", connection.Group);
            Assert.Equal("client-7", connection.ClientId);
            Assert.Equal("Global", connection.Scope);
            Assert.Equal("/room", connection.Path);
            Assert.Equal("who=me", connection.Query);
            Assert.Equal("upgrader/1", connection.UserAgent);

            await connecting;
            Assert.Equal(101, (int)socket.HttpStatusCode);
            var headers = socket.HttpResponseHeaders!;
            Assert.Equal("client-7", WsClient.Header(headers, "X-Pode-Signal-Client-Id"));
            Assert.Equal("Room", WsClient.Header(headers, "X-Pode-Signal-Name"));
            Assert.Equal("blue", WsClient.Header(headers, "X-Pode-Signal-Group"));

            var connect = await server.Take<ConnectEvent>(cts.Token);
            Assert.Equal(connection.Id, connect.Connection.Id);

            var twice = Assert.Throws<PswsException>(() => NativeRequest.Upgrade(request, "Room", null, null, NativeScope.Global));
            Assert.Equal(PswsStatus.RequestCompleted, twice.Status);

            Assert.Equal(1, server.Server.Send(["Room"], null, null, "to the room"));
            Assert.Equal("to the room", await socket.ReceiveTextAsync(cts.Token));
        }

        // A Global connection outlives its request.
        Assert.Equal(1, server.Server.Send(["Room"], ["blue"], null, "still here"));
        Assert.Equal("still here", await socket.ReceiveTextAsync(cts.Token));
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Fact]
    public async Task UpgradeWithoutClientIdGeneratesOneAndOmitsTheGroupHeader()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(autoUpgrade: false, configure: s => s.AddRoute("GET", "/anon", []));
        var (socket, connection, request) = await server.UpgradeAsync("/anon", "Anon", null, null, NativeScope.Default, cts.Token);
        using (socket)
        using (request)
        {
            Assert.True(Guid.TryParse(connection.ClientId, out _), connection.ClientId);
            Assert.Equal("", connection.Group);
            Assert.Equal("Global", connection.Scope); // the server default
            var headers = socket.HttpResponseHeaders!;
            Assert.Equal(connection.ClientId, WsClient.Header(headers, "X-Pode-Signal-Client-Id"));
            Assert.Equal("Anon", WsClient.Header(headers, "X-Pode-Signal-Name"));
            Assert.Null(WsClient.Header(headers, "X-Pode-Signal-Group"));
        }
    }

    [Fact]
    public async Task LocalScopeIsNotAddressableByNameAndClosesWithItsRequest()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(autoUpgrade: false, configure: s => s.AddRoute("GET", "/local", []));
        var (socket, connection, request) = await server.UpgradeAsync("/local", "Private", "g", "local-1", NativeScope.Local, cts.Token);
        using (socket)
        {
            Assert.Equal("Local", connection.Scope);
            Assert.Equal("local-1", WsClient.Header(socket.HttpResponseHeaders!, "X-Pode-Signal-Client-Id"));
            Assert.Equal(0, server.Server.Send(["Private"], null, null, "nobody"));
            Assert.Empty(server.Server.SignalNames());
            Assert.False(server.Server.SignalExists("Private", null, null));
            server.Server.SendDirect(connection.Id, Encoding.UTF8.GetBytes("just you"), binary: false);
            Assert.Equal("just you", await socket.ReceiveTextAsync(cts.Token));

            request.Dispose();
            await socket.ExpectCloseAsync(cts.Token);
            var disconnect = await server.Take<DisconnectEvent>(cts.Token);
            Assert.Equal(connection.Id, disconnect.Connection.Id);
            Assert.True(disconnect.ClosedByServer);
            Assert.False(server.Server.IsOpen(connection.Id));
        }
    }

    [Fact]
    public async Task UpgradeOfAPlainRequestIsRejectedAndAnswered()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(autoUpgrade: false, configure: s => s.AddRoute("GET", "/room", []));
        using var http = TestServer.NewHttpClient();
        var sending = http.GetAsync(server.Http("/room"), cts.Token);
        var request = (await server.Take<RequestEvent>(cts.Token)).Request;
        using (request)
        {
            var error = Assert.Throws<PswsException>(() => NativeRequest.Upgrade(request, "Room", null, null, NativeScope.Global));
            Assert.Equal(PswsStatus.UpgradeRejected, error.Status);
            Assert.StartsWith("cannot upgrade to a WebSocket (HTTP ", error.Message);
        }
        using var response = await sending;
        Assert.True((int)response.StatusCode is 400 or 405 or 412 or 426, $"status {(int)response.StatusCode}");
        Assert.Empty(server.Server.SignalNames());
    }
    [Fact]
    public async Task SignalHeadersOnARequestNameALiveConnection()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(autoUpgrade: false, configure: s =>
        {
            s.AddRoute("GET", "/room", []);
            s.AddRoute("POST", "/who", []);
        });
        var (socket, connection, upgrade) = await server.UpgradeAsync("/room", "Room", "red", "c-9", NativeScope.Global, cts.Token);
        using (socket)
        using (upgrade)
        using (var http = TestServer.NewHttpClient())
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, server.Http("/who"));
            message.Headers.Add("X-Pode-Signal-Name", "Room");
            message.Headers.Add("X-Pode-Signal-Client-Id", "c-9");
            var sending = http.SendAsync(message, cts.Token);
            var request = (await server.Take<RequestEvent>(cts.Token)).Request;
            using (request)
            {
                var signal = NativeRequest.Info(request).Signal;
                Assert.NotNull(signal);
                Assert.Equal(connection.Id, signal.Id);
                Assert.Equal("Room", signal.Name);
                Assert.Equal("red", signal.Group);
                Assert.Equal("c-9", signal.ClientId);
                NativeRequest.Respond(request, 200, [], "ok"u8);
            }
            using (var response = await sending)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            // No live connection matches: the engine answers 404 itself, without an event.
            using var unknown = new HttpRequestMessage(HttpMethod.Post, server.Http("/who"));
            unknown.Headers.Add("X-Pode-Signal-Name", "Room");
            unknown.Headers.Add("X-Pode-Signal-Client-Id", "nobody");
            using (var response = await http.SendAsync(unknown, cts.Token))
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }
            // A client id without a Name: 400.
            using var nameless = new HttpRequestMessage(HttpMethod.Post, server.Http("/who"));
            nameless.Headers.Add("X-Pode-Signal-Client-Id", "c-9");
            using (var response = await http.SendAsync(nameless, cts.Token))
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            }
            Assert.DoesNotContain(server.Events.Pending(), e => e is RequestEvent);
        }
    }

    [Fact]
    public async Task PendingRequestGets503WhenTheServerStopsAndOutlivesIt()
    {
        using var cts = Limits.Token();
        var server = TestServer.Start(autoUpgrade: false, configure: s => s.AddRoute("GET", "/slow", []));
        RequestHandle request;
        Task<HttpResponseMessage> sending;
        using var http = TestServer.NewHttpClient();
        try
        {
            sending = http.GetAsync(server.Http("/slow?wait=1"), cts.Token);
            request = (await server.Take<RequestEvent>(cts.Token)).Request;
        }
        finally
        {
            server.Dispose(); // psws_server_free: stops the server while the request is pending
        }
        using (request)
        {
            using var response = await sending;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);

            // The request handle outlives its server: its info is still readable ...
            var info = NativeRequest.Info(request);
            Assert.Equal("/slow", info.Path);
            Assert.Equal("wait=1", info.Query);
            // ... but it can no longer be answered.
            var late = Assert.Throws<PswsException>(() => NativeRequest.Respond(request, 200, [], []));
            Assert.Equal(PswsStatus.RequestCompleted, late.Status);
        }
    }
}
