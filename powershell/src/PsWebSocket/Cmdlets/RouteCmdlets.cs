using System.Collections;
using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Adds an HTTP route whose script block answers matching requests.</para>
/// <para type="description">The path may hold :name placeholders (in $WebEvent.Parameters) and * wildcards. The
/// script block runs in the Web runspaces with $WebEvent; what it writes with Write-Pode*Response is sent when it
/// finishes (200 with an empty body if it writes nothing, 500 if it throws). Routes that call
/// ConvertTo-PodeSignalConnection upgrade the request to a WebSocket.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/users/:id' -ScriptBlock { Write-PodeJsonResponse -Value @{ id = $WebEvent.Parameters['id'] } }</code>
///   <para>Answers GET /users/42 with {"id":"42"}.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeRoute", DefaultParameterSetName = "Script")]
public sealed class AddPodeRouteCommand : PodeCmdlet
{
    /// <summary><para type="description">HTTP method, or * for any.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Connect", "Delete", "Get", "Head", "Merge", "Options", "Patch", "Post", "Put", "Trace", "*")]
    public string[] Method { get; set; } = [];

    /// <summary><para type="description">Route path, e.g. /msg or /users/:id.</para></summary>
    [Parameter(Mandatory = true)]
    public string Path { get; set; } = "";

    /// <summary><para type="description">The route's script block (none for -Login/-Logout routes that only authenticate).</para></summary>
    [Parameter(ParameterSetName = "Script", Position = 0)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">A script file to run instead of a script block.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "File")]
    public string? FilePath { get; set; }

    /// <summary><para type="description">Arguments splatted into the script block.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <summary><para type="description">Only serve requests of these endpoints (by name).</para></summary>
    [Parameter]
    public string[]? EndpointName { get; set; }

    /// <summary><para type="description">Middleware run before the route, after its authentication: script blocks
    /// (or hashtables with Logic and Arguments) that return $false to stop the request.</para></summary>
    [Parameter]
    public object[]? Middleware { get; set; }

    /// <summary><para type="description">The authentication method (Add-PodeAuth) a request must pass first.</para></summary>
    [Parameter]
    [Alias("Auth")]
    public string? Authentication { get; set; }

    /// <summary><para type="description">The login route of -Authentication: GET shows the page, other methods log in
    /// and redirect to the method's -SuccessUrl; a user already logged in is redirected there.</para></summary>
    [Parameter]
    public SwitchParameter Login { get; set; }

    /// <summary><para type="description">The logout route of -Authentication: ends the session (closing its signal
    /// connections) and redirects to the method's -FailureUrl.</para></summary>
    [Parameter]
    public SwitchParameter Logout { get; set; }

    /// <summary><para type="description">Let requests that fail -Authentication through, with $WebEvent.Auth.IsAuthenticated false.</para></summary>
    [Parameter]
    public SwitchParameter AllowAnon { get; set; }

    /// <summary><para type="description">Parse request bodies as this content type, whatever the request says (e.g. application/json).</para></summary>
    [Parameter]
    public string? ContentType { get; set; }

    /// <summary><para type="description">Decode request bodies with this encoding, whatever the request says.</para></summary>
    [Parameter]
    [ValidateSet("", "gzip", "deflate", "br")]
    public string? TransferEncoding { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        if (Authentication is not null && !context.Auths.ContainsKey(Authentication))
        {
            Fail("AuthenticationNotFound", ErrorCategory.ObjectNotFound, Authentication, $"The authentication method '{Authentication}' does not exist: add it with Add-PodeAuth before the route.");
        }
        var script = ScriptBlock is null && FilePath is null ? Capture(System.Management.Automation.ScriptBlock.Create(""), null, ArgumentList) : Capture(ScriptBlock, FilePath, ArgumentList);
        var middleware = (Middleware ?? []).Select((m, i) => MiddlewareCmdlets.ToMiddleware(this, m, $"{Path}#{i}", null, ArgumentList)).ToArray();
        var auth = Authentication is null ? null : new RouteAuth(Authentication, Login, Logout, AllowAnon);
        var endpoints = EndpointName ?? [];
        foreach (var method in Method)
        {
            var verb = method == "*" ? "*" : method.ToUpperInvariant();
            var id = Call(() => context.Server.AddRoute(verb, Path, endpoints), "RouteAddFailed", Path);
            context.WebRoutes[id] = new WebRoute(method, Path, script, endpoints, ContentType, TransferEncoding) { Middleware = middleware, Auth = auth };
        }
    }
}

/// <summary>
/// <para type="synopsis">Serves the files of a folder under a URL path.</para>
/// <para type="description">The engine serves the files itself (no runspace involved), with content types,
/// index.html for folders and no access outside the folder. A public/ folder in the server's root is served at /
/// automatically, as in Pode.</para>
/// <example>
///   <code>Add-PodeStaticRoute -Path '/assets' -Source './assets'</code>
///   <para>Serves ./assets/site.css at /assets/site.css.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeStaticRoute")]
public sealed class AddPodeStaticRouteCommand : PodeCmdlet
{
    /// <summary><para type="description">URL path prefix.</para></summary>
    [Parameter(Mandatory = true)]
    public string Path { get; set; } = "";

