using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Security.Cryptography;
using PsWebSocket.Interop;
using PsWebSocket.Runtime.Logging;

namespace PsWebSocket.Runtime;

/// <summary>
/// A running PsWebSocket server (Pode's <c>$PodeContext</c>): the native server, the
/// routes and handlers registered by the script, shared state, and the worker pools
/// that run user scriptblocks. Every runspace of the server sees it as the variable
/// <c>$PodeContext</c>; the cmdlets find their server through it.
/// </summary>
public sealed class PodeContext : IDisposable
{
    /// <summary>Name of the session variable that holds the context.</summary>
    public const string VariableName = "PodeContext";

    private readonly CancellationTokenSource _stop = new();
    private readonly List<WorkerPool> _pools = [];
    private WorkerPool? _web;
    private WorkerPool? _signals;
    private WorkerPool? _events;
    private long _signalsProcessed;
    private int _signalsProcessing;
    private int _webInFlight;

    /// <summary>How long shutdown waits for routes already running or queued to send their responses.</summary>
    private static readonly TimeSpan RouteGrace = TimeSpan.FromSeconds(2);
    private int _signalsRunning;

    internal PodeContext(int threads, string rootPath, PSHost host, string modulePath)
    {
        Threads = Math.Max(1, threads);
        RootPath = rootPath;
        Host = host;
        ModulePath = modulePath;
        Logging = new LoggingService(this);
        Log = new ServerLog(Logging);
        Server = new NativeServer(new ServerSettings(NativeScope.Global), OnServerEvent);
        Timers = new TimerScheduler(this);
        SignalAuth = new SignalAuthTable(this);
    }

    /// <summary>Threads of the Web and Signals pools (<c>Start-PodeServer -Threads</c>).</summary>
    public int Threads { get; }

    /// <summary>The server's root folder (views/, public/ are looked up here).</summary>
    public string RootPath { get; }

    /// <summary>Server-wide state (Set-PodeState / Get-PodeState).</summary>
    public Hashtable State { get; } = Hashtable.Synchronized(new Hashtable(StringComparer.OrdinalIgnoreCase));

    /// <summary>The global lockable object ($WebEvent.Lockable and friends).</summary>
    public Hashtable Lockable { get; } = Hashtable.Synchronized(new Hashtable(StringComparer.OrdinalIgnoreCase));

    /// <summary>
    /// A random secret made for this server run (<c>Get-PodeServerDefaultSecret</c>): as Pode's, a GUID from a
    /// cryptographic random source, new on every start.
    /// </summary>
    public string DefaultSecret { get; } = new Guid(RandomNumberGenerator.GetBytes(16)).ToString();

    /// <summary>True once the server is serving.</summary>
    public bool IsRunning { get; private set; }

    internal PSHost Host { get; }
    internal string ModulePath { get; }
    internal NativeServer Server { get; }
    internal ServerLog Log { get; }
    internal LoggingService Logging { get; }

    /// <summary>Start-PodeServer -Quiet: no terminal log lines, Write-PodeHost or Out-PodeHost output.</summary>
    internal bool Quiet { get; set; }

    /// <summary>Set-PodeViewEngine: how Write-PodeViewResponse renders views.</summary>
    internal ViewEngine ViewEngine { get; set; } = ViewEngine.Html;

    /// <summary>Static routes (URL prefix, folder), for Set-PodeResponseAttachment.</summary>
    internal ConcurrentDictionary<string, string> StaticFolders { get; } = new(StringComparer.OrdinalIgnoreCase);
    internal List<EndpointSpec> Endpoints { get; } = [];
    internal IReadOnlyList<BoundEndpoint> Bound { get; private set; } = [];
    internal ConcurrentDictionary<ulong, WebRoute> WebRoutes { get; } = new();
    internal List<SignalRoute> SignalRoutes { get; } = [];
    internal EventTable SignalEvents { get; } = new("Signal connection");
    internal EventTable WebSocketEvents { get; } = new("WebSocket");
    internal TimerScheduler Timers { get; }
    internal HashSet<string> EnabledPools { get; } = new(StringComparer.OrdinalIgnoreCase);
    internal int WebSocketThreads { get; set; } = 2;
    internal WebSocketClients? Clients { get; set; }
    internal MiddlewareTable Middleware { get; } = new();
    internal ConcurrentDictionary<string, AuthMethod> Auths { get; } = new(StringComparer.OrdinalIgnoreCase);
    internal EventTable AuthEvents { get; } = new("authentication method");
    internal SessionService? Sessions { get; set; }
    internal SignalAuthTable SignalAuth { get; }

