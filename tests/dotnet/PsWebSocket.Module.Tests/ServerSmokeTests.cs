using System.Net;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>The seed's chat server shape, end to end: route, manual upgrade, signal route, [date].</summary>
public class ServerSmokeTests
{
    private const string ChatServer = """
        $greeting = 'hello'
        Start-PodeServer -Threads 2 {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
            Add-PodeRoute -Method Get -Path '/hi/:name' -ScriptBlock { Write-PodeTextResponse -Value "$using:greeting $($WebEvent.Parameters['name'])" }
            Add-PodeRoute -Method Get -Path '/msg' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Msg' }
            Add-PodeSignalRoute -Path '/msg' -ScriptBlock {
                $msg = $SignalEvent.Data.Message
                if ($msg -ieq '[date]') { $msg = [datetime]::Now.ToString('o') }
                Send-PodeSignal -Name 'Msg' -Value @{ message = $msg }
            }
        }
        """;

    [Fact]
    public async Task Routes_upgrades_and_signal_routes_work_together()
    {
        await using var server = await PodeServerHost.StartAsync(ChatServer);
        using var http = server.Http();
        Assert.Equal("hello bob", await http.GetStringAsync("/hi/bob"));

        using var a = await server.ConnectAsync("/msg");
        using var b = await server.ConnectAsync("/msg");
        await a.SendAsync("""{"message":"hi all"}""");
        Assert.Equal("""{"message":"hi all"}""", await a.ReceiveTextAsync());
        Assert.Equal("""{"message":"hi all"}""", await b.ReceiveTextAsync());

        await b.SendAsync("""{"message":"[date]"}""");
        var reply = await a.ReceiveTextAsync();
        Assert.Matches("""^\{"message":"\d{4}-\d\d-\d\dT""", reply);
        Assert.Empty(server.Errors);
    }
}
