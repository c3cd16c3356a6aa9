using System.Collections;
using System.Management.Automation;
using System.Net;
using System.Text;
using System.Text.Json;
using PsWebSocket.Interop;

namespace PsWebSocket.Runtime;

/// <summary>An HTTP request as user scripts see it (<c>$WebEvent.Request</c>).</summary>
public sealed class PodeRequest
{
    internal PodeRequest(RequestInfo info, string scheme)
    {
        HttpMethod = info.Method;
        var query = info.Query.Length > 0 ? "?" + info.Query : "";
        Url = new Uri($"{scheme}://{(info.Host.Length > 0 ? info.Host : "localhost")}{Uri.EscapeDataString(info.Path).Replace("%2F", "/")}{query}", UriKind.Absolute);
        RawUrl = info.Path + query;
        foreach (var (name, value) in info.Headers)
        {
            Headers[name] = Headers.ContainsKey(name) ? $"{Headers[name]}, {value}" : value;
        }
        Host = info.Host;
        RemoteEndPoint = new IPEndPoint(IPAddress.TryParse(info.RemoteIp, out var ip) ? ip : IPAddress.None, info.RemotePort);
        RawBody = info.Body;
        Body = Encoding.UTF8.GetString(info.Body);
    }

    /// <summary>GET, POST, ...</summary>
    public string HttpMethod { get; }
    /// <summary>The full URL.</summary>
    public Uri Url { get; }
    /// <summary>Path and query as sent.</summary>
    public string RawUrl { get; }
    /// <summary>Headers (case-insensitive names; repeated headers joined with ", ").</summary>
    public Hashtable Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>The Host header.</summary>
    public string Host { get; }
    /// <summary>The client's address.</summary>
    public IPEndPoint RemoteEndPoint { get; }
    /// <summary>The User-Agent header.</summary>
    public string UserAgent => Headers["User-Agent"] as string ?? "";
    /// <summary>The Content-Type header.</summary>
    public string ContentType => Headers["Content-Type"] as string ?? "";
    /// <summary>The body as UTF-8 text.</summary>
    public string Body { get; }
    /// <summary>The body as bytes.</summary>
    public byte[] RawBody { get; }
}

/// <summary>
/// The response a route builds (<c>$WebEvent.Response</c>): Write-Pode*Response and
/// Set-PodeResponseStatus fill it, and it is sent once the route finishes, unless the
/// route upgraded the request to a signal connection.
/// </summary>
public sealed class PodeResponse
{
    internal PodeResponse(RequestHandle request) => Request = request;

    internal RequestHandle Request { get; }

    /// <summary>HTTP status (default 200).</summary>
    public int StatusCode { get; set; } = 200;
    /// <summary>Response headers.</summary>
    public Hashtable Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Content-Type of the body.</summary>
    public string? ContentType { get; set; }
    /// <summary>The body.</summary>
    public byte[] Body { get; set; } = [];
    /// <summary>The signal connection the request was upgraded to, if it was.</summary>
    public PodeSignalConnection? Signal { get; internal set; }

    /// <summary>Adds a value to a header: a header given twice is sent once per value (Set-Cookie, say).</summary>
    public void AddHeader(string name, string value)
    {
        Headers[name] = Headers[name] switch
        {
            null => value,
            object[] values => values.Append(value).ToArray(),
            var one => new object[] { one, value },
        };
    }

    /// <summary>Sets the body and its content type.</summary>
    public void SetBody(byte[] body, string contentType)
    {
        Body = body;
        ContentType = contentType;
    }

    /// <summary>Sends the response (not after an upgrade; a failed route becomes 500).</summary>
    internal void Send(bool routeSucceeded)
    {
        if (Signal is not null)
        {
            return;
        }
        if (!routeSucceeded && StatusCode == 200 && Body.Length == 0)
        {
            StatusCode = 500;
        }
        var headers = new List<KeyValuePair<string, string>>();
        foreach (DictionaryEntry h in Headers)
        {
            foreach (var value in h.Value as object?[] ?? [h.Value])
            {
                headers.Add(new(h.Key.ToString()!, LanguagePrimitives.ConvertTo<string>(value)));
            }
        }
        if (ContentType is { Length: > 0 } && !Headers.ContainsKey("Content-Type"))
        {
            headers.Add(new("Content-Type", ContentType));
        }
        NativeRequest.Respond(Request, StatusCode, headers, Body);
    }
}

