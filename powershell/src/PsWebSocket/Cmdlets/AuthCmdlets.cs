using System.Collections;
using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates an authentication scheme: where a request's credentials are read from.</para>
/// <para type="description">-Basic reads the Authorization header (Basic base64(user:password)), -Form the username
/// and password fields of the posted form or JSON, -Bearer the Authorization header's Bearer token (or the
/// access_token query value), -ApiKey a header, query value or cookie (X-API-KEY by default). Pipe the scheme to
/// Add-PodeAuth. Missing or malformed credentials are refused with Pode's status and message (for example 400
/// "Invalid Base64 string found in Authorization header") before the method's script block runs.</para>
/// <example>
///   <code>New-PodeAuthScheme -Form | Add-PodeAuth -Name 'Login' -FailureUrl '/login' -SuccessUrl '/' -ScriptBlock { param($username, $password) ... }</code>
///   <para>Form login, as in Pode's Web-SignalAuthForm example.</para>
/// </example>
/// <example>
///   <code>New-PodeAuthScheme -ApiKey -Location Query | Add-PodeAuth -Name 'Key' -Sessionless -ScriptBlock { param($key) if ($key -eq 'k1') { @{ User = 'svc' } } }</code>
///   <para>An API key in ?api_key=.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.New, "PodeAuthScheme", DefaultParameterSetName = BasicSet)]
[OutputType(typeof(PodeAuthScheme))]
public sealed class NewPodeAuthSchemeCommand : PodeCmdlet
{
    private const string BasicSet = "Basic";
    private const string FormSet = "Form";
    private const string BearerSet = "Bearer";
    private const string ApiKeySet = "ApiKey";

    /// <summary><para type="description">HTTP Basic authentication.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = BasicSet)]
    public SwitchParameter Basic { get; set; }

    /// <summary><para type="description">Encoding of the Basic credentials (default ISO-8859-1).</para></summary>
    [Parameter(ParameterSetName = BasicSet)]
    public string Encoding { get; set; } = "ISO-8859-1";

    /// <summary><para type="description">The tag the Basic Authorization header starts with (default Basic).</para></summary>
    [Parameter(ParameterSetName = BasicSet)]
    public string HeaderTag { get; set; } = "Basic";

    /// <summary><para type="description">Form authentication (a posted form or JSON body).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = FormSet)]
    public SwitchParameter Form { get; set; }

    /// <summary><para type="description">The form field with the user name (default username).</para></summary>
    [Parameter(ParameterSetName = FormSet)]
    public string UsernameField { get; set; } = "username";

    /// <summary><para type="description">The form field with the password (default password).</para></summary>
    [Parameter(ParameterSetName = FormSet)]
    public string PasswordField { get; set; } = "password";

    /// <summary><para type="description">Bearer token authentication.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = BearerSet)]
    public SwitchParameter Bearer { get; set; }

    /// <summary><para type="description">Where the Bearer token is: Header (default) or Query (access_token).</para></summary>
    [Parameter(ParameterSetName = BearerSet)]
    [ValidateSet("Header", "Query")]
    public string BearerLocation { get; set; } = "Header";

    /// <summary><para type="description">Scopes a Bearer token must have (the script block returns Scope); 403 otherwise.</para></summary>
    [Parameter(ParameterSetName = BearerSet)]
    public string[]? Scope { get; set; }

    /// <summary><para type="description">API key authentication.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ApiKeySet)]
    public SwitchParameter ApiKey { get; set; }

    /// <summary><para type="description">Where the API key is: Header (default), Query or Cookie.</para></summary>
    [Parameter(ParameterSetName = ApiKeySet)]
    [ValidateSet("Header", "Query", "Cookie")]
    public string Location { get; set; } = "Header";

    /// <summary><para type="description">The header, query or cookie name (default X-API-KEY, or api_key in the query).</para></summary>
    [Parameter(ParameterSetName = ApiKeySet)]
    public string? LocationName { get; set; }

    /// <summary><para type="description">The Bearer token or API key is a JWT: the script block gets its payload, after
    /// the signature (with -Secret) and the exp and nbf claims are checked; a JWT that fails them is refused 400.</para></summary>
    [Parameter(ParameterSetName = BearerSet)]
    [Parameter(ParameterSetName = ApiKeySet)]
    public SwitchParameter AsJWT { get; set; }

