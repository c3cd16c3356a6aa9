using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Text;
using PsWebSocket.Interop;

namespace PsWebSocket.Runtime;

/// <summary>
/// An external WebSocket connection as scripts see it (<c>$WsEvent.Request.WebSocket</c>):
/// Pode's Name, URL, ContentType and IsConnected, plus State, and the methods of Pode's
/// PodeWebSocket that scripts call: Send, Reconnect, Disconnect (as Send-, Reset- and
/// Disconnect-PodeWebSocket).
/// </summary>
public sealed class PodeWebSocket
{
    private readonly WebSocketConnection _connection;
    private readonly WebSocketClients _owner;

    internal PodeWebSocket(WebSocketConnection connection, WebSocketClients owner)
    {
        _connection = connection;
        _owner = owner;
    }

    /// <summary>The connection's Name (Connect-PodeWebSocket -Name).</summary>
    public string Name => _connection.Name;

    /// <summary>The URL it connects to (the new one after Reset-PodeWebSocket -Url).</summary>
    public Uri URL => _connection.CurrentUrl();

    /// <summary>How messages are parsed into <c>$WsEvent.Data</c> and how Send-PodeWebSocket converts values.</summary>
    public string ContentType => _connection.ContentType;

    /// <summary>True while the connection is open.</summary>
    public bool IsConnected => _connection.CurrentState() == NativeClientState.Connected;

    /// <summary>Connected, Reconnecting, Disconnected, or Removed.</summary>
    public string State => _connection.CurrentState() switch
    {
        NativeClientState.Connected => "Connected",
        NativeClientState.Reconnecting => "Reconnecting",
        NativeClientState.Disconnected => "Disconnected",
        _ => "Removed",
    };

    /// <summary>Sends a message: a string as it is, anything else converted by the connection's ContentType.</summary>
    public void Send(object? message) =>
        _owner.Send(Name, Encoding.UTF8.GetBytes(WebSocketContent.Convert(message, ContentType, 10)), binary: false);

    /// <summary>Reconnects to the same URL.</summary>
    public void Reconnect() => _owner.Reset(Name, null);

    /// <summary>Reconnects to another URL.</summary>
    public void Reconnect(string url) => _owner.Reset(Name, url);

    /// <summary>Closes the connection; the Name stays registered (Reconnect opens it again).</summary>
    public void Disconnect() => _owner.Disconnect(Name);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({URL})";
}

/// <summary>A message received from an external WebSocket server (<c>$WsEvent.Request</c>).</summary>
public sealed class PodeWebSocketRequest
{
    internal PodeWebSocketRequest(PodeWebSocket webSocket, byte[] rawBody, bool isBinary)
    {
        WebSocket = webSocket;
        RawBody = rawBody;
        IsBinary = isBinary;
        Body = Encoding.UTF8.GetString(rawBody);
    }

    /// <summary>The connection the message came from.</summary>
    public PodeWebSocket WebSocket { get; }

    /// <summary>The message bytes.</summary>
    public byte[] RawBody { get; }

    /// <summary>The message as UTF-8 text (also for binary messages, as in Pode).</summary>
    public string Body { get; }

    /// <summary>Length of the message in bytes.</summary>
    public int ContentLength => RawBody.Length;

    /// <summary>Always UTF-8.</summary>
    public Encoding ContentEncoding => Encoding.UTF8;

    /// <summary>True for a binary message (then <c>$WsEvent.Data</c> is the bytes), false for text.</summary>
    public bool IsBinary { get; }
}

/// <summary>One registered external connection (Connect-PodeWebSocket).</summary>
internal sealed class WebSocketConnection
{
    internal WebSocketConnection(string name, string url, string contentType, ScriptDef script, NativeClient client, WebSocketClients owner)
    {
        Name = name;
        Url = url;
        ContentType = contentType;
        Script = script;
        Client = client;
        Public = new PodeWebSocket(this, owner);
    }

    public string Name { get; }
    public string ContentType { get; }
    public ScriptDef Script { get; }
    public NativeClient Client { get; }
    public PodeWebSocket Public { get; }

    /// <summary>The URL given at connect (the engine's copy is read first).</summary>
    public string Url { get; set; }

    /// <summary>Messages and lifecycle events (Disconnected, Reconnecting, ...) waiting for scripts, in arrival order.</summary>
    public ConcurrentQueue<ClientEvent> Inbox { get; } = new();

    /// <summary>Messages in <see cref="Inbox"/> (bounded).</summary>
    public int Pending;

    /// <summary>1 while a drain of the inbox is queued or running.</summary>
    public int Scheduled;

