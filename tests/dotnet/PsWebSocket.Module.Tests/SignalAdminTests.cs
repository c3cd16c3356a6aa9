using System.Net;
using System.Net.WebSockets;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// Connection administration: Close-PodeSignalConnection, Name/Group/ClientId listings and tests,
/// broadcast levels, metrics, and the X-Pode-Signal-* request headers.
/// </summary>
public class SignalAdminTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private const string Server = $$"""
        Start-PodeServer -Threads 1 {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
            {{SignalKit.EvalRoute}}
            Add-PodeRoute -Method Get -Path '/conn/:name' -ScriptBlock {
                ConvertTo-PodeSignalConnection -Name $WebEvent.Parameters['name'] -Group $WebEvent.Query['group'] -ClientId $WebEvent.Query['id']
            }
            Add-PodeRoute -Method Get -Path '/whoami' -ScriptBlock {
                $s = $WebEvent.Signal
                if ($null -eq $s) { Write-PodeTextResponse -Value 'none'; return }
                Send-PodeSignal -Name $s.Name -ClientId $s.ClientId -Value "for $($s.ClientId)"
                Write-PodeTextResponse -Value "$($s.Name)|$($s.Group)|$($s.ClientId)|$($s.IsLocal)|$($s.IsGlobal)"
            }
            Add-PodeSignalRoute -Path '/conn/Busy' -ScriptBlock {
                if ($SignalEvent.Data.Message -eq 'block') {
                    while (!$PodeContext.State['release']) { [System.Threading.Thread]::Sleep(20) }
                }
                $n = Get-PodeServerActiveSignalMetric -Type Client -CountType Processing
                Send-PodeSignal -Mode Direct -Value "processing=$n"
            }
        }
        """;

    private static async Task<(Peer A, Peer B, Peer C)> ConnectThreeAsync(PodeServerHost server)
    {
        var a = await Peer.ConnectAsync(server, "/conn/Chat?group=Red&id=a");
        var b = await Peer.ConnectAsync(server, "/conn/Chat?group=blue&id=b");
        var c = await Peer.ConnectAsync(server, "/conn/News?id=c");
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeServerActiveSignalClientMetric")).Success().Single.GetInt64() == 3, "three connections");
        return (a, b, c);
    }

    [Fact]
    public async Task Lists_and_tests_reflect_the_open_global_connections()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        var (a, b, c) = await ConnectThreeAsync(server);
        using var _a = a;
        using var _b = b;
        using var _c = c;

        Assert.Equal(["Chat", "News"], (await server.EvalAsync("Get-PodeSignalNameList")).Success().Strings.Order());
        Assert.Equal(["Red", "blue"], (await server.EvalAsync("Get-PodeSignalGroupList -Name 'Chat'")).Success().Strings.Order(StringComparer.Ordinal));
        Assert.Empty((await server.EvalAsync("Get-PodeSignalGroupList -Name 'News'")).Success().Strings);
        Assert.Equal(["a", "b"], (await server.EvalAsync("Get-PodeSignalClientIdList -Name 'Chat'")).Success().Strings.Order());
        Assert.Equal(["a"], (await server.EvalAsync("Get-PodeSignalClientIdList -Name 'Chat' -Group 'RED'")).Success().Strings);
        Assert.Equal(["b"], (await server.EvalAsync("Get-PodeSignalClientIdList -Name 'Chat' -Group 'Blue', 'green'")).Success().Strings);

        Assert.Equal("True", (await server.EvalAsync("Test-PodeSignalName -Name 'Chat'")).Success().Single.GetRawText().ToTitle());
        Assert.Equal("False", (await server.EvalAsync("Test-PodeSignalName -Name 'chat'")).Success().Single.GetRawText().ToTitle());
        Assert.Equal("False", (await server.EvalAsync("Test-PodeSignalName -Name 'Nope'")).Success().Single.GetRawText().ToTitle());
        Assert.Equal("True", (await server.EvalAsync("Test-PodeSignalClientId -Name 'Chat' -ClientId 'a'")).Success().Single.GetRawText().ToTitle());
        Assert.Equal("True", (await server.EvalAsync("Test-PodeSignalClientId -Name 'Chat' -Group 'red' -ClientId 'a'")).Success().Single.GetRawText().ToTitle());
        Assert.Equal("False", (await server.EvalAsync("Test-PodeSignalClientId -Name 'Chat' -Group 'blue' -ClientId 'a'")).Success().Single.GetRawText().ToTitle());
        Assert.Equal("False", (await server.EvalAsync("Test-PodeSignalClientId -Name 'News' -ClientId 'a'")).Success().Single.GetRawText().ToTitle());

        Assert.Equal(2, (await server.EvalAsync("Get-PodeServerActiveSignalClientMetric -Name 'Chat'")).Success().Single.GetInt64());
        Assert.Equal(3, (await server.EvalAsync("Get-PodeServerActiveSignalClientMetric")).Success().Single.GetInt64());

        foreach (var script in new[] { "Get-PodeSignalGroupList -Name 'Nope'", "Get-PodeSignalClientIdList -Name 'Nope'", "Get-PodeServerActiveSignalClientMetric -Name 'Nope'" })
        {
            var missing = await server.EvalAsync(script);
            Assert.False(missing.Ok, script);
            Assert.StartsWith("No Signal connection found with the name 'Nope'", missing.Error);
            Assert.StartsWith("SignalNameNotFound,", missing.ErrorId);
            Assert.Equal("ObjectNotFound", missing.Category);
        }
        var unbound = await server.EvalAsync("Test-PodeSignalClientId -Name 'Chat' -ClientId ''");
        Assert.False(unbound.Ok);
        Assert.StartsWith("ParameterArgumentValidationError", unbound.ErrorId);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Close_sends_a_close_frame_to_the_matching_connections_only()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        var (a, b, c) = await ConnectThreeAsync(server);
        using var _a = a;
        using var _b = b;
        using var _c = c;

        (await server.EvalAsync("Close-PodeSignalConnection -Name 'Chat' -Group 'RED'")).Success();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await a.ReceiveCloseAsync()).Status);
        Assert.True(await b.QuietForAsync(Quiet));
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeSignalClientIdList -Name 'Chat'")).Success().Strings.SequenceEqual(["b"]), "only b left");

        (await server.EvalAsync("Close-PodeSignalConnection -Path 'Chat' -ClientId 'zzz'")).Success();
        (await server.EvalAsync("Close-PodeSignalConnection -Name 'Nope'")).Success();
        (await server.EvalAsync("Send-PodeSignal -Name 'Chat' -Value 'still here'")).Success();
        Assert.Equal("still here", await b.ReceiveAsync());

        (await server.EvalAsync("Close-PodeSignalConnection -Path 'Chat' -ClientId 'b'")).Success();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await b.ReceiveCloseAsync()).Status);
        (await server.EvalAsync("Close-PodeSignalConnection -Name 'News'")).Success();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await c.ReceiveCloseAsync()).Status);

        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeServerActiveSignalClientMetric")).Success().Single.GetInt64() == 0, "all closed");
        Assert.Equal("False", (await server.EvalAsync("Test-PodeSignalName -Name 'Chat'")).Success().Single.GetRawText().ToTitle());
        var noName = await server.EvalAsync("Close-PodeSignalConnection -Name ''");
        Assert.False(noName.Ok);
        Assert.StartsWith("ParameterArgumentValidationError", noName.ErrorId);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Broadcast_levels_are_set_read_tested_and_enforced()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        var (a, b, c) = await ConnectThreeAsync(server);
        using var _a = a;
        using var _b = b;
        using var _c = c;

        Assert.Equal(["name"], (await server.EvalAsync("Get-PodeSignalBroadcastLevel -Name 'Chat'")).Success().Strings);
        (await server.EvalAsync("Set-PodeSignalBroadcastLevel -Type Group")).Success();
        (await server.EvalAsync("Set-PodeSignalBroadcastLevel -Name 'chat' -Type 'ClientId'")).Success();
        Assert.Equal(["clientid"], (await server.EvalAsync("Get-PodeSignalBroadcastLevel -Name 'Chat'")).Success().Strings);
        Assert.Equal(["group"], (await server.EvalAsync("Get-PodeSignalBroadcastLevel -Name 'News'")).Success().Strings);

        var tests = await server.EvalAsync("""
            Test-PodeSignalBroadcastLevel -Name 'Chat'
            Test-PodeSignalBroadcastLevel -Name 'Chat' -Group 'red'
            Test-PodeSignalBroadcastLevel -Name 'Chat' -ClientId 'a'
            Test-PodeSignalBroadcastLevel -Name 'News'
            Test-PodeSignalBroadcastLevel -Name 'News' -Group 'g'
            Test-PodeSignalBroadcastLevel -Name 'News' -ClientId 'c'
            """);
        Assert.Equal(["false", "false", "true", "false", "true", "true"], tests.Success().Strings);

        var refused = await server.EvalAsync("Send-PodeSignal -Name 'Chat' -Group 'red' -Value 'to the group'");
        Assert.False(refused.Ok);
        Assert.Contains("broadcast level for Chat: clientid", refused.Error);
        Assert.Equal("PermissionDenied", refused.Category);
        Assert.True(await a.QuietForAsync(Quiet));

        var everyName = await server.EvalAsync("Send-PodeSignal -Value 'to everyone'");
        Assert.False(everyName.Ok);
        Assert.Contains("Signal failed to broadcast due to defined Signal broadcast level", everyName.Error);

        (await server.EvalAsync("Send-PodeSignal -Name 'Chat' -ClientId 'a' -Value 'just a'")).Success();
        Assert.Equal("just a", await a.ReceiveAsync());
        (await server.EvalAsync("Send-PodeSignal -Name 'News' -Group 'none' -ClientId 'c' -Value 'news'")).Success();
        Assert.True(await c.QuietForAsync(Quiet)); // c has no group
        (await server.EvalAsync("Send-PodeSignal -Name 'News' -ClientId 'c' -Value 'news'")).Success();
        Assert.Equal("news", await c.ReceiveAsync());
        Assert.True(await b.QuietForAsync(Quiet));

        var bad = await server.EvalAsync("Set-PodeSignalBroadcastLevel -Name 'Chat' -Type 'Everyone'");
        Assert.False(bad.Ok);
        Assert.StartsWith("ParameterArgumentValidationError", bad.ErrorId);
        var none = await server.EvalAsync("Set-PodeSignalBroadcastLevel -Name ''  -Type Name");
        Assert.False(none.Ok);

        (await server.EvalAsync("Set-PodeSignalBroadcastLevel -Name 'Chat' -Type Name; Set-PodeSignalBroadcastLevel -Type Name")).Success();
        (await server.EvalAsync("Send-PodeSignal -Name 'Chat' -Value 'all again'")).Success();
        Assert.Equal("all again", await a.ReceiveAsync());
        Assert.Equal("all again", await b.ReceiveAsync());
    }

    [Fact]
    public async Task A_client_message_that_breaks_the_level_is_reported_naming_it()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        var (a, b, c) = await ConnectThreeAsync(server);
        using var _a = a;
        using var _b = b;
        using var _c = c;
        (await server.EvalAsync("Set-PodeSignalBroadcastLevel -Name 'News' -Type ClientId")).Success();

        await a.SendAsync("""{"message":"hello","path":"News"}""");
        // The engine re-broadcasts without PowerShell; the refusal is reported as a warning naming the level.
        await server.WaitForReportAsync("broadcast level for News: clientid");
        Assert.True(await c.QuietForAsync(Quiet));

        await a.SendAsync("""{"message":"hello c","path":"News","clientId":"c"}""");
        Assert.Equal("hello c", await c.ReceiveAsync());
    }

    [Fact]
    public async Task Metrics_count_messages_and_the_signal_routes_at_work()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        using var busy = await Peer.ConnectAsync(server, "/conn/Busy");
        using var chat = await Peer.ConnectAsync(server, "/conn/Chat");
        Assert.Equal(0, (await server.EvalAsync("Get-PodeServerSignalMetric")).Success().Single.GetInt64());

        await chat.SendAsync("""{"message":"one","path":"Chat"}""");
        await chat.SendAsync("""{"message":"two","path":"Chat"}""");
        Assert.Equal("one", await chat.ReceiveAsync());
        Assert.Equal("two", await chat.ReceiveAsync());

        await busy.SendAsync("""{"message":"plain"}""");
        Assert.Equal("processing=1", await busy.ReceiveAsync());

        await busy.SendAsync("""{"message":"block"}""");
        await busy.SendAsync("""{"message":"after1"}""");
        await busy.SendAsync("""{"message":"after2"}""");
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeServerActiveSignalMetric -Type Client -CountType Queued")).Success().Single.GetInt64() == 2, "two queued");
        var counts = (await server.EvalAsync("""
            Get-PodeServerActiveSignalMetric -Type Client -CountType Processing
            Get-PodeServerActiveSignalMetric -Type Client
            Get-PodeServerActiveSignalMetric
            Get-PodeServerActiveSignalMetric -CountType Queued
            Get-PodeServerActiveSignalMetric -Type Server
            Get-PodeServerActiveSignalMetric -Type Server -CountType Processing
            """)).Success().Strings;
        Assert.Equal(["1", "3", "3", "2", "0", "0"], counts);

        (await server.EvalAsync("$PodeContext.State['release'] = $true")).Success();
        Assert.Equal("processing=1", await busy.ReceiveAsync());
        Assert.Equal("processing=1", await busy.ReceiveAsync());
        Assert.Equal("processing=1", await busy.ReceiveAsync());
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeServerActiveSignalMetric")).Success().Single.GetInt64() == 0, "nothing active");
        Assert.Equal(6, (await server.EvalAsync("Get-PodeServerSignalMetric")).Success().Single.GetInt64());

        var bad = await server.EvalAsync("Get-PodeServerActiveSignalMetric -Type Sideways");
        Assert.False(bad.Ok);
        Assert.StartsWith("ParameterArgumentValidationError", bad.ErrorId);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Request_headers_name_an_open_connection()
    {
        await using var server = await PodeServerHost.StartAsync(Server);
        var (a, b, c) = await ConnectThreeAsync(server);
        using var _a = a;
        using var _b = b;
        using var _c = c;
        using var http = server.Http();

        async Task<(HttpStatusCode, string)> WhoAmI(params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal((HttpStatusCode.OK, "none"), await WhoAmI());
        Assert.Equal((HttpStatusCode.OK, "Chat|Red|a|False|True"), await WhoAmI(("X-PODE-SIGNAL-CLIENT-ID", "a"), ("X-PODE-SIGNAL-NAME", "Chat")));
        Assert.Equal("for a", await a.ReceiveAsync());
        Assert.True(await b.QuietForAsync(Quiet));
        Assert.Equal((HttpStatusCode.OK, "Chat|blue|b|False|True"),
            await WhoAmI(("x-pode-signal-client-id", "b"), ("x-pode-signal-name", "Chat"), ("x-pode-signal-group", "red, BLUE")));
        Assert.Equal("for b", await b.ReceiveAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await WhoAmI(("X-PODE-SIGNAL-CLIENT-ID", "zzz"), ("X-PODE-SIGNAL-NAME", "Chat"))).Item1);
        Assert.Equal(HttpStatusCode.NotFound, (await WhoAmI(("X-PODE-SIGNAL-CLIENT-ID", "a"), ("X-PODE-SIGNAL-NAME", "News"))).Item1);
        Assert.Equal(HttpStatusCode.NotFound, (await WhoAmI(("X-PODE-SIGNAL-CLIENT-ID", "a"), ("X-PODE-SIGNAL-NAME", "Chat"), ("X-PODE-SIGNAL-GROUP", "blue"))).Item1);
        Assert.Equal(HttpStatusCode.BadRequest, (await WhoAmI(("X-PODE-SIGNAL-CLIENT-ID", "a"))).Item1);
        Assert.Equal((HttpStatusCode.OK, "none"), await WhoAmI(("X-PODE-SIGNAL-NAME", "Chat")));
        Assert.Empty(server.Errors);
    }
}

internal static class JsonText
{
    /// <summary>true/false as PowerShell prints them.</summary>
    public static string ToTitle(this string json) => json switch
    {
        "true" => "True",
        "false" => "False",
        _ => json,
    };
}
