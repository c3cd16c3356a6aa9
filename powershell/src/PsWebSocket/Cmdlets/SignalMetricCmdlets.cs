using System.Management.Automation;
using PsWebSocket.Completion;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets how many signal messages clients have sent since the server started.</para>
/// <para type="description">Counts every message received from a WebSocket client, whether a signal route handled
/// it or it was re-broadcast by default.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/metrics' -ScriptBlock { Write-PodeJsonResponse -Value @{ signals = (Get-PodeServerSignalMetric) } }</code>
///   <para>Reports the count over HTTP.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeServerSignalMetric")]
[OutputType(typeof(long))]
public sealed class GetPodeServerSignalMetricCommand : PodeCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        WriteObject((long)Call(context.Server.Metrics, "SignalMetricFailed", null).messages_in);
    }
}

/// <summary>
/// <para type="synopsis">Gets how many signal messages are being handled right now.</para>
/// <para type="description">-Type Client counts client messages waiting for a signal route runspace (Queued) or
/// running in one (Processing). -Type Server counts outbound sends in progress; the engine hands a send to every
/// connection's queue before Send-PodeSignal returns, so this is always 0. -Type Total (the default) is the sum.
/// -CountType Total (the default) is Queued plus Processing.</para>
/// <example>
///   <code>Get-PodeServerActiveSignalMetric -Type Client -CountType Queued</code>
///   <para>Client messages waiting for a runspace.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeServerActiveSignalMetric")]
[OutputType(typeof(long))]
public sealed class GetPodeServerActiveSignalMetricCommand : PodeCmdlet
{
    /// <summary><para type="description">Total (default), Server (outbound) or Client (inbound).</para></summary>
    [Parameter]
    [ValidateSet("Total", "Server", "Client")]
    public string Type { get; set; } = "Total";

    /// <summary><para type="description">Total (default), Queued or Processing.</para></summary>
    [Parameter]
    [ValidateSet("Total", "Queued", "Processing")]
    public string CountType { get; set; } = "Total";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        long running = context.SignalsRunning;
        long queued = Math.Max(0, context.SignalsProcessing - running);
        if (Type.Equals("Server", StringComparison.OrdinalIgnoreCase))
        {
            WriteObject(0L);
            return;
        }
        WriteObject(CountType.ToLowerInvariant() switch
        {
            "queued" => queued,
            "processing" => running,
            _ => queued + running,
        });
    }
}

/// <summary>
/// <para type="synopsis">Gets how many Global signal connections are open.</para>
/// <para type="description">All of them, or those of one Name. A Name without connections is an error:
/// "No Signal connection found with the name '&lt;Name&gt;'".</para>
/// <example>
///   <code>$count = Get-PodeServerActiveSignalClientMetric -Name 'Events'</code>
///   <para>Open Events connections.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeServerActiveSignalClientMetric")]
[OutputType(typeof(long))]
public sealed class GetPodeServerActiveSignalClientMetricCommand : PodeCmdlet
{
    /// <summary><para type="description">Count only this Name's connections.</para></summary>
    [Parameter]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    public string? Name { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        if (string.IsNullOrEmpty(Name))
        {
            WriteObject((long)Call(() => context.Server.SignalCount(null), "SignalMetricFailed", null));
            return;
        }
        if (!Call(() => context.Server.SignalExists(Name, null, null), "SignalMetricFailed", Name))
        {
            Fail("SignalNameNotFound", ErrorCategory.ObjectNotFound, Name, SignalNames.NotFound(Name));
        }
        WriteObject((long)Call(() => context.Server.SignalCount(Name), "SignalMetricFailed", Name));
    }
}
