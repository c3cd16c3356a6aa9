using System.Net;
using System.Net.WebSockets;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// What scripts running in the server's runspaces write reaches Start-PodeServer's streams: non-terminating errors
/// (Write-Error, a cmdlet's WriteError, a failing command) as errors, once each and in order, next to the errors that
/// end a script; errors the script suppressed or handled stay quiet; and the server's own warnings reach the Warning
/// stream. Through it all the server keeps serving.
/// </summary>
public class WorkerErrorTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    private static Task<PodeServerHost> StartAsync(string body) => PodeServerHost.StartAsync($$"""
        Start-PodeServer {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws
            Add-PodeRoute -Method Get -Path '/ok' -ScriptBlock { Write-PodeTextResponse -Value 'ok' }
            {{body}}
        }
        """);

    private static int Count(PodeServerHost server, string part) => server.Errors.Count(e => e.ToString().Contains(part));

    [Fact]
    public async Task Write_Error_in_a_route_is_reported_and_the_route_goes_on()
    {
        await using var server = await StartAsync("""
            Add-PodeRoute -Method Get -Path '/write-error' -ScriptBlock {
                Write-Error 'x'
                Write-PodeTextResponse -Value 'after the error'
            }
            """);
        using var http = server.Http();
        Assert.Equal("after the error", await http.GetStringAsync("/write-error"));
        await SignalKit.WaitUntilAsync(() => server.Errors.Any(e => e.ToString() == "x"), "the error 'x'");
        var error = server.Errors.Single(e => e.ToString() == "x");
        Assert.StartsWith("Microsoft.PowerShell.Commands.WriteErrorException", error.FullyQualifiedErrorId);

        // Reported once per request, and the server keeps serving.
        Assert.Equal("after the error", await http.GetStringAsync("/write-error"));
        await SignalKit.WaitUntilAsync(() => server.Errors.Count(e => e.ToString() == "x") == 2, "the second request's error");
        await Task.Delay(Quiet);
        Assert.Equal(2, server.Errors.Count(e => e.ToString() == "x"));
        Assert.Equal("ok", await http.GetStringAsync("/ok"));
    }

    [Fact]
    public async Task A_missing_view_is_reported_with_its_ErrorId_and_answers_404()
    {
        await using var server = await StartAsync("""
            Add-PodeRoute -Method Get -Path '/view' -ScriptBlock { Write-PodeViewResponse -Path 'no-such-view' }
            """);
        using var http = server.Http();
        using var response = await http.GetAsync("/view");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await SignalKit.WaitUntilAsync(() => server.Errors.Any(e => e.FullyQualifiedErrorId.StartsWith("ViewNotFound")), "the ViewNotFound error");
        Assert.Contains("no-such-view", server.Errors.Single(e => e.FullyQualifiedErrorId.StartsWith("ViewNotFound")).ToString());
        Assert.Equal("ok", await http.GetStringAsync("/ok"));
    }

    [Fact]
    public async Task A_failing_command_with_ErrorAction_Continue_is_reported_and_suppressed_or_handled_errors_are_not()
    {
        await using var server = await StartAsync("""
            Add-PodeRoute -Method Get -Path '/failing' -ScriptBlock {
                Import-Module '/nonexistent/NoSuchModule.psd1' -ErrorAction Continue
                Write-PodeTextResponse -Value 'continued'
            }
            Add-PodeRoute -Method Get -Path '/quiet' -ScriptBlock {
                Write-Error 'silenced' -ErrorAction SilentlyContinue
                Write-Error 'ignored' -ErrorAction Ignore
                try { throw 'handled' } catch { }
                try { Write-Error 'stopped' -ErrorAction Stop } catch { }
                Write-PodeTextResponse -Value 'quiet'
            }
            """);
        using var http = server.Http();
        Assert.Equal("continued", await http.GetStringAsync("/failing"));
        await SignalKit.WaitUntilAsync(() => Count(server, "NoSuchModule.psd1") == 1, "the Import-Module error");

        Assert.Equal("quiet", await http.GetStringAsync("/quiet"));
        await Task.Delay(Quiet);
        foreach (var quiet in new[] { "silenced", "ignored", "handled", "stopped" })
        {
            Assert.Equal(0, Count(server, quiet));
        }
        Assert.Single(server.Errors);
    }

    [Fact]
    public async Task Errors_before_a_terminating_error_come_first_and_the_terminating_one_once()
    {
        await using var server = await StartAsync("""
            Add-PodeRoute -Method Get -Path '/throw' -ScriptBlock {
                Write-Error 'first, not terminating'
                throw 'second, terminating'
            }
            Add-PodeRoute -Method Get -Path '/statement' -ScriptBlock {
                Write-Error 'before the exception'
                [int]::Parse('not a number')
                Write-PodeTextResponse -Value 'not reached'
            }
            """);
        using var http = server.Http();
        using (var thrown = await http.GetAsync("/throw"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, thrown.StatusCode);
        }
        await SignalKit.WaitUntilAsync(() => Count(server, "second, terminating") == 1, "the terminating error");
        await Task.Delay(Quiet);
        var messages = server.Errors.Select(e => e.ToString()).ToList();
        Assert.Equal(["first, not terminating", "second, terminating"], messages);

        // An exception ends the statement, and (as in Pode, whose routes run in try/catch) the script.
        using (var statement = await http.GetAsync("/statement"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, statement.StatusCode);
            Assert.DoesNotContain("not reached", await statement.Content.ReadAsStringAsync());
        }
        await SignalKit.WaitUntilAsync(() => Count(server, "not a number") == 1, "the exception");
        await Task.Delay(Quiet);
        Assert.Equal(["before the exception"], server.Errors.Skip(2).Take(1).Select(e => e.ToString()));
        Assert.Equal(4, server.Errors.Count);
        Assert.Equal("ok", await http.GetStringAsync("/ok"));
    }

    [Fact]
    public async Task Errors_written_in_signal_routes_and_timers_are_reported_too()
    {
        await using var server = await StartAsync("""
            Add-PodeSignalRoute -Path '/chat' -ScriptBlock {
                Write-Error "signal: $($SignalEvent.Data.Message)"
                Send-PodeSignal -Value 'still answering'
            }
            Add-PodeTimer -Name 'Once' -Interval 1 -OnStart -Limit 1 -ScriptBlock { Write-Error 'from a timer' }
            """);
        await SignalKit.WaitUntilAsync(() => Count(server, "from a timer") == 1, "the timer's error");
        using var ws = await server.ConnectAsync("/chat");
        await ws.SendAsync("""{"message":"hello"}""");
        Assert.Equal("still answering", await ws.ReceiveTextAsync());
        await SignalKit.WaitUntilAsync(() => Count(server, "signal: hello") == 1, "the signal route's error");
        Assert.Equal(WebSocketState.Open, ws.State);
    }

    [Fact]
    public async Task The_servers_warnings_reach_the_Warning_stream()
    {
        await using var server = await StartAsync("""
            Add-PodeTimer -Name 'Flaky' -Interval 1 -OnStart -Limit 1 -ScriptBlock { throw 'timer exploded' }
            """);
        await SignalKit.WaitUntilAsync(() => server.Warnings.Any(w => w.Message.Contains("Timer 'Flaky' failed")), "the warning in the Warning stream");
        Assert.Contains(server.Errors, e => e.ToString().Contains("timer exploded"));
        using var http = server.Http();
        Assert.Equal("ok", await http.GetStringAsync("/ok"));
    }
}
