using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// Every code block of the seed document endpoints.txt (Pode's "WebSockets / Endpoints" page), run as
/// written (the hosted engine is all of pwsh: Start-Sleep, Get-Random and the rest are the real cmdlets).
/// Only the ports change (8091 is $port, 8081 is $wsport). The JavaScript blocks are played by
/// ClientWebSocket clients sending the same messages.
/// </summary>
public class SeedEndpointsTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private static bool ModuleHas(string command) =>
        Ps.Run($"[bool](Get-Command -Name '{command}' -Module PsWebSocket -ErrorAction Ignore)").Output.Single().BaseObject is true;

    private static Task<PodeServerHost> StartAsync(string script, int? wsPort = null, string? root = null)
    {
        var variables = new Dictionary<string, object?> { ["wsport"] = wsPort ?? PodeServerHost.FreePort(), ["root"] = root ?? Path.GetTempPath() };
        return PodeServerHost.StartAsync("$null = $ExecutionContext.SessionState.Path.SetLocation($root)\n" + script, variables);
    }

    private static string TempRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "psws-seed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        return root;
    }

    // --- Listening ---

    [Fact]
    public async Task Listening_ws_endpoint_block()
    {
        await using var server = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address * -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
            }
            """);
        // No auto-upgrade and no routes: a WebSocket request finds nothing to upgrade it.
        await Assert.ThrowsAnyAsync<WebSocketException>(() => Peer.ConnectAsync(server, "/anything"));
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Listening_wss_endpoint_block()
    {
        var root = TempRoot();
        Directory.CreateDirectory(Path.Combine(root, "path"));
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            File.WriteAllBytes(Path.Combine(root, "path", "cert.pfx"), cert.Export(X509ContentType.Pfx, "dummy"));
        }
        // As written, including the missing dash: Pode binds 'NoAutoUpgradeWebSockets' positionally
        // (to -Hostname), so the endpoint still auto-upgrades.
        await using var server = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address * -Port $port -Certificate './path/cert.pfx' -CertificatePassword 'dummy' `
                    -Protocol Wss NoAutoUpgradeWebSockets
            }
            """, root: root);
        await using var peer = await Peer.ConnectAsync($"wss://127.0.0.1:{server.Port}/secure", o => o.RemoteCertificateValidationCallback = (_, _, _, _) => true);
        Assert.Equal("/secure", peer.Header("X-Pode-Signal-Name"));
        await peer.SendAsync("""{"message":"over tls"}""");
        Assert.Equal("over tls", await peer.ReceiveAsync());
    }

    // --- Convert Request, Send Messages ---

    [Fact]
    public async Task Convert_request_and_send_message_blocks()
    {
        await using var server = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets

                Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes'
                }

                # a helper route (not in the seed): a client with the id the seed sends to
                Add-PodeRoute -Method Get -Path '/response-times-some' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes' -ClientId 'some-client-id'
                }

                Add-PodeRoute -Method Post -Path '/broadcast' -ScriptBlock {
                    # simple string
                    Send-PodeSignal -Name 'ResponseTimes' -Data 'Times: 123, 101, 104'

                    # complex object
                    Send-PodeSignal -Name 'ResponseTimes' -Data @{ ResponseTimes = @(123, 101, 104) }
                }

                Add-PodeRoute -Method Post -Path '/one' -ScriptBlock {
                    Send-PodeSignal -Name 'ResponseTimes' -ClientId 'some-client-id' -Data @{ ResponseTimes = @(123, 101, 104) }
                }
            }
            """);
        await using var a = await Peer.ConnectAsync(server, "/response-times");
        await using var b = await Peer.ConnectAsync(server, "/response-times");
        await using var some = await Peer.ConnectAsync(server, "/response-times-some");
        Assert.Equal("ResponseTimes", a.Header("X-Pode-Signal-Name"));
        Assert.True(Guid.TryParse(a.Header("X-Pode-Signal-Client-Id"), out _));
        Assert.Equal("some-client-id", some.Header("X-Pode-Signal-Client-Id"));

        using var http = server.Http();
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/broadcast", null)).StatusCode);
        foreach (var peer in new[] { a, b, some })
        {
            Assert.Equal("Times: 123, 101, 104", await peer.ReceiveAsync());
            Assert.Equal("""{"ResponseTimes":[123,101,104]}""", await peer.ReceiveAsync());
        }
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/one", null)).StatusCode);
        Assert.Equal("""{"ResponseTimes":[123,101,104]}""", await some.ReceiveAsync());
        Assert.True(await a.QuietForAsync(Quiet));
        Assert.True(await b.QuietForAsync(Quiet));
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Client_id_from_webevent_block()
    {
        await using var server = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes'
                    $clientId = $WebEvent.Signal.ClientId
                }
            }
            """);
        await using var peer = await Peer.ConnectAsync(server, "/response-times");
        Assert.True(Guid.TryParse(peer.Header("X-Pode-Signal-Client-Id"), out _));
        await peer.SendAsync("""{"message":"still open after the route"}""");
        Assert.Equal("still open after the route", await peer.ReceiveAsync());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task ClientIds_block()
    {
        await using var server = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
                    $clientId = Get-Random -Minimum 10000 -Maximum 999999
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes' -ClientId $clientId
                }
            }
            """);
        await using var peer = await Peer.ConnectAsync(server, "/response-times");
        var id = int.Parse(peer.Header("X-Pode-Signal-Client-Id")!);
        Assert.InRange(id, 10000, 999998);
        Assert.Empty(server.Errors);
    }

    // --- Scopes ---

    [Fact]
    public async Task Default_scope_block()
    {
        await using var server = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Set-PodeSignalDefaultScope -Scope Local
                Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes'
                }
            }
            """);
        await using var peer = await Peer.ConnectAsync(server, "/response-times");
        Assert.NotNull((await peer.ReceiveCloseAsync()).Status); // Local: closed when the route ends
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Global_full_example_and_Schedule_block_send_at_the_next_minute()
    {
        // Both blocks broadcast from an every-minute schedule. Their servers run side by side, so the suite
        // waits for one real minute tick, not two.
        Assert.True(ModuleHas("Add-PodeSchedule") && ModuleHas("New-PodeCron"),
            "Add-PodeSchedule / New-PodeCron are not exported by PsWebSocket yet (schedules are being implemented).");
        var wsPort = PodeServerHost.FreePort();
        await using var global = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address * -Port $port -Protocol Http
                Add-PodeEndpoint -Address * -Port $wsport -Protocol Ws -NoAutoUpgradeWebSockets

                Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes'
                }

                Add-PodeSchedule -Name 'Example' -Cron (New-PodeCron -Every Minute) -ScriptBlock {
                    Send-PodeSignal -Name 'ResponseTimes' -Data @{ Durations = @(123, 101, 104) }
                }
            }
            """, wsPort);
        await using var schedule = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes'
                }
                Add-PodeSchedule -Name 'Example' -Cron (New-PodeCron -Every Minute) -ScriptBlock {
                    Send-PodeSignal -Name 'ResponseTimes' -Data @{ Durations = @(123, 101, 104) }
                }
            }
            """);
        await using var globalPeer = await Peer.ConnectAsync(global, "/response-times");
        await using var schedulePeer = await Peer.ConnectAsync(schedule, "/response-times");
        // The schedules fire at the start of the next minute.
        var received = await Task.WhenAll(globalPeer.ReceiveAsync(TimeSpan.FromSeconds(75)), schedulePeer.ReceiveAsync(TimeSpan.FromSeconds(75)));
        Assert.All(received, message => Assert.Equal("""{"Durations":[123,101,104]}""", message));
        Assert.Empty(global.Errors);
        Assert.Empty(schedule.Errors);
    }

    [Fact]
    public async Task Local_full_example()
    {
        await using var server = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address * -Port $port -Protocol Http
                Add-PodeEndpoint -Address * -Port $wsport -Protocol Ws -NoAutoUpgradeWebSockets

                Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes' -Scope Local
                    Send-PodeSignal -Name 'ResponseTimes' -Data @{ Durations = @(123, 101, 104) }
                    Start-Sleep -Seconds 10
                    Send-PodeSignal -Name 'ResponseTimes' -Data @{ Durations = @(234, 202, 205) }
                }
            }
            """);
        await using var peer = await Peer.ConnectAsync(server, "/response-times");
        Assert.Equal("""{"Durations":[123,101,104]}""", await peer.ReceiveAsync());
        Assert.True(await peer.QuietForAsync(TimeSpan.FromSeconds(2)));
        Assert.Equal("""{"Durations":[234,202,205]}""", await peer.ReceiveAsync());
        Assert.NotNull((await peer.ReceiveCloseAsync()).Status);
        Assert.Empty(server.Errors);
    }

    // --- Routes ---

    [Fact]
    public async Task Date_signal_route_full_example()
    {
        await using var server = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address * -Port $port -Protocol Http
                Add-PodeEndpoint -Address * -Port $wsport -Protocol Ws -NoAutoUpgradeWebSockets

                Add-PodeRoute -Method Get -Path '/date' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'Date'
                }

                Add-PodeSignalRoute -Path '/date' -ScriptBlock {
                    if ($SignalEvent.Data.Message -ieq '[date]') {
                        Send-PodeSignal -Name 'Date' -Data ([datetime]::Now.ToString())
                    }
                }
            }
            """);
        await using var a = await Peer.ConnectAsync(server, "/date");
        await using var b = await Peer.ConnectAsync(server, "/date");
        await a.SendAsync("""{"message":"[DATE]"}""");
        Assert.True(DateTime.TryParse(await a.ReceiveAsync(), out _));
        Assert.True(DateTime.TryParse(await b.ReceiveAsync(), out _));
        await a.SendAsync("""{"message":"something else"}""");
        Assert.True(await a.QuietForAsync(Quiet));
        Assert.True(await b.QuietForAsync(Quiet));
        Assert.Empty(server.Errors);
    }

    // --- Broadcast Levels ---

    [Fact]
    public async Task Broadcast_level_blocks()
    {
        await using var server = await StartAsync($$"""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                {{SignalKit.EvalRoute}}
                Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes' -ClientId $WebEvent.Query['id']
                }

                # apply to all WebSocket connections
                Set-PodeSignalBroadcastLevel -Type 'ClientId'

                # apply to just WebSocket connections with name = ResponseTimes
                Set-PodeSignalBroadcastLevel -Name 'ResponseTimes' -Type 'ClientId'
            }
            """);
        await using var peer = await Peer.ConnectAsync(server, "/response-times?id=rt1");
        var refused = await server.EvalAsync("Send-PodeSignal -Name 'ResponseTimes' -Data 'Times: 123, 101, 104'");
        Assert.False(refused.Ok);
        Assert.Contains("Signal failed to broadcast due to defined Signal broadcast level for ResponseTimes: clientid", refused.Error);
        Assert.True(await peer.QuietForAsync(Quiet));
        (await server.EvalAsync("Send-PodeSignal -Name 'ResponseTimes' -ClientId 'rt1' -Data @{ ResponseTimes = @(123, 101, 104) }")).Success();
        Assert.Equal("""{"ResponseTimes":[123,101,104]}""", await peer.ReceiveAsync());
        Assert.Equal(["clientid", "clientid"], (await server.EvalAsync("Get-PodeSignalBroadcastLevel -Name 'ResponseTimes'; Get-PodeSignalBroadcastLevel -Name 'Other'")).Success().Strings);
    }

    // --- Signing ClientIds ---

    [Fact]
    public async Task Signing_blocks()
    {
        await using var server = await StartAsync($$"""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                {{SignalKit.EvalRoute}}
                Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes'
                }

                Enable-PodeSignalSigning -Secret 'super-secret'
                $first = New-PodeSignalClientId -ClientId '5d12f974-7b1a-4524-ab93-6afbf42c4ffa'
                Enable-PodeSignalSigning -Secret (Get-PodeServerDefaultSecret)
                Set-PodeState -Name 'first' -Value $first
            }
            """);
        // The documented example id, signed with 'super-secret'.
        var first = (await server.EvalAsync("Get-PodeState -Name 'first'")).Success().Strings.Single();
        using var hmac = new HMACSHA256("super-secret"u8.ToArray());
        Assert.Equal("s:5d12f974-7b1a-4524-ab93-6afbf42c4ffa." + Convert.ToBase64String(hmac.ComputeHash("5d12f974-7b1a-4524-ab93-6afbf42c4ffa"u8.ToArray())), first);

        await using var peer = await Peer.ConnectAsync(server, "/response-times");
        var id = peer.Header("X-Pode-Signal-Client-Id")!;
        Assert.Matches("^s:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.[A-Za-z0-9+/]{43}=$", id);
        Assert.Equal(["true", "false"], (await server.EvalAsync($"Test-PodeSignalClientIdValid -ClientId '{id}'; Test-PodeSignalClientIdValid -ClientId '{first}'")).Success().Strings);

        // The id is signed with the server's default secret, a GUID made at start.
        var secret = (await server.EvalAsync("Get-PodeServerDefaultSecret")).Success().Strings.Single();
        Assert.True(Guid.TryParse(secret, out _), secret);
        var clientId = id[2..id.IndexOf('.')];
        using var defaultHmac = new HMACSHA256(System.Text.Encoding.UTF8.GetBytes(secret));
        Assert.Equal($"s:{clientId}." + Convert.ToBase64String(defaultHmac.ComputeHash(System.Text.Encoding.UTF8.GetBytes(clientId))), id);
    }

    // --- Request Headers ---

    [Fact]
    public async Task Request_headers_section()
    {
        await using var server = await StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'ResponseTimes' -Group 'g'
                }
                Add-PodeRoute -Method Post -Path '/ajax' -ScriptBlock {
                    if ($null -ne $WebEvent.Signal) {
                        Send-PodeSignal -Name $WebEvent.Signal.Name -ClientId $WebEvent.Signal.ClientId -Data "ajax for $($WebEvent.Signal.ClientId)"
                    }
                    Write-PodeTextResponse -Value "$($WebEvent.Signal.Name)|$($WebEvent.Signal.Group)|$($WebEvent.Signal.IsLocal)|$($WebEvent.Signal.IsGlobal)"
                }
            }
            """);
        await using var peer = await Peer.ConnectAsync(server, "/response-times");
        await using var other = await Peer.ConnectAsync(server, "/response-times");
        var id = peer.Header("X-Pode-Signal-Client-Id")!;
        Assert.Equal("g", peer.Header("X-Pode-Signal-Group"));
        using var http = server.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ajax");
        request.Headers.Add("X-PODE-SIGNAL-CLIENT-ID", id);
        request.Headers.Add("X-PODE-SIGNAL-NAME", "ResponseTimes");
        request.Headers.Add("X-PODE-SIGNAL-GROUP", "g");
        using var response = await http.SendAsync(request);
        Assert.Equal("ResponseTimes|g|False|True", await response.Content.ReadAsStringAsync());
        Assert.Equal($"ajax for {id}", await peer.ReceiveAsync());
        Assert.True(await other.QuietForAsync(Quiet));

        // Only the Name or Group: $WebEvent.Signal is not set.
        using var nameOnly = new HttpRequestMessage(HttpMethod.Post, "/ajax");
        nameOnly.Headers.Add("X-PODE-SIGNAL-NAME", "ResponseTimes");
        nameOnly.Headers.Add("X-PODE-SIGNAL-GROUP", "g");
        Assert.Equal("|||", await (await http.SendAsync(nameOnly)).Content.ReadAsStringAsync());
        Assert.Empty(server.Errors);
    }

    // --- Events ---

    [Fact]
    public async Task Event_register_and_unregister_blocks()
    {
        await using var server = await StartAsync($$"""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                {{SignalKit.EvalRoute}}

                # register a Connect event
                Register-PodeSignalEvent -Name 'Example' -Type Connect -EventName 'OnConnect' -ScriptBlock {
                    "Connected: $($TriggeredEvent.Connection.Name) ($($TriggeredEvent.Connection.ClientId))" | Out-Default
                }

                # a Route to convert the HTTP request to a Signal connection
                Add-PodeRoute -Method Get -Path '/signal' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'Example'
                }
            }
            """);
        await using (var peer = await Peer.ConnectAsync(server, "/signal"))
        {
            var id = peer.Header("X-Pode-Signal-Client-Id");
            await SignalKit.WaitUntilAsync(() => server.HostText.Contains($"Connected: Example ({id})"), "the Connect line");
        }

        (await server.EvalAsync("""
            # to remove the Connect event from above:
            Unregister-PodeSignalEvent -Name 'Example' -Type Connect -EventName 'OnConnect'
            """)).Success();
        await using (var peer = await Peer.ConnectAsync(server, "/signal"))
        {
            var id = peer.Header("X-Pode-Signal-Client-Id");
            await peer.SendAsync("""{"message":"ping"}""");
            Assert.Equal("ping", await peer.ReceiveAsync());
            await Task.Delay(Quiet);
            Assert.DoesNotContain($"({id})", server.HostText);
        }
        Assert.Equal(1, server.HostText.Occurrences("Connected: Example ("));
        Assert.Empty(server.Errors);
    }

    // --- Full Example (server, view, script) ---

    private const string IndexHtml = """
        <html>
            <head>
                <title>WebSockets</title>
                <script src="https://ajax.googleapis.com/ajax/libs/jquery/3.4.1/jquery.min.js"></script>
                <script type="text/javascript" src="/script.js"></script>
            </head>
            <body>
                <p>Clicking submit will broadcast the message to all connected clients</p>
                <form id='bc-form'>
                    <input type='text' name='message' placeholder='Enter any random text' />
                    <input type='submit' value='Broadcast!' />
                </form>

                <div id='messages'></div>
            </body>
        </html>
        """;

    private const string ScriptJs = """
        $(document).ready(() => {
            // bind submit on the form to send message to the server
            $('#bc-form').submit(function(e) {
                e.preventDefault();

                ws.send(JSON.stringify({
                    message: $('input[name=message]').val()
                }));

                $('input[name=message]').val('');
            });

            // create the websocket
            var ws = new WebSocket("ws://localhost:8091/msg");

            // event for inbound messages to append them
            ws.onmessage = function(evt) {
                $('#messages').append(`<p>${evt.data}</p>`);
            }
        });
        """;

    [Fact]
    public async Task Full_example()
    {
        var root = TempRoot();
        Directory.CreateDirectory(Path.Combine(root, "views"));
        Directory.CreateDirectory(Path.Combine(root, "public"));
        File.WriteAllText(Path.Combine(root, "views", "websockets.html"), IndexHtml);
        File.WriteAllText(Path.Combine(root, "public", "script.js"), ScriptJs);
        await using var server = await StartAsync("""
            Start-PodeServer {

                # listen
                Add-PodeEndpoint -Address localhost -Port $port -Protocol Http
                Add-PodeEndpoint -Address localhost -Port $port -Protocol Ws -NoAutoUpgradeWebSockets

                # route for home page view
                Add-PodeRoute -Method Get -Path '/' -ScriptBlock {
                    Write-PodeViewResponse -Path 'websockets'
                }

                # route for websocket upgrade
                Add-PodeRoute -Method Get -Path '/msg' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'Msg'
                }

                # signal route, to return current date or broadcast sent message
                Add-PodeSignalRoute -Path '/msg' -ScriptBlock {
                    $msg = $SignalEvent.Data.Message

                    if ($msg -ieq '[date]') {
                        $msg = [datetime]::Now.ToString()
                    }

                    Send-PodeSignal -Name 'Msg' -Value @{ message = $msg }
                }
            }
            """, root: root);
        using var http = server.Http();
        var page = await http.GetStringAsync("/");
        Assert.Contains("<input type='submit' value='Broadcast!' />", page);
        Assert.Contains("ws.send(JSON.stringify(", await http.GetStringAsync("/script.js"));

        // The browser side: two pages connected to /msg; one submits the form.
        await using var a = await Peer.ConnectAsync(server, "/msg");
        await using var b = await Peer.ConnectAsync(server, "/msg");
        await a.SendAsync(JsonSerializer.Serialize(new { message = "hello all" }));
        Assert.Equal("""{"message":"hello all"}""", await a.ReceiveAsync());
        Assert.Equal("""{"message":"hello all"}""", await b.ReceiveAsync());
        await b.SendAsync(JsonSerializer.Serialize(new { message = "[date]" }));
        foreach (var peer in new[] { a, b })
        {
            var message = JsonDocument.Parse(await peer.ReceiveAsync()).RootElement.GetProperty("message").GetString();
            Assert.True(DateTime.TryParse(message, out _), message);
        }
        Assert.Empty(server.Errors);
    }

    // --- Client Side (the JavaScript blocks, played by ClientWebSocket) ---

    [Fact]
    public async Task Client_side_blocks()
    {
        await using var server = await StartAsync($$"""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws
                {{SignalKit.EvalRoute}}
            }
            """);
        // var ws = new WebSocket("ws://localhost:8091/response-times") (legacy auto-upgrade: the Name is the path)
        await using var ws = await Peer.ConnectAsync(server, "/response-times");
        await using var receiver = await Peer.ConnectAsync(server, "/receive");
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeServerActiveSignalClientMetric")).Success().Single.GetInt64() == 2, "two connections");

        // ws.onmessage: JSON.parse(evt.data).Message
        (await server.EvalAsync("Send-PodeSignal -Name '/response-times' -Data @{ Message = 'Times: 123, 101, 104' }")).Success();
        Assert.Equal("Times: 123, 101, 104", JsonDocument.Parse(await ws.ReceiveAsync()).RootElement.GetProperty("Message").GetString());

        // ws.send(JSON.stringify({ message: ... })): no signal route, so every client gets it.
        await ws.SendAsync(JsonSerializer.Serialize(new { message = "typed text" }));
        Assert.Equal("typed text", await ws.ReceiveAsync());
        Assert.Equal("typed text", await receiver.ReceiveAsync());

        // ... path: '/receive'
        await ws.SendAsync(JsonSerializer.Serialize(new { message = "for receivers", path = "/receive" }));
        Assert.Equal("for receivers", await receiver.ReceiveAsync());
        Assert.True(await ws.QuietForAsync(Quiet));

        // ... direct: true
        await ws.SendAsync(JsonSerializer.Serialize(new { message = "just me", direct = true }));
        Assert.Equal("just me", await ws.ReceiveAsync());
        Assert.True(await receiver.QuietForAsync(Quiet));
        Assert.Empty(server.Errors);
    }
}
