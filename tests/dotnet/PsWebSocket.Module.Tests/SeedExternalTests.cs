using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// The code blocks of the seed document external-websockets.txt (Pode's "External" WebSockets
/// tutorial), run as written against a PsWebSocket signals server "like web-signal.ps1".
/// Only the environment is adapted: ws://localhost:8091 becomes the target server's free port,
/// the first block's "# ..." holds an endpoint and the other blocks, and the pre-call's
/// https://example.com is the target server, which answers /websocket/get_url with its own URL.
/// The tutorial's <c>Invoke-RestMethod -Url</c> is a typo that pwsh rejects (the parameter is -Uri);
/// the test calls it with -Uri.
/// </summary>
public class SeedExternalTests
{
    // ---- the seed's code blocks, verbatim ----

    private const string EnablePoolBlock = """
        Start-PodeServer -EnablePool WebSockets {
            # ...
        }
        """;

    private const string ConnectBlock = """
        Connect-PodeWebSocket -Name 'Example' -Url 'ws://localhost:8091' -ScriptBlock {
            $WsEvent.Request | Out-Default
        }
        """;

    private const string PreCallBlock = """
        $response = Invoke-RestMethod -Url 'https://example.com/websocket/get_url'
        Connect-PodeWebSocket -Name 'Example' -Url $response.url -ScriptBlock {
            $WsEvent.Request | Out-Default
        }
        """;

    private const string SendBlock = """
        Connect-PodeWebSocket -Name 'Example' -Url 'ws://localhost:8091' -ScriptBlock {
            Send-PodeWebSocket -Message @{ message = $WsEvent.Request.Body }
        }
        """;

    // ---- the environment ----

    /// <summary>A PsWebSocket server like Pode's web-signal.ps1: Http and Ws on one port, auto-upgrade.</summary>
    private const string TargetServer = """
        Start-PodeServer -Threads 2 {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws
            Add-PodeRoute -Method Get -Path '/say' -ScriptBlock {
                Send-PodeSignal -Value @{ message = $WebEvent.Query['m'] }
                Write-PodeTextResponse -Value 'sent'
            }
            Add-PodeSignalRoute -Path '/' -ScriptBlock { $PodeContext.State['last'] = $SignalEvent.Data.Message }
            Add-PodeRoute -Method Get -Path '/last' -ScriptBlock { Write-PodeTextResponse -Value "$($PodeContext.State['last'])" }
            Add-PodeRoute -Method Get -Path '/websocket/get_url' -ScriptBlock { Write-PodeJsonResponse -Value @{ url = "ws://localhost:$($using:port)" } }
        }
        """;

    /// <summary>The first block with "# ..." replaced by an endpoint and <paramref name="content"/>.</summary>
    private static string ClientServer(string content, int targetPort)
    {
        var inner = "Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http\n" + content;
        Assert.Contains("    # ...", EnablePoolBlock);
        return EnablePoolBlock.Replace("# ...", inner).Replace("ws://localhost:8091", $"ws://localhost:{targetPort}");
    }

    private static async Task SayAsync(PodeServerHost target, string message)
    {
        using var http = target.Http();
        Assert.Equal("sent", await http.GetStringAsync($"/say?m={message}"));
    }

    private static async Task AssertPrintedAsync(PodeServerHost client, string message)
    {
        var body = "{\"message\":\"" + message + "\"}";
        // IsBinary is the last line of the listing.
        await SignalKit.WaitUntilAsync(() => client.HostText.Contains(body, StringComparison.Ordinal) && client.HostText.Contains("IsBinary", StringComparison.Ordinal),
            $"the client to print {body}");
        var text = client.HostText;
        foreach (var property in new[] { "WebSocket", "RawBody", "Body", "ContentLength", "ContentEncoding" })
        {
            Assert.Contains(property, text);
        }
        Assert.Contains("Example (ws://localhost:", text);
        Assert.Empty(client.Errors);
    }

    [Fact]
    public async Task Connecting_in_the_server_script_prints_every_message()
    {
        await using var target = await PodeServerHost.StartAsync(TargetServer);
        await using var client = await PodeServerHost.StartAsync(ClientServer(ConnectBlock, target.Port));
        await SayAsync(target, "seed-hello");
        await AssertPrintedAsync(client, "seed-hello");
    }

    [Fact]
    public async Task A_pre_call_gives_the_url_and_the_connection_is_made_ad_hoc_from_a_route()
    {
        await using var target = await PodeServerHost.StartAsync(TargetServer);
        var preCall = PreCallBlock.Replace("-Url 'https://example.com", $"-Uri 'http://127.0.0.1:{target.Port}");
        Assert.NotEqual(PreCallBlock, preCall);
        var route = "Add-PodeRoute -Method Get -Path '/precall' -ScriptBlock {\n" + preCall + "\nWrite-PodeTextResponse -Value 'connected'\n}";
        await using var client = await PodeServerHost.StartAsync(ClientServer(route, target.Port));
        using (var http = client.Http())
        {
            Assert.Equal("connected", await http.GetStringAsync("/precall"));
        }
        await SayAsync(target, "seed-precall");
        await AssertPrintedAsync(client, "seed-precall");
    }

    [Fact]
    public async Task Send_without_a_name_answers_the_server()
    {
        await using var target = await PodeServerHost.StartAsync(TargetServer);
        await using var client = await PodeServerHost.StartAsync(ClientServer(SendBlock, target.Port));
        await SayAsync(target, "seed-send");
        using var http = target.Http();
        await SignalKit.WaitUntilAsync(async () => await http.GetStringAsync("/last") == """{"message":"seed-send"}""", "the target to receive the reply");
        Assert.Empty(client.Errors);
        Assert.Empty(target.Errors);
    }
}