    public NativeClientState CurrentState()
    {
        try
        {
            return Client.State(Name);
        }
        catch (Exception e) when (e is PswsException or ObjectDisposedException)
        {
            return NativeClientState.NotRegistered;
        }
    }

    public Uri CurrentUrl()
    {
        try
        {
            Url = Client.Url(Name);
        }
        catch (Exception e) when (e is PswsException or ObjectDisposedException)
        {
            // removed or shut down: the last known URL
        }
        return new Uri(Url);
    }
}

/// <summary>
/// The external WebSocket connections of a server (Pode's WebSocket "consumer"): Names,
/// their scripts and content types, the engine clients that own the sockets, and the
/// WebSockets worker pool that runs the scripts with <c>$WsEvent</c>. Messages of one
/// connection run one at a time in arrival order; different connections run in parallel
/// on up to <see cref="PodeContext.WebSocketThreads"/> workers. Messages that arrive before
/// the server starts wait for it.
/// </summary>
internal sealed class WebSocketClients : IDisposable
{
    /// <summary>Messages a connection may have waiting before new ones are dropped.</summary>
    internal const int InboxLimit = 10_000;

    private const string PoolName = "WebSockets";
    private static readonly object Creation = new();

    private readonly PodeContext _context;
    private readonly object _gate = new();
    private readonly Dictionary<string, WebSocketConnection> _connections = new(StringComparer.Ordinal);
    private readonly List<WebSocketConnection> _waiting = [];
    /// <summary>One engine client per distinct settings (certificate checks, timeout, CA file).</summary>
    private readonly Dictionary<ClientSettings, NativeClient> _clients = [];
    private WorkerPool? _pool;
    private bool _started;
    private bool _disposed;

    private WebSocketClients(PodeContext context) => _context = context;

    /// <summary>The server's connections, created on first use.</summary>
    internal static WebSocketClients Of(PodeContext context)
    {
        lock (Creation)
        {
            if (context.Clients is null && context.Stopping.IsCancellationRequested)
            {
                throw new PswsException(PswsStatus.Stopped, "The server is stopping: no new WebSocket connections can be made.");
            }
            return context.Clients ??= new WebSocketClients(context);
        }
    }

    /// <summary>
    /// Called once the server runs: creates the pool if -EnablePool WebSockets asked for it
    /// or connections exist, and runs the messages that arrived before.
    /// </summary>
    internal static void OnServerStart(PodeContext context)
    {
        WebSocketClients clients;
        lock (Creation)
        {
            clients = context.Clients ??= new WebSocketClients(context);
        }
        clients.Start();
    }

    private void Start()
    {
        WebSocketConnection[] waiting;
        lock (_gate)
        {
            _started = true;
            if (_disposed)
            {
                return;
            }
            if (_context.EnabledPools.Contains(PoolName) || _connections.Count > 0)
            {
                _pool ??= _context.NewPool(PoolName, _context.WebSocketThreads);
            }
            waiting = [.. _waiting];
            _waiting.Clear();
        }
        foreach (var connection in waiting)
        {
            Schedule(connection);
        }
    }

    /// <summary>Sets the number of workers; a running pool is replaced by one of the new size.</summary>
    internal void SetConcurrency(int maximum)
    {
        WorkerPool? old;
        lock (_gate)
        {
            _context.WebSocketThreads = maximum;
            old = _pool;
            if (old is null || _disposed)
            {
                return;
            }
            _pool = _context.NewPool(PoolName, maximum);
        }
        // Queued work finishes on the old workers; the caller may be one of them, so do not wait here.
        _ = Task.Run(old.Dispose);
    }

    private NativeClient ClientFor(ClientSettings settings)
    {
        if (!_clients.TryGetValue(settings, out var client))
        {
            NativeClient? created = null;
            created = new NativeClient(settings, e => OnEvent(created, e));
            _clients[settings] = client = created;
        }
        return client;
    }