    /// <summary><para type="description">The secret (a string or bytes) a -AsJWT token is signed with (HS256, HS384,
    /// HS512); without it, only unsigned ("none") tokens are accepted.</para></summary>
    [Parameter(ParameterSetName = BearerSet)]
    [Parameter(ParameterSetName = ApiKeySet)]
    public object? Secret { get; set; }

    /// <summary><para type="description">The realm of the WWW-Authenticate header (default User).</para></summary>
    [Parameter]
    public string? Realm { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var arguments = new Hashtable(StringComparer.OrdinalIgnoreCase);
        string name;
        switch (ParameterSetName)
        {
            case FormSet:
                name = "Form";
                arguments["Fields"] = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["Username"] = UsernameField, ["Password"] = PasswordField };
                break;
            case BearerSet:
                name = "Bearer";
                arguments["BearerLocation"] = BearerLocation;
                arguments["Scopes"] = Scope ?? [];
                break;
            case ApiKeySet:
                name = "ApiKey";
                arguments["Location"] = Location;
                arguments["LocationName"] = LocationName is { Length: > 0 } ? LocationName : Location == "Query" ? "api_key" : "X-API-KEY";
                break;
            default:
                name = "Basic";
                try
                {
                    _ = System.Text.Encoding.GetEncoding(Encoding);
                }
                catch (ArgumentException e)
                {
                    ThrowTerminatingError(new ErrorRecord(e, "EncodingInvalid", ErrorCategory.InvalidArgument, Encoding));
                }
                arguments["Encoding"] = Encoding;
                arguments["HeaderTag"] = HeaderTag;
                break;
        }
        if (AsJWT)
        {
            arguments["AsJWT"] = true;
            arguments["Secret"] = JwtSecret.ToBytes(Secret);
        }
        WriteObject(new PodeAuthScheme(name, Realm is { Length: > 0 } ? Realm : "User", arguments));
    }
}

/// <summary>
/// <para type="synopsis">Adds an authentication method: a scheme and the script block that checks its credentials.</para>
/// <para type="description">The script block gets the scheme's values (username and password; the token; the key),
/// then -ArgumentList, and returns @{ User = ... } to let the request in or @{ Message = ... } (optionally Code,
/// Headers, Challenge) to refuse it; nothing is a refusal too. Routes use it with Add-PodeRoute -Authentication.
/// A refusal is the scheme's status (401 with WWW-Authenticate by default) with the message, or a redirect to
/// -FailureUrl; a script block that throws is logged and answered 500. Unless -Sessionless, the user is kept in
/// the session (Enable-PodeSessionMiddleware first) and later requests of the session are let in without
/// credentials.</para>
/// <example>
///   <code>New-PodeAuthScheme -Basic | Add-PodeAuth -Name 'Api' -Sessionless -ScriptBlock { param($u, $p) if ($u -eq 'morty' -and $p -eq 'pickle') { @{ User = @{ Name = 'Morty' } } } else { @{ Message = 'Invalid details supplied' } } }</code>
///   <para>Basic authentication without sessions.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeAuth")]
[OutputType(typeof(void))]
public sealed class AddPodeAuthCommand : PodeCmdlet
{
    /// <summary><para type="description">The method's name (Add-PodeRoute -Authentication).</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The scheme (New-PodeAuthScheme).</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PodeAuthScheme? Scheme { get; set; }

