using System.Collections;
using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes a signal route.</para>
/// <para type="description">Pode's rule: with -EndpointName, the route's binding to that endpoint is removed (a
/// route bound to several endpoints keeps the others); without it, only the route that is bound to no endpoint is
/// removed. Messages of connections on the path are then re-broadcast by default again. Removing a route that
/// does not exist does nothing.</para>
/// <example>
///   <code>Remove-PodeSignalRoute -Path '/message'</code>
///   <para>Removes the /message signal route.</para>
/// </example>
/// <example>
///   <code>Remove-PodeSignalRoute -Path '/message' -EndpointName 'Admin'</code>
///   <para>Removes the /message signal route of the Admin endpoint.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "PodeSignalRoute")]
[OutputType(typeof(void))]
public sealed class RemovePodeSignalRouteCommand : PodeCmdlet
{
    /// <summary><para type="description">The connection path of the route, e.g. /msg.</para></summary>
    [Parameter(Mandatory = true)]
    public string Path { get; set; } = "";

    /// <summary><para type="description">The endpoint whose route to remove (default: the route bound to no endpoint).</para></summary>
    [Parameter]
    public string? EndpointName { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var path = AddPodeSignalRouteCommand.Normalise(Path);
        var endpoint = string.IsNullOrEmpty(EndpointName) ? null : EndpointName;
        lock (context.SignalRoutes)
        {
            var matches = context.SignalRoutes.Where(r => r.IsFor(path, endpoint)).ToList();
            if (matches.Count == 0)
            {
                return;
            }
            Call(() => context.Server.RemoveSignalRoute(path, endpoint), "SignalRouteRemoveFailed", path);
            foreach (var route in matches)
            {
                var index = context.SignalRoutes.IndexOf(route);
                var rest = route.EndpointNames.Where(e => !e.Equals(endpoint, StringComparison.OrdinalIgnoreCase)).ToArray();
                if (endpoint is null || rest.Length == 0)
                {
                    context.SignalRoutes.RemoveAt(index);
                    continue;
                }
                // The engine removed the whole route; it stays for the other endpoints.
                Call(() => context.Server.AddSignalRoute(route.Path, rest), "SignalRouteRemoveFailed", path);
                context.SignalRoutes[index] = route with { EndpointNames = rest };
            }
        }
    }
}

/// <summary>
/// <para type="synopsis">Removes every signal route.</para>
/// <para type="description">Messages of all connections are then re-broadcast by default.</para>
/// <example>
///   <code>Clear-PodeSignalRoutes</code>
///   <para>No signal routes are left.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Clear, "PodeSignalRoutes")]
[OutputType(typeof(void))]
public sealed class ClearPodeSignalRoutesCommand : PodeCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        lock (context.SignalRoutes)
        {
            Call(context.Server.ClearSignalRoutes, "SignalRouteClearFailed", null);
            context.SignalRoutes.Clear();
        }
    }
}

/// <summary>
/// <para type="synopsis">Gets signal routes.</para>
/// <para type="description">Returns one hashtable per route and endpoint (Method Signal, Path, Endpoint with
/// Protocol/Address/Name, Arguments, IsStatic, Logic), optionally only for a path and only for some endpoints.</para>
/// <example>
///   <code>Get-PodeSignalRoute -Path '/msg'</code>
///   <para>The /msg signal routes.</para>
/// </example>
/// <example>
///   <code>Get-PodeSignalRoute -EndpointName 'Admin'</code>
///   <para>The signal routes of the Admin endpoint.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeSignalRoute")]
[OutputType(typeof(Hashtable))]
public sealed class GetPodeSignalRouteCommand : PodeCmdlet
{
    /// <summary><para type="description">Only routes of this connection path.</para></summary>
    [Parameter]
    public string? Path { get; set; }

    /// <summary><para type="description">Only routes bound to these endpoints.</para></summary>
    [Parameter]
    public string[]? EndpointName { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var path = string.IsNullOrEmpty(Path) ? null : AddPodeSignalRouteCommand.Normalise(Path);
        List<SignalRoute> routes;
        lock (context.SignalRoutes)
        {
            routes = [.. context.SignalRoutes];
        }
        foreach (var route in routes.Where(r => path is null || r.Path.Equals(path, StringComparison.OrdinalIgnoreCase)))
        {
            foreach (var endpoint in route.EndpointNames.Length == 0 ? [null] : route.EndpointNames.Cast<string?>())
            {
                if (EndpointName is { Length: > 0 } && (endpoint is null || !EndpointName.Contains(endpoint, StringComparer.OrdinalIgnoreCase)))
                {
                    continue;
                }
                var record = route.ToHashtable();
                var spec = context.Endpoints.FirstOrDefault(e => e.Name.Equals(endpoint, StringComparison.OrdinalIgnoreCase));
                record["Endpoint"] = new Hashtable(StringComparer.OrdinalIgnoreCase)
                {
                    ["Protocol"] = spec?.Protocol.ToString().ToLowerInvariant(),
                    ["Address"] = spec is null ? null : $"{spec.Address}:{spec.Port}",
                    ["Name"] = endpoint,
                };
                WriteObject(record);
            }
        }
    }
}

