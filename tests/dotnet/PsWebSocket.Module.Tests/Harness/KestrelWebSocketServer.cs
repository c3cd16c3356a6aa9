using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PsWebSocket.Module.Tests.Harness;

/// <summary>
/// An ASP.NET Core Kestrel WebSocket server on 127.0.0.1 (a peer nobody here wrote) for
/// external-connection tests. Every WebSocket request on any path is accepted (with the
/// first offered sub-protocol) and becomes a <see cref="KestrelPeer"/> that records the
/// request headers and the messages it receives. With <c>echo</c> every message is sent
/// back as it came; the text <c>!close</c> makes the server close that connection (1000,
/// "bye"). A <c>greeting</c> is sent to every new connection as soon as it is accepted.
/// Plain HTTP requests get 400.
/// </summary>
public sealed class KestrelWebSocketServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<KestrelPeer> _peers = Channel.CreateUnbounded<KestrelPeer>();
    private readonly ConcurrentBag<KestrelPeer> _all = [];
    private readonly bool _echo;
    private readonly bool _tls;
    private readonly string? _greeting;

    private KestrelWebSocketServer(int port, bool echo, X509Certificate2? certificate, string? greeting)
    {
        _echo = echo;
        _greeting = greeting;
        _tls = certificate is not null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        _app = builder.Build();
        _app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        _app.Run(HandleAsync);
    }

    /// <summary>The bound port.</summary>
    public int Port { get; private set; }

    /// <summary>ws:// (or wss:// with a certificate) URL of a path on this server.</summary>
    public string Url(string path = "/ws") => $"{(_tls ? "wss" : "ws")}://127.0.0.1:{Port}{path}";

    /// <summary>Starts a server on <paramref name="port"/> (0: a free one); <paramref name="greeting"/> is sent to every new connection.</summary>
    public static async Task<KestrelWebSocketServer> StartAsync(bool echo = false, int port = 0, X509Certificate2? certificate = null, string? greeting = null)
    {
        var server = new KestrelWebSocketServer(port, echo, certificate, greeting);
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address).Port;
        return server;
    }

    /// <summary>A self-signed certificate for 127.0.0.1 and localhost, valid for a day.</summary>
    public static X509Certificate2 SelfSignedCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    /// <summary>The next connection the server accepted (fails after the limit).</summary>
    public async Task<KestrelPeer> NextPeerAsync()
    {
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        try
        {
            return await _peers.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No WebSocket connection reached the Kestrel server.");
        }
    }

    /// <summary>The next two connections, by their paths (they may arrive in either order).</summary>
    public async Task<(KestrelPeer, KestrelPeer)> NextPeersAsync(string first, string second)
    {
        var peers = new[] { await NextPeerAsync(), await NextPeerAsync() }.ToDictionary(p => p.Path);
        return (peers[first], peers[second]);
    }

    /// <summary>True if no new connection arrives within <paramref name="wait"/>.</summary>
    public async Task<bool> NoPeerForAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await _peers.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }
        var offered = context.WebSockets.WebSocketRequestedProtocols;
        var protocol = offered.Count > 0 ? offered[0] : null;
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var socket = await context.WebSockets.AcceptWebSocketAsync(protocol);
        var peer = new KestrelPeer(socket, context.Request.Path.Value ?? "", headers, protocol);
        _all.Add(peer);
        _peers.Writer.TryWrite(peer);
        if (_greeting is not null)
        {
            await peer.SendTextAsync(_greeting);
        }
        await peer.RunAsync(_echo, context.RequestAborted);
    }

    /// <summary>Closes every open connection with 1001 and stops the server (the port is free again).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _all)
        {
            await peer.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "server stopping");
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // connections that did not finish are aborted
        }
        await _app.DisposeAsync();
    }
}

/// <summary>One connection accepted by <see cref="KestrelWebSocketServer"/>.</summary>
public sealed class KestrelPeer
{
    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly Channel<(WebSocketMessageType Type, byte[] Data)> _received = Channel.CreateUnbounded<(WebSocketMessageType, byte[])>();
    private readonly TaskCompletionSource<(WebSocketCloseStatus? Status, string? Description)> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal KestrelPeer(WebSocket socket, string path, IReadOnlyDictionary<string, string> headers, string? subProtocol)
    {
        _socket = socket;
        Path = path;
        Headers = headers;
        SubProtocol = subProtocol;
    }

    /// <summary>URL path of the upgrade request.</summary>
    public string Path { get; }

    /// <summary>Headers of the upgrade request (case-insensitive names).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The sub-protocol the server accepted, if any was offered.</summary>
    public string? SubProtocol { get; }

    /// <summary>Completes with the close status the client sent (or null when it just dropped).</summary>
    public Task<(WebSocketCloseStatus? Status, string? Description)> Closed => _closed.Task;

    internal async Task RunAsync(bool echo, CancellationToken aborted)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, aborted);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult((result.CloseStatus, result.CloseStatusDescription));
                    await CloseAsync(result.CloseStatus ?? WebSocketCloseStatus.NormalClosure, "");
                    return;
                }
                var data = message.ToArray();
                if (result.MessageType == WebSocketMessageType.Text && Encoding.UTF8.GetString(data) == "!close")
                {
                    await CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
                    continue;
                }
                _received.Writer.TryWrite((result.MessageType, data));
                if (echo)
                {
                    await SendAsync(data, result.MessageType);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away
        }
        finally
        {
            _closed.TrySetResult((null, null));
            _received.Writer.TryComplete();
        }
    }

    private async Task SendAsync(byte[] data, WebSocketMessageType type)
    {
        await _sending.WaitAsync();
        try
        {
            using var cts = new CancellationTokenSource(PodeServerHost.Limit);
            await _socket.SendAsync(data, type, true, cts.Token);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Sends a text message to the client.</summary>
    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    /// <summary>Sends a binary message to the client.</summary>
    public Task SendBinaryAsync(byte[] data) => SendAsync(data, WebSocketMessageType.Binary);

    /// <summary>Starts the close handshake from the server side (no-op if already closing).</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        await _sending.WaitAsync();
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(status, reason, cts.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // already gone
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>The next message from the client (fails after the limit or when the connection closed).</summary>
    public async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync()
    {
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("The client sent nothing to the Kestrel server.");
        }
        catch (ChannelClosedException)
        {
            throw new WebSocketException("The client closed the connection before sending a message.");
        }
    }

    /// <summary>The next message from the client, which must be text.</summary>
    public async Task<string> ReceiveTextAsync()
    {
        var (type, data) = await ReceiveAsync();
        if (type != WebSocketMessageType.Text)
        {
            throw new InvalidOperationException($"Expected a text message, got {type} ({data.Length} bytes).");
        }
        return Encoding.UTF8.GetString(data);
    }

    /// <summary>True if the client sends nothing within <paramref name="wait"/>.</summary>
    public async Task<bool> QuietForAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            // False from WaitToReadAsync: the connection closed without sending anything.
            return !await _received.Reader.WaitToReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Waits (bounded) until the client closed the connection.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Description)> WaitClosedAsync()
    {
        if (await Task.WhenAny(Closed, Task.Delay(PodeServerHost.Limit)) != Closed)
        {
            throw new TimeoutException("The client did not close the connection.");
        }
        return await Closed;
    }
}
