using System.Text.Json;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>Add-PodeTimer: $TimerEvent, limits, skips, arguments, failures, signals, timers added at run time.</summary>
public class TimerTests
{
    private static Task<PodeServerHost> StartAsync(string body, IDictionary<string, object?>? variables = null) => PodeServerHost.StartAsync($$"""
        Start-PodeServer {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
            {{SignalKit.EvalRoute}}
            {{body}}
        }
        """, variables);

    private static async Task<JsonElement> EvalSingleAsync(PodeServerHost server, string script) => (await server.EvalAsync(script)).Success().Single;

    [Fact]
    public async Task A_timer_runs_with_TimerEvent_arguments_and_using_values_until_its_limit()
    {
        await using var server = await StartAsync("""
            $greeting = 'hi'
            Set-PodeState -Name 'runs' -Value ([System.Collections.Concurrent.ConcurrentQueue[object]]::new()) | Out-Null
            Add-PodeTimer -Name 'Tick' -Interval 1 -Limit 3 -ArgumentList 'one', 2 -ScriptBlock {
                param($First, $Second)
                (Get-PodeState -Name 'runs').Enqueue(@{
                    keys = [string[]]@($TimerEvent.Keys)
                    name = $TimerEvent.Sender.Name
                    interval = $TimerEvent.Sender.Interval
                    limit = $TimerEvent.Sender.Limit
                    count = $TimerEvent.Sender.Count
                    args = "$First $Second"
                    using = $using:greeting
                    utc = "$($TimerEvent.Timestamp.Kind)"
                    lockable = [object]::ReferenceEquals($TimerEvent.Lockable, $PodeContext.Lockable)
                    metadata = $TimerEvent.Metadata -is [hashtable]
                })
            }
            """);
        await SignalKit.WaitUntilAsync(async () => (await EvalSingleAsync(server, "(Get-PodeState -Name 'runs').Count")).GetInt32() == 3, "three runs");
        var runs = (await server.EvalAsync("(Get-PodeState -Name 'runs').ToArray()")).Success().Result.EnumerateArray().ToArray();
        Assert.Equal([1, 2, 3], runs.Select(r => r.GetProperty("count").GetInt32()).ToArray());
        var first = runs[0];
        Assert.Equal(["Lockable", "Metadata", "Sender", "Timestamp"], first.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).Order().ToArray());
        Assert.Equal("Tick", first.GetProperty("name").GetString());
        Assert.Equal(1, first.GetProperty("interval").GetInt32());
        Assert.Equal(3, first.GetProperty("limit").GetInt32());
        Assert.Equal("one 2", first.GetProperty("args").GetString());
        Assert.Equal("hi", first.GetProperty("using").GetString());
        Assert.Equal("Utc", first.GetProperty("utc").GetString());
        Assert.True(first.GetProperty("lockable").GetBoolean());
        Assert.True(first.GetProperty("metadata").GetBoolean());

        // Its limit reached, the timer runs no more, and is removed: its name is free again.
        await Task.Delay(1500);
        Assert.Equal(3, (await EvalSingleAsync(server, "(Get-PodeState -Name 'runs').Count")).GetInt32());
        (await server.EvalAsync("Add-PodeTimer -Name 'Tick' -Interval 3600 -ScriptBlock { }")).Success();
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task A_timer_that_throws_is_reported_and_keeps_running()
    {
        await using var server = await StartAsync("""
            Set-PodeState -Name 'count' -Value ([System.Collections.Concurrent.ConcurrentQueue[object]]::new()) | Out-Null
            Add-PodeTimer -Name 'Flaky' -Interval 1 -OnStart -ScriptBlock {
                (Get-PodeState -Name 'count').Enqueue($TimerEvent.Sender.Count)
                if ($TimerEvent.Sender.Count -eq 1) { throw 'timer exploded' }
            }
            """);
        await SignalKit.WaitUntilAsync(async () => (await EvalSingleAsync(server, "(Get-PodeState -Name 'count').Count")).GetInt32() >= 3, "runs after the failure");
        Assert.Contains(server.Errors, e => e.ToString().Contains("timer exploded"));
        await SignalKit.WaitUntilAsync(() => server.Warnings.Any(w => w.Message.Contains("Timer 'Flaky' failed")), "the failing timer is named in a warning");
    }

