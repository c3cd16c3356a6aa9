using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Cronos;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Adds a schedule: a script block run at the times given by cron expressions.</para>
/// <para type="description">Cron expressions have five fields (minute hour day-of-month month day-of-week) and are
/// read in the server's local time zone; Pode's predefined names (@minutely, @hourly, @daily, @weekly, @monthly,
/// @quarterly, @yearly, @annually, @twice-hourly, @twice-daily, @twice-weekly, @twice-monthly, @twice-yearly) are
/// accepted, and New-PodeCron builds expressions. With several expressions the schedule triggers at the earliest of
/// them. The script block runs in the Schedules runspaces with $ScheduleEvent (Lockable, Sender = the schedule's
/// record, Timestamp (UTC), Metadata); -ArgumentList is a hashtable splatted by name, and a script block that
/// declares param($Event) also gets $ScheduleEvent as -Event, as in Pode. A script block that throws is reported
/// as an error and the schedule keeps triggering.</para>
/// <example>
///   <code>Add-PodeSchedule -Name 'Example' -Cron (New-PodeCron -Every Minute) -ScriptBlock { Send-PodeSignal -Name 'ResponseTimes' -Data @{ Durations = @(123, 101, 104) } }</code>
///   <para>Broadcasts to the ResponseTimes connections every minute.</para>
/// </example>
/// <example>
///   <code>Add-PodeSchedule -Name 'RunEveryTuesday' -Cron '0 0 * * TUE' -ScriptBlock { 'Tuesday' | Out-Default }</code>
///   <para>Triggers at midnight every Tuesday.</para>
/// </example>
/// <example>
///   <code>Add-PodeSchedule -Name 'StartAfter2days' -Cron '@hourly' -StartTime ([DateTime]::Now.AddDays(2)) -ScriptBlock { }</code>
///   <para>Triggers every hour, starting in two days.</para>
/// </example>
/// <example>
///   <code>Add-PodeSchedule -Name 'Args' -Cron '@minutely' -ArgumentList @{ Arg1 = 'value' } -ScriptBlock { param($Event, $Arg1) $Arg1 | Out-Default }</code>
///   <para>Passes named arguments and the event.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeSchedule", DefaultParameterSetName = ScriptSet)]
[OutputType(typeof(void))]
public sealed class AddPodeScheduleCommand : PodeCmdlet
{
    private const string ScriptSet = "Script";
    private const string FileSet = "File";

    /// <summary><para type="description">The schedule's name, unique among the server's schedules.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">One or more cron expressions (five fields, or a predefined name such as @hourly).</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string[] Cron { get; set; } = [];

    /// <summary><para type="description">The schedule's script block.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ScriptSet)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">A script file to run instead of a script block (relative to the server's root folder).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    public string? FilePath { get; set; }

    /// <summary><para type="description">Triggers before the schedule is removed; 0 (the default) triggers forever.</para></summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Limit { get; set; }

    /// <summary><para type="description">Do not trigger before this time (local time unless the value says otherwise).</para></summary>
    [Parameter]
    public DateTime? StartTime { get; set; }

    /// <summary><para type="description">Stop triggering, and remove the schedule, after this time; must be in the future.</para></summary>
    [Parameter]
    public DateTime? EndTime { get; set; }

    /// <summary><para type="description">Named arguments splatted into the script block (a hashtable, as in Pode).</para></summary>
    [Parameter]
    public Hashtable? ArgumentList { get; set; }

