using System.Collections;
using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Adds a timer: a script block run every few seconds while the server runs.</para>
/// <para type="description">The script block runs in the Timers runspace with $TimerEvent (Lockable, Sender = the
/// timer's record with Name, Interval, Limit, Count, Skip, NextTriggerTime, LastTriggerTime, Timestamp (UTC) and
/// Metadata), $using: values and -ArgumentList splatted in. Timers added in Start-PodeServer's script block count
/// their interval from the server's start; timers added later (from a route, say) from the moment they are added.
/// Timers run one after another; a timer whose run outlasts its interval runs again once it finishes, never twice
/// at the same time. A script block that throws is reported as an error and the timer keeps running.</para>
/// <example>
///   <code>Add-PodeTimer -Name 'Hello' -Interval 10 -ScriptBlock { 'Hello, world!' | Out-Default }</code>
///   <para>Writes a line every 10 seconds.</para>
/// </example>
/// <example>
///   <code>Add-PodeTimer -Name 'Times' -Interval 5 -ScriptBlock { Send-PodeSignal -Name 'ResponseTimes' -Data @{ Now = [datetime]::UtcNow } }</code>
///   <para>Pushes a message to every ResponseTimes connection every 5 seconds.</para>
/// </example>
/// <example>
///   <code>Add-PodeTimer -Name 'RunOnce' -Interval 1 -Limit 1 -ScriptBlock { 'once' | Out-Default }</code>
///   <para>Runs once, a second after the start, then is removed.</para>
/// </example>
/// <example>
///   <code>Add-PodeTimer -Name 'Args' -Interval 2 -ArgumentList 'a', 'b' -ScriptBlock { param($First, $Second) "$First $Second" | Out-Default }</code>
///   <para>Passes arguments to the script block.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeTimer", DefaultParameterSetName = ScriptSet)]
[OutputType(typeof(void))]
public sealed class AddPodeTimerCommand : PodeCmdlet
{
    private const string ScriptSet = "Script";
    private const string FileSet = "File";

    /// <summary><para type="description">The timer's name, unique among the server's timers.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Seconds between runs (at least 1).</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateRange(1, int.MaxValue)]
    public int Interval { get; set; }

    /// <summary><para type="description">The timer's script block.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ScriptSet)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">A script file to run instead of a script block (relative to the server's root folder).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    public string? FilePath { get; set; }

    /// <summary><para type="description">Runs before the timer is removed; 0 (the default) runs forever.</para></summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Limit { get; set; }

    /// <summary><para type="description">Intervals to let pass before the first run (default 0).</para></summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Skip { get; set; }

    /// <summary><para type="description">Arguments splatted into the script block, in order.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <summary><para type="description">Also run once as soon as the server starts (or at once, when added to a running server).</para></summary>
    [Parameter]
    public SwitchParameter OnStart { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var script = Capture(ScriptBlock, FilePath, ArgumentList);
        try
        {
            context.Timers.AddTimer(new PodeTimer(Name, Interval, Limit, Skip, OnStart, script));
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "TimerAlreadyDefined", ErrorCategory.ResourceExists, Name));
        }
    }
}

