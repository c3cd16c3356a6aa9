using System.Text.Json;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>$using: values and -ArgumentList in routes, signal routes, timers and schedules, as Pode captures them.</summary>
public class UsingAndArgumentTests
{
    [Fact]
    public async Task Using_values_are_captured_when_the_route_is_added()
    {
        await using var server = await PodeServerHost.StartAsync("""
            $outer = 'outside the block'
            $shared = [hashtable]::Synchronized(@{ hits = 0 })
            Start-PodeServer -Threads 2 {
                $inner = 'inside the block'
                $changing = 'at registration'
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/values' -ScriptBlock {
                    Write-PodeJsonResponse -Value @{
                        outer = $using:outer
                        inner = $using:inner
                        changing = $using:changing
                        nested = & { "nested $using:inner" }
                        plain = "[$inner]"
                    }
                }
                $changing = 'after registration'
                Add-PodeRoute -Method Get -Path '/hit' -ScriptBlock {
                    $table = $using:shared
                    Lock-PodeObject -Object $table -ScriptBlock { $table.hits++ }
                    Write-PodeTextResponse -Value $table.hits
                }
            }
            """);
        using var http = server.Http();
        var values = JsonDocument.Parse(await http.GetStringAsync("/values")).RootElement;
        Assert.Equal("outside the block", values.GetProperty("outer").GetString());
        Assert.Equal("inside the block", values.GetProperty("inner").GetString());
        Assert.Equal("at registration", values.GetProperty("changing").GetString());
        Assert.Equal("nested inside the block", values.GetProperty("nested").GetString());
        Assert.Equal("[]", values.GetProperty("plain").GetString());

        // A reference value is the same object for every request and thread.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => http.GetStringAsync("/hit")));
        Assert.Equal("11", await http.GetStringAsync("/hit"));
    }

    [Fact]
    public async Task ArgumentList_is_splatted_by_position_into_routes_signal_routes_and_timers()
    {
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
                Add-PodeRoute -Method Get -Path '/named' -ArgumentList 'x', 42 -ScriptBlock { param($Letter, $Number) Write-PodeTextResponse -Value "$Letter $($Number + 1)" }
                Add-PodeRoute -Method Get -Path '/args' -ArgumentList 'a', 'b', 'c' -ScriptBlock { Write-PodeTextResponse -Value ($args -join '+') }
                Add-PodeRoute -Method Get -Path '/array' -ArgumentList (, @(1, 2, 3)) -ScriptBlock { param($Items) Write-PodeTextResponse -Value "$($Items.Count) items" }
                Add-PodeRoute -Method Get -Path '/msg' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Msg' }
                Add-PodeSignalRoute -Path '/msg' -ArgumentList 'prefix' -ScriptBlock { param($Prefix) Send-PodeSignal -Name 'Msg' -Value "$($Prefix): $($SignalEvent.Data.Message)" }
                Add-PodeTimer -Name 'Args' -Interval 1 -OnStart -Limit 1 -ArgumentList 'timer', 'args' -ScriptBlock { param($A, $B) Set-PodeState -Name 'timer' -Value "$A $B" | Out-Null }
                Add-PodeRoute -Method Get -Path '/timer' -ScriptBlock { Write-PodeTextResponse -Value (Get-PodeState -Name 'timer') }
            }
            """);
        using var http = server.Http();
        Assert.Equal("x 43", await http.GetStringAsync("/named"));
        Assert.Equal("a+b+c", await http.GetStringAsync("/args"));
        Assert.Equal("3 items", await http.GetStringAsync("/array"));
        using var ws = await server.ConnectAsync("/msg");
        await ws.SendAsync("""{"message":"hello"}""");
        Assert.Equal("prefix: hello", await ws.ReceiveTextAsync());
        await SignalKit.WaitUntilAsync(async () => await http.GetStringAsync("/timer") == "timer args", "the timer got its arguments");
    }

    [Fact]
    public async Task Using_values_reach_signal_routes_events_timers_and_schedules()
    {
        await using var server = await PodeServerHost.StartAsync("""
            $tag = 'T'
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
                Add-PodeRoute -Method Get -Path '/msg' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Msg' }
                Register-PodeSignalEvent -Name 'Msg' -Type Connect -EventName 'Hello' -ScriptBlock { Set-PodeState -Name 'event' -Value "$using:tag connect" | Out-Null }
                Add-PodeSignalRoute -Path '/msg' -ScriptBlock { Send-PodeSignal -Name 'Msg' -Value "$using:tag $($SignalEvent.Data.Message)" }
                Add-PodeTimer -Name 'T' -Interval 1 -OnStart -Limit 1 -ScriptBlock { Set-PodeState -Name 'timer' -Value "$using:tag timer" | Out-Null }
                Add-PodeSchedule -Name 'S' -Cron '@daily' -OnStart -ScriptBlock { Set-PodeState -Name 'schedule' -Value "$using:tag schedule" | Out-Null }
                Add-PodeRoute -Method Get -Path '/state/:name' -ScriptBlock { Write-PodeTextResponse -Value (Get-PodeState -Name $WebEvent.Parameters['name']) }
            }
            """);
        using var http = server.Http();
        using var ws = await server.ConnectAsync("/msg");
        await ws.SendAsync("""{"message":"ping"}""");
        Assert.Equal("T ping", await ws.ReceiveTextAsync());
        await SignalKit.WaitUntilAsync(async () => await http.GetStringAsync("/state/event") == "T connect", "the event saw $using:");
        await SignalKit.WaitUntilAsync(async () => await http.GetStringAsync("/state/timer") == "T timer", "the timer saw $using:");
        await SignalKit.WaitUntilAsync(async () => await http.GetStringAsync("/state/schedule") == "T schedule", "the schedule saw $using:");
    }
}
