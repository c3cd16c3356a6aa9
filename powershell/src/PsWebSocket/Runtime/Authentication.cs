using System.Collections;
using System.Management.Automation;
using System.Text;

namespace PsWebSocket.Runtime;

/// <summary>
/// An authentication scheme (New-PodeAuthScheme): how the credentials are read from a request.
/// <c>Name</c> is Basic, Bearer, Form or ApiKey (the WWW-Authenticate scheme), as in Pode.
/// </summary>
public sealed class PodeAuthScheme
{
    internal PodeAuthScheme(string name, string realm, Hashtable arguments)
    {
        Name = name;
        Realm = realm;
        Arguments = arguments;
    }

    /// <summary>Basic, Bearer, Form or ApiKey.</summary>
    public string Name { get; }
    /// <summary>The realm of the WWW-Authenticate header (default User).</summary>
    public string Realm { get; }
    /// <summary>The scheme's options (HeaderTag, Encoding, Fields, Location, LocationName, Scopes, AsJWT, Secret).</summary>
    public Hashtable Arguments { get; }
}

/// <summary>An authentication method (Add-PodeAuth).</summary>
internal sealed record AuthMethod(string Name, PodeAuthScheme Scheme, ScriptDef Script, string? FailureUrl, string? FailureMessage, string? SuccessUrl, bool Sessionless);

/// <summary>A route's authentication (Add-PodeRoute -Authentication -Login -Logout -AllowAnon).</summary>
internal sealed record RouteAuth(string Name, bool Login, bool Logout, bool AllowAnon);

/// <summary>A refusal: status, message, and the challenge for WWW-Authenticate.</summary>
internal sealed record AuthFailure(int Code, string? Message, string? Challenge = null, IDictionary? Headers = null);