/// <summary>
/// <para type="synopsis">Tests whether a signal route exists.</para>
/// <para type="description">With -EndpointName: a route for the path bound to that endpoint. Without: a route for
/// the path bound to no endpoint (Pode's rule, the same as Remove-PodeSignalRoute).</para>
/// <example>
///   <code>if (!(Test-PodeSignalRoute -Path '/msg')) { Add-PodeSignalRoute -Path '/msg' -ScriptBlock { ... } }</code>
///   <para>Adds the route only once.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeSignalRoute")]
[OutputType(typeof(bool))]
public sealed class TestPodeSignalRouteCommand : PodeCmdlet
{
    /// <summary><para type="description">The connection path of the route.</para></summary>
    [Parameter(Mandatory = true)]
    public string Path { get; set; } = "";

    /// <summary><para type="description">The endpoint the route is bound to (default: none).</para></summary>
    [Parameter]
    public string? EndpointName { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var path = AddPodeSignalRouteCommand.Normalise(Path);
        var endpoint = string.IsNullOrEmpty(EndpointName) ? null : EndpointName;
        lock (context.SignalRoutes)
        {
            WriteObject(context.SignalRoutes.Any(r => r.IsFor(path, endpoint)));
        }
    }
}

/// <summary>
/// <para type="synopsis">Adds signal routes that share a path prefix, endpoints and an -IfExists choice.</para>
/// <para type="description">Add-PodeSignalRoute calls inside -Routes get -Path prefixed, and the group's
/// -EndpointName and -IfExists unless they give their own. Groups nest: an inner group's path is appended to the
/// outer one's.</para>
/// <example>
///   <code>Add-PodeSignalRouteGroup -Path '/signals' -Routes { Add-PodeSignalRoute -Path '/chat' -ScriptBlock { Send-PodeSignal -Value $SignalEvent.Data.Message } }</code>
///   <para>Adds a signal route for /signals/chat.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeSignalRouteGroup")]
[OutputType(typeof(void))]
public sealed class AddPodeSignalRouteGroupCommand : PodeCmdlet
{
    /// <summary><para type="description">The path prefix of the group's routes.</para></summary>
    [Parameter]
    public string? Path { get; set; }

    /// <summary><para type="description">A script block that adds the group's signal routes.</para></summary>
    [Parameter(Mandatory = true)]
    public ScriptBlock? Routes { get; set; }

    /// <summary><para type="description">Endpoints the group's routes are bound to.</para></summary>
    [Parameter]
    public string[]? EndpointName { get; set; }

    /// <summary><para type="description">When a route exists: Default (the outer group's choice, else Error), Error, Overwrite or Skip.</para></summary>
    [Parameter]
    [ValidateSet("Default", "Error", "Overwrite", "Skip")]
    public string IfExists { get; set; } = "Default";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        _ = Context;
        if (Routes is null || string.IsNullOrWhiteSpace(Routes.ToString()))
        {
            Fail("SignalRouteGroupEmpty", ErrorCategory.InvalidArgument, Path, "No script block for -Routes passed: give the Add-PodeSignalRoute calls of the group.");
            return;
        }
        var outer = SessionState.PSVariable.GetValue(AddPodeSignalRouteCommand.GroupVariable) as Hashtable;
        var prefix = string.IsNullOrEmpty(Path) ? "" : AddPodeSignalRouteCommand.Normalise(Path);
        var path = (outer?["Path"] as string ?? "") + (prefix == "/" ? "" : prefix);
        var group = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Path"] = path,
            ["EndpointName"] = EndpointName is { Length: > 0 } ? EndpointName : outer?["EndpointName"] as string[],
            ["IfExists"] = IfExists == "Default" && outer?["IfExists"] is string outerIfExists ? outerIfExists : IfExists,
        };
        try
        {
            // The group is a variable of the -Routes scope: Add-PodeSignalRoute (and inner groups) read it,
            // and it is gone once the routes are added, even when one of them fails.
            Routes.InvokeWithContext(null, [new PSVariable(AddPodeSignalRouteCommand.GroupVariable, group)]);
        }
        catch (RuntimeException e) when (e is not PipelineStoppedException)
        {
            ThrowTerminatingError(new ErrorRecord(e.ErrorRecord, e));
        }
    }
}
