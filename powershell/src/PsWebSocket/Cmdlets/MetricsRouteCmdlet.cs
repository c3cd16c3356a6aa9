using System.Management.Automation;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Serves the engine's metrics in Prometheus' text format on an HTTP route.</para>
/// <para type="description">Beyond Pode. GET -Path answers with the engine's counters and gauges in the Prometheus
/// text exposition format 0.0.4: open connections by Name and scope (psws_connections), messages and bytes in and
/// out, sends dropped, connections closed by reason (slow reader, too big, pong timeout, peer gone) and send-queue
/// depth. The engine answers the route itself: no runspace runs for a scrape. The same counters feed
/// Get-PodeServerSignalMetric and the C ABI's psws_server_metrics_text.</para>
/// <example>
///   <code>Add-PodeSignalMetricsRoute -Path '/metrics'</code>
///   <para>A Prometheus server scrapes http://host:port/metrics.</para>
/// </example>
/// <example>
///   <code>Add-PodeSignalMetricsRoute -Path '/metrics' -EndpointName 'Admin'</code>
///   <para>Serves the metrics only on the Admin endpoint.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeSignalMetricsRoute")]
[OutputType(typeof(void))]
public sealed class AddPodeSignalMetricsRouteCommand : PodeCmdlet
{
    /// <summary><para type="description">The route's path, e.g. /metrics.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary><para type="description">The endpoint to serve it on (default: every endpoint).</para></summary>
    [Parameter]
    public string? EndpointName { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var endpoint = string.IsNullOrEmpty(EndpointName) ? null : EndpointName;
        Call(() => context.Server.AddMetricsRoute(Path, endpoint), "MetricsRouteFailed", Path);
    }
}