    /// <summary><para type="description">Also trigger once as soon as the server starts (or at once, when added to a running server).</para></summary>
    [Parameter]
    public SwitchParameter OnStart { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        if (EndTime is { } end && end.ToUniversalTime() < DateTime.UtcNow)
        {
            Fail("ScheduleEndTimeInPast", ErrorCategory.InvalidArgument, EndTime, $"[Schedule] {Name}: the EndTime {end:o} is in the past: give a time in the future.");
        }
        if (StartTime is { } start && EndTime is { } stop && stop.ToUniversalTime() <= start.ToUniversalTime())
        {
            Fail("ScheduleStartAfterEnd", ErrorCategory.InvalidArgument, StartTime, $"[Schedule] {Name}: the StartTime must be before the EndTime.");
        }
        var parsed = CronParameter.Parse(this, Cron, Name);
        var script = Wrap(out var takesEvent);
        var arguments = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry argument in ArgumentList ?? [])
        {
            arguments[argument.Key] = argument.Value;
        }
        try
        {
            context.Timers.AddSchedule(new PodeSchedule(Name, Cron, parsed, Limit, StartTime, EndTime, OnStart, script, arguments, takesEvent));
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ScheduleAlreadyDefined", ErrorCategory.ResourceExists, Name));
        }
    }

    /// <summary>
    /// Wraps the user's script so that a worker can splat the named arguments into it:
    /// <c>&amp; { user script } @args</c>, captured with its $using: values.
    /// </summary>
    private ScriptDef Wrap(out bool takesEvent)
    {
        ScriptBlock body;
        if (ScriptBlock is not null)
        {
            body = ScriptBlock;
        }
        else
        {
            var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(ScriptPath(FilePath!));
            if (!File.Exists(full))
            {
                Fail("ScriptFileNotFound", ErrorCategory.ObjectNotFound, full, $"The script file '{full}' does not exist.");
            }
            body = ScriptBlock.Create(File.ReadAllText(full));
        }
        var ast = (ScriptBlockAst)body.Ast;
        takesEvent = ast.ParamBlock?.Parameters.Any(p => p.Name.VariablePath.UserPath.Equals("Event", StringComparison.OrdinalIgnoreCase)) == true;
        var text = ast.Extent.Text;
        if (ast.Parent is ScriptBlockExpressionAst && text.StartsWith('{') && text.EndsWith('}'))
        {
            text = text[1..^1];
        }
        var wrapper = ScriptBlock.Create($"& {{{text}\n}} @{TimerScheduler.ScheduleSplatVariable}");
        return Capture(wrapper, null, null);
    }
}

/// <summary>Cron parameters to expressions, with an error that says what is wrong.</summary>
internal static class CronParameter
{
    public static CronExpression[] Parse(PodeCmdlet cmdlet, string[] crons, string name)
    {
        var parsed = new List<CronExpression>();
        foreach (var cron in crons)
        {
            try
            {
                parsed.Add(Runtime.Cron.Parse(cron));
            }
            catch (CronFormatException e)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"[Schedule] {name}: the cron expression '{cron}' is not valid ({e.Message}). Use five fields (minute hour day-of-month month day-of-week), e.g. '*/5 * * * *', a name such as '@hourly', or New-PodeCron.", e),
                    "CronExpressionInvalid", ErrorCategory.InvalidArgument, cron));
            }
        }
        return [.. parsed];
    }
}

/// <summary>
/// <para type="synopsis">Builds a cron expression for Add-PodeSchedule.</para>
/// <para type="description">Covers the simple cases: -Every Minute, Hour, Day, Date, Month, Quarter or Year, with an
/// -Interval ("every 2 hours"), and lists of minutes, hours, dates, months and days of the week. Returns the same
/// expression as Pode's New-PodeCron, e.g. '* * * * *' for -Every Minute, '0 * * * *' for -Every Hour and
/// '*/5 * * * *' for -Every Minute -Interval 5.</para>
/// <example>
///   <code>New-PodeCron -Every Day</code>
///   <para>'0 0 * * *': every day at 00:00.</para>
/// </example>
/// <example>
///   <code>New-PodeCron -Every Day -Day Tuesday, Friday -Hour 1</code>
///   <para>'0 1 * * 2,5': every Tuesday and Friday at 01:00.</para>
/// </example>
/// <example>
///   <code>New-PodeCron -Every Month -Date 15</code>
///   <para>'0 0 15 * *': the 15th of every month at 00:00.</para>
/// </example>
/// <example>
///   <code>New-PodeCron -Every Minute -Hour 1, 2, 3, 4, 5 -Interval 15</code>
///   <para>'*/15 1,2,3,4,5 * * *': every 15 minutes from 01:00 to 05:59.</para>
/// </example>
/// <example>
///   <code>New-PodeCron -Every Quarter</code>
///   <para>'0 0 1 1,4,7,10 *': 1 January, April, July and October at 00:00.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.New, "PodeCron")]
[OutputType(typeof(string))]
public sealed class NewPodeCronCommand : PodeCmdlet
{
    private static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    /// <summary><para type="description">Minutes of the hour (0-59).</para></summary>
    [Parameter]
    [ValidateRange(0, 59)]
    public int[]? Minute { get; set; }

    /// <summary><para type="description">Hours of the day (0-23).</para></summary>
    [Parameter]
    [ValidateRange(0, 23)]
    public int[]? Hour { get; set; }

