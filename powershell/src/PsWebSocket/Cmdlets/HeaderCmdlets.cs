using System.Collections;
using System.Management.Automation;
using System.Net;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>A cmdlet that works on the response of the current route.</summary>
public abstract class PodeResponseCmdlet : PodeCmdlet
{
    /// <summary>The route's response; a terminating error outside a route.</summary>
    internal PodeResponse Response => WebEvent?["Response"] as PodeResponse
        ?? throw new PSInvalidOperationException($"{MyInvocation.MyCommand.Name} can only be used inside a route (Add-PodeRoute).");
}

/// <summary>The -Name, -Value and -Secret of the header and cookie cmdlets.</summary>
public abstract class SignedValueCmdlet : PodeResponseCmdlet
{
    /// <summary><para type="description">The header's or cookie's name.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The header's or cookie's value.</para></summary>
    [Parameter]
    public string Value { get; set; } = "";

    /// <summary><para type="description">A secret to sign the value with (s:value.signature, HMAC-SHA256).</para></summary>
    [Parameter]
    public string? Secret { get; set; }

    /// <summary>The value, signed when -Secret is given.</summary>
    private protected string SignedValue => Secret is { Length: > 0 } ? ValueSigner.Sign(Value, Secret) : Value;
}

/// <summary>
/// <para type="synopsis">Sets a response header, replacing any value it had.</para>
/// <para type="description">As Pode's Set-PodeHeader. -Secret signs the value (s:value.signature, HMAC-SHA256).</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/' -ScriptBlock { Set-PodeHeader -Name 'X-Version' -Value '1.2'; Write-PodeTextResponse -Value 'ok' }</code>
///   <para>Answers with an X-Version header.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PodeHeader")]
[OutputType(typeof(void))]
public sealed class SetPodeHeaderCommand : SignedValueCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing() => Response.Headers[Name] = SignedValue;
}

/// <summary>
/// <para type="synopsis">Adds a value to a response header: a header added twice is sent twice.</para>
/// <para type="description">As Pode's Add-PodeHeader. -Secret signs the value (s:value.signature, HMAC-SHA256).</para>
/// <example>
///   <code>Add-PodeHeader -Name 'Link' -Value '&lt;/style.css&gt;; rel=preload'; Add-PodeHeader -Name 'Link' -Value '&lt;/script.js&gt;; rel=preload'</code>
///   <para>Sends two Link headers.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeHeader")]
[OutputType(typeof(void))]
public sealed class AddPodeHeaderCommand : SignedValueCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing() => Response.AddHeader(Name, SignedValue);
}

/// <summary>
/// <para type="synopsis">Sets a cookie on the response.</para>
/// <para type="description">As Pode's Set-PodeCookie: a Set-Cookie header with Path=/, an expiry from -Duration
/// (seconds from now) or -ExpiryDate (none: a browser-session cookie), -HttpOnly, -Secure, -Discard (expires it at
/// once), and -Secret to sign the value (s:value.signature, HMAC-SHA256). Several cookies on one response are sent
/// as several headers. Get-PodeCookie reads a request's cookie.</para>
/// <example>
///   <code>Set-PodeCookie -Name 'theme' -Value 'dark' -Duration 86400 -HttpOnly</code>
///   <para>A cookie for a day that scripts in the page cannot read.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PodeCookie")]
[OutputType(typeof(void))]
public sealed class SetPodeCookieCommand : SignedValueCmdlet
{
    /// <summary><para type="description">Seconds until the cookie expires.</para></summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Duration { get; set; }

    /// <summary><para type="description">When the cookie expires.</para></summary>
    [Parameter]
    public DateTime ExpiryDate { get; set; }

    /// <summary><para type="description">Scripts in the page cannot read the cookie.</para></summary>
    [Parameter]
    public SwitchParameter HttpOnly { get; set; }

    /// <summary><para type="description">The cookie is sent over HTTPS only.</para></summary>
    [Parameter]
    public SwitchParameter Secure { get; set; }

