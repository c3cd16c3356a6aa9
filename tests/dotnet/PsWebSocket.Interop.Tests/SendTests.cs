using System.Net.WebSockets;

namespace PsWebSocket.Interop.Tests;

/// <summary>Sends by Name, group and client id, broadcast levels, and the signal lists.</summary>
public sealed class SendTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _cts = Limits.Token();
    private TestServer _server = null!;
    private readonly List<(ClientWebSocket Socket, ConnectionInfo Connection, RequestHandle Request)> _clients = [];

    private ClientWebSocket News1 => _clients[0].Socket;
    private ClientWebSocket News2 => _clients[1].Socket;
    private ClientWebSocket Sports => _clients[2].Socket;
    private NativeServer Server => _server.Server;

    public async Task InitializeAsync()
    {
        _server = TestServer.Start(autoUpgrade: false, configure: s => s.AddRoute("GET", "/signals", []));
        // News: n1 (group g1), n2 (group g2); Sports: s1 (group G1, stored as given).
        _clients.Add(await _server.UpgradeAsync("/signals", "News", "g1", "n1", NativeScope.Global, _cts.Token));
        _clients.Add(await _server.UpgradeAsync("/signals", "News", "g2", "n2", NativeScope.Global, _cts.Token));
        _clients.Add(await _server.UpgradeAsync("/signals", "Sports", "g1", "s1", NativeScope.Global, _cts.Token));
    }

    public Task DisposeAsync()
    {
        foreach (var (socket, _, request) in _clients)
        {
            socket.Dispose();
            request.Dispose();
        }
        _server.Dispose();
        _cts.Dispose();
        return Task.CompletedTask;
    }

    private async Task Expect(ClientWebSocket socket, params string[] messages)
    {
        foreach (var message in messages)
        {
            Assert.Equal(message, await socket.ReceiveTextAsync(_cts.Token));
        }
    }

    [Fact]
    public async Task SendsReachTheSelectedConnections()
    {
        Assert.Equal(2, Server.Send(["News"], null, null, "news"));
        Assert.Equal(2, Server.Send(null, ["g1"], null, "group g1"));
        Assert.Equal(1, Server.Send(["News"], null, ["n2"], "to n2"));
        Assert.Equal(2, Server.Send(null, null, ["n1", "s1"], "to n1 and s1"));
        Assert.Equal(1, Server.Send(["News", "Sports"], ["g2"], null, "g2 of both"));
        Assert.Equal(3, Server.Send(null, null, null, "everyone"));
        Assert.Equal(3, Server.Send(["News", "Sports"], null, null, "both names"));
        Assert.Equal(0, Server.Send(["Nobody"], null, null, "nobody"));
        Assert.Equal(0, Server.Send(["News"], ["g3"], null, "no such group"));
        Assert.Equal(0, Server.Send(["Sports"], null, ["n1"], "n1 is not in Sports"));

        // Each connection's messages arrive in send order, so these sequences also show
        // that nothing else reached it.
        await Expect(News1, "news", "group g1", "to n1 and s1", "everyone", "both names");
        await Expect(News2, "news", "to n2", "g2 of both", "everyone", "both names");
        await Expect(Sports, "group g1", "to n1 and s1", "everyone", "both names");

        var metrics = Server.Metrics();
        Assert.Equal(3ul, metrics.connections);
        Assert.Equal(3ul, metrics.connections_total);
        Assert.Equal(14ul, metrics.messages_out); // 2+2+1+2+1+3+3 deliveries
    }

    [Fact]
    public async Task BroadcastLevelViolationIsAnErrorNamingTheLevel()
    {
        Assert.Equal(0u, Server.BroadcastLevel("News")); // NAME by default

        Server.SetBroadcastLevel("News", 1); // GROUP
        Assert.Equal(1u, Server.BroadcastLevel("News"));
        Assert.Equal(1u, Server.BroadcastLevel("news")); // Names compare without case
        var error = Assert.Throws<PswsException>(() => Server.Send(["News"], null, null, "refused"));
        Assert.Equal(PswsStatus.BroadcastLevel, error.Status);
        Assert.Equal("Signal failed to broadcast due to defined Signal broadcast level for News: group", error.Message);
        // Every Name is checked first: a violation sends nothing, not even to Sports.
        var all = Assert.Throws<PswsException>(() => Server.Send(null, null, null, "refused too"));
        Assert.Equal(PswsStatus.BroadcastLevel, all.Status);
        Assert.Equal(1, Server.Send(["News"], ["g2"], null, "group is enough"));
        Assert.Equal(1, Server.Send(["News"], null, ["n1"], "so is a client id"));

        Server.SetBroadcastLevel("*", 2); // CLIENTID for every Name without its own level
        Assert.Equal(2u, Server.BroadcastLevel("Sports"));
        Assert.Equal(1u, Server.BroadcastLevel("News"));
        var sports = Assert.Throws<PswsException>(() => Server.Send(["Sports"], ["g1"], null, "refused"));
        Assert.Equal(PswsStatus.BroadcastLevel, sports.Status);
        Assert.Contains("Sports: clientid", sports.Message);
        Assert.Equal(1, Server.Send(["Sports"], null, ["s1"], "client id given"));

        var invalid = Assert.Throws<PswsException>(() => Server.SetBroadcastLevel("News", 3));
        Assert.Equal(PswsStatus.InvalidArgument, invalid.Status);
        Assert.Equal("3 is not a valid broadcast level", invalid.Message);

        await Expect(News2, "group is enough");
        await Expect(News1, "so is a client id");
        await Expect(Sports, "client id given");
    }

    [Fact]
    public void ListsOfNamesGroupsAndClientIds()
    {
        Assert.Equal(["News", "Sports"], Server.SignalNames());
        Assert.Equal(["g1", "g2"], Server.SignalGroups("News").Order());
        Assert.Equal(["g1"], Server.SignalGroups("Sports"));
        Assert.Equal(["n1", "n2"], Server.SignalClientIds("News", null).Order());
        Assert.Equal(["n2"], Server.SignalClientIds("News", ["g2"]));
        Assert.Empty(Server.SignalClientIds("News", ["g9"]));
        Assert.Equal(3, Server.SignalCount(null));
        Assert.Equal(2, Server.SignalCount("News"));
        Assert.Equal(0, Server.SignalCount("Nobody"));
        Assert.True(Server.SignalExists("News", null, null));
        Assert.True(Server.SignalExists("News", ["g2"], ["n2"]));
        Assert.False(Server.SignalExists("News", ["g1"], ["n2"]));
        Assert.False(Server.SignalExists("Nobody", null, null));

        var unknown = Assert.Throws<PswsException>(() => Server.SignalGroups("Nobody"));
        Assert.Equal(PswsStatus.UnknownName, unknown.Status);
        Assert.Equal("no Signal connection found with the name 'Nobody'", unknown.Message);
        Assert.Equal(PswsStatus.UnknownName, Assert.Throws<PswsException>(() => Server.SignalClientIds("Nobody", null)).Status);
    }

    [Fact]
    public async Task CloseSignalsClosesTheSelectedConnections()
    {
        Assert.Equal(1, Server.CloseSignals("News", ["g2"], null));
        await News2.ExpectCloseAsync(_cts.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, News2.CloseStatus);
        var disconnect = await _server.Take<DisconnectEvent>(_cts.Token);
        Assert.Equal(_clients[1].Connection.Id, disconnect.Connection.Id);
        Assert.Equal(1000, disconnect.Code);
        Assert.True(disconnect.ClosedByServer);
        Assert.Equal(["n1"], Server.SignalClientIds("News", null));
        Assert.Equal(1, Server.Send(["News"], null, null, "one left"));
        await Expect(News1, "one left");
    }
}
