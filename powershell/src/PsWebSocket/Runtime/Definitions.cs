using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Specialized;

namespace PsWebSocket.Runtime;

/// <summary>An HTTP route (Add-PodeRoute), with the body's content type and encoding when the route forces them.</summary>
public sealed record WebRoute(string Method, string Path, ScriptDef Script, string[] EndpointNames, string? ContentType = null, string? TransferEncoding = null)
{
    /// <summary>The route's own middleware (Add-PodeRoute -Middleware), run after its authentication.</summary>
    internal Middleware[] Middleware { get; init; } = [];

    /// <summary>The route's authentication (Add-PodeRoute -Authentication), or null.</summary>
    internal RouteAuth? Auth { get; init; }

    /// <summary>Pode's route record, as $WebEvent.Route.</summary>
    public Hashtable ToHashtable() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Method"] = Method,
        ["Path"] = Path,
        ["Endpoint"] = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["Name"] = EndpointNames.Length == 1 ? EndpointNames[0] : null },
        ["Arguments"] = Script.Arguments,
        ["ContentType"] = ContentType,
        ["TransferEncoding"] = TransferEncoding,
    };
}

/// <summary>A signal route (Add-PodeSignalRoute).</summary>
public sealed record SignalRoute(string Path, ScriptDef Script, string[] EndpointNames)
{
    /// <summary>True if the route serves connections of this endpoint.</summary>
    public bool Serves(string endpoint) => EndpointNames.Length == 0 || EndpointNames.Contains(endpoint, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Pode's rule for Remove-/Test-PodeSignalRoute: a route of <paramref name="path"/> bound to
    /// <paramref name="endpoint"/>, or, when it is null, bound to no endpoint.
    /// </summary>
    public bool IsFor(string path, string? endpoint) => Path.Equals(path, StringComparison.OrdinalIgnoreCase)
        && (endpoint is null ? EndpointNames.Length == 0 : EndpointNames.Contains(endpoint, StringComparer.OrdinalIgnoreCase));

    /// <summary>Pode's route record, as $SignalEvent.Route and Get-PodeSignalRoute output.</summary>
    public Hashtable ToHashtable() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Method"] = "Signal",
        ["Path"] = Path,
        ["Endpoint"] = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["Name"] = EndpointNames.Length == 1 ? EndpointNames[0] : null, ["Names"] = EndpointNames },
        ["Arguments"] = Script.Arguments,
        ["IsStatic"] = false,
        ["Logic"] = Script.Text,
    };
}

/// <summary>An event script of a connection Name (Register-PodeSignalEvent, Register-PodeWebSocketEvent).</summary>
public sealed record EventRegistration(string Name, string Type, string EventName, ScriptDef Script)
{
    /// <summary>Pode's event record (Get-PodeSignalEvent).</summary>
    public Hashtable ToHashtable() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Name"] = Name,
        ["Type"] = Type,
        ["EventName"] = EventName,
        ["ScriptBlock"] = Script.Text,
        ["Arguments"] = Script.Arguments,
    };
}

/// <summary>
/// Event registrations by Name (case-insensitive), type, then registration order: one table for signal
/// connections (Connect, Disconnect), one for external WebSockets (Disconnected, ...) and one for
/// authentication methods (Login, Logout).
/// </summary>
/// <param name="connectionKind">What the Names are, for messages ("Signal connection", "WebSocket", "authentication method").</param>
internal sealed class EventTable(string connectionKind)
{
    private readonly ConcurrentDictionary<string, OrderedDictionary> _byKey = new(StringComparer.OrdinalIgnoreCase);

    private static string Key(string name, string type) => $"{type}\n{name}";

    /// <summary>Adds a handler; a second handler with the same EventName is an error.</summary>
    public void Add(EventRegistration handler)
    {
        var table = _byKey.GetOrAdd(Key(handler.Name, handler.Type), _ => new OrderedDictionary(StringComparer.OrdinalIgnoreCase));
        lock (table)
        {
            if (table.Contains(handler.EventName))
            {
                throw new ArgumentException($"A {handler.Type} event named '{handler.EventName}' is already registered for the {connectionKind} '{handler.Name}'.");
            }
            table.Add(handler.EventName, handler);
        }
    }

    /// <summary>Removes a handler; false if it was not registered.</summary>
    public bool Remove(string name, string type, string eventName)
    {
        if (!_byKey.TryGetValue(Key(name, type), out var table))
        {
            return false;
        }
        lock (table)
        {
            if (!table.Contains(eventName))
            {
                return false;
            }
            table.Remove(eventName);
            return true;
        }
    }

    /// <summary>Every handler of a type, for all Names (Get-PodeSignalEvent without -Name).</summary>
    public EventRegistration[] All(string type)
    {
        var result = new List<EventRegistration>();
        foreach (var (key, table) in _byKey)
        {
            if (key.StartsWith(type + "\n", StringComparison.OrdinalIgnoreCase))
            {
                lock (table)
                {
                    result.AddRange(table.Values.Cast<EventRegistration>());
                }
            }
        }
        return [.. result];
    }

    /// <summary>The handlers of a Name and type, in registration order.</summary>
    public EventRegistration[] For(string name, string type)
    {
        if (!_byKey.TryGetValue(Key(name, type), out var table))
        {
            return [];
        }
        lock (table)
        {
            return table.Values.Cast<EventRegistration>().ToArray();
        }
    }
}