    [Fact]
    public async Task Timers_push_signals_to_connected_clients_until_their_limit()
    {
        await using var server = await StartAsync("""
            Add-PodeRoute -Method Get -Path '/feed' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Feed' }
            Add-PodeRoute -Method Get -Path '/limited' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Limited' }
            Add-PodeTimer -Name 'Push' -Interval 1 -ScriptBlock { Send-PodeSignal -Name 'Feed' -Data @{ tick = $TimerEvent.Sender.Count } }
            """);
        using var a = await server.ConnectAsync("/feed");
        using var b = await server.ConnectAsync("/feed");
        var first = JsonDocument.Parse(await a.ReceiveTextAsync()).RootElement.GetProperty("tick").GetInt32();
        var next = JsonDocument.Parse(await a.ReceiveTextAsync()).RootElement.GetProperty("tick").GetInt32();
        Assert.True(next > first);
        Assert.True(JsonDocument.Parse(await b.ReceiveTextAsync()).RootElement.GetProperty("tick").GetInt32() >= 1);

        // A timer added once a client listens: -Limit 2 means exactly two messages.
        using var limited = await server.ConnectAsync("/limited");
        (await server.EvalAsync("""
            Add-PodeTimer -Name 'Twice' -Interval 1 -OnStart -Limit 2 -ScriptBlock { Send-PodeSignal -Name 'Limited' -Data @{ twice = $TimerEvent.Sender.Count } }
            """)).Success();
        Assert.Equal("""{"twice":1}""", await limited.ReceiveTextAsync());
        Assert.Equal("""{"twice":2}""", await limited.ReceiveTextAsync());
        Assert.True(await limited.QuietForAsync(TimeSpan.FromSeconds(2.5)));
    }

    [Fact]
    public async Task Intervals_and_Skip_set_the_first_trigger_and_OnStart_runs_at_once()
    {
        // Each timer records what its first run saw in $TimerEvent.Sender. Timers added in the server script
        // count from the same instant, so their first triggers differ by whole intervals.
        await using var server = await StartAsync("""
            Set-PodeState -Name 'seen' -NewCollectionType ConcurrentDictionary | Out-Null
            $record = { (Get-PodeState -Name 'seen')[$TimerEvent.Sender.Name] = @{
                count = $TimerEvent.Sender.Count
                skip = $TimerEvent.Sender.Skip
                last = $TimerEvent.Sender.LastTriggerTime.ToString('o')
                gap = if ($null -ne $TimerEvent.Sender.NextTriggerTime) { ($TimerEvent.Sender.NextTriggerTime - $TimerEvent.Sender.LastTriggerTime).TotalSeconds } else { -1 }
            } }
            Add-PodeTimer -Name 'Plain' -Interval 1 -Limit 1 -ScriptBlock $record
            Add-PodeTimer -Name 'Skipped' -Interval 1 -Skip 2 -Limit 1 -ScriptBlock $record
            Add-PodeTimer -Name 'Eager' -Interval 100 -OnStart -ScriptBlock $record
            Add-PodeTimer -Name 'Never' -Interval ([int]::MaxValue) -Skip ([int]::MaxValue) -ScriptBlock $record
            """);
        await SignalKit.WaitUntilAsync(async () => (await EvalSingleAsync(server, "(Get-PodeState -Name 'seen').Count")).GetInt32() == 3, "three first runs");
        var seen = await EvalSingleAsync(server, "$s = Get-PodeState -Name 'seen'; @{ Plain = $s['Plain']; Skipped = $s['Skipped']; Eager = $s['Eager']; names = [string[]]@($s.Keys) }");
        Assert.Equal(["Eager", "Plain", "Skipped"], seen.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).Order().ToArray());
        DateTimeOffset Last(string name) => DateTimeOffset.Parse(seen.GetProperty(name).GetProperty("last").GetString()!);

        // -Skip 2: the first trigger is 3 intervals after the start instead of 1.
        Assert.Equal(2.0, (Last("Skipped") - Last("Plain")).TotalSeconds);
        Assert.Equal(2, seen.GetProperty("Skipped").GetProperty("skip").GetInt32());
        foreach (var name in new[] { "Plain", "Skipped", "Eager" })
        {
            Assert.Equal(1, seen.GetProperty(name).GetProperty("count").GetInt32());
        }

