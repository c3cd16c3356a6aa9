using System.Text.Json;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// New-PodeCron and Add-PodeSchedule: cron computation, OnStart runs, $ScheduleEvent, arguments, bad input.
/// No test here waits for a minute to pass: next triggers are read from $ScheduleEvent.Sender in -OnStart runs and
/// checked against a minute-by-minute search (SeedEndpointsTests waits for one real tick).
/// </summary>
public class ScheduleTests
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

    [Theory]
    [InlineData("-Every Minute", "* * * * *")]
    [InlineData("-Every Hour", "0 * * * *")]
    [InlineData("-Every Minute -Interval 5", "*/5 * * * *")]
    [InlineData("-Every Hour -Interval 2", "0 */2 * * *")]
    [InlineData("-Every Day", "0 0 * * *")]
    [InlineData("-Every Day -Day Tuesday, Friday -Hour 1", "0 1 * * 2,5")]
    [InlineData("-Every Month -Date 15", "0 0 15 * *")]
    [InlineData("-Every Month -Day Monday", "0 0 * * 1")]
    [InlineData("-Every Date -Interval 2 -Date 2", "0 0 2/2 * *")]
    [InlineData("-Every Year -Month June", "0 0 1 6 *")]
    [InlineData("-Every Hour -Hour 1 -Interval 1", "0 1/1 * * *")]
    [InlineData("-Every Minute -Hour 1, 2, 3, 4, 5 -Interval 15", "*/15 1,2,3,4,5 * * *")]
    [InlineData("-Every Hour -Day Monday", "0 * * * 1")]
    [InlineData("-Every Quarter", "0 0 1 1,4,7,10 *")]
    [InlineData("-Every Year", "0 0 1 1 *")]
    [InlineData("-Minute 0, 30 -Hour 12 -Month January, December -Day Sunday", "0,30 12 * 1,12 0")]
    [InlineData("", "* * * * *")]
    public void New_PodeCron_builds_the_expressions_Pode_builds(string arguments, string expected)
    {
        // The expression is also one Add-PodeSchedule accepts.
        var result = Ps.Run($$"""
            $cron = New-PodeCron {{arguments}}
            $cron
            try {
                Start-PodeServer {
                    Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http
                    Add-PodeSchedule -Name 'check' -Cron $cron -ScriptBlock { }
                    throw 'accepted'
                }
            } catch { "$_" }
            """);
        Assert.Empty(result.Errors);
        Assert.Equal([expected, "accepted"], result.Output.Select(o => o.ToString()).ToArray());
    }

    [Theory]
    [InlineData("-Interval 2", "CronIntervalWithoutEvery")]
    [InlineData("-Every Quarter -Interval 1", "CronIntervalNotAllowed")]
    [InlineData("-Every Year -Interval 1", "CronIntervalNotAllowed")]
    [InlineData("-Every Minute -Minute 1, 2 -Interval 5", "CronIntervalSingleValue")]
    [InlineData("-Minute 60", "ParameterArgumentValidationError")]
    [InlineData("-Every Week", "ParameterArgumentValidationError")]
    [InlineData("-Month Smarch", "ParameterArgumentValidationError")]
    public void New_PodeCron_rejects_what_Pode_rejects(string arguments, string errorId)
    {
        var result = Ps.Run($"New-PodeCron {arguments}");
        var error = Assert.Single(result.Errors);
        Assert.StartsWith(errorId, error.FullyQualifiedErrorId);
    }

    [Fact]
    public async Task An_OnStart_schedule_runs_at_start_with_ScheduleEvent_named_arguments_and_using_values()
    {
        await using var server = await StartAsync("""
            $suffix = '!'
            Add-PodeSchedule -Name 'Hourly' -Cron '@hourly' -OnStart -Limit 1 -ArgumentList @{ Greeting = 'hello' } -ScriptBlock {
                param($Event, $Greeting)
                Set-PodeState -Name 'ran' -Value @{
                    keys = [string[]]@($ScheduleEvent.Keys)
                    same = [object]::ReferenceEquals($Event, $ScheduleEvent)
                    greeting = "$Greeting$using:suffix"
                    name = $ScheduleEvent.Sender.Name
                    count = $ScheduleEvent.Sender.Count
                    crons = [string[]]@($ScheduleEvent.Sender.CronsRaw)
                    utc = "$($ScheduleEvent.Timestamp.Kind)"
                    lockable = [object]::ReferenceEquals($ScheduleEvent.Lockable, $PodeContext.Lockable)
                    next = $null -eq $ScheduleEvent.Sender.NextTriggerTime
                } | Out-Null
            }
            """);
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeState -Name 'ran'")).Success().Strings.Length == 1, "the schedule ran at start");
        var ran = await EvalSingleAsync(server, "Get-PodeState -Name 'ran'");
        Assert.Equal(["Lockable", "Metadata", "Sender", "Timestamp"], ran.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).Order().ToArray());
        Assert.True(ran.GetProperty("same").GetBoolean());
        Assert.Equal("hello!", ran.GetProperty("greeting").GetString());
        Assert.Equal("Hourly", ran.GetProperty("name").GetString());
        Assert.Equal(1, ran.GetProperty("count").GetInt32());
        Assert.Equal(["@hourly"], ran.GetProperty("crons").EnumerateArray().Select(c => c.GetString()!).ToArray());
        Assert.Equal("Utc", ran.GetProperty("utc").GetString());
        Assert.True(ran.GetProperty("lockable").GetBoolean());

        // -Limit 1: done after the OnStart run (no next trigger), and removed: its name is free again.
        Assert.True(ran.GetProperty("next").GetBoolean());
        (await server.EvalAsync("Add-PodeSchedule -Name 'Hourly' -Cron '@hourly' -ScriptBlock { }")).Success();
        Assert.Empty(server.Errors);
    }

    /// <summary>The first whole minute after <paramref name="after"/> that <paramref name="match"/> accepts (local wall-clock time).</summary>
    private static DateTime NextMinute(DateTime after, Func<DateTime, bool> match)
    {
        var minute = new DateTime(after.Year, after.Month, after.Day, after.Hour, after.Minute, 0).AddMinutes(1);
        for (var end = minute.AddYears(1); minute < end; minute = minute.AddMinutes(1))
        {
            if (match(minute))
            {
                return minute;
            }
        }
        throw new InvalidOperationException($"no matching minute within a year after {after:o}");
    }

    [Fact]
    public async Task Next_triggers_follow_the_crons_in_local_time_within_start_and_end()
    {
        // Every schedule runs once at the start (-OnStart) and records its Sender's trigger times: LastTriggerTime is
        // the start run, NextTriggerTime the next time its crons give.
        await using var server = await StartAsync("""
            Set-PodeState -Name 'next' -NewCollectionType ConcurrentDictionary | Out-Null
            $record = {
                $sender = $ScheduleEvent.Sender
                (Get-PodeState -Name 'next')[$sender.Name] = @{
                    last = $sender.LastTriggerTime.ToString('yyyy-MM-dd HH:mm:ss.fffffff')
                    next = if ($null -eq $sender.NextTriggerTime) { '' } else { $sender.NextTriggerTime.ToString('yyyy-MM-dd HH:mm:ss ddd') }
                }
            }
            Add-PodeSchedule -Name 'Noon' -Cron '0 12 * * *' -OnStart -ScriptBlock $record
            Add-PodeSchedule -Name 'Two' -Cron '0 18 * * *', '30 9 * * *' -OnStart -ScriptBlock $record
            Add-PodeSchedule -Name 'Quarterly' -Cron '@quarterly' -OnStart -ScriptBlock $record
            Add-PodeSchedule -Name 'Tuesdays' -Cron '5 0 * * TUE' -OnStart -ScriptBlock $record
            Add-PodeSchedule -Name 'TueFri' -Cron (New-PodeCron -Every Day -Day Tuesday, Friday -Hour 1) -OnStart -ScriptBlock $record
            Add-PodeSchedule -Name 'Every5' -Cron (New-PodeCron -Every Minute -Interval 5) -OnStart -ScriptBlock $record
            Add-PodeSchedule -Name 'Example' -Cron (New-PodeCron -Every Minute) -OnStart -ScriptBlock $record
            Add-PodeSchedule -Name 'Later' -Cron '0 12 * * *' -StartTime ([datetime]::new(2031, 1, 1, 13, 0, 0)) -OnStart -ScriptBlock $record
            Add-PodeSchedule -Name 'Ending' -Cron '0 12 * * *' -StartTime ([datetime]::new(2031, 1, 1, 13, 0, 0)) -EndTime ([datetime]::new(2031, 1, 2, 11, 0, 0)) -OnStart -ScriptBlock $record
            """);
        var names = new[] { "Noon", "Two", "Quarterly", "Tuesdays", "TueFri", "Every5", "Example", "Later", "Ending" };
        await SignalKit.WaitUntilAsync(async () => (await EvalSingleAsync(server, "(Get-PodeState -Name 'next').Count")).GetInt32() == names.Length, "every schedule ran at start");
        var seen = (await EvalSingleAsync(server, "$n = Get-PodeState -Name 'next'; $r = @{}; foreach ($k in $n.Keys) { $r[$k] = $n[$k] }; $r")).EnumerateObject()
            .ToDictionary(p => p.Name, p => (Last: DateTime.ParseExact(p.Value.GetProperty("last").GetString()!, "yyyy-MM-dd HH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture), Next: p.Value.GetProperty("next").GetString()!));
        Assert.Equal(names.Order(), seen.Keys.Order());
        string Expected(string name, Func<DateTime, bool> match) => NextMinute(seen[name].Last, match).ToString("yyyy-MM-dd HH:mm:ss ddd", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(Expected("Noon", t => t is { Hour: 12, Minute: 0 }), seen["Noon"].Next);
        Assert.Equal(Expected("Two", t => t is { Hour: 18, Minute: 0 } or { Hour: 9, Minute: 30 }), seen["Two"].Next);
        Assert.Equal(Expected("Quarterly", t => t is { Day: 1, Hour: 0, Minute: 0, Month: 1 or 4 or 7 or 10 }), seen["Quarterly"].Next);
        Assert.Equal(Expected("Tuesdays", t => t is { DayOfWeek: DayOfWeek.Tuesday, Hour: 0, Minute: 5 }), seen["Tuesdays"].Next);
        Assert.Equal(Expected("TueFri", t => t is { DayOfWeek: DayOfWeek.Tuesday or DayOfWeek.Friday, Hour: 1, Minute: 0 }), seen["TueFri"].Next);
        Assert.Equal(Expected("Every5", t => t.Minute % 5 == 0), seen["Every5"].Next);
        // The seed's every-minute schedule is due at the start of the next minute.
        Assert.Equal(Expected("Example", _ => true), seen["Example"].Next);

        // -StartTime: nothing before it (the start run aside); -EndTime: nothing after it, so no next trigger at all.
        Assert.Equal("2031-01-02 12:00:00 Thu", seen["Later"].Next);
        Assert.Equal("", seen["Ending"].Next);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Schedules_added_from_a_route_run_at_once_with_OnStart()
    {
        await using var server = await StartAsync("");
        (await server.EvalAsync("""
            Add-PodeSchedule -Name 'Adhoc' -Cron '@daily' -OnStart -ScriptBlock { Set-PodeState -Name 'adhoc' -Value $ScheduleEvent.Sender.Count | Out-Null }
            """)).Success();
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeState -Name 'adhoc'")).Success().Strings.SequenceEqual(["1"]), "the schedule ran");

        // Names stay unique while the server runs (case-insensitively).
        var again = await server.EvalAsync("Add-PodeSchedule -Name 'adhoc' -Cron '@daily' -ScriptBlock { }");
        Assert.False(again.Ok);
        Assert.StartsWith("ScheduleAlreadyDefined", again.ErrorId);
        Assert.Equal("ResourceExists", again.Category);
    }

    [Fact]
    public async Task A_schedule_that_throws_is_reported_and_FilePath_schedules_run_their_file()
    {
        using var dir = new TempDir();
        var file = dir.Write("schedule.ps1", "param($Target) Set-PodeState -Name $Target -Value $ScheduleEvent.Sender.Name | Out-Null");
        await using var server = await StartAsync("""
            Add-PodeSchedule -Name 'Broken' -Cron '@hourly' -OnStart -ScriptBlock { throw 'schedule exploded' }
            Add-PodeSchedule -Name 'FromFile' -Cron '@hourly' -OnStart -FilePath $file -ArgumentList @{ Target = 'written' }
            """, new Dictionary<string, object?> { ["file"] = file });
        await SignalKit.WaitUntilAsync(() => server.Errors.Any(e => e.ToString().Contains("schedule exploded")), "the failure is reported");
        await SignalKit.WaitUntilAsync(async () => (await server.EvalAsync("Get-PodeState -Name 'written'")).Success().Strings.SequenceEqual(["FromFile"]), "the file ran");
        // The failing schedule is still registered: its name is taken.
        Assert.StartsWith("ScheduleAlreadyDefined", (await server.EvalAsync("Add-PodeSchedule -Name 'Broken' -Cron '@hourly' -ScriptBlock { }")).ErrorId);
    }

    [Fact]
    public void Bad_schedules_are_clear_errors()
    {
        (string Id, string Message) Error(string script)
        {
            var result = Ps.Run($$"""
                try { Start-PodeServer { Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http; {{script}}; throw 'not reached' } }
                catch { $_.FullyQualifiedErrorId; $_.Exception.Message }
                """);
            var lines = result.Output.Select(o => o.ToString()!).Concat(result.Errors.Select(e => e.FullyQualifiedErrorId)).ToArray();
            return (lines[0], lines.Length > 1 ? lines[1] : "");
        }
        var bad = Error("Add-PodeSchedule -Name 's' -Cron '* * *' -ScriptBlock { }");
        Assert.StartsWith("CronExpressionInvalid", bad.Id);
        Assert.Contains("'* * *'", bad.Message);
        Assert.StartsWith("CronExpressionInvalid", Error("Add-PodeSchedule -Name 's' -Cron '@hourly', '61 * * * *' -ScriptBlock { }").Id);
        Assert.StartsWith("CronExpressionInvalid", Error("Add-PodeSchedule -Name 's' -Cron 'R * * * *' -ScriptBlock { }").Id);
        Assert.StartsWith("ScheduleAlreadyDefined", Error("Add-PodeSchedule -Name 's' -Cron '@daily' -ScriptBlock { }; Add-PodeSchedule -Name 'S' -Cron '@daily' -ScriptBlock { }").Id);
        Assert.StartsWith("ScheduleEndTimeInPast", Error("Add-PodeSchedule -Name 's' -Cron '@daily' -EndTime ([datetime]::Now.AddMinutes(-1)) -ScriptBlock { }").Id);
        Assert.StartsWith("ScheduleStartAfterEnd", Error("Add-PodeSchedule -Name 's' -Cron '@daily' -StartTime ([datetime]::Now.AddDays(3)) -EndTime ([datetime]::Now.AddDays(2)) -ScriptBlock { }").Id);
        Assert.StartsWith("ParameterArgumentValidationError", Error("Add-PodeSchedule -Name 's' -Cron '@daily' -Limit -1 -ScriptBlock { }").Id);
        Assert.StartsWith("ParameterArgumentValidationError", Error("Add-PodeSchedule -Name 's' -Cron @() -ScriptBlock { }").Id);
        Assert.StartsWith("ScriptFileNotFound", Error("Add-PodeSchedule -Name 's' -Cron '@daily' -FilePath '/nonexistent/s.ps1'").Id);
    }
}
