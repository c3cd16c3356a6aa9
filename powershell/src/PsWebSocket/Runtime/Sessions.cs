using System.Collections;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace PsWebSocket.Runtime;

/// <summary>Enable-PodeSessionMiddleware's settings.</summary>
internal sealed record SessionSettings(string Name, string Secret, int Duration, bool Extend, bool Strict, bool HttpOnly, bool Secure, bool UseHeaders);

/// <summary>
/// Pode's signed values (<c>s:&lt;value&gt;.&lt;base64 HMAC-SHA256&gt;</c>), for session cookies and headers.
/// </summary>
internal static class ValueSigner
{
    private const string Prefix = "s:";

    /// <summary>Signs a value with the secret.</summary>
    public static string Sign(string value, string secret) => $"{Prefix}{value}.{Mac(value, secret)}";

    /// <summary>The value of a signed string, or null if it is not signed with this secret (compared in constant time).</summary>
    public static string? Unsign(string signed, string secret)
    {
        var dot = signed.LastIndexOf('.');
        if (!signed.StartsWith(Prefix, StringComparison.Ordinal) || dot <= Prefix.Length)
        {
            return null;
        }
        var value = signed[Prefix.Length..dot];
        var expected = Encoding.UTF8.GetBytes(Mac(value, secret));
        var given = Encoding.UTF8.GetBytes(signed[(dot + 1)..]);
        return CryptographicOperations.FixedTimeEquals(expected, given) ? value : null;
    }

    private static string Mac(string value, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(value)));
}

/// <summary>The in-memory session store: session id to data, with an expiry.</summary>
internal sealed class SessionStore
{
    /// <summary>A stored session.</summary>
    public sealed record Entry(Hashtable Data, DateTime TimeStamp, DateTime Expiry);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The session, or null if it is unknown or expired (an expired one is removed).</summary>
    public Entry? Get(string id)
    {
        if (!_entries.TryGetValue(id, out var entry))
        {
            return null;
        }
        if (entry.Expiry < DateTime.UtcNow)
        {
            _entries.TryRemove(id, out _);
            return null;
        }
        return entry;
    }

    /// <summary>True while the session is stored and not expired.</summary>
    public bool IsLive(string id) => Get(id) is not null;

    /// <summary>Stores or replaces a session.</summary>
    public void Set(string id, Entry entry) => _entries[id] = entry;

    /// <summary>Removes a session.</summary>
    public void Delete(string id) => _entries.TryRemove(id, out _);

    /// <summary>Removes every expired session.</summary>
    public void RemoveExpired()
    {
        var now = DateTime.UtcNow;
        foreach (var (id, entry) in _entries)
        {
            if (entry.Expiry < now)
            {
                _entries.TryRemove(id, out _);
            }
        }
    }
}

/// <summary>
/// Sessions of a server (Enable-PodeSessionMiddleware): reads the signed session cookie (or
/// header) of each request into <c>$WebEvent.Session</c>, and sweeps expired sessions, closing
/// the signal connections that were opened under them.
/// </summary>
internal sealed class SessionService : IDisposable
{
    /// <summary>How often expired sessions are swept (and their signal connections closed).</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly PodeContext _server;
    private readonly Timer _sweeper;

    public SessionService(PodeContext server, SessionSettings settings)
    {
        _server = server;
        Settings = settings;
        _sweeper = new Timer(_ => Sweep(), null, SweepInterval, SweepInterval);
    }

    /// <summary>The settings.</summary>
    public SessionSettings Settings { get; }

    /// <summary>The store.</summary>
    public SessionStore Store { get; } = new();

    /// <summary>The middleware step, named as Pode's.</summary>
    public Middleware Middleware() => Runtime.Middleware.FromStep("__pode_mw_sessions__", Begin);

    /// <summary>The secret for this request (-Strict binds it to the client's User-Agent and address).</summary>
    internal string SecretFor(PodeRequest request) =>
        Settings.Strict ? $"{Settings.Secret};{request.UserAgent};{request.RemoteEndPoint.Address}" : Settings.Secret;

    private bool Begin(RequestContext request)
    {
        if (request.Session is not null)
        {
            return true;
        }
        var raw = Settings.UseHeaders ? request.Request.Headers[Settings.Name] as string : Cookie(request.Request, Settings.Name);
        SessionStore.Entry? entry = null;
        string? id = null;
        if (raw is { Length: > 0 })
        {
            id = ValueSigner.Unsign(raw, SecretFor(request.Request));
            entry = id is null ? null : Store.Get(id);
            if (entry is null)
            {
                _server.Log.Warning($"Session {(Settings.UseHeaders ? "header" : "cookie")} '{Settings.Name}' from {request.Request.RemoteEndPoint.Address} refused: "
                    + (id is null ? "its signature is not valid." : "the session has expired or does not exist."));
            }
        }
        request.Session = entry is null
            ? new SessionRequest(this, Guid.NewGuid().ToString(), new Hashtable(StringComparer.OrdinalIgnoreCase), DateTime.UtcNow, isNew: true)
            : new SessionRequest(this, id!, entry.Data, entry.TimeStamp, isNew: false);
        request.WebEvent["Session"] = request.Session.Table;
        return true;
    }

