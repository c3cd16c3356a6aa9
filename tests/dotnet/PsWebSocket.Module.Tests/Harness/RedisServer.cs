using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PsWebSocket.Module.Tests.Harness;

/// <summary>
/// A real <c>redis-server</c> on 127.0.0.1 and a free port, without persistence; disposing
/// kills it by its pid (also when the test failed).
/// </summary>
public sealed class RedisServer : IDisposable
{
    private readonly Process _process;

    private RedisServer(int port)
    {
        Port = port;
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server)");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Its port.</summary>
    public int Port { get; }

    /// <summary><c>redis://127.0.0.1:port/0</c>.</summary>
    public string Url => $"redis://127.0.0.1:{Port}/0";

    /// <summary>Starts one and waits until it accepts connections.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var redis = new RedisServer(PodeServerHost.FreePort());
        var deadline = DateTime.UtcNow + PodeServerHost.Limit;
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, redis.Port);
                return redis;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !redis._process.HasExited)
            {
                await Task.Delay(20);
            }
            catch
            {
                redis.Dispose();
                throw;
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
        _process.Dispose();
    }
}
