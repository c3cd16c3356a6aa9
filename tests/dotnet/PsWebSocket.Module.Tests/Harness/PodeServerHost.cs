using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace PsWebSocket.Module.Tests.Harness;

/// <summary>
/// A server script running in its own runspace on a background thread, as a user would
/// run it. The script sees <c>$port</c> (a free port on 127.0.0.1, chosen before start)
/// and any extra variables. Disposing stops the pipeline (Ctrl+C semantics), which shuts
/// the server down gracefully, and waits (bounded) for it.
/// </summary>
public sealed class PodeServerHost : IAsyncDisposable
{
    /// <summary>The longest any single wait in a test may take.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private readonly StringWriter _text = new();
    private readonly Runspace _runspace;
    private readonly PowerShell _ps;
    private readonly Task<Collection<PSObject>> _run;

    private PodeServerHost(string script, int port, IDictionary<string, object?>? variables)
    {
        Port = port;
        _runspace = Ps.OpenRunspace(_text);
        _runspace.SessionStateProxy.SetVariable("port", port);
        foreach (var (name, value) in variables ?? new Dictionary<string, object?>())
        {
            _runspace.SessionStateProxy.SetVariable(name, value);
        }
        _ps = PowerShell.Create(_runspace);
        _ps.AddScript(script);
        _run = Task.Factory.StartNew(() => _ps.Invoke(), TaskCreationOptions.LongRunning);
    }

    /// <summary>The port given to the script as <c>$port</c>.</summary>
    public int Port { get; }

    /// <summary>What the server wrote to the host so far (Out-Default and friends).</summary>
    public string HostText => _text.ToString();

    /// <summary>Errors the server wrote (failed scriptblocks and so on).</summary>
    public IReadOnlyList<ErrorRecord> Errors => _ps.Streams.Error.ToList();

    /// <summary>Warnings the server wrote.</summary>
    public IReadOnlyList<WarningRecord> Warnings => _ps.Streams.Warning.ToList();

    /// <summary>A free TCP port on 127.0.0.1.</summary>
    public static int FreePort()
    {
        // Below Linux's ephemeral range (32768-60999): other tests' outgoing connections cannot take it before the server binds.
        while (true)
        {
            var port = Random.Shared.Next(20_000, 32_768);
            using var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
            }
            finally
            {
                listener.Stop();
            }
        }
    }

    /// <summary>Starts the script and waits until its server accepts connections on <c>$port</c>.</summary>
    public static Task<PodeServerHost> StartAsync(string script, IDictionary<string, object?>? variables = null) =>
        StartAsync(script, FreePort(), variables);

    /// <summary>Starts the script with <c>$port</c> = <paramref name="port"/> (e.g. the port of a server that just stopped).</summary>
    public static async Task<PodeServerHost> StartAsync(string script, int port, IDictionary<string, object?>? variables = null)
    {
        var host = new PodeServerHost(script, port, variables);
        try
        {
            await host.WaitUntilListeningAsync();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow + Limit;
        while (DateTime.UtcNow < deadline)
        {
            if (_run.IsCompleted)
            {
                await _run; // surfaces the script's failure
                throw new InvalidOperationException($"The server script ended before listening. Errors: {string.Join("; ", Errors)}\n{HostText}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"The server did not listen on port {Port}. Errors: {string.Join("; ", Errors)}\n{HostText}");
    }

    /// <summary>An HTTP client for http://127.0.0.1:port.</summary>
    public HttpClient Http() => new() { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = Limit };

    /// <summary>Opens a WebSocket to ws://127.0.0.1:port/path.</summary>
    public async Task<ClientWebSocket> ConnectAsync(string path, Action<ClientWebSocketOptions>? configure = null)
    {
        var ws = new ClientWebSocket();
        configure?.Invoke(ws.Options);
        using var cts = new CancellationTokenSource(Limit);
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{Port}{path}"), cts.Token);
        return ws;
    }

    /// <summary>Waits until the script's pipeline ends by itself (e.g. Close-PodeServer).</summary>
    public async Task WaitForExitAsync()
    {
        if (await Task.WhenAny(_run, Task.Delay(Limit)) != _run)
        {
            throw new TimeoutException("The server did not stop.");
        }
    }

    /// <summary>True once the script's pipeline has ended.</summary>
    public bool HasExited => _run.IsCompleted;

    /// <summary>Stops the server (like Ctrl+C) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted)
        {
            _ps.BeginStop(null, null);
        }
        await Task.WhenAny(_run, Task.Delay(Limit));
        _ps.Dispose();
        _runspace.Dispose();
    }
}

/// <summary>Text over a ClientWebSocket.</summary>
public static class WebSocketText
{
    /// <summary>Sends one text message.</summary>
    public static async Task SendAsync(this WebSocket ws, string text)
    {
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cts.Token);
    }

    /// <summary>Receives one complete text message (fails on close or after the limit).</summary>
    public static async Task<string> ReceiveTextAsync(this WebSocket ws)
    {
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
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

    /// <summary>True if nothing arrives within <paramref name="wait"/> (for "not a target" checks).</summary>
    public static async Task<bool> QuietForAsync(this WebSocket ws, TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await ws.ReceiveAsync(new byte[1024], cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }
}
