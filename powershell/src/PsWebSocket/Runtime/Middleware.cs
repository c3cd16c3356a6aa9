using System.Management.Automation;
using System.Text.RegularExpressions;

namespace PsWebSocket.Runtime;

/// <summary>
/// One middleware step that runs before a route: a user script (Add-PodeMiddleware,
/// Add-PodeRoute -Middleware) or a step of the module (sessions). It returns true to let the
/// request go on, false to stop it (the response is whatever the step set).
/// </summary>
internal sealed class Middleware
{
    private readonly Regex? _route;

    private Middleware(string name, string? route, ScriptDef? script, Func<RequestContext, bool>? step)
    {
        Name = name;
        Script = script;
        Step = step;
        _route = RouteRegex(route);
    }

    /// <summary>The name (Remove-PodeMiddleware).</summary>
    public string Name { get; }

    /// <summary>The user's script, or null for a step of the module.</summary>
    private ScriptDef? Script { get; }

    private Func<RequestContext, bool>? Step { get; }

    /// <summary>A user script.</summary>
    public static Middleware FromScript(string name, string? route, ScriptDef script) => new(name, route, script, null);

    /// <summary>A step of the module.</summary>
    public static Middleware FromStep(string name, Func<RequestContext, bool> step) => new(name, null, null, step);

    /// <summary>
    /// Pode's route match: no route or "/" is every path; otherwise the path itself, or the pattern
    /// with :name placeholders and * wildcards, case-insensitively.
    /// </summary>
    public bool Applies(string path) => _route is null || _route.IsMatch(path);

    private static Regex? RouteRegex(string? route)
    {
        if (string.IsNullOrWhiteSpace(route) || route == "/")
        {
            return null;
        }
        var pattern = Regex.Replace(Regex.Escape(route), @"\\\*", ".*");
        pattern = Regex.Replace(pattern, @":(\w+)", "(?<$1>[^/]+?)");
        return new Regex($"^{pattern}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    /// <summary>
    /// Runs the step: a user script that writes nothing continues (as Pode), one that writes a value
    /// continues if it is true; one that throws is logged and answered 500.
    /// </summary>
    public bool Run(RequestContext request)
    {
        if (Step is not null)
        {
            return Step(request);
        }
        if (!request.Worker.Invoke(Script!, [new("WebEvent", request.WebEvent)], out var output))
        {
            request.Response.StatusCode = 500;
            return false;
        }
        return output.Count switch
        {
            0 => true,
            1 => LanguagePrimitives.IsTrue(output[0]),
            _ => LanguagePrimitives.IsTrue(output[^1]),
        };
    }
}

/// <summary>The server's global middleware (Add-PodeMiddleware), in the order it was added.</summary>
internal sealed class MiddlewareTable
{
    private readonly List<Middleware> _items = [];

    /// <summary>Adds a middleware; a second one with the same name is an error, as in Pode.</summary>
    public void Add(Middleware middleware)
    {
        lock (_items)
        {
            if (_items.Any(m => m.Name.Equals(middleware.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ArgumentException($"A middleware named '{middleware.Name}' is already defined: remove it first with Remove-PodeMiddleware.");
            }
            _items.Add(middleware);
        }
    }

    /// <summary>Removes a middleware by name; false if there was none.</summary>
    public bool Remove(string name)
    {
        lock (_items)
        {
            return _items.RemoveAll(m => m.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) > 0;
        }
    }

    /// <summary>The middleware that applies to a path, in order.</summary>
    public Middleware[] For(string path)
    {
        lock (_items)
        {
            return _items.Where(m => m.Applies(path)).ToArray();
        }
    }
}
