using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// The scripts in examples/ run as files (their own folder as the server root, Import-Module
/// PsWebSocket by name), on free ports, with .NET ClientWebSocket clients. The chat is also
/// tested in Chromium by PsWebSocket.Browser.Tests; here its wire protocol is checked.
/// </summary>
public class ExamplesTests
{
    // The examples say Import-Module PsWebSocket, as a user's script would.
    static ExamplesTests() => Ps.ExposeModule();

    /// <summary>A script that runs examples/<paramref name="name"/>/server.ps1 with the given arguments.</summary>
    private static string Example(string name, string arguments) =>
        $"& '{Path.Combine(Ps.RepoRoot, "examples", name, "server.ps1")}' {arguments}";

    [Fact]
    public async Task Chat_welcomes_lists_who_is_connected_and_broadcasts()
    {
        await using var server = await PodeServerHost.StartAsync(Example("chat", "-Port $port"));

        using var a = await server.ConnectAsync("/msg");
        var idA = (await a.ReceiveJsonAsync()).Expect("welcome").GetProperty("clientId").GetString()!;
        Assert.Equal([idA], (await a.ReceiveJsonAsync()).Roster());

        using var b = await server.ConnectAsync("/msg");
        var idB = (await b.ReceiveJsonAsync()).Expect("welcome").GetProperty("clientId").GetString()!;
        Assert.NotEqual(idA, idB);
        Assert.Equal([idA, idB], (await b.ReceiveJsonAsync()).Roster());
        Assert.Equal([idA, idB], (await a.ReceiveJsonAsync()).Roster());

        await a.SendAsync("""{"message":"hello"}""");
        foreach (var ws in new[] { a, b })
        {
            Assert.Equal("hello", (await ws.ReceiveJsonAsync()).Expect("message").GetProperty("message").GetString());
        }
        await b.SendAsync("""{"message":"[date]"}""");
        foreach (var ws in new[] { a, b })
        {
            var date = (await ws.ReceiveJsonAsync()).Expect("message").GetProperty("message").GetString()!;
            Assert.True(DateTime.TryParse(date, CultureInfo.InvariantCulture, out _), $"'{date}' is not a date");
        }

        await b.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        Assert.Equal([idA], (await a.ReceiveJsonAsync()).Roster());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Chat_page_is_served_and_loads_nothing_from_outside()
    {
        await using var server = await PodeServerHost.StartAsync(Example("chat", "-Port $port"));
        using var http = server.Http();
        var page = await http.GetStringAsync("/");
        Assert.Contains("<script type=\"text/javascript\" src=\"/script.js\"", page);
        Assert.Contains("id='bc-form'", page);
        var script = await http.GetStringAsync("/script.js");
        Assert.Contains("new WebSocket(url)", script);
        var style = await http.GetStringAsync("/style.css");
        foreach (var text in new[] { page, script, style })
        {
            Assert.DoesNotMatch(new Regex(@"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", RegexOptions.IgnoreCase), text);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/jquery.min.js")).StatusCode);
    }

    [Fact]
    public async Task Auto_upgrade_names_connections_by_path_and_broadcasts_to_all()
    {
        await using var server = await PodeServerHost.StartAsync(Example("auto-upgrade", "-Port $port"));
        using var a = await server.ConnectAsync("/msg");
        using var b = await server.ConnectAsync("/msg");
        await WaitForAsync(() => Regex.Matches(server.HostText, @"Connected: /msg \(").Count == 2, () => server.HostText);

        await a.SendAsync("""{"message":"[date]"}""");
        foreach (var ws in new[] { a, b })
        {
            var date = (await ws.ReceiveJsonAsync()).GetProperty("message").GetString()!;
            Assert.True(DateTime.TryParse(date, CultureInfo.InvariantCulture, out _), $"'{date}' is not a date");
        }
        await b.SendAsync("""{"message":"hello"}""");
        foreach (var ws in new[] { a, b })
        {
            Assert.Equal("""{"message":"hello"}""", await ws.ReceiveTextAsync());
        }

        await b.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        await WaitForAsync(() => server.HostText.Contains("Disconnected: /msg ("), () => server.HostText);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Local_scope_sends_twice_then_closes_with_the_route()
    {
        var wsPort = PodeServerHost.FreePort();
        await using var server = await PodeServerHost.StartAsync(
            Example("local-scope", "-Port $port -WsPort $wsPort -Seconds 1"), new Dictionary<string, object?> { ["wsPort"] = wsPort });
        using var ws = await server.ConnectAsync("/response-times");
        Assert.Equal("""{"Durations":[123,101,104]}""", await ws.ReceiveTextAsync());
        Assert.Equal("""{"Durations":[234,202,205]}""", await ws.ReceiveTextAsync());
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        var end = await ws.ReceiveAsync(new byte[1024], cts.Token);
        Assert.Equal(WebSocketMessageType.Close, end.MessageType);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task External_client_echoes_the_chat_says_hello_and_resets()
    {
        await using var chat = await PodeServerHost.StartAsync(Example("chat", "-Port $port"));
        using var watcher = await chat.ConnectAsync("/msg");
        var me = (await watcher.ReceiveJsonAsync()).Expect("welcome").GetProperty("clientId").GetString()!;
        Assert.Equal([me], (await watcher.ReceiveJsonAsync()).Roster());

        await using var client = await PodeServerHost.StartAsync(
            Example("external-client", "-Port $port -ChatUrl $chatUrl -Interval 1"),
            new Dictionary<string, object?> { ["chatUrl"] = $"ws://127.0.0.1:{chat.Port}/msg" });
        var seen = new List<JsonElement>();
        var joined = await watcher.NextJsonAsync(m => m.Type() == "roster" && m.Roster().Length == 2, seen);
        var external = joined.Roster().Single(id => id != me);

        // The timer says hello; the client echoes it once, never its own echo.
        await watcher.NextJsonAsync(m => m.Message()?.StartsWith("hello from the timer at ", StringComparison.Ordinal) == true, seen);
        await watcher.SendAsync("""{"message":"hi robot"}""");
        await watcher.NextJsonAsync(m => m.Message() == "Ex: hi robot", seen);

        // /reset reconnects: the old connection leaves the chat and a new one joins.
        using var http = client.Http();
        Assert.Equal("reconnected", await http.GetStringAsync("/reset"));
        var after = await watcher.NextJsonAsync(m => m.Type() == "roster" && m.Roster().Length == 2 && !m.Roster().Contains(external), seen);
        Assert.Contains(me, after.Roster());
        await watcher.SendAsync("""{"message":"still there?"}""");
        await watcher.NextJsonAsync(m => m.Message() == "Ex: still there?", seen);
        Assert.DoesNotContain(seen, m => m.Message()?.StartsWith("Ex: Ex:", StringComparison.Ordinal) == true);
        Assert.Empty(chat.Errors);
        Assert.Empty(client.Errors);
    }

    private static async Task WaitForAsync(Func<bool> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + PodeServerHost.Limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not met; host output:\n{describe()}");
            }
            await Task.Delay(50);
        }
    }
}

/// <summary>The chat's JSON messages: { type, message | clients | clientId }.</summary>
internal static class ChatMessages
{
    public static async Task<JsonElement> ReceiveJsonAsync(this WebSocket ws) =>
        JsonDocument.Parse(await ws.ReceiveTextAsync()).RootElement.Clone();

    /// <summary>Skips messages until one matches (fails after the harness's limit per message).</summary>
    public static async Task<JsonElement> NextJsonAsync(this WebSocket ws, Func<JsonElement, bool> match, List<JsonElement>? log = null)
    {
        var deadline = DateTime.UtcNow + PodeServerHost.Limit;
        var seen = new List<string>();
        while (DateTime.UtcNow < deadline)
        {
            var m = await ws.ReceiveJsonAsync();
            log?.Add(m);
            if (match(m))
            {
                return m;
            }
            seen.Add(m.GetRawText());
        }
        throw new TimeoutException($"no matching message; seen: {string.Join(" | ", seen)}");
    }

    public static string? Type(this JsonElement m) =>
        m.ValueKind == JsonValueKind.Object && m.TryGetProperty("type", out var t) ? t.GetString() : null;

    public static string? Message(this JsonElement m) =>
        m.Type() == "message" && m.GetProperty("message").ValueKind == JsonValueKind.String ? m.GetProperty("message").GetString() : null;

    public static JsonElement Expect(this JsonElement m, string type)
    {
        Assert.True(m.Type() == type, $"expected a {type} message, got {m.GetRawText()}");
        return m;
    }

    public static string[] Roster(this JsonElement m) =>
        [.. m.Expect("roster").GetProperty("clients").EnumerateArray().Select(e => e.GetString()!)];
}
