using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// External WebSocket connections (Connect-PodeWebSocket and friends) against ASP.NET Core
/// Kestrel servers: $WsEvent, replies, content types, binary, headers, lifecycle, failures,
/// reconnects, ordering and concurrency.
/// </summary>
public class WebSocketClientTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    /// <summary>A server with an Http endpoint on $port, the /eval route, and <paramref name="body"/>.</summary>
    private static string Server(string body, string options = "") =>
        "Start-PodeServer " + options + " {\n    Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http\n" + SignalKit.EvalRoute + "\n" + body + "\n}\n";

    private static Task<PodeServerHost> StartAsync(string body, IDictionary<string, object?>? variables = null, string options = "") =>
        PodeServerHost.StartAsync(Server(body, options), variables);

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    /// <summary>
    /// A server (after <paramref name="prelude"/>) that connects A and B to <paramref name="kestrel"/>'s /a and /b,
    /// whose handler answers "&lt;Name&gt; &lt;n&gt;"; a message with "block": true first answers "started" and
    /// holds its worker until <c>$PodeContext.State['release']</c> is set (15 s at most).
    /// </summary>
    private static Task<PodeServerHost> StartBlockingPairAsync(KestrelWebSocketServer kestrel, string prelude = "") =>
        StartAsync(prelude + """

            $handler = {
                if ($WsEvent.Data.block) {
                    Send-PodeWebSocket -Message 'started'
                    $until = [datetime]::UtcNow.AddSeconds(15)
                    while (!$PodeContext.State['release'] -and [datetime]::UtcNow -lt $until) { [System.Threading.Thread]::Sleep(20) }
                }
                Send-PodeWebSocket -Message "$($WsEvent.Request.WebSocket.Name) $($WsEvent.Data.n)"
            }
            Connect-PodeWebSocket -Name 'A' -Url "$kurl/a" -ScriptBlock $handler
            Connect-PodeWebSocket -Name 'B' -Url "$kurl/b" -ScriptBlock $handler
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url("") });

    private static async Task<EvalResult> FailsAsync(PodeServerHost server, string script)
    {
        var result = await server.EvalAsync(script);
        Assert.False(result.Ok, $"expected an error from: {script}");
        return result;
    }

    private static async Task<bool> TestAsync(PodeServerHost server, string name, bool connected = false) =>
        (await server.EvalAsync($"Test-PodeWebSocket -Name '{name}'" + (connected ? " -Connected" : ""))).Success().Single.GetBoolean();

    private static async Task WaitForWarningAsync(PodeServerHost server, string part)
    {
        try
        {
            // Start-PodeServer writes warnings; a host with a UI shows them instead of collecting them.
            await SignalKit.WaitUntilAsync(
                () => server.Warnings.Any(w => w.Message.Contains(part, StringComparison.Ordinal)) || server.HostText.Contains("WARNING: " + part, StringComparison.Ordinal),
                $"a warning containing '{part}'");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; warnings: [{string.Join(" | ", server.Warnings.Select(w => w.Message))}]; host: {server.HostText}", e);
        }
    }

    [Fact]
    public async Task Json_messages_become_a_hashtable_and_replies_need_no_name()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'K' -Url $kurl -ScriptBlock {
                $d = $WsEvent.Data
                [string[]]$keys = $WsEvent.Keys
                [array]::Sort($keys)
                Send-PodeWebSocket -Message @{
                    isDictionary = ($d -is [System.Collections.IDictionary])
                    name = $d.name; n = $d.n; nested = $d.inner.x; list = $d.list
                    wsName = $WsEvent.Request.WebSocket.Name
                    url = "$($WsEvent.Request.WebSocket.URL)"
                    contentType = $WsEvent.Request.WebSocket.ContentType
                    isConnected = $WsEvent.Request.WebSocket.IsConnected
                    body = $WsEvent.Request.Body
                    length = $WsEvent.Request.ContentLength
                    rawLength = $WsEvent.Request.RawBody.Length
                    encoding = $WsEvent.Request.ContentEncoding.WebName
                    isBinary = $WsEvent.Request.IsBinary
                    keys = $keys -join ','
                    lockable = [object]::ReferenceEquals($WsEvent.Lockable, $PodeContext.Lockable)
                    kind = "$($WsEvent.Timestamp.Kind)"
                    files = $WsEvent.Files.Count
                    metadata = $WsEvent.Metadata.Count
                }
            }
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url() });

        var peer = await kestrel.NextPeerAsync();
        const string sent = """{"name":"bob","n":3,"inner":{"x":"y"},"list":[1,2]}""";
        await peer.SendTextAsync(sent);
        var reply = Json(await peer.ReceiveTextAsync());

        Assert.True(reply.GetProperty("isDictionary").GetBoolean());
        Assert.Equal("bob", reply.GetProperty("name").GetString());
        Assert.Equal(3, reply.GetProperty("n").GetInt32());
        Assert.Equal("y", reply.GetProperty("nested").GetString());
        Assert.Equal([1, 2], reply.GetProperty("list").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("K", reply.GetProperty("wsName").GetString());
        Assert.Equal(kestrel.Url(), reply.GetProperty("url").GetString());
        Assert.Equal("application/json", reply.GetProperty("contentType").GetString());
        Assert.True(reply.GetProperty("isConnected").GetBoolean());
        Assert.Equal(sent, reply.GetProperty("body").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(sent), reply.GetProperty("length").GetInt32());
        Assert.Equal(Encoding.UTF8.GetByteCount(sent), reply.GetProperty("rawLength").GetInt32());
        Assert.Equal("utf-8", reply.GetProperty("encoding").GetString());
        Assert.False(reply.GetProperty("isBinary").GetBoolean());
        Assert.Equal("Data,Files,Lockable,Metadata,Request,Timestamp", reply.GetProperty("keys").GetString());
        Assert.True(reply.GetProperty("lockable").GetBoolean());
        Assert.Equal("Utc", reply.GetProperty("kind").GetString());
        Assert.Equal(0, reply.GetProperty("files").GetInt32());
        Assert.Equal(0, reply.GetProperty("metadata").GetInt32());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Text_content_type_keeps_messages_and_replies_as_they_are()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), $"wsclient-{Guid.NewGuid():N}.ps1");
        await File.WriteAllTextAsync(file, "param($tag) Send-PodeWebSocket -Message \"$tag $($WsEvent.Data)\"");
        try
        {
            await using var server = await StartAsync("""
                $prefix = 'pre'
                Connect-PodeWebSocket -Name 'T' -Url "$kurl/t" -ContentType 'text/plain' -ArgumentList 'arg' -ScriptBlock {
                    param($a)
                    Send-PodeWebSocket -Message "type=$($WsEvent.Data.GetType().Name);data=$($WsEvent.Data);using=$using:prefix;arg=$a"
                    Send-PodeWebSocket -Message @{ a = 1 }
                }
                Connect-PodeWebSocket -Name 'F' -Url "$kurl/f" -ContentType 'text/plain' -FilePath $file -ArgumentList 'file:'
                """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url(""), ["file"] = file });

            var (t, f) = await kestrel.NextPeersAsync("/t", "/f");
            await t.SendTextAsync("{not json");
            Assert.Equal("type=String;data={not json;using=pre;arg=arg", await t.ReceiveTextAsync());
            await f.SendTextAsync("hi");
            Assert.Equal("file: hi", await f.ReceiveTextAsync());
            Assert.Equal("System.Collections.Hashtable", await t.ReceiveTextAsync());
            Assert.Empty(server.Errors);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Binary_messages_arrive_as_bytes_and_can_be_sent()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'B' -Url $kurl -ScriptBlock {
                Send-PodeWebSocket -Message @{ isBinary = $WsEvent.Request.IsBinary; type = $WsEvent.Data.GetType().FullName; bytes = [string]::Join(',', $WsEvent.Data) }
                Send-PodeWebSocket -Type Binary -Message $WsEvent.Data
                Send-PodeWebSocket -Type Binary -Message 'héllo'
                Send-PodeWebSocket -Message ([byte[]](104, 105))
            }
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url() });

        var peer = await kestrel.NextPeerAsync();
        await peer.SendBinaryAsync([0, 1, 2, 255]);
        var info = Json(await peer.ReceiveTextAsync());
        Assert.True(info.GetProperty("isBinary").GetBoolean());
        Assert.Equal("System.Byte[]", info.GetProperty("type").GetString());
        Assert.Equal("0,1,2,255", info.GetProperty("bytes").GetString());

        var (type, data) = await peer.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, data);
        (type, data) = await peer.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(Encoding.UTF8.GetBytes("héllo"), data);
        // A byte array with -Type Text is sent as text: the bytes must be UTF-8.
        Assert.Equal("hi", await peer.ReceiveTextAsync());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Headers_and_sub_protocols_reach_the_server()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'H' -Url $kurl -Headers @{ Authorization = 'Bearer abc'; 'X-Multi' = @('one', 'two') } -Protocol 'chat.v2', 'chat.v1' -ScriptBlock { }
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url("/feed?x=1") });

        var peer = await kestrel.NextPeerAsync();
        Assert.Equal("/feed", peer.Path);
        Assert.Equal("Bearer abc", peer.Headers["Authorization"]);
        Assert.Equal("one,two", peer.Headers["X-Multi"]);
        Assert.Equal("chat.v2", peer.SubProtocol);
        Assert.Equal("chat.v2, chat.v1", peer.Headers["Sec-WebSocket-Protocol"]);

        var bad = await FailsAsync(server, "Connect-PodeWebSocket -Name 'Bad' -Url '" + kestrel.Url() + "' -Headers @{ 'bad name' = 'x' }");
        Assert.StartsWith("WebSocketConnectFailed", bad.ErrorId);
        Assert.Equal("InvalidArgument", bad.Category);
        Assert.Contains("bad name", bad.Error);
        Assert.False(await TestAsync(server, "Bad"));
    }

    [Fact]
    public async Task Ad_hoc_connections_disconnect_reset_to_a_new_url_and_remove()
    {
        await using var first = await KestrelWebSocketServer.StartAsync();
        await using var second = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartAsync("");
        Assert.False(await TestAsync(server, "L"));

        // Ad hoc from a route, without -EnablePool WebSockets.
        (await server.EvalAsync("Connect-PodeWebSocket -Name 'L' -Url '" + first.Url() + "' -ScriptBlock { Send-PodeWebSocket -Message @{ got = $WsEvent.Data.v; url = \"$($WsEvent.Request.WebSocket.URL)\" } }")).Success();
        Assert.True(await TestAsync(server, "L"));
        Assert.True(await TestAsync(server, "L", connected: true));
        var peer1 = await first.NextPeerAsync();
        await peer1.SendTextAsync("""{"v":1}""");
        var reply = Json(await peer1.ReceiveTextAsync());
        Assert.Equal(1, reply.GetProperty("got").GetInt32());
        Assert.Equal(first.Url(), reply.GetProperty("url").GetString());

        // Disconnect keeps the registration.
        (await server.EvalAsync("Disconnect-PodeWebSocket -Name 'L'")).Success();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await peer1.WaitClosedAsync()).Status);
        Assert.True(await TestAsync(server, "L"));
        Assert.False(await TestAsync(server, "L", connected: true));
        var notConnected = await FailsAsync(server, "Send-PodeWebSocket -Name 'L' -Message 'x'");
        Assert.StartsWith("WebSocketNotConnected", notConnected.ErrorId);
        Assert.Equal("ConnectionError", notConnected.Category);
        Assert.Contains("Reset-PodeWebSocket", notConnected.Error);

        // Reset to a new URL, then to the same one.
        (await server.EvalAsync("Reset-PodeWebSocket -Name 'L' -Url '" + second.Url() + "'")).Success();
        Assert.True(await TestAsync(server, "L", connected: true));
        var peer2 = await second.NextPeerAsync();
        await peer2.SendTextAsync("""{"v":2}""");
        reply = Json(await peer2.ReceiveTextAsync());
        Assert.Equal(2, reply.GetProperty("got").GetInt32());
        Assert.Equal(second.Url(), reply.GetProperty("url").GetString());
        (await server.EvalAsync("Reset-PodeWebSocket -Name 'L'")).Success();
        var peer3 = await second.NextPeerAsync();
        await peer2.WaitClosedAsync();
        await peer3.SendTextAsync("""{"v":3}""");
        Assert.Equal(3, Json(await peer3.ReceiveTextAsync()).GetProperty("got").GetInt32());
        Assert.True(await first.NoPeerForAsync(TimeSpan.FromMilliseconds(100)));

        // Remove forgets it; removing again is quiet; the Name can be used again.
        (await server.EvalAsync("Remove-PodeWebSocket -Name 'L'")).Success();
        await peer3.WaitClosedAsync();
        Assert.False(await TestAsync(server, "L"));
        (await server.EvalAsync("Remove-PodeWebSocket -Name 'L'")).Success();
        var unknown = await FailsAsync(server, "Send-PodeWebSocket -Name 'L' -Message 'x'");
        Assert.StartsWith("WebSocketNotFound", unknown.ErrorId);
        Assert.Equal("ObjectNotFound", unknown.Category);
        Assert.Contains("'L'", unknown.Error);
        Assert.StartsWith("WebSocketNotFound", (await FailsAsync(server, "Disconnect-PodeWebSocket -Name 'L'")).ErrorId);
        Assert.StartsWith("WebSocketNotFound", (await FailsAsync(server, "Reset-PodeWebSocket -Name 'L'")).ErrorId);
        (await server.EvalAsync("Connect-PodeWebSocket -Name 'L' -Url '" + first.Url() + "' -ScriptBlock { }")).Success();
        await first.NextPeerAsync();
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Timers_connect_ad_hoc_and_send_by_name()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartAsync("""
            Add-PodeTimer -Name 'connect' -Interval 1 -Limit 1 -ScriptBlock {
                Connect-PodeWebSocket -Name 'Timed' -Url $using:kurl -ScriptBlock { Send-PodeWebSocket -Message "echo $($WsEvent.Data.n)" }
            }
            Add-PodeTimer -Name 'tick' -Interval 1 -ScriptBlock {
                if (Test-PodeWebSocket -Name 'Timed' -Connected) { Send-PodeWebSocket -Name 'Timed' -Message @{ tick = 1 } }
            }
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url() }, options: "-EnablePool WebSockets");

        var peer = await kestrel.NextPeerAsync();
        Assert.Equal("""{"tick":1}""", await peer.ReceiveTextAsync());
        await peer.SendTextAsync("""{"n":5}""");
        await SignalKit.WaitUntilAsync(async () => await peer.ReceiveTextAsync() == "echo 5", "the reply among the ticks");
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task The_script_block_can_disconnect_and_move_its_own_connection()
    {
        await using var first = await KestrelWebSocketServer.StartAsync();
        await using var second = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'Self' -Url $kurl -ScriptBlock {
                switch ($WsEvent.Data.cmd) {
                    'move' { Reset-PodeWebSocket -Url $WsEvent.Data.url }
                    'bye' { Disconnect-PodeWebSocket }
                    'remove' { Remove-PodeWebSocket }
                    default { Send-PodeWebSocket -Message @{ at = $WsEvent.Request.WebSocket.URL.Port } }
                }
            }
            """, new Dictionary<string, object?> { ["kurl"] = first.Url() });

        var peer1 = await first.NextPeerAsync();
        await peer1.SendTextAsync(JsonSerializer.Serialize(new { cmd = "move", url = second.Url() }));
        var peer2 = await second.NextPeerAsync();
        await peer1.WaitClosedAsync();
        await peer2.SendTextAsync("""{"cmd":"where"}""");
        Assert.Equal(second.Port, Json(await peer2.ReceiveTextAsync()).GetProperty("at").GetInt32());

        await peer2.SendTextAsync("""{"cmd":"bye"}""");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await peer2.WaitClosedAsync()).Status);
        Assert.True(await TestAsync(server, "Self"));
        Assert.False(await TestAsync(server, "Self", connected: true));

        (await server.EvalAsync("Reset-PodeWebSocket -Name 'Self'")).Success();
        var peer3 = await second.NextPeerAsync();
        await peer3.SendTextAsync("""{"cmd":"remove"}""");
        await peer3.WaitClosedAsync();
        await SignalKit.WaitUntilAsync(async () => !await TestAsync(server, "Self"), "Self removed");
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Bad_urls_duplicate_names_and_unreachable_servers_are_clear_errors()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var tls = await KestrelWebSocketServer.StartAsync(certificate: KestrelWebSocketServer.SelfSignedCertificate());
        await using var server = await StartAsync("");

        foreach (var url in new[] { "http://127.0.0.1:1/", "not a url" })
        {
            var bad = await FailsAsync(server, $"Connect-PodeWebSocket -Name 'U' -Url '{url}' -ScriptBlock {{ }}");
            Assert.StartsWith("WebSocketUrlInvalid", bad.ErrorId);
            Assert.Equal("InvalidArgument", bad.Category);
            Assert.Contains("ws:// or wss://", bad.Error);
        }

        (await server.EvalAsync("Connect-PodeWebSocket -Name 'D' -Url '" + kestrel.Url() + "' -ScriptBlock { Send-PodeWebSocket -Message 'pong' }")).Success();
        var peer = await kestrel.NextPeerAsync();
        var duplicate = await FailsAsync(server, "Connect-PodeWebSocket -Name 'D' -Url '" + kestrel.Url() + "' -ScriptBlock { }");
        Assert.StartsWith("WebSocketAlreadyConnected", duplicate.ErrorId);
        Assert.Equal("ResourceExists", duplicate.Category);
        Assert.Contains("Already connected to WebSocket with name 'D'", duplicate.Error);
        Assert.True(await kestrel.NoPeerForAsync(TimeSpan.FromMilliseconds(200)));
        await peer.SendTextAsync("{}");
        Assert.Equal("pong", await peer.ReceiveTextAsync()); // the first connection is untouched

        var closedPort = PodeServerHost.FreePort();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            // Nothing stays registered, so a retry fails the same way (not as a duplicate).
            var refused = await FailsAsync(server, $"Connect-PodeWebSocket -Name 'R' -Url 'ws://127.0.0.1:{closedPort}/x' -ScriptBlock {{ }}");
            Assert.StartsWith("WebSocketConnectFailed", refused.ErrorId);
            Assert.Equal("ConnectionError", refused.Category);
            Assert.Contains("refused", refused.Error);
            Assert.Contains($"127.0.0.1:{closedPort}", refused.Error);
            Assert.False(await TestAsync(server, "R"));
        }

        var untrusted = await FailsAsync(server, "Connect-PodeWebSocket -Name 'S' -Url '" + tls.Url() + "' -ScriptBlock { }");
        Assert.StartsWith("WebSocketConnectFailed", untrusted.ErrorId);
        Assert.Contains("TLS", untrusted.Error);
        Assert.False(await TestAsync(server, "S"));

        // The server is still serving.
        Assert.True(await TestAsync(server, "D", connected: true));
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Wss_servers_with_a_self_signed_certificate_need_SkipCertificateCheck()
    {
        await using var tls = await KestrelWebSocketServer.StartAsync(certificate: KestrelWebSocketServer.SelfSignedCertificate());
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'Secure' -Url $kurl -SkipCertificateCheck -ScriptBlock { Send-PodeWebSocket -Message @{ secure = $WsEvent.Request.WebSocket.URL.Scheme } }
            """, new Dictionary<string, object?> { ["kurl"] = tls.Url() });

        var peer = await tls.NextPeerAsync();
        await peer.SendTextAsync("{}");
        Assert.Equal("""{"secure":"wss"}""", await peer.ReceiveTextAsync());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public void A_failed_connect_in_the_server_script_stops_Start_PodeServer_with_the_reason()
    {
        var closedPort = PodeServerHost.FreePort();
        var result = Ps.Run("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Connect-PodeWebSocket -Name 'Gone' -Url "ws://127.0.0.1:$closed/" -ScriptBlock { }
            }
            """, new Dictionary<string, object?> { ["port"] = PodeServerHost.FreePort(), ["closed"] = closedPort });
        var error = Assert.Single(result.Errors.DistinctBy(e => e.Exception.Message));
        Assert.StartsWith("WebSocketConnectFailed", error.FullyQualifiedErrorId);
        Assert.Contains("refused", error.Exception.Message);

        var outside = Ps.Run("Connect-PodeWebSocket -Name 'X' -Url 'ws://127.0.0.1:1/' -ScriptBlock { }");
        Assert.StartsWith("PodeServerNotFound", Assert.Single(outside.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public async Task Send_needs_a_name_outside_a_handler_and_test_is_false_before_any_connection()
    {
        await using var server = await StartAsync("");
        Assert.False(await TestAsync(server, "Nothing"));
        Assert.False(await TestAsync(server, "Nothing", connected: true));
        var noName = await FailsAsync(server, "Send-PodeWebSocket -Message 'x'");
        Assert.StartsWith("WebSocketNameRequired", noName.ErrorId);
        Assert.Equal("InvalidArgument", noName.Category);
        Assert.StartsWith("WebSocketNameRequired", (await FailsAsync(server, "Disconnect-PodeWebSocket")).ErrorId);
        Assert.StartsWith("WebSocketNotFound", (await FailsAsync(server, "Send-PodeWebSocket -Name 'Nothing' -Message 'x'")).ErrorId);
        Assert.StartsWith("ParameterArgumentValidationError", (await FailsAsync(server, "Set-PodeWebSocketConcurrency -Maximum 0")).ErrorId);
    }

    [Fact]
    public async Task A_server_close_is_a_warning_and_Reset_reconnects()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'C' -Url $kurl -ScriptBlock { Send-PodeWebSocket -Message 'ok' }
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url() });

        var peer = await kestrel.NextPeerAsync();
        await peer.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
        await WaitForWarningAsync(server, "WebSocket 'C' was disconnected by the server (code 1000 'bye'); reconnect it with Reset-PodeWebSocket.");
        Assert.True(await TestAsync(server, "C"));
        Assert.False(await TestAsync(server, "C", connected: true));
        Assert.True(await kestrel.NoPeerForAsync(Quiet)); // no automatic reconnect without -Reconnect

        (await server.EvalAsync("Reset-PodeWebSocket -Name 'C'")).Success();
        var again = await kestrel.NextPeerAsync();
        await again.SendTextAsync("{}");
        Assert.Equal("ok", await again.ReceiveTextAsync());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Reconnect_follows_a_server_restart()
    {
        var kestrel = await KestrelWebSocketServer.StartAsync();
        var port = kestrel.Port;
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'R' -Url $kurl -Reconnect -ReconnectDelay 100 -ReconnectMaxDelay 400 -ScriptBlock { Send-PodeWebSocket -Message "got $($WsEvent.Data.n)" }
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url() });
        try
        {
            var peer = await kestrel.NextPeerAsync();
            await peer.SendTextAsync("""{"n":1}""");
            Assert.Equal("got 1", await peer.ReceiveTextAsync());

            await kestrel.DisposeAsync();
            await WaitForWarningAsync(server, "WebSocket 'R' was disconnected by the server (code 1001 'server stopping'); reconnecting.");
            Assert.True(await TestAsync(server, "R"));

            kestrel = await KestrelWebSocketServer.StartAsync(port: port);
            var again = await kestrel.NextPeerAsync();
            await WaitForWarningAsync(server, "WebSocket 'R' reconnected to");
            Assert.True(await TestAsync(server, "R", connected: true));
            await again.SendTextAsync("""{"n":2}""");
            Assert.Equal("got 2", await again.ReceiveTextAsync());
            Assert.Empty(server.Errors);
        }
        finally
        {
            await kestrel.DisposeAsync();
        }
    }

    [Fact]
    public async Task Reconnects_give_up_after_the_maximum_attempts()
    {
        var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'G' -Url $kurl -ReconnectMaxAttempts 2 -ReconnectDelay 50 -ReconnectMaxDelay 100 -ScriptBlock { }
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url() });
        await kestrel.NextPeerAsync();
        await kestrel.DisposeAsync();
        await WaitForWarningAsync(server, "WebSocket 'G' gave up reconnecting after 2 attempts");
        Assert.True(await TestAsync(server, "G"));
        Assert.False(await TestAsync(server, "G", connected: true));
        var send = await FailsAsync(server, "Send-PodeWebSocket -Name 'G' -Message 'x'");
        Assert.StartsWith("WebSocketNotConnected", send.ErrorId);
    }

    [Fact]
    public async Task Messages_of_one_connection_run_in_order_and_connections_run_in_parallel()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartBlockingPairAsync(kestrel);
        var (a, b) = await kestrel.NextPeersAsync("/a", "/b");

        for (var n = 1; n <= 40; n++)
        {
            await a.SendTextAsync($$"""{"n":{{n}}}""");
        }
        for (var n = 1; n <= 40; n++)
        {
            Assert.Equal($"A {n}", await a.ReceiveTextAsync());
        }

        // A blocks one worker; B is handled by the other meanwhile, and A's next message waits for A's first.
        await a.SendTextAsync("""{"n":100,"block":true}""");
        Assert.Equal("started", await a.ReceiveTextAsync());
        await a.SendTextAsync("""{"n":101}""");
        await b.SendTextAsync("""{"n":200}""");
        Assert.Equal("B 200", await b.ReceiveTextAsync());
        Assert.True(await a.QuietForAsync(Quiet));
        (await server.EvalAsync("$PodeContext.State['release'] = $true")).Success();
        Assert.Equal("A 100", await a.ReceiveTextAsync());
        Assert.Equal("A 101", await a.ReceiveTextAsync());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Concurrency_one_handles_one_message_at_a_time()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartBlockingPairAsync(kestrel, "Set-PodeWebSocketConcurrency -Maximum 1");
        var (a, b) = await kestrel.NextPeersAsync("/a", "/b");

        await a.SendTextAsync("""{"n":1,"block":true}""");
        Assert.Equal("started", await a.ReceiveTextAsync());
        await b.SendTextAsync("""{"n":2}""");
        Assert.True(await b.QuietForAsync(Quiet));
        (await server.EvalAsync("$PodeContext.State['release'] = $true")).Success();
        Assert.Equal("A 1", await a.ReceiveTextAsync());
        Assert.Equal("B 2", await b.ReceiveTextAsync());

        // Raising it at run time replaces the pool; messages keep flowing.
        (await server.EvalAsync("$PodeContext.State['release'] = $false; Set-PodeWebSocketConcurrency -Maximum 2")).Success();
        await a.SendTextAsync("""{"n":3,"block":true}""");
        Assert.Equal("started", await a.ReceiveTextAsync());
        await b.SendTextAsync("""{"n":4}""");
        Assert.Equal("B 4", await b.ReceiveTextAsync());
        (await server.EvalAsync("$PodeContext.State['release'] = $true")).Success();
        Assert.Equal("A 3", await a.ReceiveTextAsync());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Messages_received_before_the_server_starts_are_handled_once_it_runs()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync(greeting: """{"hello":"early"}""");
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'E' -Url $kurl -ScriptBlock { Send-PodeWebSocket -Message "handled $($WsEvent.Data.hello)" }
            [System.Threading.Thread]::Sleep(500)
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url() });
        var peer = await kestrel.NextPeerAsync();
        Assert.Equal("handled early", await peer.ReceiveTextAsync());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Invalid_json_is_an_error_and_the_connection_keeps_working()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'J' -Url $kurl -ScriptBlock {
                if ($WsEvent.Data.fail) { throw 'handler failed' }
                Send-PodeWebSocket -Message @{ v = $WsEvent.Data.v }
            }
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url() });
        var peer = await kestrel.NextPeerAsync();
        await peer.SendTextAsync("not json");
        await peer.SendTextAsync("""{"fail":true}""");
        await peer.SendTextAsync("");
        await peer.SendTextAsync("""{"v":1}""");
        Assert.Equal("""{"v":1}""", await peer.ReceiveTextAsync());
        await SignalKit.WaitUntilAsync(() => server.Errors.Count >= 2, "two errors");
        var invalid = Assert.Single(server.Errors, e => e.FullyQualifiedErrorId.StartsWith("WebSocketMessageInvalid", StringComparison.Ordinal));
        Assert.Contains("'J'", invalid.Exception.Message);
        Assert.Contains("text/plain", invalid.Exception.Message);
        Assert.Single(server.Errors, e => e.Exception.Message.Contains("handler failed", StringComparison.Ordinal));
        Assert.True(await peer.QuietForAsync(Quiet)); // the empty message was not handled
    }

    [Fact]
    public async Task Xml_csv_and_form_content_types_parse_and_convert_like_Pode()
    {
        await using var kestrel = await KestrelWebSocketServer.StartAsync();
        await using var server = await StartAsync("""
            Connect-PodeWebSocket -Name 'X' -Url "$kurl/xml" -ContentType 'application/xml' -ScriptBlock {
                Send-PodeWebSocket -Message "root=$($WsEvent.Data.DocumentElement.Name);v=$($WsEvent.Data.root.v)"
                Send-PodeWebSocket -Message ([ordered]@{ a = 'x'; b = 2 })
            }
            Connect-PodeWebSocket -Name 'C' -Url "$kurl/csv" -ContentType 'text/csv' -ScriptBlock {
                $rows = @($WsEvent.Data)
                Send-PodeWebSocket -Message "count=$($rows.Count);first=$($rows[0].name);age=$($rows[1].age)"
                Send-PodeWebSocket -Message @([ordered]@{ name = 'z'; note = 'say "hi"' }, [ordered]@{ name = 'y'; note = 'a,b' })
            }
            Connect-PodeWebSocket -Name 'F' -Url "$kurl/form" -ContentType 'application/x-www-form-urlencoded' -ScriptBlock {
                Send-PodeWebSocket -Message "a=$($WsEvent.Data.a);b=$($WsEvent.Data.b);type=$($WsEvent.Data.GetType().Name)"
            }
            """, new Dictionary<string, object?> { ["kurl"] = kestrel.Url("") });
        var peers = new Dictionary<string, KestrelPeer>();
        for (var i = 0; i < 3; i++)
        {
            var peer = await kestrel.NextPeerAsync();
            peers[peer.Path] = peer;
        }

        await peers["/xml"].SendTextAsync("<root><v>7</v></root>");
        Assert.Equal("root=root;v=7", await peers["/xml"].ReceiveTextAsync());
        var xml = await peers["/xml"].ReceiveTextAsync();
        Assert.StartsWith("<?xml", xml);
        Assert.Contains("<Property Name=\"a\">x</Property>", xml);
        Assert.Contains("<Property Name=\"b\">2</Property>", xml);

        await peers["/csv"].SendTextAsync("name,age\nbob,3\n\"ann, jr\",4\n");
        Assert.Equal("count=2;first=bob;age=4", await peers["/csv"].ReceiveTextAsync());
        Assert.Equal(string.Join(Environment.NewLine, "\"name\",\"note\"", "\"z\",\"say \"\"hi\"\"\"", "\"y\",\"a,b\""), await peers["/csv"].ReceiveTextAsync());

        await peers["/form"].SendTextAsync("a=1&b=x+y%21&a=2");
        Assert.Equal("a=1,2;b=x y!;type=Hashtable", await peers["/form"].ReceiveTextAsync());
        Assert.Empty(server.Errors);
    }
}
