using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using PwshRunner;

namespace PsWebSocket.Browser.Tests;

/// <summary>
/// examples/chat/server.ps1 running as a user runs it: the script file in its own runspace of the
/// hosted PowerShell 7.6 engine (the module imported from out/PsWebSocket), with <c>-Port</c> set,
/// on a background thread. Disposing stops the pipeline (Ctrl+C semantics), which shuts the server
/// down gracefully, and waits (bounded) for it. The same pattern as PodeServerHost in
/// PsWebSocket.Module.Tests, for a script file instead of a script text.
/// </summary>
public sealed class ChatServer : IAsyncDisposable
{
    /// <summary>The longest any single wait in a test may take (the machine is shared and slow).</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static string Metadata(string key) =>
        typeof(ChatServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    /// <summary>The assembled module folder (out/PsWebSocket).</summary>
    public static readonly string ModuleDir = Metadata("PsModuleDir");

    /// <summary>The repository root.</summary>
    public static readonly string RepoRoot = Metadata("RepoRoot");

    /// <summary>The example being tested.</summary>
    public static readonly string Script = Path.Combine(RepoRoot, "examples", "chat", "server.ps1");

    private readonly StringWriter _text = new();
    private readonly Runspace _runspace;
    private readonly PowerShell _ps;
    private readonly Task _run;

    static ChatServer()
    {
        PSStyle.Instance.OutputRendering = OutputRendering.PlainText;
        // The script says Import-Module PsWebSocket, as a user's would: make the built module findable.
        var modules = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(ModuleDir))!;
        var path = Environment.GetEnvironmentVariable("PSModulePath") ?? "";
        if (!path.Split(Path.PathSeparator).Contains(modules))
        {
            Environment.SetEnvironmentVariable("PSModulePath", modules + Path.PathSeparator + path);
        }
    }

    private ChatServer(int port)
    {
        Port = port;
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule([Path.Combine(ModuleDir, "PsWebSocket.psd1")]);
        _runspace = RunspaceFactory.CreateRunspace(new TextHost(_text), iss);
        _runspace.Open();
        _ps = PowerShell.Create(_runspace);
        _ps.AddCommand(Script).AddParameter("Port", port);
        _run = Task.Factory.StartNew(() => _ps.Invoke(), TaskCreationOptions.LongRunning);
    }

    /// <summary>The port the server listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>The chat page's address.</summary>
    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>What the server wrote to the host, and its errors: for failure messages.</summary>
    public string Output => $"{_text}\nerrors: {string.Join("; ", _ps.Streams.Error)}";

    /// <summary>Errors the server wrote (failed scriptblocks and so on).</summary>
    public IReadOnlyList<ErrorRecord> Errors => _ps.Streams.Error.ToList();

    /// <summary>A free TCP port on 127.0.0.1.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the chat on <paramref name="port"/> (a free one by default) and waits until it listens.</summary>
    public static async Task<ChatServer> StartAsync(int? port = null)
    {
        var server = new ChatServer(port ?? FreePort());
        try
        {
            await server.WaitUntilListeningAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow + Limit;
        while (DateTime.UtcNow < deadline)
        {
            if (_run.IsCompleted)
            {
                await _run; // surfaces the script's failure
                throw new InvalidOperationException($"The chat server ended before listening.\n{Output}");
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
        throw new TimeoutException($"The chat server did not listen on port {Port}.\n{Output}");
    }

    /// <summary>Stops the server (like Ctrl+C) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted)
        {
            _ps.BeginStop(null, null);
        }
        if (await Task.WhenAny(_run, Task.Delay(Limit)) != _run)
        {
            throw new TimeoutException($"The chat server did not stop.\n{Output}");
        }
        _ps.Dispose();
        _runspace.Dispose();
    }
}
