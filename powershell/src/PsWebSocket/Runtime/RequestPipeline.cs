using System.Collections;
using System.Runtime.CompilerServices;

namespace PsWebSocket.Runtime;

/// <summary>What a middleware step works on: the request's <c>$WebEvent</c> and the worker that runs it.</summary>
internal sealed record RequestContext(PodeContext Server, Worker Worker, WebRoute Route, Hashtable WebEvent, PodeRequest Request, PodeResponse Response)
{
    /// <summary>The session of this request (sessions enabled), else null.</summary>
    public SessionRequest? Session { get; set; }
}

/// <summary>
/// A request's way through the server, as Pode's: global middleware (sessions among them),
/// the route's authentication, the route's own middleware, the route, then the session is saved.
/// </summary>
internal static class RequestPipeline
{
    private static readonly ConditionalWeakTable<Hashtable, RequestContext> Running = new();

    /// <summary>The request behind a <c>$WebEvent</c> (for Save-PodeSession and friends), or null.</summary>
    public static RequestContext? Of(Hashtable? webEvent) => webEvent is not null && Running.TryGetValue(webEvent, out var r) ? r : null;

    /// <summary>Runs the request; false if a script failed (a 500 unless the response says otherwise).</summary>
    public static bool Run(RequestContext request)
    {
        Running.AddOrUpdate(request.WebEvent, request);
        var ok = true;
        if (Continue(request, request.Server.Middleware.For((string)request.WebEvent["Path"]!))
            && (request.Route.Auth is null || Authentication.Run(request, request.Route.Auth))
            && Continue(request, request.Route.Middleware))
        {
            ok = request.Worker.Invoke(request.Route.Script, [new("WebEvent", request.WebEvent)], out _);
        }
        request.Session?.End(request);
        return ok;
    }

    private static bool Continue(RequestContext request, IEnumerable<Middleware> steps)
    {
        foreach (var step in steps)
        {
            if (!step.Run(request))
            {
                return false;
            }
        }
        return true;
    }
}