    /// <summary><para type="description">The folder to serve (relative to the server's root path).</para></summary>
    [Parameter(Mandatory = true)]
    public string Source { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var folder = System.IO.Path.IsPathRooted(Source) ? Source : System.IO.Path.GetFullPath(System.IO.Path.Combine(context.RootPath, Source));
        Call(() => context.Server.AddStatic(Path, folder), "StaticRouteFailed", Source);
        context.StaticFolders["/" + Path.Trim('/')] = folder;
    }
}

/// <summary>Base of the Write-Pode*Response cmdlets: the current route's response.</summary>
public abstract class ResponseCmdlet : PodeCmdlet
{
    /// <summary><para type="description">HTTP status code (default 200).</para></summary>
    [Parameter]
    [ValidateRange(100, 599)]
    public int StatusCode { get; set; } = 200;

    /// <summary>The response of the current route; a terminating error outside one.</summary>
    protected PodeResponse Response
    {
        get
        {
            if (WebEvent?["Response"] is PodeResponse response)
            {
                return response;
            }
            Fail("NotInRoute", ErrorCategory.InvalidOperation, null, $"{MyInvocation.MyCommand.Name} can only be used inside a route (Add-PodeRoute).");
            throw new InvalidOperationException(); // not reached
        }
    }

    /// <summary>Sets the body, content type and status.</summary>
    protected void Write(byte[] body, string contentType)
    {
        var response = Response;
        response.SetBody(body, contentType);
        response.StatusCode = StatusCode;
    }

    /// <summary>Sets a text body.</summary>
    protected void Write(string text, string contentType) => Write(System.Text.Encoding.UTF8.GetBytes(text), contentType);
}

/// <summary>
/// <para type="synopsis">Writes text as the route's response.</para>
/// <para type="description">Sets the response body to the value (as text) with -ContentType (default text/plain).</para>
/// <example>
///   <code>Write-PodeTextResponse -Value 'pong'</code>
///   <para>Answers "pong".</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "PodeTextResponse")]
public sealed class WritePodeTextResponseCommand : ResponseCmdlet
{
    /// <summary><para type="description">The text.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [AllowNull, AllowEmptyString]
    public object? Value { get; set; }

    /// <summary><para type="description">Content type (default text/plain; charset=utf-8).</para></summary>
    [Parameter]
    public string ContentType { get; set; } = "text/plain; charset=utf-8";

    /// <inheritdoc/>
    protected override void ProcessRecord() => Write(LanguagePrimitives.ConvertTo<string>(Value) ?? "", ContentType);
}

/// <summary>
/// <para type="synopsis">Writes a value as JSON as the route's response.</para>
/// <para type="description">Hashtables, objects and arrays are converted to JSON (to -Depth); a string is taken as
/// JSON already and sent as it is.</para>
/// <example>
///   <code>Write-PodeJsonResponse -Value @{ ok = $true }</code>
///   <para>Answers {"ok":true} with application/json.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "PodeJsonResponse")]
public sealed class WritePodeJsonResponseCommand : ResponseCmdlet
{
    /// <summary><para type="description">The value.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [AllowNull]
    public object? Value { get; set; }

    /// <summary><para type="description">Depth of the conversion (default 10).</para></summary>
    [Parameter]
    public int Depth { get; set; } = 10;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var json = Value is string s ? s : Json.Serialize(Value, Depth);
        Write(json, "application/json; charset=utf-8");
    }
}

