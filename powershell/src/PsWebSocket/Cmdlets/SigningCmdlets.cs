using System.Collections;
using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Signs signal client ids from now on.</para>
/// <para type="description">Client ids of new connections (generated or given to ConvertTo-PodeSignalConnection)
/// become s:&lt;id&gt;.&lt;signature&gt;, an HMAC-SHA256 of the id with the secret, as in Pode. With -Strict the
/// signature also covers the client's User-Agent and IP, so an id is only valid from the client it was issued to.
/// Requests with an X-Pode-Signal-Client-Id header that does not verify are answered 400.</para>
/// <example>
///   <code>Enable-PodeSignalSigning -Secret 'super-secret'</code>
///   <para>Signs client ids with a fixed secret.</para>
/// </example>
/// <example>
///   <code>Enable-PodeSignalSigning -Secret 'super-secret' -Strict</code>
///   <para>Also binds each id to the client's User-Agent and IP.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "PodeSignalSigning")]
[OutputType(typeof(void))]
public sealed class EnablePodeSignalSigningCommand : PodeCmdlet
{
    /// <summary><para type="description">The secret that signs client ids.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Secret { get; set; } = "";

    /// <summary><para type="description">Extend the secret with the client's User-Agent and remote IP.</para></summary>
    [Parameter]
    public SwitchParameter Strict { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        Call(() => context.Server.EnableSigning(Secret, Strict.IsPresent), "SignalSigningFailed", null);
    }
}

/// <summary>
/// <para type="synopsis">Stops signing signal client ids.</para>
/// <para type="description">New connections get plain client ids again; ids in signed form are then no longer
/// valid (Test-PodeSignalClientIdValid).</para>
/// <example>
///   <code>Disable-PodeSignalSigning</code>
///   <para>Client ids are plain from now on.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Disable, "PodeSignalSigning")]
[OutputType(typeof(void))]
public sealed class DisablePodeSignalSigningCommand : PodeCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        Call(context.Server.DisableSigning, "SignalSigningFailed", null);
    }
}

/// <summary>
/// <para type="synopsis">Makes a signal client id: a new GUID or the given id, signed when signing is on.</para>
/// <para type="description">With strict signing the id is signed for the current client: the sender of the
/// message in a signal route, the requester in a route. An id already in signed form is returned as it is if it
/// verifies, and is an error if it does not.</para>
/// <example>
///   <code>$clientId = New-PodeSignalClientId</code>
///   <para>A new GUID (signed when signing is on).</para>
/// </example>
/// <example>
///   <code>$clientId = New-PodeSignalClientId -ClientId 'my-client-id'</code>
///   <para>my-client-id, signed when signing is on.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.New, "PodeSignalClientId")]
[OutputType(typeof(string))]
public sealed class NewPodeSignalClientIdCommand : PodeCmdlet
{
    /// <summary><para type="description">The id to use (default: a new GUID); signed when signing is on.</para></summary>
    [Parameter]
    public string? ClientId { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var (userAgent, ip) = SignalClient.Current(this);
        WriteObject(Call(() => context.Server.NewClientId(ClientId, userAgent, ip), "SignalClientIdFailed", ClientId));
    }
}

/// <summary>
/// <para type="synopsis">Tests whether a signal client id is signed with the server's secret.</para>
/// <para type="description">Without -ClientId, the clientId of the message being handled ($SignalEvent.Data.ClientId)
/// is tested (every one of them, if it holds several). With strict signing the id must have been signed for the
/// current client: the sender of the message in a signal route, the requester in a route. False when signing is
/// off.</para>
/// <example>
///   <code>if (Test-PodeSignalClientIdSigned) { Send-PodeSignal -Value 'ok' -Mode Direct }</code>
///   <para>Inside a signal route: checks the clientId of the incoming message.</para>
/// </example>
/// <example>
///   <code>Test-PodeSignalClientIdSigned -ClientId $WebEvent.Signal.ClientId</code>
///   <para>Checks a given id.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeSignalClientIdSigned")]
[OutputType(typeof(bool))]
public sealed class TestPodeSignalClientIdSignedCommand : PodeCmdlet
{
    /// <summary><para type="description">The id to test (default: $SignalEvent.Data.ClientId).</para></summary>
    [Parameter]
    public string? ClientId { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        WriteObject(Call(() => SignalClient.Test(this, context, ClientId, valid: false), "SignalClientIdTestFailed", ClientId));
    }
}

/// <summary>
/// <para type="synopsis">Tests whether a signal client id is valid for this server.</para>
/// <para type="description">Signing off: valid if it is not in signed form (s:...). Signing on: valid if it is
/// signed with the server's secret (for the current client, with -Strict). Without -ClientId, the clientId of the
/// message being handled ($SignalEvent.Data.ClientId) is tested; no id at all is not valid.</para>
/// <example>
///   <code>if (!(Test-PodeSignalClientIdValid)) { return }</code>
///   <para>Inside a signal route: ignores messages addressed to forged ids.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeSignalClientIdValid")]
[OutputType(typeof(bool))]
public sealed class TestPodeSignalClientIdValidCommand : PodeCmdlet
{
    /// <summary><para type="description">The id to test (default: $SignalEvent.Data.ClientId).</para></summary>
    [Parameter]
    public string? ClientId { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        WriteObject(Call(() => SignalClient.Test(this, context, ClientId, valid: true), "SignalClientIdTestFailed", ClientId));
    }
}

/// <summary>Who the current client is, for strict signing.</summary>
internal static class SignalClient
{
    /// <summary>
    /// User-Agent and IP of the client being served: the sender of the message in a
    /// signal route, the requester in a route; empty elsewhere (timers, events).
    /// </summary>
    public static (string UserAgent, string Ip) Current(PSCmdlet cmdlet)
    {
        var variables = cmdlet.SessionState.PSVariable;
        if (variables.GetValue("SignalEvent") is Hashtable { } signalEvent && signalEvent["Signal"] is PodeSignalConnection sender)
        {
            return (sender.Info.UserAgent, sender.Info.RemoteIp);
        }
        if (variables.GetValue("WebEvent") is Hashtable { } webEvent && webEvent["Request"] is PodeRequest request)
        {
            return (request.UserAgent, request.RemoteEndPoint.Address.ToString());
        }
        return ("", "");
    }

    /// <summary>Test-PodeSignalClientIdSigned (valid: false) and Test-PodeSignalClientIdValid (valid: true).</summary>
    public static bool Test(PSCmdlet cmdlet, PodeContext context, string? clientId, bool valid)
    {
        string[] ids;
        if (!string.IsNullOrEmpty(clientId))
        {
            ids = [clientId];
        }
        else
        {
            var data = (cmdlet.SessionState.PSVariable.GetValue("SignalEvent") as Hashtable)?["Data"] as Hashtable;
            ids = data?["ClientId"] switch
            {
                string s when s.Length > 0 => [s],
                IEnumerable many and not string => many.Cast<object?>().Select(o => o?.ToString() ?? "").ToArray(),
                _ => [],
            };
        }
        if (ids.Length == 0)
        {
            return false;
        }
        var (userAgent, ip) = Current(cmdlet);
        foreach (var id in ids)
        {
            var (isSigned, isValid) = context.Server.TestClientId(id, userAgent, ip);
            if (!(valid ? isValid : isSigned))
            {
                return false;
            }
        }
        return true;
    }
}