    /// <summary>
    /// A private folder for the PEM files of -SelfSigned and -X509Certificate endpoints, made on first use;
    /// deleted once the engine loaded them (at start) or when the server stops.
    /// </summary>
    internal string CertificateFolder => _certificateFolder ??= EndpointCertificates.NewPrivateFolder();
    private string? _certificateFolder;

    /// <summary>Functions and modules the scripts rely on, loaded into every worker runspace.</summary>
    internal List<SessionStateFunctionEntry> Functions { get; } = [];
    internal List<string> Modules { get; } = [];

    /// <summary>Cancelled by Close-PodeServer, Ctrl+C or SIGTERM.</summary>
    internal CancellationToken Stopping => _stop.Token;

    /// <summary>Signal messages processed by signal routes (Get-PodeServerSignalMetric).</summary>
    internal long SignalsProcessed => Interlocked.Read(ref _signalsProcessed);

    /// <summary>Signal messages being processed now.</summary>
    internal int SignalsProcessing => Volatile.Read(ref _signalsProcessing);

    /// <summary>Signal messages whose route is running now (the rest of SignalsProcessing is queued).</summary>
    internal int SignalsRunning => Volatile.Read(ref _signalsRunning);

    /// <summary>Asks the server to stop (Close-PodeServer).</summary>
    public void Close() => _stop.Cancel();

    /// <summary>The server of the calling runspace, or an explanation of why there is none.</summary>
    internal static PodeContext Of(SessionState state) =>
        state.PSVariable.GetValue(VariableName) as PodeContext
        ?? throw new InvalidOperationException("There is no PsWebSocket server here: call this inside Start-PodeServer, a route or an event.");

    /// <summary>Collects the functions defined in the server script, for the worker runspaces.</summary>
    internal void AddFunctionsFrom(Ast? ast)
    {
        if (ast is null)
        {
            return;
        }
        foreach (var f in ast.FindAll(a => a is FunctionDefinitionAst, searchNestedScriptBlocks: true).Cast<FunctionDefinitionAst>())
        {
            AddFunction(f.Name, ScriptDef.Body(f.Body.Extent.Text));
        }
    }

    /// <summary>Functions PowerShell defines in every session (prompt, Clear-Host, ...): not the user's.</summary>
    private static readonly Lazy<HashSet<string>> BuiltInFunctions = new(() =>
        InitialSessionState.CreateDefault2().Commands.OfType<SessionStateFunctionEntry>().Select(f => f.Name).ToHashSet(StringComparer.OrdinalIgnoreCase));

    /// <summary>
    /// Collects the functions the caller defined before Start-PodeServer (in a script, a job's
    /// script block, the console), as Pode makes them available to routes.
    /// </summary>
    internal void AddFunctionsFrom(IEnumerable<FunctionInfo> functions)
    {
        foreach (var f in functions)
        {
            if (f.Module is null && !BuiltInFunctions.Value.Contains(f.Name))
            {
                AddFunction(f.Name, f.Definition);
            }
        }
    }