/// <summary>Runs HTTP routes: builds <c>$WebEvent</c>, runs the route, sends the response.</summary>
internal static class WebHandling
{
    /// <summary>Answers a request that cannot be served, and releases it.</summary>
    public static void Refuse(RequestHandle request, int status, string reason)
    {
        using (request)
        {
            try
            {
                NativeRequest.Respond(request, status, [new("Content-Type", "text/plain; charset=utf-8")], Encoding.UTF8.GetBytes(reason));
            }
            catch (PswsException)
            {
                // the client is gone or the server is stopping: nothing to answer
            }
        }
    }

    public static void Handle(PodeContext ctx, Worker worker, RequestHandle request)
    {
        using (request)
        {
            RequestInfo info;
            try
            {
                info = NativeRequest.Info(request);
            }
            catch (PswsException e)
            {
                ctx.Log.Error(new ErrorRecord(e, "RequestUnreadable", ErrorCategory.ReadError, null));
                return;
            }
            if (!ctx.WebRoutes.TryGetValue(info.RouteId, out var route))
            {
                Refuse(request, 404, "Not Found");
                return;
            }
            var scheme = info.EndpointProtocol is NativeProtocol.Https or NativeProtocol.Wss ? "https" : "http";
            var podeRequest = new PodeRequest(info, scheme);
            object? data;
            try
            {
                data = RequestBody.Parse(podeRequest, route);
            }
            catch (FormatException e)
            {
                Refuse(request, 400, e.Message);
                ctx.Logging.Request(podeRequest, 400, 0, null);
                return;
            }
            var response = new PodeResponse(request);
            var webEvent = new Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                ["Method"] = info.Method.ToLowerInvariant(),
                ["Path"] = info.Path,
                ["Query"] = ParseQuery(info.Query),
                ["Parameters"] = Parameters(info.Parameters),
                ["Data"] = data,
                ["Files"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
                ["Request"] = podeRequest,
                ["Response"] = response,
                ["Endpoint"] = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["Protocol"] = scheme, ["Address"] = info.Host, ["Name"] = info.EndpointName },
                ["Route"] = route.ToHashtable(),
                ["Lockable"] = ctx.Lockable,
                ["Timestamp"] = DateTime.UtcNow,
                ["ContentType"] = podeRequest.ContentType,
                ["Metadata"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
                ["Cookies"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
                ["Signal"] = info.Signal is null ? null : new PodeSignalConnection(info.Signal, ctx.Server),
                ["Auth"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
                ["Session"] = null,
            };
            var ok = RequestPipeline.Run(new RequestContext(ctx, worker, route, webEvent, podeRequest, response));
            try
            {
                response.Send(ok);
            }
            catch (PswsException e) when (e.Status == PswsStatus.RequestCompleted)
            {
                // the client left, or the server answered 503 while stopping
            }
            ctx.Logging.Request(podeRequest, response.Signal is null ? response.StatusCode : 101, response.Body.Length, UserOf(webEvent));
        }
    }

    /// <summary>The authenticated user's name for the request log, if a user is known.</summary>
    private static string? UserOf(Hashtable webEvent)
    {
        var user = (webEvent["Auth"] as IDictionary)?["User"];
        return user switch
        {
            null => null,
            IDictionary table => table["Username"]?.ToString(),
            _ => PSObject.AsPSObject(user).Properties["Username"]?.Value?.ToString(),
        };
    }

    private static Hashtable Parameters(IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in pairs)
        {
            table[name] = value;
        }
        return table;
    }

    /// <summary>Query string to a hashtable; a repeated key gets an array of values.</summary>
    internal static Hashtable ParseQuery(string query)
    {
        var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = Decode(eq < 0 ? part : part[..eq]);
            var value = eq < 0 ? "" : Decode(part[(eq + 1)..]);
            table[key] = table[key] switch
            {
                null => value,
                object[] values => values.Append(value).ToArray(),
                var single => new object[] { single, value },
            };
        }
        return table;
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
}
