using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PsWebSocket.Interop.Tests;

/// <summary>psws_client_* (named outgoing connections, through the module's NativeClient) against this test's own psws server.</summary>
public sealed class ExternalClientTests
{
    [Fact]
    public async Task ClientConnectsSendsAndReceives()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(configure: s => s.AddSignalRoute("/feed", []));
        using var client = new TestClient();
        var url = server.Ws("/feed?src=client");

        await Task.Run(() => client.Connect("feed", url), cts.Token);
        Assert.Equal(NativeClientState.Connected, client.State("feed"));
        Assert.Equal(url.ToString(), client.Url("feed"));
        Assert.Equal(["feed"], client.Names());
        var connection = (await server.Take<ConnectEvent>(cts.Token)).Connection;
        Assert.Equal("/feed", connection.Name);
        Assert.Equal("src=client", connection.Query);

        // Server to client: a Name broadcast and a direct send, text and binary.
        Assert.Equal(1, server.Server.Send(["/feed"], null, null, "hello from the server"));
        var message = await client.MessageAsync(cts.Token);
        Assert.Equal("feed", message.Name);
        Assert.False(message.Binary);
        Assert.Equal("hello from the server", Encoding.UTF8.GetString(message.Data));

        server.Server.SendDirect(connection.Id, [1, 2, 3, 255], binary: true);
        var binary = await client.MessageAsync(cts.Token);
        Assert.True(binary.Binary);
        Assert.Equal(new byte[] { 1, 2, 3, 255 }, binary.Data);

        // Client to server: an envelope for the signal route, answered directly.
        client.SendText("feed", """{"message":{"ping":1}}""");
        var signal = await server.Take<SignalEvent>(cts.Token);
        Assert.Equal(connection.Id, signal.Connection.Id);
        Assert.Equal("""{"ping":1}""", signal.MessageJson);
        server.Server.SendDirect(signal.Connection.Id, Encoding.UTF8.GetBytes("pong"), binary: false);
        var pong = await client.MessageAsync(cts.Token);
        Assert.Equal("pong", Encoding.UTF8.GetString(pong.Data));

        client.Send("feed", [7, 7, 7], binary: true);
        var fromClient = await server.Take<BinaryEvent>(cts.Token);
        Assert.Equal(new byte[] { 7, 7, 7 }, fromClient.Data);

        // Errors on the client side.
        var unknown = Assert.Throws<PswsException>(() => client.SendText("nobody", "x"));
        Assert.Equal(PswsStatus.UnknownClient, unknown.Status);
        Assert.Equal("no WebSocket connection registered with name 'nobody'", unknown.Message);
        var inUse = await Assert.ThrowsAsync<PswsException>(() => Task.Run(() => client.Connect("feed", url)));
        Assert.Equal(PswsStatus.NameInUse, inUse.Status);

        // The client closes: both sides see it, initiator client.
        await Task.Run(() => client.Disconnect("feed"), cts.Token);
        var disconnected = await client.DisconnectedAsync(cts.Token);
        Assert.Equal("feed", disconnected.Name);
        Assert.Equal(1000, disconnected.Code);
        Assert.False(disconnected.ClosedByServer); // PSWS_CLOSE_INITIATOR_CLIENT
        Assert.False(disconnected.Reconnecting);
        var serverSide = await server.Take<DisconnectEvent>(cts.Token);
        Assert.Equal(connection.Id, serverSide.Connection.Id);
        Assert.Equal(1000, serverSide.Code);
        Assert.False(serverSide.ClosedByServer);
        Assert.Equal(NativeClientState.Disconnected, client.State("feed"));
        var notConnected = Assert.Throws<PswsException>(() => client.SendText("feed", "x"));
        Assert.Equal(PswsStatus.NotConnected, notConnected.Status);

        await Task.Run(() => client.Remove("feed"), cts.Token);
        Assert.Equal(NativeClientState.NotRegistered, client.State("feed"));
        Assert.Empty(client.Names());
    }

    [Fact]
    public async Task ServerCloseReachesTheClientWithCodeAndInitiator()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start();
        using var client = new TestClient();
        await Task.Run(() => client.Connect("watch", server.Ws("/watch")), cts.Token);
        var connection = (await server.Take<ConnectEvent>(cts.Token)).Connection;

        server.Server.CloseConnection(connection.Id, 4002, "go away");
        var disconnected = await client.DisconnectedAsync(cts.Token);
        Assert.Equal("watch", disconnected.Name);
        Assert.Equal(4002, disconnected.Code);
        Assert.Equal("go away", disconnected.Reason);
        Assert.True(disconnected.ClosedByServer); // PSWS_CLOSE_INITIATOR_SERVER
        var serverSide = await server.Take<DisconnectEvent>(cts.Token);
        Assert.True(serverSide.ClosedByServer);
        Assert.Equal(4002, serverSide.Code);
    }

    [Fact]
    public async Task ConnectToAClosedPortFailsWithConnect()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        using var client = new TestClient();
        var error = await Assert.ThrowsAsync<PswsException>(() => Task.Run(() => client.Connect("nowhere", new Uri($"ws://127.0.0.1:{port}/"))));
        Assert.Equal(PswsStatus.Connect, error.Status);
        Assert.StartsWith($"failed to connect to WebSocket 'ws://127.0.0.1:{port}/'", error.Message);
        Assert.Equal(NativeClientState.NotRegistered, client.State("nowhere"));

        var badUrl = await Assert.ThrowsAsync<PswsException>(() => Task.Run(() => client.Connect("bad", new Uri("http://127.0.0.1:1/"))));
        Assert.NotEqual(PswsStatus.Ok, badUrl.Status);
        Assert.Empty(client.Names());
    }
}
