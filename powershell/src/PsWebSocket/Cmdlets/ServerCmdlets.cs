using System.Management.Automation;
using System.Management.Automation.Language;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using PsWebSocket.Interop;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Starts a PsWebSocket server and blocks until it is closed.</para>
/// <para type="description">Runs the script block to configure endpoints, routes, signal routes, events and timers,
/// then serves until Close-PodeServer, Ctrl+C or SIGTERM, and shuts down gracefully: ports are released, open
/// requests are answered and every WebSocket gets a Close frame. Errors of routes, signal routes, events, timers and
/// schedules, whether a scriptblock throws or only writes them (Write-Error, a failing command), are written to
/// Start-PodeServer's error stream, and the server keeps serving.</para>
/// <example>
///   <code>Start-PodeServer -Threads 2 { Add-PodeEndpoint -Address localhost -Port 8091 -Protocol Ws }</code>
///   <para>Serves WebSockets on port 8091 with two threads for routes and signals.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "PodeServer", DefaultParameterSetName = ScriptSet)]
public sealed class StartPodeServerCommand : PodeCmdlet
{
    private const string ScriptSet = "Script";
    private const string FileSet = "File";
    private PodeContext? _context;

    /// <summary>
    /// <para type="description">The server script: Add-PodeEndpoint, Add-PodeRoute, Add-PodeSignalRoute, ...</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ScriptSet)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary>
    /// <para type="description">A script file to run instead of a script block.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    public string? FilePath { get; set; }

    /// <summary>
    /// <para type="description">Runspaces that run routes, and runspaces that run signal routes (default 1 each).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int Threads { get; set; } = 1;

    /// <summary>
    /// <para type="description">Pools to create even if nothing uses them at start, e.g. WebSockets for
    /// Connect-PodeWebSocket called later from a route or timer.</para>
    /// </summary>
    [Parameter]
    [ValidateSet("Timers", "Schedules", "Tasks", "WebSockets", "Files")]
    public string[]? EnablePool { get; set; }

    /// <summary>
    /// <para type="description">The server's root folder (views/ and public/ are found here). Default: the folder
    /// of the calling script, else the current location.</para>
    /// </summary>
    [Parameter]
    public string? RootPath { get; set; }

    /// <summary>
    /// <para type="description">No terminal output from the server: no start-up lines, terminal log methods,
    /// Write-PodeHost or Out-PodeHost (errors still reach the error stream).</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <summary>
    /// <para type="description">Runs the server as a daemon (a service or a background job): as -Quiet, no terminal
    /// output from the server.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Daemon { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (ContextOrNull is { IsRunning: true })
        {
            Fail("PodeServerAlreadyRunning", ErrorCategory.InvalidOperation, null, "A PsWebSocket server is already running in this session.");
        }
        var script = ScriptBlock ?? ScriptDefFile();
        var root = RootPath is { Length: > 0 } ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(RootPath)
            : MyInvocation.PSScriptRoot is { Length: > 0 } scriptRoot ? scriptRoot
            : SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        var modulePath = Path.Combine(MyInvocation.MyCommand.Module?.ModuleBase ?? Path.GetDirectoryName(typeof(PodeContext).Assembly.Location)!, "PsWebSocket.psd1");
        _context = Call(() => new PodeContext(Threads, root, Host, modulePath), "PodeServerCreateFailed", null);
        foreach (var pool in EnablePool ?? [])
        {
            if (pool is "Tasks" or "Files")
            {
                WriteWarning($"-EnablePool {pool} is not supported by PsWebSocket (it has no Pode {(pool == "Tasks" ? "tasks" : "file watchers")}); the pool is not created.");
                continue;
            }
            _context.EnabledPools.Add(pool);
        }
        _context.Quiet = Quiet || Daemon;
        _context.AddFunctionsFrom(script.Ast);
        _context.AddFunctionsFrom(InvokeCommand.GetCommands("*", CommandTypes.Function, nameIsPattern: true).OfType<FunctionInfo>());
        if (MyInvocation.ScriptName is { Length: > 0 } file && File.Exists(file))
        {
            _context.AddFunctionsFrom(Parser.ParseFile(file, out _, out _));
        }
        SessionState.PSVariable.Set(new PSVariable(PodeContext.VariableName, _context));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            _context.Close();
        });
        try
        {
            script.Invoke();
            Call(_context.Start, "PodeServerStartFailed", null);
            foreach (var endpoint in _context.Quiet ? [] : _context.Bound)
            {
                WriteVerbose($"Listening on {endpoint.Protocol.ToString().ToLowerInvariant()}://{endpoint.Address}:{endpoint.Port} ({endpoint.Name})");
            }
            var waits = new[] { _context.Stopping.WaitHandle, _context.Log.Signal };
            while (!_context.Stopping.IsCancellationRequested)
            {
                WaitHandle.WaitAny(waits);
                _context.Log.Drain(this);
            }
        }
        catch (RuntimeException e) when (e is not PipelineStoppedException)
        {
            ThrowTerminatingError(new ErrorRecord(e.ErrorRecord, e));
        }
        catch (InvalidOperationException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "PodeServerStartFailed", ErrorCategory.InvalidOperation, null));
        }
        finally
        {
            _context.Dispose();
            _context.Log.Drain(this);
            SessionState.PSVariable.Remove(PodeContext.VariableName);
        }
    }

    private ScriptBlock ScriptDefFile()
    {
        var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(FilePath!);
        if (!File.Exists(full))
        {
            Fail("ServerScriptNotFound", ErrorCategory.ObjectNotFound, full, $"The server script '{full}' does not exist.");
        }
        return ScriptBlock.Create(File.ReadAllText(full));
    }

    /// <inheritdoc/>
    protected override void StopProcessing() => _context?.Close();
}