        // -Limit 1: no next trigger; -OnStart: ran at the start, next run one interval later.
        Assert.Equal(-1, seen.GetProperty("Plain").GetProperty("gap").GetDouble());
        Assert.Equal(100, seen.GetProperty("Eager").GetProperty("gap").GetDouble());
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Timers_added_from_a_route_while_the_server_runs()
    {
        await using var server = await StartAsync("");
        (await server.EvalAsync("""
            Set-PodeState -Name 'late' -Value ([System.Collections.Concurrent.ConcurrentQueue[object]]::new()) | Out-Null
            Add-PodeTimer -Name 'Late' -Interval 1 -OnStart -ScriptBlock { (Get-PodeState -Name 'late').Enqueue(1) }
            """)).Success();
        await SignalKit.WaitUntilAsync(async () => (await EvalSingleAsync(server, "(Get-PodeState -Name 'late').Count")).GetInt32() >= 2, "the late timer runs");

        // Names stay unique while the server runs (case-insensitively).
        var again = await server.EvalAsync("Add-PodeTimer -Name 'late' -Interval 1 -ScriptBlock { }");
        Assert.False(again.Ok);
        Assert.StartsWith("TimerAlreadyDefined", again.ErrorId);
        Assert.Equal("ResourceExists", again.Category);
    }

    [Fact]
    public async Task A_long_run_never_overlaps_the_next_one()
    {
        await using var server = await StartAsync("""
            Set-PodeState -Name 'slow' -Value ([System.Collections.Concurrent.ConcurrentQueue[object]]::new()) | Out-Null
            Add-PodeTimer -Name 'Slow' -Interval 1 -OnStart -Limit 3 -ScriptBlock {
                $q = Get-PodeState -Name 'slow'
                $q.Enqueue("start $($TimerEvent.Sender.Count)")
                [System.Threading.Thread]::Sleep(1500)
                $q.Enqueue("end $($TimerEvent.Sender.Count)")
            }
            """);
        await SignalKit.WaitUntilAsync(async () => (await EvalSingleAsync(server, "(Get-PodeState -Name 'slow').Count")).GetInt32() == 6, "three runs");
        var log = (await server.EvalAsync("(Get-PodeState -Name 'slow').ToArray()")).Success().Strings;
        Assert.Equal(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"], log);
    }

    [Fact]
    public async Task FilePath_timers_run_the_file()
    {
        using var dir = new TempDir();
        var file = dir.Write("timer.ps1", "param($Name) Set-PodeState -Name $Name -Value $TimerEvent.Sender.Name | Out-Null");
        await using var server = await StartAsync("Add-PodeTimer -Name 'FromFile' -Interval 1 -OnStart -FilePath $file -ArgumentList 'written'",
            new Dictionary<string, object?> { ["file"] = file });
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeState -Name 'written'")).Success().Strings.SequenceEqual(["FromFile"]), "the file ran");
    }

    [Fact]
    public void Bad_timers_are_clear_errors()
    {
        string Id(string script)
        {
            var result = Ps.Run($$"""
                try { Start-PodeServer { Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http; {{script}}; throw 'not reached' } }
                catch { $_.FullyQualifiedErrorId }
                """);
            return string.Join(" | ", result.Output.Select(o => o.ToString()).Concat(result.Errors.Select(e => e.FullyQualifiedErrorId)));
        }
        Assert.StartsWith("TimerAlreadyDefined", Id("Add-PodeTimer -Name 'a' -Interval 5 -ScriptBlock { }; Add-PodeTimer -Name 'A' -Interval 5 -ScriptBlock { }"));
        Assert.StartsWith("ParameterArgumentValidationError", Id("Add-PodeTimer -Name 'a' -Interval 0 -ScriptBlock { }"));
        Assert.StartsWith("ParameterArgumentValidationError", Id("Add-PodeTimer -Name 'a' -Interval -5 -ScriptBlock { }"));
        Assert.StartsWith("ParameterArgumentValidationError", Id("Add-PodeTimer -Name 'a' -Interval 5 -Limit -1 -ScriptBlock { }"));
        Assert.StartsWith("ParameterArgumentValidationError", Id("Add-PodeTimer -Name '' -Interval 5 -ScriptBlock { }"));
        Assert.StartsWith("ScriptFileNotFound", Id("Add-PodeTimer -Name 'a' -Interval 5 -FilePath '/nonexistent/timer.ps1'"));
        Assert.StartsWith("PodeServerNotFound", string.Join("", Ps.Run("Add-PodeTimer -Name 'a' -Interval 5 -ScriptBlock { }").Errors.Select(e => e.FullyQualifiedErrorId)));
    }
}
