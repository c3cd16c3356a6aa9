using System.Collections;
using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Adds middleware: a script block that runs before every route (or the routes of -Route).</para>
/// <para type="description">Middleware runs in the Web runspaces with $WebEvent, in the order it was added, before
/// the route's authentication and its own -Middleware, and before a route that upgrades to a signal connection.
/// Return $true (or nothing) to go on, $false to stop: the response is then whatever the middleware set. A script
/// block that throws is logged and answered 500. Static files are served by the engine without middleware.</para>
/// <example>
///   <code>Add-PodeMiddleware -Name 'BlockAgents' -ScriptBlock { if ($WebEvent.Request.UserAgent -like '*curl*') { Set-PodeResponseStatus -Code 403; return $false }; return $true }</code>
///   <para>Refuses requests from curl with 403.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeMiddleware", DefaultParameterSetName = "Script")]
[OutputType(typeof(void))]
public sealed class AddPodeMiddlewareCommand : PodeCmdlet
{
    /// <summary><para type="description">A unique name (Remove-PodeMiddleware).</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The middleware's script block.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "Script")]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">A hashtable with Logic (a script block), and optionally Route and Arguments.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "Input", ValueFromPipeline = true)]
    public Hashtable? InputObject { get; set; }

    /// <summary><para type="description">Only for routes of this path (:name placeholders and * wildcards); default: every route.</para></summary>
    [Parameter]
    public string? Route { get; set; }

    /// <summary><para type="description">Arguments splatted into the script block.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var context = Context;
        var middleware = MiddlewareCmdlets.ToMiddleware(this, (object?)InputObject ?? ScriptBlock!, Name, Route, ArgumentList);
        try
        {
            context.Middleware.Add(middleware);
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "MiddlewareExists", ErrorCategory.ResourceExists, Name));
        }
    }
}

/// <summary>
/// <para type="synopsis">Removes middleware added with Add-PodeMiddleware.</para>
/// <para type="description">Requests that start after the call no longer run it. Removing a name that does not
/// exist does nothing.</para>
/// <example>
///   <code>Remove-PodeMiddleware -Name 'BlockAgents'</code>
///   <para>Stops refusing curl.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "PodeMiddleware")]
[OutputType(typeof(void))]
public sealed class RemovePodeMiddlewareCommand : PodeCmdlet
{
    /// <summary><para type="description">The middleware's name.</para></summary>
    [Parameter(Mandatory = true)]
    public string Name { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing() => Context.Middleware.Remove(Name);
}

/// <summary>Turns what the cmdlets accept as middleware into <see cref="Middleware"/>.</summary>
internal static class MiddlewareCmdlets
{
    /// <summary>A script block, or Pode's middleware hashtable (Logic, Route, Arguments).</summary>
    public static Middleware ToMiddleware(PSCmdlet cmdlet, object value, string name, string? route, object?[]? arguments = null)
    {
        value = value is PSObject p ? p.BaseObject : value;
        if (value is Hashtable table && table["Logic"] is ScriptBlock logic)
        {
            var args = table["Arguments"] is { } a ? LanguagePrimitives.ConvertTo<object?[]>(a) : arguments;
            return Middleware.FromScript(name, route ?? table["Route"] as string, ScriptDef.Capture(logic, cmdlet.SessionState, args));
        }
        if (value is ScriptBlock script)
        {
            return Middleware.FromScript(name, route, ScriptDef.Capture(script, cmdlet.SessionState, arguments));
        }
        cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException("Middleware is a script block, or a hashtable with a Logic script block."),
            "MiddlewareInvalid", ErrorCategory.InvalidArgument, value));
        throw new InvalidOperationException(); // not reached
    }
}