/// <summary>
/// <para type="synopsis">Stops the running server.</para>
/// <para type="description">Asks Start-PodeServer to shut down gracefully. Works from any route, signal route,
/// event, timer or schedule.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/close' -ScriptBlock { Close-PodeServer }</code>
///   <para>A route that stops the server.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Close, "PodeServer")]
public sealed class ClosePodeServerCommand : PodeCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing() => Context.Close();
}

/// <summary>
/// <para type="synopsis">Adds an endpoint (address, port, protocol) to the server.</para>
/// <para type="description">Http and Ws endpoints on the same address and port share one listener. Ws/Wss
/// endpoints auto-upgrade WebSocket requests (Name = URL path) unless -NoAutoUpgradeWebSockets is given, in which
/// case a route upgrades them with ConvertTo-PodeSignalConnection. Without -Port the protocol's default port is
/// used (Http 8080, Https 8443, Ws 9080, Wss 9443); -Port 0 binds a free port that Get-PodeEndpoint reports.
/// Https and Wss need -Certificate: a PKCS#12 file with -CertificatePassword, or a PEM certificate with
/// -CertificateKey. -Hostname names the endpoint in its URL (Get-PodeEndpoint's Url); unlike Pode, requests are not
/// filtered by host name. As in Pode, an -Address that is a host name (not an IP address, localhost or *) is taken
/// as -Hostname and the endpoint listens on localhost. Address, Port, Hostname and Protocol bind by position, in
/// that order, as in Pode.</para>
/// <example>
///   <code>Add-PodeEndpoint -Address localhost -Port 8091 -Protocol Ws -NoAutoUpgradeWebSockets</code>
///   <para>A WebSocket endpoint whose upgrades go through routes.</para>
/// </example>
/// <example>
///   <code>Add-PodeEndpoint -Address * -Port 8443 -Protocol Wss -Certificate './cert.pfx' -CertificatePassword 'dummy'</code>
///   <para>A secure WebSocket endpoint with a PKCS#12 certificate.</para>
/// </example>
/// <example>
///   <code>Add-PodeEndpoint -Address localhost -Port 8443 -Protocol Https -SelfSigned</code>
///   <para>HTTPS for development with a generated self-signed certificate.</para>
/// </example>
/// <example>
///   <code>Add-PodeEndpoint -Address 127.0.0.1 -Hostname 'chat.example.com' -Port 8091 -Protocol Ws</code>
///   <para>Listens on 127.0.0.1; Get-PodeEndpoint reports the Url ws://chat.example.com:8091.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeEndpoint")]
public sealed class AddPodeEndpointCommand : PodeCmdlet
{
    /// <summary>Pode's host-name pattern (Get-PodeHostIPRegex -Type Hostname), anchored, case-insensitive.</summary>
    private static readonly Regex HostnamePattern = new(@"^([a-z]|\*\.)(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])+$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    // Positions as in Pode, whose Add-PodeEndpoint binds its parameters by position in declaration order (Name is 13th
    // there; the certificate-store and TLS-mode parameters before it are not offered here).

    /// <summary><para type="description">IP address, 'localhost', or '*' (or 'all') for every address (default
    /// 'localhost'). A host name is taken as -Hostname, and the endpoint then listens on localhost.</para></summary>
    [Parameter(Position = 0)]
    public string Address { get; set; } = "localhost";

    /// <summary><para type="description">Port; 0 for a free port; default by protocol.</para></summary>
    [Parameter(Position = 1)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary><para type="description">An optional hostname for the endpoint. It names the endpoint in its URL
    /// (Get-PodeEndpoint's Url); requests are not filtered by host name.</para></summary>
    [Parameter(Position = 2)]
    public string? Hostname { get; set; }

    /// <summary><para type="description">Http, Https, Ws or Wss (default Http).</para></summary>
    [Parameter(Position = 3)]
    [ValidateSet("Http", "Https", "Ws", "Wss")]
    public string Protocol { get; set; } = "Http";

    /// <summary><para type="description">Certificate file: PKCS#12 (.pfx/.p12), or PEM with -CertificateKey.</para></summary>
    [Parameter(Position = 4)]
    public string? Certificate { get; set; }

    /// <summary><para type="description">Password of a PKCS#12 certificate.</para></summary>
    [Parameter(Position = 5)]
    public string? CertificatePassword { get; set; }

    /// <summary><para type="description">PEM private key file for a PEM -Certificate.</para></summary>
    [Parameter(Position = 6)]
    public string? CertificateKey { get; set; }

    /// <summary><para type="description">A certificate object with its private key (ECDSA or RSA), e.g. from
    /// Get-PfxCertificate or X509Certificate2's loaders, instead of -Certificate.</para></summary>
    [Parameter(Position = 7)]
    public X509Certificate2? X509Certificate { get; set; }

    /// <summary><para type="description">Generate a self-signed certificate (ECDSA P-256, valid one year) for the
    /// endpoint's hostname or address and localhost, 127.0.0.1 and ::1: for development; clients must be told to
    /// trust it.</para></summary>
    [Parameter]
    public SwitchParameter SelfSigned { get; set; }

    /// <summary><para type="description">Endpoint name, for -EndpointName on routes (default: a new GUID).</para></summary>
    [Parameter(Position = 13)]
    public string? Name { get; set; }

    /// <summary><para type="description">Upgrade WebSocket requests only through routes (ConvertTo-PodeSignalConnection).</para></summary>
    [Parameter]
    public SwitchParameter NoAutoUpgradeWebSockets { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        if (context.IsRunning)
        {
            Fail("EndpointAfterStart", ErrorCategory.InvalidOperation, Name, "Endpoints must be added inside Start-PodeServer's script block, before the server starts.");
        }
        var address = Address;
        var hostname = Hostname is { Length: > 0 } ? Hostname : null;
        if (hostname is not null && !HostnamePattern.IsMatch(hostname))
        {
            Fail("EndpointHostnameInvalid", ErrorCategory.InvalidArgument, Hostname, $"Invalid hostname supplied: '{Hostname}'. Give a host name such as 'chat.example.com', or leave -Hostname out.");
        }
        if (address.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            address = "*"; // Pode's other name for every address
        }
        else if (HostnamePattern.IsMatch(address) && !address.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            // Pode's rule: a host name given as -Address is the endpoint's hostname, and it listens on localhost.
            hostname = address;
            address = "localhost";
        }
        var protocol = Enum.Parse<NativeProtocol>(Protocol, ignoreCase: true);
        var tls = protocol is NativeProtocol.Https or NativeProtocol.Wss;
        var sources = new[] { !string.IsNullOrEmpty(Certificate), X509Certificate is not null, SelfSigned.IsPresent }.Count(given => given);
        if (sources > 1)
        {
            Fail("CertificateAmbiguous", ErrorCategory.InvalidArgument, Protocol, "Give one of -Certificate, -X509Certificate and -SelfSigned.");
        }
        if (tls && sources == 0)
        {
            Fail("CertificateRequired", ErrorCategory.InvalidArgument, Protocol, $"A {Protocol} endpoint needs -Certificate (a PKCS#12 file, or a PEM file with -CertificateKey), -X509Certificate or -SelfSigned.");
        }
        if (!tls && sources > 0)
        {
            Fail("CertificateNotAllowed", ErrorCategory.InvalidArgument, Protocol, $"A certificate is only allowed for Https and Wss endpoints, not {Protocol}.");
        }
        string? pemCertificate = null, pemKey = null;
        if (X509Certificate is not null || SelfSigned)
        {
            try
            {
                using var generated = SelfSigned ? EndpointCertificates.SelfSigned(hostname, address) : null;
                (pemCertificate, pemKey) = EndpointCertificates.WritePem(generated ?? X509Certificate!, context.CertificateFolder);
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException or IOException)
            {
                ThrowTerminatingError(new ErrorRecord(e, "CertificateInvalid", ErrorCategory.SecurityError, X509Certificate));
            }
        }
        var port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : protocol switch
        {
            NativeProtocol.Http => 8080,
            NativeProtocol.Https => 8443,
            NativeProtocol.Ws => 9080,
            _ => 9443,
        };
        string? Resolve(string? path) => string.IsNullOrEmpty(path) ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        context.Endpoints.Add(new EndpointSpec(Name is { Length: > 0 } ? Name : Guid.NewGuid().ToString(), protocol, address, port, pemCertificate ?? Resolve(Certificate), CertificatePassword,
            pemKey ?? Resolve(CertificateKey), NoAutoUpgradeWebSockets, hostname));
    }
}

/// <summary>
/// <para type="synopsis">Gets the server's endpoints, with the bound ports once it runs.</para>
/// <para type="description">Returns one object per endpoint with Name, Protocol, Address, Hostname, Port and Url. While
/// the server runs, Port is the bound port (useful with -Port 0). The Url names the endpoint's -Hostname when it has
/// one, else its address.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/port' -ScriptBlock { Write-PodeTextResponse -Value (Get-PodeEndpoint)[0].Port }</code>
///   <para>Reports the bound port.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeEndpoint")]
[OutputType(typeof(PSObject))]
public sealed class GetPodeEndpointCommand : PodeCmdlet
{
    /// <summary><para type="description">Only endpoints with these names.</para></summary>
    [Parameter]
    public string[]? Name { get; set; }

    /// <summary><para type="description">Only endpoints of this protocol.</para></summary>
    [Parameter]
    [ValidateSet("Http", "Https", "Ws", "Wss")]
    public string? Protocol { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var hostnames = new Dictionary<string, string?>();
        foreach (var endpoint in context.Endpoints)
        {
            hostnames.TryAdd(endpoint.Name, endpoint.Hostname);
        }
        var endpoints = context.IsRunning
            ? context.Bound.Select(b => (b.Name, b.Protocol, b.Address, b.Port, Hostname: hostnames.GetValueOrDefault(b.Name)))
            : context.Endpoints.Select(e => (e.Name, e.Protocol, e.Address, e.Port, e.Hostname));
        foreach (var (name, protocol, address, port, hostname) in endpoints)
        {
            if (Name is { Length: > 0 } && !Name.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }
            var scheme = protocol.ToString().ToLowerInvariant();
            if (Protocol is not null && !scheme.Equals(Protocol, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            var result = new PSObject();
            result.Properties.Add(new PSNoteProperty("Name", name));
            result.Properties.Add(new PSNoteProperty("Protocol", scheme));
            result.Properties.Add(new PSNoteProperty("Address", address));
            result.Properties.Add(new PSNoteProperty("Hostname", hostname));
            result.Properties.Add(new PSNoteProperty("Port", port));
            result.Properties.Add(new PSNoteProperty("Url", $"{scheme}://{hostname ?? address}:{port}"));
            WriteObject(result);
        }
    }
}
