using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Management.Automation;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>Start-PodeServer and Close-PodeServer: blocking, threads, pools, shutdown, restart on the same port.</summary>
public class ServerTests
{
    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Close_PodeServer_from_a_route_ends_Start_PodeServer_and_releases_the_port()
    {
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/close' -ScriptBlock {
                    Close-PodeServer
                    [System.Threading.Thread]::Sleep(300) # the route still gets to answer
                    Write-PodeTextResponse -Value 'bye'
                }
            }
            'after the server'
            """);
        Assert.False(server.HasExited);
        using var http = server.Http();
        Assert.Equal("bye", await http.GetStringAsync("/close"));
        await server.WaitForExitAsync();
        Assert.True(server.HasExited);
        Assert.True(PortIsFree(server.Port));
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Stopping_like_CtrlC_closes_WebSockets_with_1001_and_a_new_server_can_bind_the_port()
    {
        const string script = """
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
                Add-PodeRoute -Method Get -Path '/msg' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Msg' }
                Add-PodeRoute -Method Get -Path '/who' -ScriptBlock { Write-PodeTextResponse -Value $using:who }
            }
            """;
        var first = await PodeServerHost.StartAsync(script, new Dictionary<string, object?> { ["who"] = "first" });
        var port = first.Port;
        using var ws = await first.ConnectAsync("/msg");
        var stopping = first.DisposeAsync().AsTask();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await ws.ReceiveCloseAsync());
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await stopping;
        Assert.True(first.HasExited);

        await using var second = await PodeServerHost.StartAsync(script, port, new Dictionary<string, object?> { ["who"] = "second" });
        using var http = second.Http();
        Assert.Equal(port, second.Port);
        Assert.Equal("second", await http.GetStringAsync("/who"));
    }

    [Fact]
    public async Task Threads_runs_routes_side_by_side()
    {
        // /wait blocks its runspace until /release runs: with one thread /release would queue behind it
        // and /wait would answer False after its 10 s wait.
        await using var server = await PodeServerHost.StartAsync("""
            $gate = [System.Threading.ManualResetEventSlim]::new($false)
            Start-PodeServer -Threads 2 {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/wait' -ScriptBlock { Write-PodeTextResponse -Value ($using:gate).Wait(10000) }
                Add-PodeRoute -Method Get -Path '/release' -ScriptBlock { ($using:gate).Set(); Write-PodeTextResponse -Value 'released' }
            }
            """);
        using var http = server.Http();
        var wait = http.GetStringAsync("/wait");
        await Task.Delay(200);
        Assert.Equal("released", await http.GetStringAsync("/release"));
        Assert.Equal("True", await wait);
    }

    [Fact]
    public async Task Start_PodeServer_runs_a_server_file_with_FilePath()
    {
        using var dir = new TempDir();
        var file = dir.Write("server.ps1", """
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Add-PodeRoute -Method Get -Path '/' -ScriptBlock { Write-PodeTextResponse -Value 'from file' }
            """);
        await using var server = await PodeServerHost.StartAsync("Start-PodeServer -FilePath $file", new Dictionary<string, object?> { ["file"] = file });
        using var http = server.Http();
        Assert.Equal("from file", await http.GetStringAsync("/"));
    }

    [Fact]
    public async Task EnablePool_accepts_Pode_pools_and_timers_added_later_run()
    {
        await using var server = await PodeServerHost.StartAsync($$"""
            Start-PodeServer -EnablePool Timers, Schedules, WebSockets {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                {{SignalKit.EvalRoute}}
            }
            """);
        (await server.EvalAsync("Add-PodeTimer -Name 'later' -Interval 60 -OnStart -ScriptBlock { Set-PodeState -Name 'ran' -Value $true | Out-Null }")).Success();
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeState -Name 'ran'")).Success().Strings.SequenceEqual(["true"]), "the timer added after start ran");
    }

    [Fact]
    public void EnablePool_rejects_unknown_pools()
    {
        var result = Ps.Run("Start-PodeServer -EnablePool Bogus { }");
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("ParameterArgumentValidationError", error.FullyQualifiedErrorId);
    }

    [Fact]
    public void A_server_without_endpoints_fails_with_a_clear_error()
    {
        var result = Ps.Run("Start-PodeServer { Add-PodeRoute -Method Get -Path '/' -ScriptBlock { } }");
        var error = Assert.Single(result.Errors);
        Assert.Contains("Add-PodeEndpoint", error.ToString());
    }

    [Fact]
    public void A_throwing_server_script_stops_Start_PodeServer_with_its_error()
    {
        var result = Ps.Run("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http
                throw 'bad configuration'
            }
            """);
        Assert.Contains(result.Errors, e => e.ToString().Contains("bad configuration"));
    }

    [Fact]
    public void Server_cmdlets_outside_a_server_say_so()
    {
        var result = Ps.Run("Close-PodeServer");
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("PodeServerNotFound", error.FullyQualifiedErrorId);
    }

    [Fact]
    public async Task Functions_of_the_server_script_are_usable_in_routes()
    {
        // In the Start-PodeServer script block, and (when the server runs from a file) anywhere in the file.
        using var dir = new TempDir();
        var file = dir.Write("server.ps1", """
            function Get-Outer { param($Name) "outer $Name" }
            Start-PodeServer {
                function Get-Inner { 'inner' }
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/' -ScriptBlock { Write-PodeTextResponse -Value "$(Get-Inner) $(Get-Outer -Name bob)" }
            }
            """);
        await using var server = await PodeServerHost.StartAsync($"& '{file}'");
        using var http = server.Http();
        Assert.Equal("inner outer bob", await http.GetStringAsync("/"));
    }

    [Fact]
    public async Task Ws_endpoint_on_its_own_serves_auto_upgraded_connections()
    {
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws
            }
            """);
        using var a = await server.ConnectAsync("/chat");
        using var b = await server.ConnectAsync("/chat");
        await a.SendAsync("""{"message":"hello"}""");
        Assert.Equal("hello", await b.ReceiveTextAsync());
    }

    [Fact]
    public void PodeContext_is_not_left_behind_after_the_server_stops()
    {
        var result = Ps.Run("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http
                Add-PodeTimer -Name 'stop' -Interval 1 -OnStart -ScriptBlock { Close-PodeServer }
            }
            $null -eq $PodeContext
            """);
        Assert.Empty(result.Errors);
        Assert.True((bool)result.Output.Last().BaseObject);
    }
}