    /// <summary>
    /// Connects and registers a Name; returns once the handshake succeeded. A Name in use
    /// (NameInUse) or a failed connect (the engine's reason) leaves nothing registered.
    /// </summary>
    internal WebSocketConnection Connect(string name, string url, string contentType, ScriptDef script, ConnectSpec spec, ClientSettings settings)
    {
        WebSocketConnection connection;
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_connections.ContainsKey(name))
            {
                throw new PswsException(PswsStatus.NameInUse, $"Already connected to WebSocket with name '{name}'.");
            }
            var client = ClientFor(settings);
            connection = new WebSocketConnection(name, url, contentType, script, client, this);
            // Registered before the handshake: the first message may arrive before Connect returns.
            _connections[name] = connection;
        }
        try
        {
            Guard(() => connection.Client.Connect(name, url, spec));
        }
        catch
        {
            lock (_gate)
            {
                if (_connections.TryGetValue(name, out var registered) && ReferenceEquals(registered, connection))
                {
                    _connections.Remove(name);
                }
            }
            throw;
        }
        lock (_gate)
        {
            if (_started && !_disposed)
            {
                _pool ??= _context.NewPool(PoolName, _context.WebSocketThreads);
            }
        }
        return connection;
    }

    /// <summary>The connection registered under a Name, or null.</summary>
    internal WebSocketConnection? Find(string name)
    {
        lock (_gate)
        {
            return _connections.GetValueOrDefault(name);
        }
    }

    /// <summary>The connection registered under a Name; UnknownClient otherwise.</summary>
    internal WebSocketConnection Get(string name) =>
        Find(name) ?? throw new PswsException(PswsStatus.UnknownClient, $"No WebSocket connection is registered with the name '{name}'.");

    /// <summary>The registered Names, sorted.</summary>
    internal string[] Names()
    {
        lock (_gate)
        {
            return [.. _connections.Keys.Order(StringComparer.Ordinal)];
        }
    }

    internal void Send(string name, byte[] payload, bool binary)
    {
        var connection = Get(name);
        Guard(() => connection.Client.Send(name, payload, binary));
    }

    internal void Disconnect(string name)
    {
        var connection = Get(name);
        Guard(() => connection.Client.Disconnect(name));
    }

    /// <summary>Closes and forgets a Name; false if it was not registered.</summary>
    internal bool Remove(string name)
    {
        var connection = Find(name);
        if (connection is null)
        {
            return false;
        }
        try
        {
            Guard(() => connection.Client.Remove(name));
        }
        catch (PswsException e) when (e.Status == PswsStatus.UnknownClient)
        {
            // already gone in the engine
        }
        lock (_gate)
        {
            if (_connections.TryGetValue(name, out var registered) && ReferenceEquals(registered, connection))
            {
                _connections.Remove(name);
            }
        }
        return true;
    }

    internal void Reset(string name, string? url)
    {
        var connection = Get(name);
        try
        {
            Guard(() => connection.Client.Reset(name, url));
        }
        finally
        {
            connection.CurrentUrl();
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new PswsException(PswsStatus.Stopped, "The server is stopping: its WebSocket connections are closed.");
        }
    }

    /// <summary>A call on an engine client that the server's shutdown may have freed.</summary>
    private void Guard(Action call)
    {
        try
        {
            call();
        }
        catch (ObjectDisposedException)
        {
            throw new PswsException(PswsStatus.Stopped, "The server is stopping: its WebSocket connections are closed.");
        }
    }

    /// <summary>Engine events (engine threads; nothing here blocks).</summary>
    private void OnEvent(NativeClient? source, ClientEvent e)
    {
        if (WebSocketEventTypes.Of(e) is { } type && _context.WebSocketEvents.For(WebSocketEventTypes.NameOf(e), type).Length > 0)
        {
            Enqueue(source, e);
        }
        switch (e)
        {
            case ClientMessageEvent message:
                if (message.Data.Length > 0) // as Pode: empty messages are not handled
                {
                    Enqueue(source, message);
                }
                break;
            case ClientDisconnectedEvent d:
                var reason = d.Reason.Length > 0 ? $" '{d.Reason}'" : "";
                if (!d.ClosedByServer || _disposed || _context.Stopping.IsCancellationRequested)
                {
                    _context.Log.Verbose($"WebSocket '{d.Name}' disconnected (code {d.Code}{reason}).");
                }
                else if (d.Reconnecting)
                {
                    _context.Log.Warning($"WebSocket '{d.Name}' was disconnected by the server (code {d.Code}{reason}); reconnecting.");
                }
                else
                {
                    _context.Log.Warning($"WebSocket '{d.Name}' was disconnected by the server (code {d.Code}{reason}); reconnect it with Reset-PodeWebSocket.");
                }
                break;
            case ClientReconnectingEvent r:
                var why = r.LastError.Length > 0 ? $" (last attempt: {r.LastError})" : "";
                _context.Log.Verbose($"WebSocket '{r.Name}': reconnect attempt {r.Attempt} in {(int)r.Delay.TotalMilliseconds} ms{why}.");
                break;
            case ClientReconnectedEvent r:
                _context.Log.Warning($"WebSocket '{r.Name}' reconnected to {r.Url}.");
                break;
            case ClientReconnectFailedEvent f:
                _context.Log.Warning($"WebSocket '{f.Name}' gave up reconnecting after {f.Attempts} attempts ({f.Error}); reconnect it with Reset-PodeWebSocket.");
                break;
            case ClientLogEvent log when log.Level >= 2:
                _context.Log.Warning(log.Message);
                break;
            case ClientLogEvent log:
                _context.Log.Verbose(log.Message);
                break;
        }
    }

    /// <summary>Queues a message or lifecycle event for the connection's scripts, in arrival order.</summary>
    private void Enqueue(NativeClient? source, ClientEvent item)
    {
        var connection = Find(WebSocketEventTypes.NameOf(item));
        if (connection is null || !ReferenceEquals(connection.Client, source))
        {
            return; // removed meanwhile
        }
        if (Interlocked.Increment(ref connection.Pending) > InboxLimit)
        {
            Interlocked.Decrement(ref connection.Pending);
            _context.Log.Warning($"WebSocket '{connection.Name}': {item.GetType().Name} was dropped: {InboxLimit} messages are already waiting for the script.");
            return;
        }
        connection.Inbox.Enqueue(item);
        if (Interlocked.CompareExchange(ref connection.Scheduled, 1, 0) == 0)
        {
            Schedule(connection);
        }
    }

    /// <summary>Queues a drain of the connection's inbox (its Scheduled flag is set).</summary>
    private void Schedule(WebSocketConnection connection)
    {
        WorkerPool? pool;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            if (!_started)
            {
                _waiting.Add(connection);
                return;
            }
            pool = _pool ??= _context.NewPool(PoolName, _context.WebSocketThreads);
        }
        if (!pool.TryPost(worker => Drain(worker, connection)))
        {
            Volatile.Write(ref connection.Scheduled, 0);
            _context.Log.Warning($"WebSocket '{connection.Name}': messages are waiting but the WebSockets pool is closing.");
        }
    }

    /// <summary>Runs some waiting messages of a connection, in order, then lets others have the worker.</summary>
    private void Drain(Worker worker, WebSocketConnection connection)
    {
        for (var budget = 16; budget > 0 && connection.Inbox.TryDequeue(out var message); budget--)
        {
            Interlocked.Decrement(ref connection.Pending);
            Run(worker, connection, message);
        }
        Volatile.Write(ref connection.Scheduled, 0);
        if (!connection.Inbox.IsEmpty && Interlocked.CompareExchange(ref connection.Scheduled, 1, 0) == 0)
        {
            Schedule(connection);
        }
    }

    private void Run(Worker worker, WebSocketConnection connection, ClientEvent item)
    {
        if (item is not ClientMessageEvent message)
        {
            var type = WebSocketEventTypes.Of(item)!;
            var lifecycle = WebSocketEventTypes.Hashtable(item, type, connection.Public, _context.Lockable);
            foreach (var registration in _context.WebSocketEvents.For(connection.Name, type))
            {
                worker.Invoke(registration.Script, [new("WsEvent", lifecycle)], out _);
            }
            return;
        }
        var request = new PodeWebSocketRequest(connection.Public, message.Data, message.Binary);
        object? data;
        try
        {
            data = message.Binary ? message.Data : WebSocketContent.Parse(request.Body, connection.ContentType);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or System.Xml.XmlException or FormatException)
        {
            _context.Log.Error(new ErrorRecord(
                new FormatException($"A message from WebSocket '{connection.Name}' is not valid {connection.ContentType} ({e.Message}); it was not handled. " +
                    "Connect with another -ContentType (e.g. text/plain) to receive it as text.", e),
                "WebSocketMessageInvalid", ErrorCategory.InvalidData, connection.Name));
            return;
        }
        var wsEvent = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Request"] = request,
            ["Data"] = data,
            ["Files"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
            ["Lockable"] = _context.Lockable,
            ["Timestamp"] = DateTime.UtcNow,
            ["Metadata"] = new Hashtable(StringComparer.OrdinalIgnoreCase),
        };
        worker.Invoke(connection.Script, [new("WsEvent", wsEvent)], out _);
    }

    /// <summary>Closes every connection (each gets a Close frame) and frees the engine clients.</summary>
    public void Dispose()
    {
        NativeClient[] clients;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            clients = [.. _clients.Values];
            _waiting.Clear();
        }
        var closing = clients.Select(c => Task.Run(c.Dispose)).ToArray();
        Task.WaitAll(closing);
    }
}
