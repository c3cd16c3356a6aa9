using System.Net.WebSockets;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// Manual and auto upgrade, Global and Local scope, and the default scope
/// (Set-/Get-PodeSignalDefaultScope).
/// </summary>
public class SignalScopeTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private const string Server = $$"""
        Start-PodeServer -Threads 2 {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
            Add-PodeEndpoint -Address 127.0.0.1 -Port $autoport -Protocol Ws
            {{SignalKit.EvalRoute}}
            Add-PodeRoute -Method Get -Path '/global' -ScriptBlock {
                ConvertTo-PodeSignalConnection -Name 'G' -Scope Global -ClientId $WebEvent.Query['id']
                Send-PodeSignal -Value "scope=$($WebEvent.Signal.Scope) local=$($WebEvent.Signal.IsLocal) global=$($WebEvent.Signal.IsGlobal)" -Name 'G' -ClientId $WebEvent.Signal.ClientId
            }
            Add-PodeRoute -Method Get -Path '/local' -ScriptBlock {
                ConvertTo-PodeSignalConnection -Name 'L' -Scope Local
                Send-PodeSignal -Name 'L' -Data "local=$($WebEvent.Signal.IsLocal) global=$($WebEvent.Signal.IsGlobal) listed=$(Test-PodeSignalName -Name 'L')"
                Send-PodeSignal -Value @{ second = 2 }
                Send-PodeSignal -Name 'G' -Value 'from local route' -IgnoreEvent
                $PodeContext.State['localClientId'] = $WebEvent.Signal.ClientId
                while (!$PodeContext.State['endLocal']) { [System.Threading.Thread]::Sleep(20) }
                Send-PodeSignal -Value 'last words'
            }
            Add-PodeRoute -Method Get -Path '/default' -ScriptBlock {
                ConvertTo-PodeSignalConnection -Name 'D'
                Send-PodeSignal -Name 'D' -Value "scope=$($WebEvent.Signal.Scope) default=$(Get-PodeSignalDefaultScope)" -ClientId $WebEvent.Signal.ClientId
            }
            Add-PodeRoute -Method Get -Path '/twice' -ScriptBlock {
                ConvertTo-PodeSignalConnection -Name 'T'
                ConvertTo-PodeSignalConnection -Name 'T2'
                Send-PodeSignal -Name 'T' -Value "$($WebEvent.Signal.Name) $(Test-PodeSignalName -Name 'T2')" -ClientId $WebEvent.Signal.ClientId
            }
            Add-PodeRoute -Method Get -Path '/plain' -ScriptBlock {
                ConvertTo-PodeSignalConnection -Name 'P'
            }
        }
        """;

    private static Task<PodeServerHost> StartAsync(int autoPort) =>
        PodeServerHost.StartAsync(Server, new Dictionary<string, object?> { ["autoport"] = autoPort });

    [Fact]
    public async Task Global_connections_outlive_their_route_and_are_reached_by_name()
    {
        await using var server = await StartAsync(PodeServerHost.FreePort());
        await using var g = await Peer.ConnectAsync(server, "/global?id=g1");
        Assert.Equal("g1", g.Header("X-Pode-Signal-Client-Id"));
        Assert.Equal("G", g.Header("X-Pode-Signal-Name"));
        Assert.Null(g.Header("X-Pode-Signal-Group"));
        Assert.Equal("scope=Global local=False global=True", await g.ReceiveAsync());

        (await server.EvalAsync("Send-PodeSignal -Name 'G' -Value 'later'")).Success();
        Assert.Equal("later", await g.ReceiveAsync());
        Assert.Equal(["G"], (await server.EvalAsync("Get-PodeSignalNameList")).Success().Strings);

        var twice = await Peer.ConnectAsync(server, "/twice");
        Assert.Equal("T False", await twice.ReceiveAsync()); // a second conversion is a no-op
        await twice.DisposeAsync();

        var notWs = await server.Http().GetAsync("/plain");
        Assert.Equal(System.Net.HttpStatusCode.PreconditionFailed, notWs.StatusCode);
        await server.WaitForReportAsync("SignalUpgradeFailed");
    }

    [Fact]
    public async Task Local_connections_take_the_routes_sends_and_close_when_it_ends()
    {
        await using var server = await StartAsync(PodeServerHost.FreePort());
        await using var g = await Peer.ConnectAsync(server, "/global?id=g1");
        Assert.StartsWith("scope=Global", await g.ReceiveAsync());

        await using var l = await Peer.ConnectAsync(server, "/local");
        Assert.Equal("L", l.Header("X-Pode-Signal-Name"));
        Assert.Equal("local=True global=False listed=False", await l.ReceiveAsync());
        Assert.Equal("""{"second":2}""", await l.ReceiveAsync());
        Assert.Equal("from local route", await g.ReceiveAsync());
        Assert.True(await g.QuietForAsync(Quiet));
        Assert.Equal(["G"], (await server.EvalAsync("Get-PodeSignalNameList")).Success().Strings);

        // Local connections are not reachable by Name from elsewhere.
        (await server.EvalAsync("Send-PodeSignal -Name 'L' -Value 'from elsewhere'")).Success();
        Assert.True(await l.QuietForAsync(Quiet));

        (await server.EvalAsync("$PodeContext.State['endLocal'] = $true")).Success();
        Assert.Equal("last words", await l.ReceiveAsync());
        Assert.NotNull((await l.ReceiveCloseAsync()).Status);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task The_default_scope_is_global_until_set_to_local()
    {
        await using var server = await StartAsync(PodeServerHost.FreePort());
        Assert.Equal(["Global"], (await server.EvalAsync("Get-PodeSignalDefaultScope")).Success().Strings);
        await using (var d = await Peer.ConnectAsync(server, "/default"))
        {
            Assert.Equal("scope=Global default=Global", await d.ReceiveAsync());
            Assert.True(await d.QuietForAsync(Quiet));
        }

        (await server.EvalAsync("Set-PodeSignalDefaultScope -Scope local")).Success();
        Assert.Equal(["Local"], (await server.EvalAsync("Get-PodeSignalDefaultScope")).Success().Strings);
        await using (var d = await Peer.ConnectAsync(server, "/default"))
        {
            Assert.Equal("scope=Local default=Local", await d.ReceiveAsync());
            Assert.NotNull((await d.ReceiveCloseAsync()).Status); // the route ended
        }
        await using (var g = await Peer.ConnectAsync(server, "/global"))
        {
            Assert.StartsWith("scope=Global", await g.ReceiveAsync()); // an explicit -Scope wins
        }

        (await server.EvalAsync("Set-PodeSignalDefaultScope -Scope Global")).Success();
        await using (var d = await Peer.ConnectAsync(server, "/default"))
        {
            Assert.Equal("scope=Global default=Global", await d.ReceiveAsync());
        }

        var bad = await server.EvalAsync("Set-PodeSignalDefaultScope -Scope Default");
        Assert.False(bad.Ok);
        Assert.StartsWith("ParameterArgumentValidationError", bad.ErrorId);
        var missing = await server.EvalAsync("Set-PodeSignalDefaultScope");
        Assert.False(missing.Ok);
    }

    [Fact]
    public async Task The_default_scope_can_be_set_in_the_server_script()
    {
        const string script = """
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Set-PodeSignalDefaultScope -Scope Local
                Add-PodeRoute -Method Get -Path '/x' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'X'
                    Send-PodeSignal -Name 'X' -Value "$($WebEvent.Signal.Scope)"
                }
            }
            """;
        await using var server = await PodeServerHost.StartAsync(script);
        await using var x = await Peer.ConnectAsync(server, "/x");
        Assert.Equal("Local", await x.ReceiveAsync());
        Assert.NotNull((await x.ReceiveCloseAsync()).Status);
    }

    [Fact]
    public async Task Auto_upgrade_names_the_connection_after_its_path_and_rebroadcasts_by_default()
    {
        var autoPort = PodeServerHost.FreePort();
        await using var server = await StartAsync(autoPort);
        // Auto-upgrade is always Global, whatever the default scope.
        (await server.EvalAsync("Set-PodeSignalDefaultScope -Scope Local")).Success();
        await using var a = await Peer.ConnectAsync($"ws://127.0.0.1:{autoPort}/auto");
        await using var b = await Peer.ConnectAsync($"ws://127.0.0.1:{autoPort}/auto");
        await using var other = await Peer.ConnectAsync($"ws://127.0.0.1:{autoPort}/other/path");
        Assert.Equal("/auto", a.Header("X-Pode-Signal-Name"));
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeServerActiveSignalClientMetric")).Success().Single.GetInt64() == 3, "three connections");
        Assert.Equal(["/auto", "/other/path"], (await server.EvalAsync("Get-PodeSignalNameList")).Success().Strings.Order());

        await a.SendAsync("""{"message":"to all names"}""");
        Assert.Equal("to all names", await a.ReceiveAsync());
        Assert.Equal("to all names", await b.ReceiveAsync());
        Assert.Equal("to all names", await other.ReceiveAsync());

        await a.SendAsync("""{"message":{"x":[1,2]},"path":"/other/path"}""");
        Assert.Equal("""{"x":[1,2]}""", await other.ReceiveAsync());
        Assert.True(await b.QuietForAsync(Quiet));

        (await server.EvalAsync("Send-PodeSignal -Name '/auto' -Value 'by path'")).Success();
        Assert.Equal("by path", await a.ReceiveAsync());
        Assert.Equal("by path", await b.ReceiveAsync());
        Assert.True(await other.QuietForAsync(Quiet));
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Without_auto_upgrade_a_websocket_request_needs_a_route()
    {
        await using var server = await StartAsync(PodeServerHost.FreePort());
        var failure = await Assert.ThrowsAnyAsync<WebSocketException>(() => Peer.ConnectAsync(server, "/no-such-route"));
        Assert.Contains("404", failure.Message + failure.InnerException?.Message);
    }
}
