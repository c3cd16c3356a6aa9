using System.Management.Automation;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Returns the server's default secret, for signing values such as signal client ids.</para>
/// <para type="description">A random secret that the server makes when it starts; every start makes a new one. Use
/// it where a secret is needed and none is configured, e.g. Enable-PodeSignalSigning -Secret.</para>
/// <example>
///   <code>Enable-PodeSignalSigning -Secret (Get-PodeServerDefaultSecret)</code>
///   <para>Signs signal client ids with a secret that changes on every server start.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeServerDefaultSecret")]
[OutputType(typeof(string))]
public sealed class GetPodeServerDefaultSecretCommand : PodeCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing() => WriteObject(Context.DefaultSecret);
}
