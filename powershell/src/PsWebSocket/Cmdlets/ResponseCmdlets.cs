using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Redirects the client to another URL.</para>
/// <para type="description">Answers 302 (or 301 with -Moved) with a Location header: -Url, or the request's own URL
/// with another -Address, -Port or -Protocol.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/old' -ScriptBlock { Move-PodeResponseUrl -Url '/new' -Moved }</code>
///   <para>A permanent redirect.</para>
/// </example>
/// <example>
///   <code>Move-PodeResponseUrl -Port 8443 -Protocol Https</code>
///   <para>Sends the client to the same path over HTTPS.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Move, "PodeResponseUrl", DefaultParameterSetName = "Url")]
public sealed class MovePodeResponseUrlCommand : PodeCmdlet
{
    /// <summary><para type="description">The URL to send the client to.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "Url")]
    [ValidateNotNullOrEmpty]
    public string Url { get; set; } = "";

    /// <summary><para type="description">Another host for the request's URL.</para></summary>
    [Parameter(ParameterSetName = "Components")]
    public string? Address { get; set; }

    /// <summary><para type="description">Another port for the request's URL.</para></summary>
    [Parameter(ParameterSetName = "Components")]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary><para type="description">Another scheme for the request's URL.</para></summary>
    [Parameter(ParameterSetName = "Components")]
    [ValidateSet("", "Http", "Https")]
    public string? Protocol { get; set; }

    /// <summary><para type="description">301 Moved Permanently instead of 302 Found.</para></summary>
    [Parameter]
    public SwitchParameter Moved { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (WebEvent?["Response"] is not PodeResponse response)
        {
            Fail("NotInRoute", ErrorCategory.InvalidOperation, null, "Move-PodeResponseUrl can only be used inside a route (Add-PodeRoute).");
            return;
        }
        var target = Url;
        if (ParameterSetName == "Components" && WebEvent?["Request"] is PodeRequest request)
        {
            var url = new UriBuilder(request.Url);
            if (Address is { Length: > 0 })
            {
                url.Host = Address;
            }
            if (Protocol is { Length: > 0 })
            {
                url.Scheme = Protocol.ToLowerInvariant();
            }
            if (Port > 0)
            {
                url.Port = Port;
            }
            target = url.Uri.ToString();
        }
        response.Headers["Location"] = target;
        response.StatusCode = Moved ? 301 : 302;
    }
}

/// <summary>
/// <para type="synopsis">Sends a file as an attachment (a download).</para>
/// <para type="description">Path is found as Pode finds it: a URL path of a static route (e.g. /assets/report.pdf),
/// a file of the public/ folder, or a path relative to the server's root folder. The response has the file's
/// content type (or -ContentType) and Content-Disposition: attachment; filename=&lt;name&gt;. A missing file is a 404.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/download' -ScriptBlock { Set-PodeResponseAttachment -Path 'ruler.png' }</code>
///   <para>Downloads public/ruler.png.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PodeResponseAttachment")]
public sealed class SetPodeResponseAttachmentCommand : ResponseCmdlet
{
    /// <summary><para type="description">The file: a static route URL path, a public/ file, or a path.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary><para type="description">The content type (default: from the extension).</para></summary>
    [Parameter]
    public string? ContentType { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var response = Response;
        if (Attachments.Find(context, Path) is not { } file)
        {
            response.StatusCode = 404;
            return;
        }
        Write(File.ReadAllBytes(file), ContentType ?? ContentTypes.ForFile(file));
        response.Headers["Content-Disposition"] = $"attachment; filename={System.IO.Path.GetFileName(file)}";
    }
}

/// <summary>Where Set-PodeResponseAttachment finds a file.</summary>
internal static class Attachments
{
    public static string? Find(PodeContext context, string path)
    {
        var urlPath = "/" + path.Replace('\\', '/').TrimStart('/');
        foreach (var (prefix, folder) in context.StaticFolders.OrderByDescending(s => s.Key.Length))
        {
            if (urlPath.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase) && Inside(folder, urlPath[(prefix.Length + 1)..]) is { } file)
            {
                return file;
            }
        }
        return Inside(System.IO.Path.Combine(context.RootPath, "public"), urlPath.TrimStart('/'))
            ?? Inside(context.RootPath, path)
            ?? (System.IO.Path.IsPathRooted(path) && File.Exists(path) ? path : null);
    }

    /// <summary>The file at <paramref name="relative"/> under <paramref name="folder"/>, never outside it.</summary>
    private static string? Inside(string folder, string relative)
    {
        var root = System.IO.Path.GetFullPath(folder) + System.IO.Path.DirectorySeparatorChar;
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, relative));
        return full.StartsWith(root, StringComparison.Ordinal) && File.Exists(full) ? full : null;
    }
}