    /// <summary><para type="description">Expire the cookie at once (removes it from the browser).</para></summary>
    [Parameter]
    public SwitchParameter Discard { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var value = SignedValue;
        DateTime? expires = Discard ? DateTime.UnixEpoch
            : Duration > 0 ? DateTime.UtcNow.AddSeconds(Duration)
            : MyInvocation.BoundParameters.ContainsKey(nameof(ExpiryDate)) ? ExpiryDate.ToUniversalTime()
            : null;
        var cookie = $"{Name}={Uri.EscapeDataString(value)}; Path=/"
            + (expires is { } at ? $"; Expires={at:R}" : "")
            + (HttpOnly ? "; HttpOnly" : "")
            + (Secure ? "; Secure" : "");
        Response.AddHeader("Set-Cookie", cookie);
    }
}

/// <summary>
/// <para type="synopsis">Gets a cookie the client sent.</para>
/// <para type="description">As Pode's Get-PodeCookie: a hashtable with Name and Value, or nothing when the request
/// has no such cookie. With -Secret the value must be signed with it: a cookie whose signature does not match
/// gives nothing (compared in constant time).</para>
/// <example>
///   <code>$theme = (Get-PodeCookie -Name 'theme').Value</code>
///   <para>The theme cookie's value.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeCookie")]
[OutputType(typeof(Hashtable))]
public sealed class GetPodeCookieCommand : PodeCmdlet
{
    /// <summary><para type="description">The cookie's name.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The secret the value was signed with.</para></summary>
    [Parameter]
    public string? Secret { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (WebEvent?["Request"] is not PodeRequest request || SessionService.Cookie(request, Name) is not { } raw)
        {
            return;
        }
        var value = Uri.UnescapeDataString(raw);
        if (Secret is { Length: > 0 })
        {
            if (ValueSigner.Unsign(value, Secret) is not { } unsigned)
            {
                return;
            }
            value = unsigned;
        }
        WriteObject(new Hashtable(StringComparer.OrdinalIgnoreCase) { ["Name"] = Name, ["Value"] = value });
    }
}

/// <summary>
/// <para type="synopsis">Answers the request with an error status and page.</para>
/// <para type="description">As Pode's Write-PodeErrorResponse: the status (default 500) and a body that names it,
/// as JSON ({ status, message }) when the client accepts application/json, else a small HTML page. -Exception or
/// -ErrorRecord adds its message to the body only with -ShowException (an error's details are not for every
/// client).</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/admin' -ScriptBlock { Write-PodeErrorResponse -StatusCode 403 }</code>
///   <para>Answers 403 Forbidden.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "PodeErrorResponse", DefaultParameterSetName = "Status")]
[OutputType(typeof(void))]
public sealed class WritePodeErrorResponseCommand : PodeResponseCmdlet
{
    /// <summary><para type="description">The HTTP status (default 500).</para></summary>
    [Parameter]
    [ValidateRange(100, 599)]
    public int StatusCode { get; set; } = 500;

    /// <summary><para type="description">The exception behind the error.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "Exception")]
    public Exception? Exception { get; set; }

    /// <summary><para type="description">The error record behind the error.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "ErrorRecord")]
    public ErrorRecord? ErrorRecord { get; set; }

    /// <summary><para type="description">Put the exception's message in the body.</para></summary>
    [Parameter]
    public SwitchParameter ShowException { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var response = Response;
        var description = ((HttpStatusCode)StatusCode).ToString();
        var message = ShowException ? (Exception ?? ErrorRecord?.Exception)?.Message : null;
        var accept = (WebEvent?["Request"] as PodeRequest)?.Headers["Accept"] as string ?? "";
        response.StatusCode = StatusCode;
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase))
        {
            var json = System.Text.Json.JsonSerializer.Serialize(new { status = StatusCode, message = message ?? description });
            response.SetBody(System.Text.Encoding.UTF8.GetBytes(json), "application/json; charset=utf-8");
            return;
        }
        var detail = message is null ? "" : $"<p>{WebUtility.HtmlEncode(message)}</p>";
        var html = $"<!DOCTYPE html><html><head><title>{StatusCode} {description}</title></head><body><h1>{StatusCode} {description}</h1>{detail}</body></html>";
        response.SetBody(System.Text.Encoding.UTF8.GetBytes(html), "text/html; charset=utf-8");
    }
}
