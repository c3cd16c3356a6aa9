using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace PsWebSocket.Module.Tests.Harness;

/// <summary>The outcome of a script run by the <c>/eval</c> route of a test server.</summary>
public sealed record EvalResult(bool Ok, JsonElement Result, string Error, string ErrorId, string Category)
{
    /// <summary>The output items as strings.</summary>
    public string[] Strings => Result.ValueKind == JsonValueKind.Array ? Result.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).ToArray() : [];

    /// <summary>The single output item.</summary>
    public JsonElement Single => Result.EnumerateArray().Single();

    /// <summary>Fails the test with the server's error unless the script succeeded.</summary>
    public EvalResult Success() => Ok ? this : throw new InvalidOperationException($"eval failed: {ErrorId}: {Error}");
}

/// <summary>Helpers for signal tests: an eval route, close frames, bounded polling.</summary>
public static class SignalKit
{
    /// <summary>
    /// A route to put in a server script: POST /eval runs the body as a script inside a route
    /// (so cmdlets see the running server) and answers its output, or the error's message,
    /// FullyQualifiedErrorId and category.
    /// </summary>
    public const string EvalRoute = """
        Add-PodeRoute -Method Post -Path '/eval' -ScriptBlock {
            try {
                $__result = @(& ([scriptblock]::Create($WebEvent.Request.Body)))
                Write-PodeJsonResponse -Value @{ ok = $true; result = $__result } -Depth 6
            }
            catch {
                Write-PodeJsonResponse -Value @{ ok = $false; error = $_.Exception.Message; id = $_.FullyQualifiedErrorId; category = "$($_.CategoryInfo.Category)" }
            }
        }
        """;

    /// <summary>Runs a script through the server's /eval route.</summary>
    public static async Task<EvalResult> EvalAsync(this PodeServerHost server, string script, int? port = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port ?? server.Port}"), Timeout = PodeServerHost.Limit };
        using var response = await http.PostAsync("/eval", new StringContent(script, Encoding.UTF8, "text/plain"));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"/eval answered {(int)response.StatusCode}: {body}");
        }
        var root = JsonDocument.Parse(body).RootElement;
        var ok = root.GetProperty("ok").GetBoolean();
        return ok
            ? new EvalResult(true, root.GetProperty("result").Clone(), "", "", "")
            : new EvalResult(false, default, root.GetProperty("error").GetString() ?? "", root.GetProperty("id").GetString() ?? "", root.GetProperty("category").GetString() ?? "");
    }

    /// <summary>Opens a WebSocket to any URL of the test machine.</summary>
    public static async Task<ClientWebSocket> ConnectUrlAsync(string url, Action<ClientWebSocketOptions>? configure = null)
    {
        var ws = new ClientWebSocket();
        configure?.Invoke(ws.Options);
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        await ws.ConnectAsync(new Uri(url), cts.Token);
        return ws;
    }

    /// <summary>Receives one text message within <paramref name="limit"/>.</summary>
    public static async Task<string> ReceiveTextAsync(this WebSocket ws, TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketException($"closed by the server: {result.CloseStatus} {result.CloseStatusDescription}");
            }
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    /// <summary>
    /// Reads until the server's Close frame (failing on any data message or after the limit)
    /// and returns its status.
    /// </summary>
    public static async Task<WebSocketCloseStatus?> ReceiveCloseAsync(this WebSocket ws)
    {
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        var buffer = new byte[64 * 1024];
        var result = await ws.ReceiveAsync(buffer, cts.Token);
        if (result.MessageType != WebSocketMessageType.Close)
        {
            throw new InvalidOperationException($"expected a Close frame, got a {result.MessageType} message: {Encoding.UTF8.GetString(buffer, 0, result.Count)}");
        }
        return result.CloseStatus;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after the limit.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + PodeServerHost.Limit;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"timed out waiting for: {what}");
    }

    /// <summary>Polls a synchronous condition (e.g. host text) until it holds.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    /// <summary>True if the server reported <paramref name="part"/> (in an error's message or id, a warning, or host text).</summary>
    public static bool Reported(this PodeServerHost server, string part) =>
        server.Errors.Any(e => e.ToString().Contains(part) || e.FullyQualifiedErrorId.Contains(part))
        || server.Warnings.Any(w => w.Message.Contains(part))
        || server.HostText.Contains(part);

    /// <summary>Waits until the server reported <paramref name="part"/>.</summary>
    public static Task WaitForReportAsync(this PodeServerHost server, string part) =>
        WaitUntilAsync(() => server.Reported(part), $"the server to report '{part}'");

    /// <summary>Counts non-overlapping occurrences of <paramref name="part"/>.</summary>
    public static int Occurrences(this string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