/// <summary>
/// The authentication step of a route, as Pode's: logout, a user already in the session, the
/// login page, then the scheme reads the credentials and the method's script block checks them
/// (returning <c>@{ User = ... }</c> or <c>@{ Message = ... }</c>). A refusal is the scheme's
/// status with WWW-Authenticate, or a redirect to -FailureUrl, and a log line.
/// </summary>
internal static class Authentication
{
    public static bool Run(RequestContext request, RouteAuth route)
    {
        var server = request.Server;
        var method = server.Auths[route.Name];
        var session = method.Sessionless ? null : request.Session;
        if (route.Logout)
        {
            var loggedOut = (session?.Data["Auth"] as Hashtable)?["User"];
            request.WebEvent["Auth"] = new Hashtable(StringComparer.OrdinalIgnoreCase);
            session?.Revoke(request);
            if (session?.UseHeaders == true)
            {
                request.Response.StatusCode = 401;
            }
            else
            {
                Redirect(request, method.FailureUrl ?? (string)request.WebEvent["Path"]!);
            }
            if (loggedOut is not null)
            {
                RaiseEvent(request, method.Name, "Logout", loggedOut);
            }
            return false;
        }
        if (session?.Data["Auth"] is Hashtable stored && stored["User"] is not null && LanguagePrimitives.IsTrue(stored["IsAuthenticated"]))
        {
            request.WebEvent["Auth"] = stored;
            return !(route.Login && Redirect(request, method.SuccessUrl));
        }
        if (route.Login && session?.UseHeaders != true && request.Request.HttpMethod.Equals("GET", StringComparison.OrdinalIgnoreCase))
        {
            return true; // the login page itself
        }
        var failure = Check(request, method, out var user);
        if (failure is not null)
        {
            return Refuse(request, route, method, failure);
        }
        var auth = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["User"] = user,
            ["IsAuthenticated"] = true,
            ["IsAuthorised"] = true,
            ["Store"] = session is not null,
            ["Name"] = method.Name,
        };
        request.WebEvent["Auth"] = auth;
        if (session is not null)
        {
            if (route.Login)
            {
                session.Renew();
            }
            session.Data["Auth"] = auth;
        }
        if (route.Login)
        {
            RaiseEvent(request, method.Name, "Login", user);
        }
        return !(route.Login && Redirect(request, method.SuccessUrl));
    }

    /// <summary>
    /// Runs the Login/Logout handlers of a method (Register-PodeAuthEvent) in the request's worker,
    /// with <c>$TriggeredEvent</c>; one that throws is logged and does not change the response.
    /// </summary>
    private static void RaiseEvent(RequestContext request, string name, string type, object? user)
    {
        foreach (var handler in request.Server.AuthEvents.For(name, type))
        {
            var triggered = new Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                ["Lockable"] = request.Server.Lockable,
                ["Name"] = name,
                ["Type"] = type,
                ["EventName"] = handler.EventName,
                ["User"] = user,
                ["Timestamp"] = DateTime.UtcNow,
                ["Metadata"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
            };
            request.Worker.Invoke(handler.Script, [new("TriggeredEvent", triggered)], out _);
        }
    }

    /// <summary>Reads and checks the credentials; null on success (with the user), else the refusal.</summary>
    private static AuthFailure? Check(RequestContext request, AuthMethod method, out object? user)
    {
        user = null;
        var read = AuthSchemes.Read(method.Scheme, request);
        if (read.Failure is not null)
        {
            return read.Failure;
        }
        var arguments = read.Values.Concat(method.Script.Arguments).ToArray();
        if (!request.Worker.Invoke(method.Script, [new("WebEvent", request.WebEvent)], out var output, arguments))
        {
            return new AuthFailure(500, "An error occurred while authenticating the request.");
        }
        var result = output.Select(o => o?.BaseObject).OfType<IDictionary>().LastOrDefault();
        var failure = method.Scheme.Name == "Bearer" ? AuthSchemes.CheckBearer(method.Scheme, result) : null;
        if (failure is not null)
        {
            return failure;
        }
        user = result?["User"];
        if (user is null)
        {
            var code = result?["Code"] is { } c && LanguagePrimitives.TryConvertTo<int>(c, out var n) ? n : 401;
            return new AuthFailure(code, result?["Message"] as string, result?["Challenge"] as string, result?["Headers"] as IDictionary);
        }
        return null;
    }

    private static bool Refuse(RequestContext request, RouteAuth route, AuthMethod method, AuthFailure failure)
    {
        var req = request.Request;
        request.Server.Log.Warning($"Authentication '{method.Name}' refused {req.HttpMethod} {request.WebEvent["Path"]} from {req.RemoteEndPoint.Address}: {failure.Code} {failure.Message}");
        if (route.AllowAnon && failure.Code != 500)
        {
            request.WebEvent["Auth"] = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["IsAuthenticated"] = false, ["Name"] = method.Name };
            return true;
        }
        var response = request.Response;
        foreach (DictionaryEntry h in failure.Headers ?? new Hashtable())
        {
            response.Headers[h.Key] = h.Value;
        }
        if ((failure.Code == 401 || failure.Challenge is not null) && !response.Headers.ContainsKey("WWW-Authenticate"))
        {
            response.Headers["WWW-Authenticate"] = $"{method.Scheme.Name} realm=\"{method.Scheme.Realm}\"" + (failure.Challenge is { Length: > 0 } ch ? $", {ch}" : "");
        }
        if (failure.Code == 500 || !Redirect(request, method.FailureUrl))
        {
            response.StatusCode = failure.Code;
            var message = method.FailureMessage ?? failure.Message;
            if (message is { Length: > 0 })
            {
                response.SetBody(Encoding.UTF8.GetBytes(message), "text/plain; charset=utf-8");
            }
        }
        return false;
    }

    /// <summary>A 302 to the URL, if there is one.</summary>
    private static bool Redirect(RequestContext request, string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return false;
        }
        request.Response.StatusCode = 302;
        request.Response.Headers["Location"] = url;
        return true;
    }
}

/// <summary>Reading credentials from a request, scheme by scheme, with Pode's statuses and messages.</summary>
internal static class AuthSchemes
{
    /// <summary>The values passed to the method's script block, or why there are none.</summary>
    public sealed record Credentials(object?[] Values, AuthFailure? Failure);

    private static Credentials Fail(int code, string message, string? challenge = null) => new([], new AuthFailure(code, message, challenge));

    public static Credentials Read(PodeAuthScheme scheme, RequestContext request)
    {
        var read = ReadRaw(scheme, request);
        if (read.Failure is not null || scheme.Arguments["AsJWT"] is not true)
        {
            return read;
        }
        try
        {
            return new([Jwt.Read((string)read.Values[0]!, scheme.Arguments["Secret"] as byte[])], null);
        }
        catch (JwtException e)
        {
            return Fail(400, e.Message, scheme.Name == "Bearer" ? Challenge(scheme.Arguments, "invalid_token", null) : null);
        }
    }