    /// <summary>The value of a request cookie, or null.</summary>
    internal static string? Cookie(PodeRequest request, string name)
    {
        if (request.Headers["Cookie"] is not string header)
        {
            return null;
        }
        foreach (var part in header.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq > 0 && part[..eq].Equals(name, StringComparison.Ordinal))
            {
                return part[(eq + 1)..];
            }
        }
        return null;
    }

    /// <summary>Ends a session: removed from the store, and its signal connections closed with 1008.</summary>
    public void End(string id)
    {
        Store.Delete(id);
        _server.SignalAuth.CloseSession(id);
    }

    private void Sweep()
    {
        try
        {
            Store.RemoveExpired();
            _server.SignalAuth.CloseWhere(id => !Store.IsLive(id));
        }
        catch (Exception e)
        {
            _server.Log.Warning($"Session sweep failed: {e.Message}");
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _sweeper.Dispose();
}

/// <summary>
/// The session of one request (<c>$WebEvent.Session</c>: Name, Id, FullId, Extend, TimeStamp,
/// Data). A new session is stored, and its cookie sent, only once it holds data (or is saved with
/// Save-PodeSession), so requests that carry nothing valid leave nothing behind.
/// </summary>
internal sealed class SessionRequest
{
    private readonly SessionService _service;
    private bool _isNew;
    private bool _sent;

    public SessionRequest(SessionService service, string id, Hashtable data, DateTime timeStamp, bool isNew)
    {
        _service = service;
        _isNew = isNew;
        Table = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Name"] = service.Settings.Name,
            ["Id"] = id,
            ["FullId"] = id,
            ["TabId"] = null,
            ["Extend"] = service.Settings.Extend,
            ["TimeStamp"] = timeStamp,
            ["Data"] = data,
        };
    }

    /// <summary>The session hashtable.</summary>
    public Hashtable Table { get; }

    /// <summary>The session id.</summary>
    public string Id => (string)Table["Id"]!;

    /// <summary>True when the id travels in a header instead of a cookie.</summary>
    public bool UseHeaders => _service.Settings.UseHeaders;

    /// <summary>True after Remove-PodeSession or a logout.</summary>
    public bool Revoked { get; private set; }

    /// <summary>The session's data (a new table if the script replaced it with nothing).</summary>
    public Hashtable Data
    {
        get
        {
            if (Table["Data"] is not Hashtable data)
            {
                data = new Hashtable(StringComparer.OrdinalIgnoreCase);
                Table["Data"] = data;
            }
            return data;
        }
    }

    /// <summary>End of the request: keeps the session if it holds data or existed before.</summary>
    public void End(RequestContext request)
    {
        if (!Revoked && !(_isNew && Data.Count == 0))
        {
            Save(request);
        }
    }

    /// <summary>Stores the session, and sends its cookie or header if it is new or extended.</summary>
    public void Save(RequestContext request)
    {
        if (Revoked)
        {
            return;
        }
        var settings = _service.Settings;
        var now = DateTime.UtcNow;
        var timeStamp = (DateTime)Table["TimeStamp"]!;
        var expiry = (settings.Extend ? now : timeStamp).AddSeconds(settings.Duration);
        _service.Store.Set(Id, new SessionStore.Entry(Data, timeStamp, expiry));
        if ((_isNew || settings.Extend) && !_sent)
        {
            var value = ValueSigner.Sign(Id, _service.SecretFor(request.Request));
            if (settings.UseHeaders)
            {
                request.Response.Headers[settings.Name] = value;
            }
            else
            {
                request.Response.AddHeader("Set-Cookie", $"{settings.Name}={value}; Path=/; Expires={expiry:R}"
                    + (settings.HttpOnly ? "; HttpOnly" : "") + (settings.Secure ? "; Secure" : ""));
            }
            _sent = true;
        }
        _isNew = false;
    }

    /// <summary>
    /// Gives the session a new id (at login, so an id known before the login is worth nothing after it).
    /// </summary>
    public void Renew()
    {
        if (!_isNew)
        {
            _service.End(Id);
        }
        var id = Guid.NewGuid().ToString();
        Table["Id"] = id;
        Table["FullId"] = id;
        Table["TimeStamp"] = DateTime.UtcNow;
        _isNew = true;
        _sent = false;
    }

    /// <summary>Ends the session: out of the store, its cookie expired, its signal connections closed.</summary>
    public void Revoke(RequestContext request)
    {
        if (Revoked)
        {
            return;
        }
        _service.End(Id);
        if (!UseHeaders)
        {
            request.Response.AddHeader("Set-Cookie", $"{_service.Settings.Name}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        }
        Table.Clear();
        request.WebEvent["Session"] = null;
        Revoked = true;
    }
}
