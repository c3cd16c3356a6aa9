using System.Collections;
using System.Management.Automation;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Runs a timer now, besides its interval.</para>
/// <para type="description">Queues one run of the timer's script block in the Timers runspace (with -ArgumentList
/// instead of the timer's own arguments, if given) and returns at once; the run does not count towards -Limit.
/// An unknown name is an error.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/refresh' -ScriptBlock { Invoke-PodeTimer -Name 'Refresh' }</code>
///   <para>A route that runs the Refresh timer now.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "PodeTimer")]
public sealed class InvokePodeTimerCommand : PodeCmdlet
{
    /// <summary><para type="description">The timer's name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Arguments for this run.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (!Context.Timers.InvokeTimer(Name, ArgumentList))
        {
            WriteError(new ErrorRecord(new ArgumentException($"Timer '{Name}' does not exist."), "TimerNotFound", ErrorCategory.ObjectNotFound, Name));
        }
    }
}

/// <summary>
/// <para type="synopsis">Runs a schedule now, besides its cron expressions.</para>
/// <para type="description">Queues one run of the schedule's script block in the Schedules runspaces, with
/// -ArgumentList's named arguments added to the schedule's own, and returns at once; the run does not count
/// towards -Limit. An unknown name is an error.</para>
/// <example>
///   <code>Add-PodeRoute -Method Post -Path '/cleanup' -ScriptBlock { Invoke-PodeSchedule -Name 'Cleanup' -ArgumentList @{ Force = $true } }</code>
///   <para>A route that runs the Cleanup schedule now.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "PodeSchedule")]
public sealed class InvokePodeScheduleCommand : PodeCmdlet
{
    /// <summary><para type="description">The schedule's name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Named arguments for this run, added to the schedule's own.</para></summary>
    [Parameter]
    public Hashtable? ArgumentList { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (!Context.Timers.InvokeSchedule(Name, ArgumentList))
        {
            WriteError(new ErrorRecord(new ArgumentException($"Schedule '{Name}' does not exist."), "ScheduleNotFound", ErrorCategory.ObjectNotFound, Name));
        }
    }
}

/// <summary>
/// <para type="synopsis">Gets the server's timers.</para>
/// <para type="description">Returns each timer's record (Name, Interval, Limit, Count, Skip, NextTriggerTime,
/// LastTriggerTime, Arguments, OnStart, Completed), all of them or those of -Name.</para>
/// <example>
///   <code>Get-PodeTimer -Name 'Refresh' | ForEach-Object { $_.NextTriggerTime }</code>
///   <para>When the Refresh timer runs next.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeTimer")]
[OutputType(typeof(Hashtable))]
public sealed class GetPodeTimerCommand : PodeCmdlet
{
    /// <summary><para type="description">Only these timers.</para></summary>
    [Parameter]
    public string[]? Name { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        foreach (var timer in Context.Timers.Timers(Name))
        {
            WriteObject(timer.Sender);
        }
    }
}

/// <summary>
/// <para type="synopsis">Removes a timer.</para>
/// <para type="description">The timer runs no more; a run in progress finishes. An unknown name does nothing.</para>
/// <example>
///   <code>Remove-PodeTimer -Name 'Refresh'</code>
///   <para>Stops the Refresh timer.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "PodeTimer")]
public sealed class RemovePodeTimerCommand : PodeCmdlet
{
    /// <summary><para type="description">The timer's name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public string Name { get; set; } = "";

    /// <inheritdoc/>
    protected override void ProcessRecord() => Context.Timers.RemoveTimer(Name);
}

/// <summary>
/// <para type="synopsis">Tests whether the server has a timer of this name.</para>
/// <para type="description">True while the timer exists (a timer that reached its -Limit is removed).</para>
/// <example>
///   <code>if (!(Test-PodeTimer -Name 'Refresh')) { Add-PodeTimer -Name 'Refresh' -Interval 60 -ScriptBlock { } }</code>
///   <para>Adds the timer once.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeTimer")]
[OutputType(typeof(bool))]
public sealed class TestPodeTimerCommand : PodeCmdlet
{
    /// <summary><para type="description">The timer's name.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Name { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing() => WriteObject(Context.Timers.Timers([Name]).Length > 0);
}

/// <summary>
/// <para type="synopsis">Gets the server's schedules.</para>
/// <para type="description">Returns each schedule's record (Name, Cron, Limit, Count, NextTriggerTime,
/// LastTriggerTime, StartTime, EndTime, OnStart, Completed, ...), all of them or those of -Name.</para>
/// <example>
///   <code>(Get-PodeSchedule -Name 'Cleanup').NextTriggerTime</code>
///   <para>When the Cleanup schedule triggers next.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeSchedule")]
[OutputType(typeof(Hashtable))]
public sealed class GetPodeScheduleCommand : PodeCmdlet
{
    /// <summary><para type="description">Only these schedules.</para></summary>
    [Parameter]
    public string[]? Name { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        foreach (var schedule in Context.Timers.Schedules(Name))
        {
            WriteObject(schedule.Sender);
        }
    }
}

/// <summary>
/// <para type="synopsis">Removes a schedule.</para>
/// <para type="description">The schedule triggers no more; a run in progress finishes. An unknown name does nothing.</para>
/// <example>
///   <code>Remove-PodeSchedule -Name 'Cleanup'</code>
///   <para>Stops the Cleanup schedule.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "PodeSchedule")]
public sealed class RemovePodeScheduleCommand : PodeCmdlet
{
    /// <summary><para type="description">The schedule's name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public string Name { get; set; } = "";

    /// <inheritdoc/>
    protected override void ProcessRecord() => Context.Timers.RemoveSchedule(Name);
}

/// <summary>
/// <para type="synopsis">Tests whether the server has a schedule of this name.</para>
/// <para type="description">True while the schedule exists (a completed schedule is removed).</para>
/// <example>
///   <code>Test-PodeSchedule -Name 'Cleanup'</code>
///   <para>True if the Cleanup schedule exists.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeSchedule")]
[OutputType(typeof(bool))]
public sealed class TestPodeScheduleCommand : PodeCmdlet
{
    /// <summary><para type="description">The schedule's name.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Name { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing() => WriteObject(Context.Timers.Schedules([Name]).Length > 0);
}
