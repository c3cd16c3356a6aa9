using System.Management.Automation;
using System.Security.Cryptography;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Turns on sessions: a signed session cookie (or header) and $WebEvent.Session for every route.</para>
/// <para type="description">The session id travels in the cookie (or, with -UseHeaders, the header) named -Name
/// (default pode.sid), signed as Pode signs it: s:&lt;id&gt;.&lt;base64 HMAC-SHA256&gt; with -Secret, checked in
/// constant time. A route reads and writes $WebEvent.Session.Data; the data is kept in memory until the session
/// expires (-Duration seconds after it began, or after the last request with -Extend). A new session is stored and
/// its cookie sent only once it holds data (for example after a login), so a request with a missing, tampered or
/// expired cookie leaves nothing behind; such a cookie is logged as a warning. -Strict binds the signature to the
/// client's User-Agent and address.</para>
/// <example>
///   <code>Enable-PodeSessionMiddleware -Duration 120 -Extend</code>
///   <para>Sessions that last two minutes after the last request.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "PodeSessionMiddleware")]
[OutputType(typeof(void))]
public sealed class EnablePodeSessionMiddlewareCommand : PodeCmdlet
{
    /// <summary><para type="description">The signing secret (default: random, so sessions end with the server).</para></summary>
    [Parameter]
    public string? Secret { get; set; }

    /// <summary><para type="description">Seconds a session lasts (default 3600).</para></summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Duration { get; set; } = 3600;

    /// <summary><para type="description">The cookie or header name (default pode.sid).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "pode.sid";

    /// <summary><para type="description">Extend the session's expiry on every request (the cookie is re-sent each time).</para></summary>
    [Parameter]
    public SwitchParameter Extend { get; set; }

    /// <summary><para type="description">Bind the signature to the client's User-Agent and IP address.</para></summary>
    [Parameter]
    public SwitchParameter Strict { get; set; }

    /// <summary><para type="description">Mark the cookie HttpOnly (not readable by page scripts).</para></summary>
    [Parameter]
    public SwitchParameter HttpOnly { get; set; }

    /// <summary><para type="description">Mark the cookie Secure (sent over HTTPS only).</para></summary>
    [Parameter]
    public SwitchParameter Secure { get; set; }

    /// <summary><para type="description">Send and read the session id in a header named -Name instead of a cookie.</para></summary>
    [Parameter]
    public SwitchParameter UseHeaders { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        if (context.Sessions is not null)
        {
            Fail("SessionsAlreadyEnabled", ErrorCategory.InvalidOperation, null, "Session middleware is already enabled for this server.");
        }
        var secret = Secret is { Length: > 0 } ? Secret : Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var sessions = new SessionService(context, new SessionSettings(Name, secret, Duration, Extend, Strict, HttpOnly, Secure, UseHeaders));
        context.Sessions = sessions;
        context.Middleware.Add(sessions.Middleware());
    }
}

/// <summary>Base of the session cmdlets: the session of the current route.</summary>
public abstract class SessionCmdlet : PodeCmdlet
{
    /// <summary>The request and its session; a terminating error outside a route or without sessions.</summary>
    internal (RequestContext Request, SessionRequest Session) Current()
    {
        if (RequestPipeline.Of(WebEvent) is { Session: { } session } request)
        {
            return (request, session);
        }
        Fail("NoSession", ErrorCategory.InvalidOperation, null,
            $"{MyInvocation.MyCommand.Name} needs a session: call it inside a route after Enable-PodeSessionMiddleware.");
        throw new InvalidOperationException(); // not reached
    }
}

/// <summary>
/// <para type="synopsis">Saves the current session now, even if it holds no data yet.</para>
/// <para type="description">Sessions are saved when the route ends; this stores it at once and, for a new session,
/// sends its cookie or header.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/start' -ScriptBlock { Save-PodeSession }</code>
///   <para>Starts a session for the client.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsData.Save, "PodeSession")]
[OutputType(typeof(void))]
public sealed class SavePodeSessionCommand : SessionCmdlet
{
    /// <summary><para type="description">Accepted for Pode compatibility: saving is always done.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var (request, session) = Current();
        session.Save(request);
    }
}

/// <summary>
/// <para type="synopsis">Ends the current session: removed from the store, its cookie expired.</para>
/// <para type="description">$WebEvent.Session becomes $null, and the signal connections opened under the session
/// are closed with 1008.</para>
/// <example>
///   <code>Add-PodeRoute -Method Post -Path '/forget' -ScriptBlock { Remove-PodeSession }</code>
///   <para>Forgets the client's session.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "PodeSession")]
[OutputType(typeof(void))]
public sealed class RemovePodeSessionCommand : SessionCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (RequestPipeline.Of(WebEvent) is { Session: { } session } request)
        {
            session.Revoke(request);
        }
    }
}

/// <summary>
/// <para type="synopsis">Returns the id of the current session.</para>
/// <para type="description">The plain id, or with -Signed the value the cookie carries.</para>
/// <example>
///   <code>Get-PodeSessionId</code>
///   <para>The session id.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeSessionId")]
[OutputType(typeof(string))]
public sealed class GetPodeSessionIdCommand : SessionCmdlet
{
    /// <summary><para type="description">Return the signed value instead.</para></summary>
    [Parameter]
    public SwitchParameter Signed { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var (request, session) = Current();
        WriteObject(Signed ? ValueSigner.Sign(session.Id, request.Server.Sessions!.SecretFor(request.Request)) : session.Id);
    }
}