    /// <summary><para type="description">Checks the credentials; returns @{ User = ... } or @{ Message = ... }.</para></summary>
    [Parameter(Mandatory = true)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">Arguments passed to the script block after the credentials.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <summary><para type="description">Redirect here (302) when authentication fails, and after a logout.</para></summary>
    [Parameter]
    public string? FailureUrl { get; set; }

    /// <summary><para type="description">The message to answer failures with instead of the scheme's or script's.</para></summary>
    [Parameter]
    public string? FailureMessage { get; set; }

    /// <summary><para type="description">Redirect here (302) after a login on a -Login route.</para></summary>
    [Parameter]
    public string? SuccessUrl { get; set; }

    /// <summary><para type="description">Do not keep the user in the session: every request authenticates.</para></summary>
    [Parameter]
    public SwitchParameter Sessionless { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var context = Context;
        if (!Sessionless && context.Sessions is null)
        {
            Fail("SessionsRequired", ErrorCategory.InvalidOperation, Name,
                $"The authentication method '{Name}' keeps users in sessions: call Enable-PodeSessionMiddleware first, or use -Sessionless.");
        }
        var method = new AuthMethod(Name, Scheme!, Capture(ScriptBlock, null, ArgumentList), FailureUrl, FailureMessage, SuccessUrl, Sessionless);
        if (!context.Auths.TryAdd(Name, method))
        {
            Fail("AuthenticationExists", ErrorCategory.ResourceExists, Name, $"An authentication method named '{Name}' is already defined.");
        }
    }
}

/// <summary>
/// <para type="synopsis">Tests whether the current request's user is authenticated.</para>
/// <para type="description">True when $WebEvent.Auth (or, unless -IgnoreSession, the session's stored login)
/// holds an authenticated user.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/me' -Authentication Login -AllowAnon -ScriptBlock { Write-PodeJsonResponse @{ in = (Test-PodeAuthUser) } }</code>
///   <para>Answers whether the visitor is logged in.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeAuthUser")]
[OutputType(typeof(bool))]
public sealed class TestPodeAuthUserCommand : PodeCmdlet
{
    /// <summary><para type="description">Look only at $WebEvent.Auth, not at the session.</para></summary>
    [Parameter]
    public SwitchParameter IgnoreSession { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing() => WriteObject(AuthUser.Of(WebEvent, IgnoreSession) is not null);
}

/// <summary>
/// <para type="synopsis">Returns the current request's authenticated user.</para>
/// <para type="description">$WebEvent.Auth.User (or, unless -IgnoreSession, the session's stored user); nothing
/// for an anonymous request.</para>
/// <example>
///   <code>(Get-PodeAuthUser).Name</code>
///   <para>The logged-in user's name.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeAuthUser")]
[OutputType(typeof(object))]
public sealed class GetPodeAuthUserCommand : PodeCmdlet
{
    /// <summary><para type="description">Look only at $WebEvent.Auth, not at the session.</para></summary>
    [Parameter]
    public SwitchParameter IgnoreSession { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (AuthUser.Of(WebEvent, IgnoreSession) is { } user)
        {
            WriteObject(user);
        }
    }
}

/// <summary>The authenticated user of a request.</summary>
internal static class AuthUser
{
    public static object? Of(Hashtable? webEvent, bool ignoreSession)
    {
        var auth = !ignoreSession && webEvent?["Session"] is Hashtable { } session && session["Data"] is Hashtable data && data["Auth"] is Hashtable stored
            ? stored
            : webEvent?["Auth"] as Hashtable;
        return auth is not null && LanguagePrimitives.IsTrue(auth["IsAuthenticated"]) ? auth["User"] : null;
    }
}

/// <summary>
/// <para type="synopsis">Registers a script block to run when a user logs in or out through an authentication method.</para>
/// <para type="description">Login handlers run after a successful login on a route with -Login; Logout handlers run
/// on a route with -Logout for a user that was logged in. They run in the request's runspace with $TriggeredEvent
/// (Name, Type, EventName, User, Timestamp, Lockable, Metadata), after the response is decided; one that throws is
/// logged. Each EventName is unique per method and type.</para>
/// <example>
///   <code>Register-PodeAuthEvent -Name 'Login' -Type Logout -EventName 'AuthLogout' -ScriptBlock { Send-PodeSignal -Name 'Msg' -Value @{ message = "User '$($TriggeredEvent.User.Name)' has logged out." } }</code>
///   <para>Tells every chat page who logged out.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "PodeAuthEvent")]
[OutputType(typeof(void))]
public sealed class RegisterPodeAuthEventCommand : PodeCmdlet
{
    /// <summary><para type="description">The authentication method (Add-PodeAuth -Name).</para></summary>
    [Parameter(Mandatory = true)]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Login or Logout.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Login", "Logout")]
    public string Type { get; set; } = "";

    /// <summary><para type="description">A name for the handler, unique per method and type (default: a new GUID).</para></summary>
    [Parameter]
    public string? EventName { get; set; }

    /// <summary><para type="description">The handler.</para></summary>
    [Parameter(Mandatory = true)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">Arguments splatted into the script block.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var type = Type.Equals("Login", StringComparison.OrdinalIgnoreCase) ? "Login" : "Logout";
        var handler = new EventRegistration(Name, type, EventName is { Length: > 0 } ? EventName : Guid.NewGuid().ToString(), Capture(ScriptBlock, null, ArgumentList));
        try
        {
            context.AuthEvents.Add(handler);
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "AuthEventExists", ErrorCategory.ResourceExists, handler.EventName));
        }
    }
}
