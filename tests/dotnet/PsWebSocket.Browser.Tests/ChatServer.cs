using System.Management.Automation;
using PsWebSocket.Module.Tests.Harness;

namespace PsWebSocket.Browser.Tests;

/// <summary>
/// examples/chat/server.ps1 running as a user runs it, through the module tests' <see cref="PodeServerHost"/>:
/// the script file in its own runspace of the hosted PowerShell 7.6 engine, finding the built module through
/// PSModulePath, with <c>-Port</c> set. Disposing stops it like Ctrl+C and fails if it does not stop.
/// </summary>
public sealed class ChatServer : IAsyncDisposable
{
    /// <summary>The longest any single browser wait in a test may take (the machine is shared and slow).</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>The repository root.</summary>
    public static string RepoRoot => Ps.RepoRoot;

    /// <summary>The example being tested, started with the port the host chose.</summary>
    private static readonly string Command = $"& '{Path.Combine(Ps.RepoRoot, "examples", "chat", "server.ps1")}' -Port $port";

    // The script says Import-Module PsWebSocket, as a user's would.
    static ChatServer() => Ps.ExposeModule();

    private readonly PodeServerHost _host;

    private ChatServer(PodeServerHost host) => _host = host;

    /// <summary>The port the server listens on (127.0.0.1).</summary>
    public int Port => _host.Port;

    /// <summary>The chat page's address.</summary>
    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>Errors the server wrote (failed scriptblocks and so on).</summary>
    public IReadOnlyList<ErrorRecord> Errors => _host.Errors;

    /// <summary>Starts the chat on <paramref name="port"/> (a free one by default) and waits until it listens.</summary>
    public static async Task<ChatServer> StartAsync(int? port = null) =>
        new(await PodeServerHost.StartAsync(Command, port ?? PodeServerHost.FreePort()));

    /// <summary>Stops the server (like Ctrl+C) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        if (!_host.HasExited)
        {
            throw new TimeoutException($"The chat server did not stop.\n{_host.HostText}\nerrors: {string.Join("; ", _host.Errors)}");
        }
    }
}
