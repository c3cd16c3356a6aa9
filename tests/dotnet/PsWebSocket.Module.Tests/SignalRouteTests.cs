using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// Signal routes: Get/Test/Remove/Clear-PodeSignalRoute(s), Add-PodeSignalRouteGroup (prefix,
/// endpoints, -IfExists, nesting), endpoint-bound routes, and a route that throws.
/// </summary>
public class SignalRouteTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private const string Server = $$"""
        Start-PodeServer -Threads 2 {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http -Name 'Web'
            Add-PodeEndpoint -Address 127.0.0.1 -Port $p1 -Protocol Ws -Name 'E1'
            Add-PodeEndpoint -Address 127.0.0.1 -Port $p2 -Protocol Ws -Name 'E2'
            {{SignalKit.EvalRoute}}
            Add-PodeSignalRoute -Path '/plain' -ScriptBlock { Send-PodeSignal -Mode Direct -Value "plain:$($SignalEvent.Data.Message)" }
            Add-PodeSignalRoute -Path 'both' -EndpointName 'E1', 'E2' -ScriptBlock { Send-PodeSignal -Mode Direct -Value "both:$($SignalEvent.Route.Path)" }
            Add-PodeSignalRoute -Path '/only2' -EndpointName 'E2' -ScriptBlock { Send-PodeSignal -Mode Direct -Value 'only2' }
            Add-PodeSignalRoute -Path '/wild/*' -ScriptBlock { Send-PodeSignal -Mode Direct -Value "wild:$($SignalEvent.Path)" }
            Add-PodeSignalRoute -Path '/throws' -ScriptBlock {
                if ($SignalEvent.Data.Message -eq 'boom') { throw 'signal route exploded' }
                Send-PodeSignal -Mode Direct -Value 'survived'
            }
            Add-PodeSignalRoute -Path '/args' -ArgumentList 'x', 'y' -ScriptBlock { param($a, $b) Send-PodeSignal -Mode Direct -Value "$a$b" }
            Add-PodeSignalRouteGroup -Path '/grp' -Routes {
                Add-PodeSignalRoute -Path '/a' -ScriptBlock { Send-PodeSignal -Mode Direct -Value 'grp-a' }
                Add-PodeSignalRouteGroup -Path 'inner' -EndpointName 'E2' -Routes {
                    Add-PodeSignalRoute -Path '/b' -ScriptBlock { Send-PodeSignal -Mode Direct -Value 'grp-inner-b' }
                }
                Add-PodeSignalRoute -Path '/' -ScriptBlock { Send-PodeSignal -Mode Direct -Value 'grp-root' }
            }
            Add-PodeSignalRoute -Path '/after' -ScriptBlock { Send-PodeSignal -Mode Direct -Value 'after' }
            Add-PodeSignalRouteGroup -Path '/skip' -IfExists Skip -Routes {
                Add-PodeSignalRoute -Path '/x' -ScriptBlock { Send-PodeSignal -Mode Direct -Value 'first' }
                Add-PodeSignalRouteGroup -Routes {
                    Add-PodeSignalRoute -Path '/x' -ScriptBlock { Send-PodeSignal -Mode Direct -Value 'second' }
                }
            }
        }
        """;

    private sealed record Ports(int P1, int P2);

    private static async Task<(PodeServerHost Server, Ports Ports)> StartAsync()
    {
        var ports = new Ports(PodeServerHost.FreePort(), PodeServerHost.FreePort());
        var server = await PodeServerHost.StartAsync(Server, new Dictionary<string, object?> { ["p1"] = ports.P1, ["p2"] = ports.P2 });
        return (server, ports);
    }

    private static async Task<string> AskAsync(int port, string path, string message = "m")
    {
        await using var peer = await Peer.ConnectAsync($"ws://127.0.0.1:{port}{path}");
        await peer.SendAsync($$"""{"message":"{{message}}"}""");
        return await peer.ReceiveAsync();
    }

    [Fact]
    public async Task Routes_match_by_connection_path_endpoint_and_group()
    {
        var (server, ports) = await StartAsync();
        await using var _ = server;
        Assert.Equal("plain:m", await AskAsync(ports.P1, "/plain"));
        Assert.Equal("both:/both", await AskAsync(ports.P1, "/both"));
        Assert.Equal("both:/both", await AskAsync(ports.P2, "/both"));
        Assert.Equal("m", await AskAsync(ports.P1, "/only2")); // no route on E1: re-broadcast
        Assert.Equal("only2", await AskAsync(ports.P2, "/only2"));
        Assert.Equal("wild:/wild/deep/er", await AskAsync(ports.P1, "/wild/deep/er"));
        Assert.Equal("xy", await AskAsync(ports.P1, "/args"));
        Assert.Equal("grp-a", await AskAsync(ports.P1, "/grp/a"));
        Assert.Equal("grp-root", await AskAsync(ports.P1, "/grp"));
        Assert.Equal("grp-inner-b", await AskAsync(ports.P2, "/grp/inner/b"));
        Assert.Equal("m", await AskAsync(ports.P1, "/grp/inner/b")); // the inner group is bound to E2
        Assert.Equal("after", await AskAsync(ports.P1, "/after"));
        Assert.Equal("first", await AskAsync(ports.P1, "/skip/x"));
        Assert.Equal("m", await AskAsync(ports.P1, "/b")); // no prefix leaks out of a group
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Get_and_test_report_the_routes()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        var paths = (await server.EvalAsync("Get-PodeSignalRoute | ForEach-Object { \"$($_.Method) $($_.Path) $($_.Endpoint.Name)\" }")).Success().Strings;
        Assert.Equal(["Signal /after ", "Signal /args ", "Signal /both E1", "Signal /both E2", "Signal /grp ", "Signal /grp/a ", "Signal /grp/inner/b E2",
            "Signal /only2 E2", "Signal /plain ", "Signal /skip/x ", "Signal /throws ", "Signal /wild/* "], paths.Order(StringComparer.Ordinal));

        var both = (await server.EvalAsync("Get-PodeSignalRoute -Path 'BOTH/' -EndpointName 'e2' | ForEach-Object { \"$($_.Path)|$($_.Endpoint.Name)|$($_.Endpoint.Protocol)|$($_.IsStatic)|$($_.Logic -like '*both:*')\" }")).Success().Strings;
        Assert.Equal(["/both|E2|ws|False|True"], both);
        Assert.Equal(["/grp/inner/b", "/only2"], (await server.EvalAsync("Get-PodeSignalRoute -EndpointName 'E2' | ForEach-Object { $_.Path } | Where-Object { $_ -ne '/both' }")).Success().Strings.Order());
        Assert.Empty((await server.EvalAsync("Get-PodeSignalRoute -Path '/nothing'")).Success().Strings);
        var args = (await server.EvalAsync("(Get-PodeSignalRoute -Path '/args').Arguments")).Success().Strings;
        Assert.Equal(["x", "y"], args);

        var tests = (await server.EvalAsync("""
            Test-PodeSignalRoute -Path '/plain'
            Test-PodeSignalRoute -Path 'plain'
            Test-PodeSignalRoute -Path '/PLAIN'
            Test-PodeSignalRoute -Path '/nothing'
            Test-PodeSignalRoute -Path '/both'
            Test-PodeSignalRoute -Path '/both' -EndpointName 'E1'
            Test-PodeSignalRoute -Path '/only2' -EndpointName 'E1'
            Test-PodeSignalRoute -Path '/wild/*'
            """)).Success().Strings;
        Assert.Equal(["true", "true", "true", "false", "false", "true", "false", "true"], tests);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Removing_and_clearing_routes_takes_effect_at_run_time()
    {
        var (server, ports) = await StartAsync();
        await using var _ = server;

        (await server.EvalAsync("Remove-PodeSignalRoute -Path '/plain'")).Success();
        Assert.Equal("m", await AskAsync(ports.P1, "/plain"));
        Assert.Equal(["false"], (await server.EvalAsync("Test-PodeSignalRoute -Path '/plain'")).Success().Strings);

        // Pode's rule: without -EndpointName only a route bound to no endpoint goes.
        (await server.EvalAsync("Remove-PodeSignalRoute -Path '/only2'")).Success();
        Assert.Equal("only2", await AskAsync(ports.P2, "/only2"));
        (await server.EvalAsync("Remove-PodeSignalRoute -Path '/only2' -EndpointName 'e2'")).Success();
        Assert.Equal("m", await AskAsync(ports.P2, "/only2"));

        // A route bound to two endpoints keeps the other one.
        (await server.EvalAsync("Remove-PodeSignalRoute -Path '/both' -EndpointName 'E1'")).Success();
        Assert.Equal("m", await AskAsync(ports.P1, "/both"));
        Assert.Equal("both:/both", await AskAsync(ports.P2, "/both"));
        Assert.Equal(["/both E2"], (await server.EvalAsync("Get-PodeSignalRoute -Path '/both' | ForEach-Object { \"$($_.Path) $($_.Endpoint.Name)\" }")).Success().Strings);

        (await server.EvalAsync("Remove-PodeSignalRoute -Path '/never-added'; Remove-PodeSignalRoute -Path '/after' -EndpointName 'E9'")).Success();
        Assert.Equal("after", await AskAsync(ports.P1, "/after"));

        // Routes can be added at run time, in groups too.
        (await server.EvalAsync("Add-PodeSignalRouteGroup -Path '/rt' -Routes { Add-PodeSignalRoute -Path '/new' -ScriptBlock { Send-PodeSignal -Mode Direct -Value 'new' } }")).Success();
        Assert.Equal("new", await AskAsync(ports.P1, "/rt/new"));
        var exists = await server.EvalAsync("Add-PodeSignalRouteGroup -Path '/rt' -Routes { Add-PodeSignalRoute -Path '/new' -ScriptBlock { } }");
        Assert.False(exists.Ok);
        Assert.StartsWith("SignalRouteExists", exists.ErrorId);
        (await server.EvalAsync("Add-PodeSignalRouteGroup -Path '/rt' -IfExists Overwrite -Routes { Add-PodeSignalRoute -Path '/new' -ScriptBlock { Send-PodeSignal -Mode Direct -Value 'newer' } }")).Success();
        Assert.Equal("newer", await AskAsync(ports.P1, "/rt/new"));

        (await server.EvalAsync("Clear-PodeSignalRoutes")).Success();
        Assert.Empty((await server.EvalAsync("Get-PodeSignalRoute")).Success().Strings);
        Assert.Equal("m", await AskAsync(ports.P2, "/both"));
        Assert.Equal("m", await AskAsync(ports.P1, "/rt/new"));
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task A_route_group_needs_routes()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        var empty = await server.EvalAsync("Add-PodeSignalRouteGroup -Path '/e' -Routes { }");
        Assert.False(empty.Ok);
        Assert.StartsWith("SignalRouteGroupEmpty,", empty.ErrorId);
        var missing = await server.EvalAsync("Add-PodeSignalRouteGroup -Path '/e' -Routes $null");
        Assert.False(missing.Ok);
        var badIfExists = await server.EvalAsync("Add-PodeSignalRouteGroup -Path '/e' -IfExists Sometimes -Routes { Add-PodeSignalRoute -Path '/x' -ScriptBlock {} }");
        Assert.StartsWith("ParameterArgumentValidationError", badIfExists.ErrorId);
        var noPath = await server.EvalAsync("Remove-PodeSignalRoute");
        Assert.False(noPath.Ok);
    }

    [Fact]
    public async Task A_signal_route_that_throws_is_reported_and_the_server_keeps_serving()
    {
        var (server, ports) = await StartAsync();
        await using var _ = server;
        await using var peer = await Peer.ConnectAsync($"ws://127.0.0.1:{ports.P1}/throws");
        await peer.SendAsync("""{"message":"boom"}""");
        await server.WaitForReportAsync("signal route exploded");
        Assert.True(await peer.QuietForAsync(Quiet));
        await peer.SendAsync("""{"message":"fine"}""");
        Assert.Equal("survived", await peer.ReceiveAsync());
        await peer.SendAsync("not json");
        await server.WaitForReportAsync("SignalMessageInvalid");
        await peer.SendAsync("""{"message":"fine"}""");
        Assert.Equal("survived", await peer.ReceiveAsync());
        Assert.Equal("plain:m", await AskAsync(ports.P1, "/plain"));
    }
}
