using System.Collections;
using System.Management.Automation;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Shares signals with other server nodes through Redis (scale-out).</para>
/// <para type="description">Call it inside Start-PodeServer's script block, before or after the endpoints. Every
/// Send-PodeSignal, and every client message re-broadcast without a signal route, then reaches the Global connections
/// of every node that uses the same Redis and channel prefix; Test-PodeSignalName, Get-PodeSignalNameList,
/// Get-PodeSignalGroupList and Get-PodeSignalClientIdList answer for all nodes. Direct replies and Local connections
/// stay on their node. The server starts and serves its own clients while Redis is unreachable: broadcasts wait in an
/// outbox (past -OutboxLimit the oldest are dropped) and are published in order when Redis returns. Pode has no such
/// cmdlet.</para>
/// <example>
///   <code>Start-PodeServer { Add-PodeEndpoint -Address localhost -Port 8091 -Protocol Ws; Set-PodeSignalBackplane -Redis 'redis://127.0.0.1:6379/0' }</code>
///   <para>A chat node; start a second one on port 8092 with the same Redis and the clients of both see every message.</para>
/// </example>
/// <example>
///   <code>Set-PodeSignalBackplane -Redis 'redis://:secret@redis.internal:6379/2' -ChannelPrefix 'shop' -OutboxLimit 50000</code>
///   <para>A password, database 2, keys under 'shop:' so other apps can share the Redis, and a larger outbox.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PodeSignalBackplane")]
public sealed class SetPodeSignalBackplaneCommand : PodeCmdlet
{
    /// <summary><para type="description">The Redis URL: redis://[[user]:password@]host[:port][/db]. rediss:// (TLS) is
    /// not supported.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Redis { get; set; } = "";

    /// <summary><para type="description">Prefix of every Redis key (default 'psws'); nodes of one app use the same
    /// one.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ChannelPrefix { get; set; }

    /// <summary><para type="description">Broadcasts kept while Redis is unreachable (default 10000; also at most 64
    /// MiB).</para></summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? OutboxLimit { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        if (context.IsRunning)
        {
            Fail("BackplaneAfterStart", ErrorCategory.InvalidOperation, Redis, "Set-PodeSignalBackplane must be called inside Start-PodeServer's script block, before the server starts.");
        }
        Call(() => context.Server.SetBackplane(Redis, ChannelPrefix, OutboxLimit), "BackplaneInvalid", Redis);
    }
}

/// <summary>
/// <para type="synopsis">Gets the state and counters of the server's Redis backplane.</para>
/// <para type="description">A hashtable: Connected (Redis reachable now), Published (broadcasts this node wrote to
/// Redis), Received (broadcasts of other nodes delivered here), Dropped (broadcasts lost from a full outbox),
/// OutboxDepth (broadcasts waiting for Redis now) and LagMs (send-to-delivery time of the last broadcast received).
/// Nothing without Set-PodeSignalBackplane.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/backplane' -ScriptBlock { Write-PodeJsonResponse -Value (Get-PodeSignalBackplane) }</code>
///   <para>Reports the backplane over HTTP.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeSignalBackplane")]
[OutputType(typeof(Hashtable))]
public sealed class GetPodeSignalBackplaneCommand : PodeCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var s = Call(context.Server.BackplaneStatus, "BackplaneStatusFailed", null);
        if (s.enabled == 0)
        {
            return;
        }
        WriteObject(new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Connected"] = s.connected != 0,
            ["Published"] = (long)s.published,
            ["Received"] = (long)s.received,
            ["Dropped"] = (long)s.dropped,
            ["OutboxDepth"] = (long)s.outbox_depth,
            ["LagMs"] = (long)s.lag_ms,
        });
    }
}
