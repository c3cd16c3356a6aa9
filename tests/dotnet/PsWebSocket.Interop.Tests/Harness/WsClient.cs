using System.Net.WebSockets;
using System.Text;

namespace PsWebSocket.Interop.Tests.Harness;

/// <summary>ClientWebSocket helpers: whole messages in and out, with cancellation.</summary>
internal static class WsClient
{
    /// <summary>A client that keeps the handshake response headers.</summary>
    public static ClientWebSocket Create(string userAgent = "interop-tests")
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("User-Agent", userAgent);
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        return socket;
    }

    public static Task SendTextAsync(this ClientWebSocket socket, string text, CancellationToken cancel) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancel);

    public static Task SendBinaryAsync(this ClientWebSocket socket, byte[] data, CancellationToken cancel) =>
        socket.SendAsync(data, WebSocketMessageType.Binary, endOfMessage: true, cancel);

    /// <summary>The next whole message (type Close when the server closed).</summary>
    public static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(this ClientWebSocket socket, CancellationToken cancel)
    {
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancel);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, []);
            }
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>The next message, which must be text.</summary>
    public static async Task<string> ReceiveTextAsync(this ClientWebSocket socket, CancellationToken cancel)
    {
        var (type, data) = await socket.ReceiveAsync(cancel);
        Assert.True(type == WebSocketMessageType.Text, $"expected a text message, got {type} (close status {socket.CloseStatus} '{socket.CloseStatusDescription}')");
        return Encoding.UTF8.GetString(data);
    }

    /// <summary>Waits for the server's Close frame and answers it.</summary>
    public static async Task ExpectCloseAsync(this ClientWebSocket socket, CancellationToken cancel)
    {
        var (type, data) = await socket.ReceiveAsync(cancel);
        Assert.True(type == WebSocketMessageType.Close, $"expected a Close, got a {type} message: {Encoding.UTF8.GetString(data)}");
        // Answer it, as a well-behaved client does, so the server need not wait for its close timeout.
        if (socket.State == WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancel);
        }
    }

    /// <summary>A handshake response header (names compared without case).</summary>
    public static string? Header(IReadOnlyDictionary<string, IEnumerable<string>> headers, string name) =>
        headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value is { } values ? string.Join(",", values) : null;
}