    private void AddFunction(string name, string body)
    {
        if (Functions.All(e => !e.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
        {
            Functions.Add(new SessionStateFunctionEntry(name, body));
        }
    }

    private InitialSessionState WorkerSessionState()
    {
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule([ModulePath]);
        foreach (var module in Modules)
        {
            iss.ImportPSModule([module]);
        }
        foreach (var function in Functions)
        {
            iss.Commands.Add(function);
        }
        iss.Variables.Add(new SessionStateVariableEntry(VariableName, this, "The PsWebSocket server", ScopedItemOptions.AllScope));
        return iss;
    }

    /// <summary>A worker pool of this server (Web, Signals, Events, Timers, Schedules, WebSockets).</summary>
    internal WorkerPool NewPool(string name, int size)
    {
        var iss = WorkerSessionState();
        var pool = new WorkerPool(name, size, capacity: 10_000, () => RunspaceFactory.CreateRunspace(new WorkerHost(Host), iss), Log);
        lock (_pools)
        {
            _pools.Add(pool);
        }
        return pool;
    }

    /// <summary>Binds the endpoints, serves the public folder, starts the pools and timers.</summary>
    internal void Start()
    {
        if (Endpoints.Count == 0)
        {
            throw new InvalidOperationException("The server has no endpoints: add one with Add-PodeEndpoint.");
        }
        foreach (var endpoint in Endpoints)
        {
            Server.AddEndpoint(endpoint);
        }
        var publicFolder = Path.Combine(RootPath, "public");
        if (Directory.Exists(publicFolder))
        {
            Server.AddStatic("/", publicFolder);
        }
        _web = NewPool("Web", Threads);
        _signals = NewPool("Signals", Threads);
        _events = NewPool("Events", 1);
        try
        {
            Bound = Server.Start();
        }
        finally
        {
            DeleteCertificateFolder();
        }
        IsRunning = true;
        RunningServers.Add(this);
        WebSocketClients.OnServerStart(this);
        Timers.Start();
    }

    /// <summary>Where engine events go: each kind to its pool; nothing here blocks.</summary>
    private void OnServerEvent(ServerEvent e)
    {
        switch (e)
        {
            case RequestEvent request:
                Interlocked.Increment(ref _webInFlight);
                if (_web is null || !_web.TryPost(w => RunRoute(w, request)))
                {
                    Interlocked.Decrement(ref _webInFlight);
                    WebHandling.Refuse(request.Request, 503, "The server is busy or stopping.");
                }
                break;
            case Interop.SignalEvent signal:
                Interlocked.Increment(ref _signalsProcessing);
                if (_signals is null || !_signals.TryPost(w => RunSignal(w, signal)))
                {
                    Interlocked.Decrement(ref _signalsProcessing);
                    Log.Warning($"Signal message from '{signal.Connection.ClientId}' on '{signal.Connection.Path}' dropped: the Signals queue is full.");
                }
                break;
            case ConnectEvent connect:
                PostConnectionEvent(connect.Connection, "Connect", null);
                break;
            case DisconnectEvent disconnect:
                PostConnectionEvent(disconnect.Connection, "Disconnect", disconnect);
                break;
            case MessageErrorEvent error:
                Log.Error(new ErrorRecord(new FormatException(error.Error), "SignalMessageInvalid", ErrorCategory.InvalidData, error.Text));
                break;
            case BinaryEvent binary:
                Log.Warning($"Binary message of {binary.Data.Length} bytes from '{binary.Connection.ClientId}' on '{binary.Connection.Path}' ignored: signals are JSON text.");
                break;
            case LogEvent log:
                if (log.Level >= 2)
                {
                    Log.Warning(log.Message);
                }
                else
                {
                    Log.Verbose(log.Message);
                }
                break;
        }
    }

    private void RunRoute(Worker worker, RequestEvent request)
    {
        try
        {
            WebHandling.Handle(this, worker, request.Request);
        }
        finally
        {
            Interlocked.Decrement(ref _webInFlight);
        }
    }

    private void RunSignal(Worker worker, Interop.SignalEvent signal)
    {
        Interlocked.Increment(ref _signalsRunning);
        try
        {
            SignalHandling.RunRoute(this, worker, signal);
            Interlocked.Increment(ref _signalsProcessed);
        }
        finally
        {
            Interlocked.Decrement(ref _signalsRunning);
            Interlocked.Decrement(ref _signalsProcessing);
        }
    }

    private void PostConnectionEvent(ConnectionInfo connection, string type, DisconnectEvent? disconnect)
    {
        var handlers = SignalEvents.For(connection.Name, type);
        // a disconnect also forgets the connection's user, after its handlers saw it
        if ((handlers.Length == 0 && !(disconnect is not null && SignalAuth.Any)) || _events is null)
        {
            return;
        }
        if (!_events.TryPost(w => SignalHandling.RunConnectionEvent(this, w, handlers, connection, type, disconnect)))
        {
            Log.Warning($"{type} event for '{connection.Name}' dropped: the Events queue is full.");
        }
    }

    private void DeleteCertificateFolder()
    {
        if (_certificateFolder is { } folder && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Stops everything: timers, the native server (graceful), external connections, pools.</summary>
    public void Dispose()
    {
        RunningServers.Remove(this);
        DeleteCertificateFolder();
        _stop.Cancel();
        Timers.Dispose();
        Sessions?.Dispose();
        // Let routes that are running (e.g. the one that called Close-PodeServer) send their responses.
        SpinWait.SpinUntil(() => Volatile.Read(ref _webInFlight) == 0, RouteGrace);
        try
        {
            Server.Stop();
        }
        catch (PswsException)
        {
            // already stopped
        }
        Clients?.Dispose();
        List<WorkerPool> pools;
        lock (_pools)
        {
            pools = [.. _pools];
            _pools.Clear();
        }
        foreach (var pool in pools)
        {
            pool.Dispose();
        }
        Server.Dispose();
        IsRunning = false;
    }
}