    /// <summary><para type="description">Days of the month (1-31).</para></summary>
    [Parameter]
    [ValidateRange(1, 31)]
    public int[]? Date { get; set; }

    /// <summary><para type="description">Months, January to December.</para></summary>
    [Parameter]
    [ValidateSet("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")]
    public string[]? Month { get; set; }

    /// <summary><para type="description">Days of the week, Monday to Sunday.</para></summary>
    [Parameter]
    [ValidateSet("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")]
    public string[]? Day { get; set; }

    /// <summary><para type="description">Minute, Hour, Day, Date, Month, Quarter, Year, or None (the default).</para></summary>
    [Parameter]
    [ValidateSet("Minute", "Hour", "Day", "Date", "Month", "Quarter", "Year", "None")]
    public string Every { get; set; } = "None";

    /// <summary><para type="description">With -Every: every how many of them ("every 2 hours" is -Every Hour -Interval 2).</para></summary>
    [Parameter]
    public int Interval { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var every = Every.ToUpperInvariant();
        if (every == "NONE" && Interval > 0)
        {
            Fail("CronIntervalWithoutEvery", ErrorCategory.InvalidArgument, Interval, "Cannot supply an -Interval when -Every is None: say what the interval counts, e.g. -Every Hour -Interval 2.");
        }
        var cron = new Dictionary<string, string> { ["Minute"] = "*", ["Hour"] = "*", ["Date"] = "*", ["Month"] = "*", ["Day"] = "*" };
        var minutes = Minute ?? [];
        var hours = Hour ?? [];
        var dates = Date ?? [];
        var months = (Month ?? []).Select(m => Array.FindIndex(Months, x => x.Equals(m, StringComparison.OrdinalIgnoreCase)) + 1).ToArray();
        var days = (Day ?? []).Select(d => Array.FindIndex(Days, x => x.Equals(d, StringComparison.OrdinalIgnoreCase))).ToArray();

        switch (every)
        {
            case "MINUTE":
                if (SetInterval(cron, "Minute", minutes))
                {
                    minutes = [];
                }
                break;
            case "HOUR":
                cron["Minute"] = "0";
                if (SetInterval(cron, "Hour", hours))
                {
                    hours = [];
                }
                break;
            case "DAY":
                cron["Minute"] = "0";
                cron["Hour"] = "0";
                if (SetInterval(cron, "Day", days))
                {
                    days = [];
                }
                break;
            case "DATE":
                cron["Minute"] = "0";
                cron["Hour"] = "0";
                if (SetInterval(cron, "Date", dates))
                {
                    dates = [];
                }
                break;
            case "MONTH":
                cron["Minute"] = "0";
                cron["Hour"] = "0";
                if (days.Length == 0)
                {
                    cron["Date"] = "1";
                }
                if (SetInterval(cron, "Month", months))
                {
                    months = [];
                }
                break;
            case "QUARTER":
            case "YEAR":
                cron["Minute"] = "0";
                cron["Hour"] = "0";
                cron["Date"] = "1";
                cron["Month"] = every == "QUARTER" ? "1,4,7,10" : "1";
                if (Interval > 0)
                {
                    Fail("CronIntervalNotAllowed", ErrorCategory.InvalidArgument, Interval, $"Cannot supply an -Interval for -Every {Every}.");
                }
                break;
        }

        if (minutes.Length > 0)
        {
            cron["Minute"] = string.Join(',', minutes);
        }
        if (hours.Length > 0)
        {
            cron["Hour"] = string.Join(',', hours);
        }
        if (days.Length > 0)
        {
            cron["Day"] = string.Join(',', days);
        }
        if (dates.Length > 0)
        {
            cron["Date"] = string.Join(',', dates);
        }
        if (months.Length > 0)
        {
            cron["Month"] = string.Join(',', months);
        }
        WriteObject($"{cron["Minute"]} {cron["Hour"]} {cron["Date"]} {cron["Month"]} {cron["Day"]}");
    }

    /// <summary>Pode's interval rule: "*/n", or "v/n" with a single value v (which then is used up).</summary>
    private bool SetInterval(Dictionary<string, string> cron, string field, int[] values)
    {
        if (Interval <= 0)
        {
            return false;
        }
        if (values.Length > 1)
        {
            Fail("CronIntervalSingleValue", ErrorCategory.InvalidArgument, values, $"You can only supply a single {field} value when using -Interval.");
        }
        if (values.Length == 1)
        {
            cron[field] = values[0].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        cron[field] += $"/{Interval}";
        return values.Length == 1;
    }
}
