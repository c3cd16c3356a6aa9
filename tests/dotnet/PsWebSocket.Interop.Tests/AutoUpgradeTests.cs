using System.Net.WebSockets;
using System.Text;

namespace PsWebSocket.Interop.Tests;

/// <summary>
/// A Ws endpoint with the legacy auto-upgrade: every WebSocket handshake becomes a Global
/// connection named by its URL path. Events come through NativeServer's sink.
/// </summary>
public sealed class AutoUpgradeTests
{
    [Fact]
    public async Task ClientsExchangeEnvelopesThroughTheNativeRebroadcast()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start();
        var (alice, _) = await server.ConnectAsync("/chat", cts.Token);
        var (bob, _) = await server.ConnectAsync("/chat", cts.Token);
        var (carol, _) = await server.ConnectAsync("/other", cts.Token);
        using (alice)
        using (bob)
        using (carol)
        {
            // path names the receiving Name: both /chat clients get the data (a string as it is).
            await alice.SendTextAsync("""{"message":"hello chat","path":"/chat"}""", cts.Token);
            Assert.Equal("hello chat", await bob.ReceiveTextAsync(cts.Token));
            Assert.Equal("hello chat", await alice.ReceiveTextAsync(cts.Token));

            // No path: every Name. Anything but a string goes out as compact JSON.
            await bob.SendTextAsync("""{ "message" : { "n" : 1, "list" : [ 1, 2 ] } }""", cts.Token);
            foreach (var socket in new[] { alice, bob, carol })
            {
                Assert.Equal("""{"n":1,"list":[1,2]}""", await socket.ReceiveTextAsync(cts.Token));
            }

            // direct: back to the sender only. Bob's next message proves he never got it.
            await alice.SendTextAsync("""{"message":"only me","direct":true}""", cts.Token);
            await alice.SendTextAsync("""{"message":"everyone on chat","path":"/chat"}""", cts.Token);
            Assert.Equal("only me", await alice.ReceiveTextAsync(cts.Token));
            Assert.Equal("everyone on chat", await alice.ReceiveTextAsync(cts.Token));
            Assert.Equal("everyone on chat", await bob.ReceiveTextAsync(cts.Token));

            // A message without a signal route never reaches the host as SIGNAL.
            Assert.DoesNotContain(server.Events.Pending(), e => e is SignalEvent);
            var metrics = server.Server.Metrics();
            Assert.Equal(3ul, metrics.connections);
            Assert.True(metrics.messages_in >= 4, $"messages_in {metrics.messages_in}");
        }
    }

    [Fact]
    public async Task ConnectAndDisconnectEventsCarryTheConnectionCloseCodeAndInitiator()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start();

        using var socket = WsClient.Create("interop-agent/1.0");
        await socket.ConnectAsync(server.Ws("/room/one?x=1"), cts.Token);
        var headers = socket.HttpResponseHeaders!;
        Assert.Equal(HttpStatusCodeSwitching, (int)socket.HttpStatusCode);
        var clientId = WsClient.Header(headers, "X-Pode-Signal-Client-Id");
        Assert.False(string.IsNullOrEmpty(clientId));
        Assert.Equal("/room/one", WsClient.Header(headers, "X-Pode-Signal-Name"));

        var connect = (await server.Take<ConnectEvent>(cts.Token)).Connection;
        Assert.NotEqual(0ul, connect.Id);
        Assert.Equal("/room/one", connect.Name);
        Assert.Equal("", connect.Group);
        Assert.Equal(clientId, connect.ClientId);
        Assert.Equal("Global", connect.Scope);
        Assert.Equal("/room/one", connect.Path);
        Assert.Equal("x=1", connect.Query);
        Assert.Equal("ws", connect.EndpointName);
        Assert.Equal("ws", connect.Protocol);
        Assert.Equal($"127.0.0.1:{server.Port}", connect.Host);
        Assert.Equal("127.0.0.1", connect.RemoteIp);
        Assert.NotEqual(0, connect.RemotePort);
        Assert.Equal("interop-agent/1.0", connect.UserAgent);
        Assert.True(connect.Opened > new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.True(server.Server.IsOpen(connect.Id));
        Assert.Equal(["/room/one"], server.Server.SignalNames());

        // The client closes: its code and reason, initiator client.
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye now", cts.Token);
        var disconnect = await server.Take<DisconnectEvent>(cts.Token);
        Assert.Equal(connect.Id, disconnect.Connection.Id);
        Assert.Equal(clientId, disconnect.Connection.ClientId);
        Assert.Equal(1000, disconnect.Code);
        Assert.Equal("bye now", disconnect.Reason);
        Assert.False(disconnect.ClosedByServer);
        Assert.False(server.Server.IsOpen(connect.Id));
        Assert.Empty(server.Server.SignalNames());

        // The server closes: the client sees the code and reason, initiator server.
        var (second, secondInfo) = await server.ConnectAsync("/room/two", cts.Token);
        using (second)
        {
            server.Server.CloseConnection(secondInfo.Id, 4001, "kicked out");
            await second.ExpectCloseAsync(cts.Token);
            Assert.Equal((WebSocketCloseStatus)4001, second.CloseStatus);
            Assert.Equal("kicked out", second.CloseStatusDescription);
            var closed = await server.Take<DisconnectEvent>(cts.Token);
            Assert.Equal(secondInfo.Id, closed.Connection.Id);
            Assert.Equal(4001, closed.Code);
            Assert.Equal("kicked out", closed.Reason);
            Assert.True(closed.ClosedByServer);
        }

        // Closing an unknown connection, or with a code out of range.
        var unknown = Assert.Throws<PswsException>(() => server.Server.CloseConnection(secondInfo.Id, 1000, ""));
        Assert.Equal(PswsStatus.UnknownConnection, unknown.Status);
        Assert.Contains(secondInfo.Id.ToString(), unknown.Message);
    }

    private const int HttpStatusCodeSwitching = 101;

    [Fact]
    public async Task SignalRouteProducesSignalEventWithTheEnvelopeFields()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(configure: s => s.AddSignalRoute("/sig/*", []));
        var (sender, senderInfo) = await server.ConnectAsync("/sig/a", cts.Token);
        var (listener, _) = await server.ConnectAsync("/sig/b", cts.Token);
        using (sender)
        using (listener)
        {
            var before = DateTime.UtcNow.AddMinutes(-1);
            await sender.SendTextAsync(
                """{"Message": {"text": "hi there", "n": [1, 2]}, "PATH": "Room%20A", "clientId": ["c1", "c2"], "group": "G1", "direct": true, "extra": 5}""",
                cts.Token);
            var signal = await server.Take<SignalEvent>(cts.Token);
            Assert.Equal(senderInfo.Id, signal.Connection.Id);
            Assert.Equal("/sig/a", signal.Connection.Path);
            Assert.Equal("/sig/*", signal.Route);
            Assert.Equal("""{"text":"hi there","n":[1,2]}""", signal.MessageJson);
            Assert.Equal("Room A", signal.Path);
            Assert.Equal(["c1", "c2"], signal.ClientIds);
            Assert.Equal(["G1"], signal.Groups);
            Assert.True(signal.Direct);
            Assert.InRange(signal.Received, before, DateTime.UtcNow.AddMinutes(1));

            // A plain string message; direct only for JSON true.
            await sender.SendTextAsync("""{"message":"just text","direct":"true"}""", cts.Token);
            var second = await server.Take<SignalEvent>(cts.Token);
            Assert.Equal("\"just text\"", second.MessageJson);
            Assert.Equal("", second.Path);
            Assert.Empty(second.ClientIds);
            Assert.Empty(second.Groups);
            Assert.False(second.Direct);

            // The host answers; the routed messages were not re-broadcast (the listener's
            // first message is the host's).
            Assert.Equal(2, server.Server.Send(["/sig/b", "/sig/a"], null, null, "from host"));
            Assert.Equal("from host", await listener.ReceiveTextAsync(cts.Token));
            Assert.Equal("from host", await sender.ReceiveTextAsync(cts.Token));
            server.Server.SendDirect(senderInfo.Id, Encoding.UTF8.GetBytes("direct reply"), binary: false);
            Assert.Equal("direct reply", await sender.ReceiveTextAsync(cts.Token));

            // Without the route the same envelope is re-broadcast natively again.
            Assert.Equal(1, server.Server.RemoveSignalRoute("/sig/*", null));
            await sender.SendTextAsync("""{"message":"now native","path":"/sig/b"}""", cts.Token);
            Assert.Equal("now native", await listener.ReceiveTextAsync(cts.Token));
        }
    }

    [Fact]
    public async Task NonJsonTextIsMessageErrorAndTheConnectionStaysOpen()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start();
        var (socket, info) = await server.ConnectAsync("/err", cts.Token);
        using (socket)
        {
            await socket.SendTextAsync("this is not JSON", cts.Token);
            var error = await server.Take<MessageErrorEvent>(cts.Token);
            Assert.Equal(info.Id, error.Connection.Id);
            Assert.Equal("this is not JSON", error.Text);
            Assert.Contains("not a valid signal envelope", error.Error);

            await socket.SendTextAsync("""{"path":"/err"}""", cts.Token);
            var missing = await server.Take<MessageErrorEvent>(cts.Token);
            Assert.Equal("""{"path":"/err"}""", missing.Text);
            Assert.Contains("no 'message' property", missing.Error);

            // Still open both ways.
            Assert.True(server.Server.IsOpen(info.Id));
            Assert.Equal(WebSocketState.Open, socket.State);
            await socket.SendTextAsync("""{"message":"still here","direct":true}""", cts.Token);
            Assert.Equal("still here", await socket.ReceiveTextAsync(cts.Token));
            Assert.DoesNotContain(server.Events.Pending(), e => e is DisconnectEvent);
        }
    }

    [Fact]
    public async Task BinaryMessagesBothWays()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start();
        var (socket, info) = await server.ConnectAsync("/bin", cts.Token);
        using (socket)
        {
            byte[] data = [0, 1, 2, 0xfe, 0xff, .. Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7))];
            await socket.SendBinaryAsync(data, cts.Token);
            var binary = await server.Take<BinaryEvent>(cts.Token);
            Assert.Equal(info.Id, binary.Connection.Id);
            Assert.Equal(data, binary.Data);

            byte[] reply = [9, 8, 7, 0, 0xff];
            server.Server.SendDirect(info.Id, reply, binary: true);
            var (type, received) = await socket.ReceiveAsync(cts.Token);
            Assert.Equal(WebSocketMessageType.Binary, type);
            Assert.Equal(reply, received);

            // Text through send_direct is refused when it is not UTF-8.
            var bad = Assert.Throws<PswsException>(() => server.Server.SendDirect(info.Id, [0xff, 0xfe], binary: false));
            Assert.Equal(PswsStatus.InvalidUtf8, bad.Status);
            Assert.True(server.Server.IsOpen(info.Id));
        }
    }
}
