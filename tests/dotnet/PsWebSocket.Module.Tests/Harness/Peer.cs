using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace PsWebSocket.Module.Tests.Harness;

/// <summary>
/// A WebSocket client whose receive loop runs from the start, so checks that nothing arrives
/// never cancel a pending receive (which would abort a ClientWebSocket). Messages and the
/// server's Close frame are queued in order.
/// </summary>
public sealed class Peer : IAsyncDisposable, IDisposable
{
    private sealed record Item(string? Text, WebSocketCloseStatus? CloseStatus, string? CloseDescription, Exception? Error);

    private readonly Channel<Item> _items = Channel.CreateUnbounded<Item>();
    private readonly Task _loop;

    private Peer(ClientWebSocket socket)
    {
        Socket = socket;
        _loop = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>The underlying socket (response headers, state).</summary>
    public ClientWebSocket Socket { get; }

    /// <summary>Connects to ws://127.0.0.1:port/path of a test server.</summary>
    public static Task<Peer> ConnectAsync(PodeServerHost server, string path, Action<ClientWebSocketOptions>? configure = null) =>
        ConnectAsync($"ws://127.0.0.1:{server.Port}{path}", configure);

    /// <summary>Connects to a URL; response headers are collected.</summary>
    public static async Task<Peer> ConnectAsync(string url, Action<ClientWebSocketOptions>? configure = null)
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(ws.Options);
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        try
        {
            await ws.ConnectAsync(new Uri(url), cts.Token);
        }
        catch
        {
            ws.Dispose();
            throw;
        }
        return new Peer(ws);
    }

    /// <summary>A response header of the handshake (null when absent).</summary>
    public string? Header(string name) =>
        Socket.HttpResponseHeaders?.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _items.Writer.TryWrite(new Item(null, result.CloseStatus, result.CloseStatusDescription, null));
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    _items.Writer.TryWrite(new Item(Encoding.UTF8.GetString(message.ToArray()), null, null, null));
                    message.SetLength(0);
                }
            }
        }
        catch (Exception e)
        {
            _items.Writer.TryWrite(new Item(null, null, null, e));
        }
        finally
        {
            _items.Writer.TryComplete();
        }
    }

    private async Task<Item> NextAsync(TimeSpan? limit)
    {
        using var cts = new CancellationTokenSource(limit ?? PodeServerHost.Limit);
        try
        {
            return await _items.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no message from the server in time");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("the connection ended without a Close frame");
        }
    }

    /// <summary>Sends one text message.</summary>
    public async Task SendAsync(string text)
    {
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        await Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cts.Token);
    }

    /// <summary>The next text message (fails on Close, error or after the limit).</summary>
    public async Task<string> ReceiveAsync(TimeSpan? limit = null)
    {
        var item = await NextAsync(limit);
        return item.Text ?? throw new InvalidOperationException(item.Error is null
            ? $"expected a message, got a Close frame: {item.CloseStatus} {item.CloseDescription}"
            : $"expected a message, the connection failed: {item.Error.Message}");
    }

    /// <summary>The server's Close frame, next in line (fails on a message, error or after the limit).</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Description)> ReceiveCloseAsync(TimeSpan? limit = null)
    {
        var item = await NextAsync(limit);
        if (item.Text is not null)
        {
            throw new InvalidOperationException($"expected a Close frame, got a message: {item.Text}");
        }
        if (item.Error is not null)
        {
            throw new InvalidOperationException($"expected a Close frame, the connection failed: {item.Error.Message}");
        }
        return (item.CloseStatus, item.CloseDescription);
    }

    /// <summary>True if nothing (no message, no Close) arrives within <paramref name="wait"/>; nothing is consumed.</summary>
    public async Task<bool> QuietForAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await _items.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Starts the closing handshake with a code and reason; the server's reply is queued.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure, string reason = "")
    {
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        await Socket.CloseOutputAsync(status, reason, cts.Token);
    }

    /// <summary>Drops the connection without a closing handshake.</summary>
    public void Abort() => Socket.Abort();

    /// <inheritdoc/>
    public void Dispose()
    {
        Socket.Abort();
        Socket.Dispose();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Dispose();
        await Task.WhenAny(_loop, Task.Delay(PodeServerHost.Limit));
    }
}
