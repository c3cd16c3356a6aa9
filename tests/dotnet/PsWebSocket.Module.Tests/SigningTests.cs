using System.Net;
using System.Security.Cryptography;
using System.Text;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// Client-id signing: Enable-/Disable-PodeSignalSigning, -Strict, New-PodeSignalClientId,
/// Test-PodeSignalClientIdSigned/Valid in routes and signal routes, forged ids refused.
/// </summary>
public class SigningTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private static string Sign(string id, string key) =>
        $"s:{id}.{Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(id)))}";

    private static string Server(string signing) => $$"""
        Start-PodeServer -Threads 2 {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
            {{signing}}
            {{SignalKit.EvalRoute}}
            Add-PodeRoute -Method Get -Path '/conn/:name' -ScriptBlock {
                ConvertTo-PodeSignalConnection -Name $WebEvent.Parameters['name'] -ClientId $WebEvent.Query['id']
            }
            Add-PodeRoute -Method Get -Path '/check' -ScriptBlock {
                $id = $WebEvent.Query['id']
                Write-PodeTextResponse -Value "$(Test-PodeSignalClientIdSigned -ClientId $id)|$(Test-PodeSignalClientIdValid -ClientId $id)|$(New-PodeSignalClientId -ClientId 'web')|$($null -ne $WebEvent.Signal)"
            }
            Add-PodeSignalRoute -Path '/conn/Check' -ScriptBlock {
                Send-PodeSignal -Mode Direct -Value "$(Test-PodeSignalClientIdSigned)|$(Test-PodeSignalClientIdValid)|$(New-PodeSignalClientId -ClientId 'sig')"
            }
        }
        """;

    [Fact]
    public async Task Signed_ids_use_pode_format_and_forged_ones_are_refused()
    {
        await using var server = await PodeServerHost.StartAsync(Server("Enable-PodeSignalSigning -Secret 'super-secret'"));
        await using var a = await Peer.ConnectAsync(server, "/conn/Chat?id=abc");
        Assert.Equal(Sign("abc", "super-secret"), a.Header("X-Pode-Signal-Client-Id"));
        await using var g = await Peer.ConnectAsync(server, "/conn/Chat");
        var generated = g.Header("X-Pode-Signal-Client-Id")!;
        Assert.Matches("^s:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.[A-Za-z0-9+/]+=*$", generated);
        Assert.Equal(Sign(generated[2..generated.LastIndexOf('.')], "super-secret"), generated);

        // A signed id is kept as it is when it verifies.
        await using var again = await Peer.ConnectAsync(server, $"/conn/Other?id={Uri.EscapeDataString(Sign("abc", "super-secret"))}");
        Assert.Equal(Sign("abc", "super-secret"), again.Header("X-Pode-Signal-Client-Id"));

        // A forged id is refused at conversion.
        var forged = "s:abc.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        await Assert.ThrowsAnyAsync<Exception>(() => Peer.ConnectAsync(server, $"/conn/Chat?id={Uri.EscapeDataString(forged)}"));
        await server.WaitForReportAsync("SignalUpgradeFailed");

        var ids = (await server.EvalAsync($"""
            New-PodeSignalClientId -ClientId 'my-id'
            New-PodeSignalClientId -ClientId '{Sign("kept", "super-secret")}'
            New-PodeSignalClientId
            Test-PodeSignalClientIdSigned -ClientId '{Sign("abc", "super-secret")}'
            Test-PodeSignalClientIdSigned -ClientId '{forged}'
            Test-PodeSignalClientIdSigned -ClientId 'abc'
            Test-PodeSignalClientIdValid -ClientId '{Sign("abc", "super-secret")}'
            Test-PodeSignalClientIdValid -ClientId 'abc'
            Test-PodeSignalClientIdValid -ClientId '{Sign("abc", "other-secret")}'
            Test-PodeSignalClientIdValid
            Test-PodeSignalClientIdSigned
            """)).Success().Strings;
        Assert.Equal(Sign("my-id", "super-secret"), ids[0]);
        Assert.Equal(Sign("kept", "super-secret"), ids[1]);
        Assert.StartsWith("s:", ids[2]);
        Assert.Equal(["true", "false", "false", "true", "false", "false", "false", "false"], ids[3..]);

        var refused = await server.EvalAsync($"New-PodeSignalClientId -ClientId '{forged}'");
        Assert.False(refused.Ok);
        Assert.Equal("SecurityError", refused.Category);

        (await server.EvalAsync("Disable-PodeSignalSigning")).Success();
        var plain = (await server.EvalAsync($"""
            New-PodeSignalClientId -ClientId 'my-id'
            Test-PodeSignalClientIdValid -ClientId 'my-id'
            Test-PodeSignalClientIdValid -ClientId '{Sign("abc", "super-secret")}'
            Test-PodeSignalClientIdSigned -ClientId '{Sign("abc", "super-secret")}'
            New-PodeSignalClientId
            """)).Success().Strings;
        Assert.Equal(["my-id", "true", "false", "false"], plain[..4]);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", plain[4]);
        await using var unsigned = await Peer.ConnectAsync(server, "/conn/Chat?id=plain");
        Assert.Equal("plain", unsigned.Header("X-Pode-Signal-Client-Id"));

        var empty = await server.EvalAsync("Enable-PodeSignalSigning -Secret ''");
        Assert.False(empty.Ok);
        Assert.StartsWith("ParameterArgumentValidationError", empty.ErrorId);
    }

    [Fact]
    public async Task Signal_routes_test_the_message_client_id_for_its_sender()
    {
        await using var server = await PodeServerHost.StartAsync(Server("Enable-PodeSignalSigning -Secret 'super-secret'"));
        await using var check = await Peer.ConnectAsync(server, "/conn/Check?id=me");
        var mine = check.Header("X-Pode-Signal-Client-Id")!;

        await check.SendAsync($$"""{"message":"x","path":"Nobody","clientId":"{{mine}}"}""");
        Assert.Equal($"True|True|{Sign("sig", "super-secret")}", await check.ReceiveAsync());
        await check.SendAsync("""{"message":"x","path":"Nobody","clientId":"s:me.forged="}""");
        Assert.Equal($"False|False|{Sign("sig", "super-secret")}", await check.ReceiveAsync());
        await check.SendAsync("""{"message":"x","path":"Nobody"}""");
        Assert.Equal($"False|False|{Sign("sig", "super-secret")}", await check.ReceiveAsync());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Strict_signing_binds_ids_to_user_agent_and_ip_in_routes_and_signal_routes()
    {
        await using var server = await PodeServerHost.StartAsync(Server("Enable-PodeSignalSigning -Secret 'super-secret' -Strict"));
        static void Ua(System.Net.WebSockets.ClientWebSocketOptions o, string ua) => o.SetRequestHeader("User-Agent", ua);

        await using var one = await Peer.ConnectAsync(server, "/conn/Check?id=one", o => Ua(o, "agent-1"));
        var oneId = one.Header("X-Pode-Signal-Client-Id")!;
        Assert.Equal(Sign("one", "super-secret;agent-1;127.0.0.1"), oneId);
        await using var two = await Peer.ConnectAsync(server, "/conn/Check?id=two", o => Ua(o, "agent-2"));
        var twoId = two.Header("X-Pode-Signal-Client-Id")!;

        // In a signal route the sender is the client: its own id verifies, another client's does not.
        await one.SendAsync($$"""{"message":"x","path":"Nobody","clientId":"{{oneId}}"}""");
        Assert.Equal($"True|True|{Sign("sig", "super-secret;agent-1;127.0.0.1")}", await one.ReceiveAsync());
        await two.SendAsync($$"""{"message":"x","path":"Nobody","clientId":"{{oneId}}"}""");
        Assert.Equal($"False|False|{Sign("sig", "super-secret;agent-2;127.0.0.1")}", await two.ReceiveAsync());
        await two.SendAsync($$"""{"message":"x","path":"Nobody","clientId":["{{twoId}}"]}""");
        Assert.StartsWith("True|True|", await two.ReceiveAsync());

        // In a route the requester is the client.
        using var http = server.Http();
        async Task<(HttpStatusCode, string)> Get(string url, string ua, params (string, string)[] headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.TryAddWithoutValidation("User-Agent", ua);
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        var escaped = Uri.EscapeDataString(oneId);
        Assert.Equal((HttpStatusCode.OK, $"True|True|{Sign("web", "super-secret;agent-1;127.0.0.1")}|False"), await Get($"/check?id={escaped}", "agent-1"));
        Assert.Equal((HttpStatusCode.OK, $"False|False|{Sign("web", "super-secret;agent-9;127.0.0.1")}|False"), await Get($"/check?id={escaped}", "agent-9"));

        // The X-Pode-Signal-* headers: the owner is let through, anyone else gets 400.
        Assert.Equal((HttpStatusCode.OK, $"True|True|{Sign("web", "super-secret;agent-1;127.0.0.1")}|True"),
            await Get($"/check?id={escaped}", "agent-1", ("X-Pode-Signal-Client-Id", oneId), ("X-Pode-Signal-Name", "Check")));
        var stolen = await Get($"/check?id={escaped}", "agent-2", ("X-Pode-Signal-Client-Id", oneId), ("X-Pode-Signal-Name", "Check"));
        Assert.Equal(HttpStatusCode.BadRequest, stolen.Item1);
        Assert.Contains("X-PODE-SIGNAL-CLIENT-ID", stolen.Item2);
        Assert.Equal(HttpStatusCode.BadRequest, (await Get("/check", "agent-1", ("X-Pode-Signal-Client-Id", "one"), ("X-Pode-Signal-Name", "Check"))).Item1);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await Get("/check", "agent-1", ("X-Pode-Signal-Client-Id", "s:one.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), ("X-Pode-Signal-Name", "Check"))).Item1);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Unsigned_servers_reject_ids_in_signed_form_in_headers()
    {
        await using var server = await PodeServerHost.StartAsync(Server(""));
        await using var a = await Peer.ConnectAsync(server, "/conn/Chat?id=abc");
        Assert.Equal("abc", a.Header("X-Pode-Signal-Client-Id"));
        using var http = server.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/check?id=abc");
        request.Headers.Add("X-Pode-Signal-Client-Id", "abc");
        request.Headers.Add("X-Pode-Signal-Name", "Chat");
        using var ok = await http.SendAsync(request);
        Assert.Equal("False|True|web|True", await ok.Content.ReadAsStringAsync());

        using var signed = new HttpRequestMessage(HttpMethod.Get, "/check");
        signed.Headers.Add("X-Pode-Signal-Client-Id", Sign("abc", "x"));
        signed.Headers.Add("X-Pode-Signal-Name", "Chat");
        Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(signed)).StatusCode);
    }
}
