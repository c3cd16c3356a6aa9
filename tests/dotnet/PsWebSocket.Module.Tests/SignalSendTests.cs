using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>Every form of Send-PodeSignal, from routes and signal routes, and the default re-broadcast.</summary>
public class SignalSendTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private const string Server = $$"""
        Start-PodeServer -Threads 2 {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
            {{SignalKit.EvalRoute}}
            Add-PodeRoute -Method Get -Path '/conn/:name' -ScriptBlock {
                ConvertTo-PodeSignalConnection -Name $WebEvent.Parameters['name'] -Group $WebEvent.Query['group'] -ClientId $WebEvent.Query['id']
                switch ($WebEvent.Query['then']) {
                    'everyone' { Send-PodeSignal -Value "hello from $($WebEvent.Signal.ClientId)" }
                    'direct' { Send-PodeSignal -Mode Direct -Value 'only me' }
                }
            }
            Add-PodeSignalRoute -Path '/conn/Echo' -ScriptBlock {
                $m = $SignalEvent.Data.Message
                if ($m -eq 'direct') { Send-PodeSignal -Mode Direct -Value 'direct reply' }
                elseif ($m -eq 'defaults') { Send-PodeSignal -Value "defaults:$($SignalEvent.Data.Path)" }
                elseif ($m -eq 'broadcast') { Send-PodeSignal -Mode Broadcast -Name 'News' -Value 'broadcast reply' }
                elseif ($m -eq 'ignore') { Send-PodeSignal -IgnoreEvent -Value 'ignored event' }
                elseif ($m -eq 'named') { Send-PodeSignal -Name 'News' -Value "named from $($SignalEvent.ClientId)" }
                elseif ($m -is [System.Management.Automation.PSCustomObject]) { Send-PodeSignal -Mode Direct -Value @{ got = $m.n } }
                else { Send-PodeSignal -Value "auto:$m" }
            }
        }
        """;

    private sealed record Clients(Peer X, Peer Y, Peer Z, Peer E) : IAsyncDisposable
    {
        public Peer[] All => [X, Y, Z, E];

        public async ValueTask DisposeAsync()
        {
            foreach (var peer in All)
            {
                await peer.DisposeAsync();
            }
        }

        public async Task AllQuietAsync(params Peer[] except)
        {
            foreach (var peer in All.Except(except))
            {
                Assert.True(await peer.QuietForAsync(Quiet));
            }
        }
    }

    private static async Task<Clients> ConnectAsync(PodeServerHost server)
    {
        var clients = new Clients(
            await Peer.ConnectAsync(server, "/conn/Chat?group=red&id=x"),
            await Peer.ConnectAsync(server, "/conn/Chat?group=blue&id=y"),
            await Peer.ConnectAsync(server, "/conn/News?id=z"),
            await Peer.ConnectAsync(server, "/conn/Echo?id=e"));
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeServerActiveSignalClientMetric")).Success().Single.GetInt64() == 4, "four connections");
        return clients;
    }

    [Fact]
    public async Task Data_names_groups_and_client_ids_pick_the_recipients()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        await using var c = await ConnectAsync(server);

        (await server.EvalAsync("Send-PodeSignal -Name 'Chat' -Data 'plain text'")).Success();
        Assert.Equal("plain text", await c.X.ReceiveAsync());
        Assert.Equal("plain text", await c.Y.ReceiveAsync());
        await c.AllQuietAsync(c.X, c.Y);

        (await server.EvalAsync("Send-PodeSignal -Path 'News' -Value ([ordered]@{ a = 1; b = @('x', 2.5, $true, $null) })")).Success();
        Assert.Equal("""{"a":1,"b":["x",2.5,true,null]}""", await c.Z.ReceiveAsync());

        (await server.EvalAsync("Send-PodeSignal 'positional' -Name 'Chat', 'News'")).Success();
        Assert.Equal("positional", await c.X.ReceiveAsync());
        Assert.Equal("positional", await c.Y.ReceiveAsync());
        Assert.Equal("positional", await c.Z.ReceiveAsync());
        Assert.True(await c.E.QuietForAsync(Quiet));

        (await server.EvalAsync("Send-PodeSignal -Name 'Chat' -Group 'RED' -Value 'group'")).Success();
        Assert.Equal("group", await c.X.ReceiveAsync());
        (await server.EvalAsync("Send-PodeSignal -Name 'Chat' -ClientId 'y' -Value 'client'")).Success();
        Assert.Equal("client", await c.Y.ReceiveAsync());
        (await server.EvalAsync("Send-PodeSignal -Name 'Chat' -ClientId 'x', 'y', 'nobody' -Value 'clients'")).Success();
        Assert.Equal("clients", await c.X.ReceiveAsync());
        Assert.Equal("clients", await c.Y.ReceiveAsync());
        (await server.EvalAsync("Send-PodeSignal -Name 'Chat' -Group 'red' -ClientId 'y' -Value 'both filters'")).Success();
        (await server.EvalAsync("Send-PodeSignal -Name 'Unknown' -Value 'nobody'")).Success();
        await c.AllQuietAsync();

        (await server.EvalAsync("Send-PodeSignal -Value 'every name'")).Success();
        foreach (var peer in c.All)
        {
            Assert.Equal("every name", await peer.ReceiveAsync());
        }
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Depth_pipeline_and_empty_data_follow_pode()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        await using var c = await ConnectAsync(server);

        (await server.EvalAsync("Send-PodeSignal -Name 'News' -Value @{ a = @{ b = @{ c = 1 } } } -Depth 1")).Success();
        Assert.Equal("""{"a":{"b":"System.Collections.Hashtable"}}""", await c.Z.ReceiveAsync());
        (await server.EvalAsync("Send-PodeSignal -Name 'News' -Value @{ a = @{ b = @{ c = 1 } } }")).Success();
        Assert.Equal("""{"a":{"b":{"c":1}}}""", await c.Z.ReceiveAsync());
        (await server.EvalAsync("Send-PodeSignal -Name 'News' -Value 42")).Success();
        Assert.Equal("42", await c.Z.ReceiveAsync());

        (await server.EvalAsync("'p1', 'p2', 3 | Send-PodeSignal -Name 'News'")).Success();
        Assert.Equal("""["p1","p2",3]""", await c.Z.ReceiveAsync());
        (await server.EvalAsync("'solo' | Send-PodeSignal -Name 'News'")).Success();
        Assert.Equal("solo", await c.Z.ReceiveAsync());
        (await server.EvalAsync("[ordered]@{ k = 'v' } | Send-PodeSignal -Name 'News'")).Success();
        Assert.Equal("""{"k":"v"}""", await c.Z.ReceiveAsync());

        (await server.EvalAsync("""
            Send-PodeSignal -Name 'News' -Value ''
            Send-PodeSignal -Name 'News' -Value $null
            Send-PodeSignal -Name 'News' -Value @()
            Send-PodeSignal -Name 'News'
            @() | Send-PodeSignal -Name 'News'
            """)).Success();
        Assert.True(await c.Z.QuietForAsync(Quiet));
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Modes_pick_direct_or_broadcast()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        await using var c = await ConnectAsync(server);

        var noConnection = await server.EvalAsync("Send-PodeSignal -Mode Direct -Value 'to whom?'");
        Assert.False(noConnection.Ok);
        Assert.StartsWith("NoSignalConnection,", noConnection.ErrorId);
        Assert.Equal("InvalidOperation", noConnection.Category);

        (await server.EvalAsync("Send-PodeSignal -Mode Broadcast -Name 'News' -Value 'b'")).Success();
        Assert.Equal("b", await c.Z.ReceiveAsync());
        (await server.EvalAsync("Send-PodeSignal -Mode broadcast -Name 'News' -Value 'case'")).Success();
        Assert.Equal("case", await c.Z.ReceiveAsync());
        var bad = await server.EvalAsync("Send-PodeSignal -Mode Sideways -Value 'x'");
        Assert.StartsWith("ParameterArgumentValidationError", bad.ErrorId);

        // In a route, after a Global conversion: -Mode Direct answers that connection only,
        // and without -Name the message goes to everyone.
        await using (var me = await Peer.ConnectAsync(server, "/conn/Late?id=late&then=direct"))
        {
            Assert.Equal("only me", await me.ReceiveAsync());
            await c.AllQuietAsync();
        }
        await using (var me = await Peer.ConnectAsync(server, "/conn/Late2?id=late2&then=everyone"))
        {
            Assert.Equal("hello from late2", await me.ReceiveAsync());
            foreach (var peer in c.All)
            {
                Assert.Equal("hello from late2", await peer.ReceiveAsync());
            }
        }
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Signal_routes_default_to_the_message_path_group_and_client_ids()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        await using var c = await ConnectAsync(server);

        await c.E.SendAsync("""{"message":"direct"}""");
        Assert.Equal("direct reply", await c.E.ReceiveAsync());
        await c.AllQuietAsync();

        await c.E.SendAsync("""{"message":"hello","direct":true}""");
        Assert.Equal("auto:hello", await c.E.ReceiveAsync());
        await c.AllQuietAsync();

        await c.E.SendAsync("""{"message":"defaults","path":"Chat","group":"BLUE"}""");
        Assert.Equal("defaults:Chat", await c.Y.ReceiveAsync());
        await c.AllQuietAsync();

        await c.E.SendAsync("""{"message":"defaults","path":"Chat","clientId":"x"}""");
        Assert.Equal("defaults:Chat", await c.X.ReceiveAsync());
        await c.AllQuietAsync();

        await c.E.SendAsync("""{"message":"defaults","path":"Chat","clientId":["x","y"]}""");
        Assert.Equal("defaults:Chat", await c.X.ReceiveAsync());
        Assert.Equal("defaults:Chat", await c.Y.ReceiveAsync());
        await c.AllQuietAsync();

        await c.E.SendAsync("""{"message":"named","path":"Chat"}""");
        Assert.Equal("named from e", await c.Z.ReceiveAsync());
        await c.AllQuietAsync();

        // -Mode Broadcast broadcasts even when the message asks for a direct reply.
        await c.E.SendAsync("""{"message":"broadcast","direct":true}""");
        Assert.Equal("broadcast reply", await c.Z.ReceiveAsync());
        await c.AllQuietAsync();

        // -IgnoreEvent: neither direct nor the message's path.
        await c.E.SendAsync("""{"message":"ignore","path":"News","direct":true}""");
        foreach (var peer in c.All)
        {
            Assert.Equal("ignored event", await peer.ReceiveAsync());
        }

        await c.E.SendAsync("""{"message":"anyone"}""");
        foreach (var peer in c.All)
        {
            Assert.Equal("auto:anyone", await peer.ReceiveAsync());
        }

        await c.E.SendAsync("""{"message":{"n":[1,2]}}""");
        Assert.Equal("""{"got":[1,2]}""", await c.E.ReceiveAsync());
        await c.AllQuietAsync();
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Without_a_signal_route_messages_are_rebroadcast()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        await using var c = await ConnectAsync(server);

        await c.X.SendAsync("""{"message":"to everyone"}""");
        foreach (var peer in c.All)
        {
            Assert.Equal("to everyone", await peer.ReceiveAsync());
        }

        await c.X.SendAsync("""{"message":"just me","direct":true}""");
        Assert.Equal("just me", await c.X.ReceiveAsync());
        await c.AllQuietAsync();

        await c.X.SendAsync("""{"message":"blues","path":"Chat","group":"blue"}""");
        Assert.Equal("blues", await c.Y.ReceiveAsync());
        await c.AllQuietAsync();

        await c.X.SendAsync("""{"message":{"deep":{"a":[true]}},"path":"News","clientId":"z"}""");
        Assert.Equal("""{"deep":{"a":[true]}}""", await c.Z.ReceiveAsync());
        await c.AllQuietAsync();

        await c.X.SendAsync("""{"message":"","path":"News"}""");
        await c.AllQuietAsync();
        Assert.Empty(server.Errors);
    }
}
