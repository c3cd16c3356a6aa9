using System.Collections;
using System.Management.Automation;
using PsWebSocket.Interop;

namespace PsWebSocket.Runtime;

/// <summary>What an authenticated upgrade knew: <c>$WebEvent.Auth</c>, the user's name and the session.</summary>
internal sealed record ConnectionAuth(Hashtable Auth, string? User, string? SessionId, string Name);

/// <summary>
/// The users of signal connections: set when an authenticated route upgrades its request, read by
/// signal routes (<c>$SignalEvent.Auth</c>), Connect/Disconnect events and Send-PodeSignal -User,
/// and used to close a user's connections with 1008 when their session ends. The user is a
/// PowerShell value (<c>$WebEvent.Auth.User</c>), so it is kept here, by the engine's connection id,
/// rather than in the engine.
/// </summary>
internal sealed class SignalAuthTable(PodeContext server)
{
    /// <summary>Close code for connections whose session ended (policy violation).</summary>
    public const int SessionEndedCode = 1008;

    private readonly object _gate = new();
    private readonly Dictionary<ulong, ConnectionAuth> _byId = [];
    private int _count;

    /// <summary>True when some connection has a user (so disconnects must be looked at).</summary>
    public bool Any => Volatile.Read(ref _count) > 0;

    /// <summary>
    /// Upgrades a request and records its user in one step, so that the connection's Connect event
    /// and first messages, which wait on the same lock, see the user.
    /// </summary>
    public ConnectionInfo Upgrade(Func<ConnectionInfo> upgrade, ConnectionAuth? auth)
    {
        lock (_gate)
        {
            var info = upgrade();
            if (auth is not null)
            {
                _byId[info.Id] = auth;
                _count = _byId.Count;
            }
            return info;
        }
    }

    /// <summary>The user of a connection, or null (anonymous or unknown). Not from engine callbacks.</summary>
    public ConnectionAuth? Of(ulong connectionId)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(connectionId);
        }
    }

    /// <summary>Forgets a closed connection; returns what was known of it.</summary>
    public ConnectionAuth? Forget(ulong connectionId)
    {
        lock (_gate)
        {
            _byId.Remove(connectionId, out var auth);
            _count = _byId.Count;
            return auth;
        }
    }

    /// <summary>The connections of these users (optionally only of these Names).</summary>
    public ulong[] OfUsers(IReadOnlyCollection<string> users, IReadOnlyCollection<string>? names)
    {
        lock (_gate)
        {
            return _byId.Where(p => p.Value.User is not null && users.Contains(p.Value.User, StringComparer.Ordinal)
                    && (names is not { Count: > 0 } || names.Contains(p.Value.Name, StringComparer.Ordinal)))
                .Select(p => p.Key).ToArray();
        }
    }

    /// <summary>Closes the connections opened under a session.</summary>
    public void CloseSession(string sessionId) => CloseWhere(id => id == sessionId);

    /// <summary>Closes (1008) the connections whose session matches.</summary>
    public void CloseWhere(Func<string, bool> sessionEnded)
    {
        ulong[] ids;
        lock (_gate)
        {
            // forgotten at their Disconnect, so that its handlers still see the user
            ids = _byId.Where(p => p.Value.SessionId is { } s && sessionEnded(s)).Select(p => p.Key).ToArray();
        }
        foreach (var id in ids)
        {
            try
            {
                server.Server.CloseConnection(id, SessionEndedCode, "Session ended");
            }
            catch (PswsException)
            {
                // already closed
            }
        }
    }

    /// <summary>
    /// The name -User matches for a user: the user itself when it is a string, else its Username,
    /// Name or Id (the first that is set).
    /// </summary>
    public static string? IdentityOf(object? user)
    {
        user = user is PSObject p ? p.BaseObject : user;
        switch (user)
        {
            case null:
                return null;
            case string s:
                return s;
            case IDictionary d:
                foreach (var key in new[] { "Username", "Name", "Id" })
                {
                    foreach (DictionaryEntry e in d)
                    {
                        if (key.Equals(e.Key?.ToString(), StringComparison.OrdinalIgnoreCase) && e.Value?.ToString() is { Length: > 0 } v)
                        {
                            return v;
                        }
                    }
                }
                return null;
            default:
                var ps = PSObject.AsPSObject(user);
                return new[] { "Username", "Name", "Id" }.Select(k => ps.Properties[k]?.Value?.ToString()).FirstOrDefault(v => v is { Length: > 0 });
        }
    }
}