/// <summary>
/// <para type="synopsis">Writes HTML as the route's response.</para>
/// <para type="description">Sets the response body to the HTML with text/html.</para>
/// <example>
///   <code>Write-PodeHtmlResponse -Value '&lt;h1&gt;Hello&lt;/h1&gt;'</code>
///   <para>Answers an HTML page.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "PodeHtmlResponse")]
public sealed class WritePodeHtmlResponseCommand : ResponseCmdlet
{
    /// <summary><para type="description">The HTML.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [AllowNull, AllowEmptyString]
    public object? Value { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => Write(LanguagePrimitives.ConvertTo<string>(Value) ?? "", "text/html; charset=utf-8");
}

/// <summary>
/// <para type="synopsis">Writes a file as the route's response.</para>
/// <para type="description">Sends the file's bytes with a content type from its extension (or -ContentType); a
/// missing file is a 404.</para>
/// <example>
///   <code>Write-PodeFileResponse -Path './files/report.pdf'</code>
///   <para>Sends the PDF.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "PodeFileResponse")]
public sealed class WritePodeFileResponseCommand : ResponseCmdlet
{
    /// <summary><para type="description">The file (relative to the server's root path).</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    /// <summary><para type="description">Content type; default from the extension.</para></summary>
    [Parameter]
    public string? ContentType { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var full = System.IO.Path.IsPathRooted(Path) ? Path : System.IO.Path.GetFullPath(System.IO.Path.Combine(Context.RootPath, Path));
        if (!File.Exists(full))
        {
            Response.StatusCode = 404;
            return;
        }
        Write(File.ReadAllBytes(full), ContentType ?? ContentTypes.ForFile(full));
    }
}

/// <summary>
/// <para type="synopsis">Writes a view from the server's views/ folder as the route's response.</para>
/// <para type="description">Finds views/&lt;Path&gt; (with the view engine's extension when Path has none) and renders
/// it with the engine of Set-PodeViewEngine: Html sends the file as it is; Pode expands $data and $(...) in .pode
/// files; a custom engine runs its script block. A missing view is a 404.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/' -ScriptBlock { Write-PodeViewResponse -Path 'websockets' }</code>
///   <para>Serves views/websockets.html at /.</para>
/// </example>
/// <example>
///   <code>Set-PodeViewEngine -Type Pode; Add-PodeRoute -Method Get -Path '/day' -ScriptBlock { Write-PodeViewResponse -Path 'day' -Data @{ Date = '2020-03-14' } }</code>
///   <para>Renders views/day.pode, whose &lt;p&gt;$($data.Date)&lt;/p&gt; becomes &lt;p&gt;2020-03-14&lt;/p&gt;.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "PodeViewResponse")]
public sealed class WritePodeViewResponseCommand : ResponseCmdlet
{
    /// <summary><para type="description">The view name, with or without extension.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    /// <summary><para type="description">Values for the view, as $data.</para></summary>
    [Parameter(Position = 1)]
    public Hashtable? Data { get; set; }

    /// <summary><para type="description">Accepted for Pode compatibility: flash messages are not built, so there are none to add.</para></summary>
    [Parameter]
    public SwitchParameter FlashMessages { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var views = System.IO.Path.Combine(context.RootPath, "views");
        var engine = context.ViewEngine;
        if (engine.Find(views, Path) is not { } file)
        {
            Response.StatusCode = 404;
            WriteError(new ErrorRecord(new FileNotFoundException($"The view '{Path}' was not found in {views}."), "ViewNotFound", ErrorCategory.ObjectNotFound, Path));
            return;
        }
        Write(engine.Render(InvokeCommand, file, Data ?? new Hashtable(StringComparer.OrdinalIgnoreCase)), "text/html; charset=utf-8");
    }
}

/// <summary>
/// <para type="synopsis">Sets the HTTP status of the route's response.</para>
/// <para type="description">Sets the status code, with -Description as a plain-text body.</para>
/// <example>
///   <code>Set-PodeResponseStatus -Code 404</code>
///   <para>Answers 404.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PodeResponseStatus")]
public sealed class SetPodeResponseStatusCommand : PodeCmdlet
{
    /// <summary><para type="description">The status code.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateRange(100, 599)]
    public int Code { get; set; }

    /// <summary><para type="description">Text for the body.</para></summary>
    [Parameter]
    public string? Description { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (WebEvent?["Response"] is not PodeResponse response)
        {
            Fail("NotInRoute", ErrorCategory.InvalidOperation, null, "Set-PodeResponseStatus can only be used inside a route (Add-PodeRoute).");
            return;
        }
        response.StatusCode = Code;
        if (Description is { Length: > 0 })
        {
            response.SetBody(System.Text.Encoding.UTF8.GetBytes(Description), "text/plain; charset=utf-8");
        }
    }
}

/// <summary>Content types by file extension.</summary>
internal static class ContentTypes
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".htm"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".json"] = "application/json; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8",
        [".xml"] = "application/xml",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".svg"] = "image/svg+xml",
        [".ico"] = "image/x-icon",
        [".pdf"] = "application/pdf",
        [".zip"] = "application/zip",
    };

    /// <summary>The content type of a file name (application/octet-stream if unknown).</summary>
    public static string ForFile(string path) => ByExtension.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
}