    private static Credentials ReadRaw(PodeAuthScheme scheme, RequestContext request)
    {
        var options = scheme.Arguments;
        switch (scheme.Name)
        {
            case "Form":
                var fields = (Hashtable)options["Fields"]!;
                var data = request.WebEvent["Data"] as IDictionary;
                var username = data?[fields["Username"]!]?.ToString();
                var password = data?[fields["Password"]!]?.ToString();
                return string.IsNullOrWhiteSpace(username) || string.IsNullOrWhiteSpace(password)
                    ? Fail(401, "Username or Password not supplied")
                    : new([username, password], null);
            case "Basic":
                return Basic(request, (string)options["HeaderTag"]!, (string)options["Encoding"]!);
            case "Bearer":
                return Bearer(request, options);
            default:
                return ApiKey(request, (string)options["Location"]!, (string)options["LocationName"]!);
        }
    }

    private static Credentials Basic(RequestContext request, string tag, string encoding)
    {
        if (request.Request.Headers["Authorization"] is not string header)
        {
            return Fail(401, "No Authorization header found");
        }
        var atoms = header.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (atoms.Length < 2)
        {
            return Fail(400, "Invalid Authorization header");
        }
        if (!atoms[0].Equals(tag, StringComparison.OrdinalIgnoreCase))
        {
            return Fail(401, $"Header is not for {tag} Authorization");
        }
        string decoded;
        try
        {
            decoded = Encoding.GetEncoding(encoding).GetString(Convert.FromBase64String(atoms[1]));
        }
        catch (FormatException)
        {
            return Fail(400, "Invalid Base64 string found in Authorization header");
        }
        var colon = decoded.IndexOf(':');
        return colon < 0 ? Fail(400, "Invalid Authorization header") : new([decoded[..colon], decoded[(colon + 1)..]], null);
    }

    private static Credentials Bearer(RequestContext request, Hashtable options)
    {
        var challenge = Challenge(options, "invalid_request", null);
        if (options["BearerLocation"] as string == "Query")
        {
            var query = request.WebEvent["Query"] as IDictionary;
            return query?["access_token"]?.ToString() is { Length: > 0 } fromQuery ? new([fromQuery], null) : Fail(400, "No Bearer token found", challenge);
        }
        if (request.Request.Headers["Authorization"] is not string header)
        {
            return Fail(400, "No Authorization header found", challenge);
        }
        var atoms = header.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (atoms.Length < 2)
        {
            return Fail(400, "Invalid Authorization header", challenge);
        }
        return atoms[0].Equals("Bearer", StringComparison.OrdinalIgnoreCase) ? new([atoms[1].Trim()], null) : Fail(400, "Authorization header is not Bearer", challenge);
    }

    /// <summary>Pode's checks after a Bearer script block: a user, no error, a scope the scheme accepts.</summary>
    public static AuthFailure? CheckBearer(PodeAuthScheme scheme, IDictionary? result)
    {
        var options = scheme.Arguments;
        if (result?["User"] is null)
        {
            return new AuthFailure(401, "User not found", Challenge(options, "invalid_token", null));
        }
        if (result["Error"] is string { Length: > 0 } error)
        {
            return new AuthFailure(401, "Authorization failed", Challenge(options, error, result["ErrorDescription"] as string));
        }
        var scopes = options["Scopes"] as string[] ?? [];
        var scope = result["Scope"] as string;
        if (scopes.Length > 0 && (string.IsNullOrWhiteSpace(scope) || !scopes.Contains(scope)))
        {
            return new AuthFailure(403, "Invalid Scope", Challenge(options, "insufficient_scope", null));
        }
        return null;
    }

    private static string Challenge(Hashtable options, string error, string? description)
    {
        var items = new List<string>();
        if (options["Scopes"] is string[] { Length: > 0 } scopes)
        {
            items.Add($"scope=\"{string.Join(' ', scopes)}\"");
        }
        items.Add($"error=\"{error}\"");
        if (description is { Length: > 0 })
        {
            items.Add($"error_description=\"{description}\"");
        }
        return string.Join(", ", items);
    }

    private static Credentials ApiKey(RequestContext request, string location, string name)
    {
        var key = location switch
        {
            "Query" => (request.WebEvent["Query"] as IDictionary)?[name]?.ToString(),
            "Cookie" => SessionService.Cookie(request.Request, name),
            _ => request.Request.Headers[name] as string,
        };
        return string.IsNullOrWhiteSpace(key) ? Fail(400, $"No {name} {location.ToLowerInvariant()} found") : new([key], null);
    }
}
