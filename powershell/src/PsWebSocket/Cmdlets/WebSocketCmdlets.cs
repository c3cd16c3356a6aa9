using System.Collections;
using System.Management.Automation;
using System.Text;
using PsWebSocket.Completion;
using PsWebSocket.Interop;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// Base of the external WebSocket cmdlets: finds the server's connections, the Name of the
/// current <c>$WsEvent</c>, and turns engine failures into ErrorRecords that say what to do.
/// </summary>
public abstract class PodeWebSocketCmdlet : PodeCmdlet
{
    /// <summary>The server's external connections (created on first use).</summary>
    internal WebSocketClients Clients
    {
        get
        {
            var context = Context;
            return Run(() => WebSocketClients.Of(context), "", "WebSocketFailed");
        }
    }

    /// <summary>-Name, or the connection of the current <c>$WsEvent</c>; an error when neither exists.</summary>
    protected string ResolveName(string? name)
    {
        if (!string.IsNullOrWhiteSpace(name))
        {
            return name;
        }
        if (WsEvent?["Request"] is PodeWebSocketRequest request)
        {
            return request.WebSocket.Name;
        }
        Fail("WebSocketNameRequired", ErrorCategory.InvalidArgument, null,
            $"{MyInvocation.MyCommand.Name} needs -Name here: only inside a Connect-PodeWebSocket script block is the current connection used.");
        return ""; // not reached
    }

    /// <summary>Runs a call on the connections; an engine failure stops the command with an ErrorId by cause.</summary>
    internal T Run<T>(Func<T> call, string name, string errorId)
    {
        try
        {
            return call();
        }
        catch (PswsException e)
        {
            var (id, category, hint) = e.Status switch
            {
                PswsStatus.UnknownClient => ("WebSocketNotFound", ErrorCategory.ObjectNotFound, "Connect it with Connect-PodeWebSocket first, or check the -Name (Names are case-sensitive)."),
                PswsStatus.NotConnected => ("WebSocketNotConnected", ErrorCategory.ConnectionError, "Reconnect it with Reset-PodeWebSocket, or connect with -Reconnect to reconnect automatically."),
                PswsStatus.NameInUse => ("WebSocketAlreadyConnected", ErrorCategory.ResourceExists, "Use another -Name, or Remove-PodeWebSocket the existing connection first."),
                PswsStatus.Connect => ("WebSocketConnectFailed", ErrorCategory.ConnectionError, "Check the -Url and that the server is running and reachable."),
                PswsStatus.Tls => ("WebSocketConnectFailed", ErrorCategory.SecurityError, "Check the server's certificate (-SkipCertificateCheck is for test servers only)."),
                PswsStatus.Stopped => ("PodeServerStopping", ErrorCategory.InvalidOperation, ""),
                PswsStatus.MessageTooLarge => ("WebSocketMessageTooLarge", ErrorCategory.LimitsExceeded, "Send a smaller message."),
                PswsStatus.InvalidUtf8 => ("WebSocketInvalidText", ErrorCategory.InvalidArgument, "Send these bytes with -Type Binary."),
                _ => (errorId, CategoryOf(e.Status), ""),
            };
            var text = e.Message.Length > 0 ? char.ToUpperInvariant(e.Message[0]) + e.Message[1..] : e.Status.ToString();
            text = text.TrimEnd('.') + ".";
            var message = name.Length > 0 && !text.Contains($"'{name}'") ? $"WebSocket '{name}': {text}" : text;
            if (hint.Length > 0)
            {
                message += " " + hint;
            }
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(message, e), id, category, name.Length > 0 ? name : null));
            throw; // not reached
        }
    }

    /// <summary>Runs a call that returns nothing.</summary>
    internal void Run(Action call, string name, string errorId) => Run(() => { call(); return 0; }, name, errorId);
}

/// <summary>
/// <para type="synopsis">Connects to an external WebSocket server and runs a script block for every message it sends.</para>
/// <para type="description">Opens a named connection to a ws:// or wss:// URL and returns once the handshake
/// succeeded. Each message from the server runs the script block in the WebSockets runspaces with $WsEvent: Request
/// (WebSocket with Name, URL, ContentType, IsConnected; RawBody, Body, ContentLength, ContentEncoding, IsBinary), Data
/// (the message parsed by -ContentType: */json to a hashtable, */xml to an XmlDocument, */csv to objects,
/// application/x-www-form-urlencoded to a hashtable, anything else the text; for a binary message the bytes), Files,
/// Lockable, Timestamp and Metadata. Messages of one connection run one at a time in the order they arrive;
/// different connections run in parallel (Set-PodeWebSocketConcurrency). Empty messages are ignored, as in Pode.</para>
/// <para type="description">Works in the Start-PodeServer script block (messages wait until the server runs) and ad
/// hoc from routes, timers and other handlers: the WebSockets runspaces are created when first needed, so
/// -EnablePool WebSockets is optional. A URL that is not ws:// or wss://, a Name already in use, or a server that
/// cannot be reached is a terminating error that says which step failed, and nothing stays registered.</para>
/// <para type="description">Beyond Pode: -Headers and -Protocol for the upgrade request, -Reconnect for automatic
/// reconnects with doubling delays (-ReconnectDelay, -ReconnectMaxDelay, -ReconnectMaxAttempts), and
/// -SkipCertificateCheck for test servers, -Timeout for the connect, and -CertificateAuthority for servers whose
/// certificate comes from a private CA. Disconnects and reconnects are written as warnings (server side) and
/// verbose lines (this side) by Start-PodeServer.</para>
/// <example>
///   <code>Connect-PodeWebSocket -Name 'Example' -Url 'ws://localhost:8091' -ScriptBlock { $WsEvent.Request | Out-Default }</code>
///   <para>Prints every message the server sends.</para>
/// </example>
/// <example>
///   <code>Connect-PodeWebSocket -Name 'Feed' -Url 'wss://feed.example.com/ws' -Headers @{ Authorization = "Bearer $token" } -Reconnect -ReconnectMaxAttempts 10 -ScriptBlock { Send-PodeWebSocket -Message @{ ack = $WsEvent.Data.id } }</code>
///   <para>Authenticates the upgrade request, acknowledges every message, and reconnects up to 10 times when the connection drops.</para>
/// </example>
/// <example>
///   <code>Connect-PodeWebSocket -Name 'Raw' -Url 'ws://localhost:8091/raw' -ContentType 'text/plain' -ScriptBlock { param($prefix) Send-PodeWebSocket -Message "$prefix $($WsEvent.Data)" } -ArgumentList 'got:'</code>
///   <para>Receives messages as text and answers with a string.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "PodeWebSocket", DefaultParameterSetName = ScriptSet)]
[OutputType(typeof(void))]
public sealed class ConnectPodeWebSocketCommand : PodeWebSocketCmdlet
{
    private const string ScriptSet = "Script";
    private const string FileSet = "File";

    /// <summary><para type="description">The Name of the connection (unique, case-sensitive).</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The URL of the WebSocket server; must begin with ws:// or wss://.</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Url { get; set; } = "";

    /// <summary><para type="description">The script block to run for every message received, with $WsEvent. Without one, messages are received and ignored.</para></summary>
    [Parameter(Position = 2, ParameterSetName = ScriptSet)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">A script file to run for every message instead of a script block.</para></summary>
    [Parameter(Mandatory = true, Position = 3, ParameterSetName = FileSet)]
    public string? FilePath { get; set; }

    /// <summary><para type="description">How received messages are parsed into $WsEvent.Data, and how Send-PodeWebSocket converts values that are not strings (default application/json).</para></summary>
    [Parameter(Position = 4)]
    [ValidateNotNull]
    public string ContentType { get; set; } = "application/json";

    /// <summary><para type="description">Arguments splatted into the script block.</para></summary>
    [Parameter(Position = 5)]
    public object?[]? ArgumentList { get; set; }

    /// <summary><para type="description">Extra headers for the upgrade request, e.g. @{ Authorization = 'Bearer ...' }; an array value sends the header once per item.</para></summary>
    [Parameter]
    public IDictionary? Headers { get; set; }

    /// <summary><para type="description">Sub-protocols to offer in Sec-WebSocket-Protocol.</para></summary>
    [Parameter]
    [Alias("SubProtocol")]
    public string[]? Protocol { get; set; }

    /// <summary><para type="description">Reconnect automatically when the connection drops or the server closes it, with doubling delays. Disconnect-PodeWebSocket and Remove-PodeWebSocket stop reconnecting.</para></summary>
    [Parameter]
    public SwitchParameter Reconnect { get; set; }

    /// <summary><para type="description">Reconnect attempts before giving up (default 0: no limit). Implies -Reconnect.</para></summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int ReconnectMaxAttempts { get; set; }

    /// <summary><para type="description">Milliseconds before the first reconnect attempt (default 500); each further attempt waits twice as long, up to -ReconnectMaxDelay. Implies -Reconnect.</para></summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int ReconnectDelay { get; set; } = 500;

    /// <summary><para type="description">The longest wait between reconnect attempts in milliseconds (default 30000, or -ReconnectDelay if larger). Implies -Reconnect.</para></summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int ReconnectMaxDelay { get; set; } = 30_000;

    /// <summary><para type="description">Accept any certificate from a wss:// server. For test servers with self-signed certificates only.</para></summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary><para type="description">Seconds to connect (DNS, TCP, TLS and the upgrade together) before the connect fails (default 10). Also the limit of each reconnect attempt.</para></summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 10;

    /// <summary><para type="description">A PEM file of certificate authorities to trust for wss:// besides the system's, for servers with certificates from a private CA.</para></summary>
    [Parameter]
    [Alias("CaFile")]
    public string? CertificateAuthority { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != "ws" && uri.Scheme != "wss"))
        {
            Fail("WebSocketUrlInvalid", ErrorCategory.InvalidArgument, Url,
                $"Cannot connect the WebSocket '{Name}': the -Url '{Url}' must begin with ws:// or wss:// (for example ws://localhost:8091/path).");
        }
        var bound = MyInvocation.BoundParameters;
        var reconnect = Reconnect.IsPresent || bound.ContainsKey(nameof(ReconnectMaxAttempts)) || bound.ContainsKey(nameof(ReconnectDelay)) || bound.ContainsKey(nameof(ReconnectMaxDelay));
        var maxDelay = bound.ContainsKey(nameof(ReconnectMaxDelay)) ? ReconnectMaxDelay : Math.Max(ReconnectMaxDelay, ReconnectDelay);
        if (reconnect && ReconnectDelay > maxDelay)
        {
            Fail("WebSocketReconnectInvalid", ErrorCategory.InvalidArgument, Name,
                $"-ReconnectDelay ({ReconnectDelay} ms) cannot be larger than -ReconnectMaxDelay ({maxDelay} ms).");
        }
        var spec = new ConnectSpec(HeaderPairs(), Protocol ?? [], reconnect ? new ReconnectSpec(ReconnectDelay, maxDelay, ReconnectMaxAttempts) : null);
        var script = Capture(ScriptBlock ?? (FilePath is null ? ScriptBlock.Create("") : null), FilePath, ArgumentList);
        string? caFile = null;
        if (CertificateAuthority is { Length: > 0 })
        {
            caFile = SessionState.Path.GetUnresolvedProviderPathFromPSPath(CertificateAuthority);
            if (!File.Exists(caFile))
            {
                Fail("WebSocketCaFileMissing", ErrorCategory.ObjectNotFound, CertificateAuthority,
                    $"Cannot connect the WebSocket '{Name}': the -CertificateAuthority file '{caFile}' does not exist.");
            }
        }
        var settings = new ClientSettings(SkipCertificateCheck, Timeout * 1000, caFile);
        var clients = Clients;
        Run(() => clients.Connect(Name, Url, ContentType, script, spec, settings), Name, "WebSocketConnectFailed");
        WriteVerbose($"Connected WebSocket '{Name}' to {Url}");
    }

    private List<KeyValuePair<string, string>> HeaderPairs()
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (DictionaryEntry entry in Headers ?? new Hashtable())
        {
            var name = LanguagePrimitives.ConvertTo<string>(entry.Key);
            var value = entry.Value is PSObject p ? p.BaseObject : entry.Value;
            if (value is IEnumerable items and not string)
            {
                foreach (var item in items)
                {
                    pairs.Add(new(name, LanguagePrimitives.ConvertTo<string>(item) ?? ""));
                }
            }
            else
            {
                pairs.Add(new(name, LanguagePrimitives.ConvertTo<string>(value) ?? ""));
            }
        }
        return pairs;
    }
}

/// <summary>
/// <para type="synopsis">Sends a message to an external WebSocket connection.</para>
/// <para type="description">Strings are sent as they are. Other values are converted by the connection's
/// -ContentType: compact JSON (to -Depth) for */json, Pode's XML and CSV shapes for */xml and */csv, their string
/// form otherwise. A byte array is sent as it is. -Type Binary sends a binary frame (the UTF-8 bytes of the text,
/// or the byte array). Inside a Connect-PodeWebSocket script block -Name defaults to the connection of $WsEvent.
/// Unlike Pode, which silently does nothing, sending to an unknown Name (WebSocketNotFound) or to a connection that
/// is not open (WebSocketNotConnected) is an error.</para>
/// <example>
///   <code>Send-PodeWebSocket -Message @{ message = $WsEvent.Request.Body }</code>
///   <para>Inside the script block: answers the server with {"message":"..."}.</para>
/// </example>
/// <example>
///   <code>Send-PodeWebSocket -Name 'Example' -Message ([byte[]](1, 2, 3)) -Type Binary</code>
///   <para>Sends three bytes as a binary message.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Send, "PodeWebSocket")]
[OutputType(typeof(void))]
public sealed class SendPodeWebSocketCommand : PodeWebSocketCmdlet
{
    /// <summary><para type="description">The connection's Name (optional inside a Connect-PodeWebSocket script block).</para></summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(WebSocketNameCompleter))]
    public string? Name { get; set; }

    /// <summary><para type="description">The message: a string (sent as it is), a byte array, or a hashtable/object converted by the connection's ContentType.</para></summary>
    [Parameter(Position = 1)]
    [AllowNull, AllowEmptyString, AllowEmptyCollection]
    public object? Message { get; set; }

    /// <summary><para type="description">Depth of the JSON conversion (default 10).</para></summary>
    [Parameter(Position = 2)]
    public int Depth { get; set; } = 10;

    /// <summary><para type="description">Text (default) or Binary frame.</para></summary>
    [Parameter(Position = 3)]
    [ValidateSet("Text", "Binary")]
    public string Type { get; set; } = "Text";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var name = ResolveName(Name);
        var clients = Clients;
        var connection = Run(() => clients.Get(name), name, "WebSocketNotFound");
        var raw = Message is PSObject { BaseObject: byte[] b } ? b : Message as byte[];
        var payload = raw ?? Encoding.UTF8.GetBytes(WebSocketContent.Convert(Message, connection.ContentType, Depth));
        var binary = Type.Equals("Binary", StringComparison.OrdinalIgnoreCase);
        Run(() => clients.Send(name, payload, binary), name, "WebSocketSendFailed");
    }
}

/// <summary>
/// <para type="synopsis">Closes an external WebSocket connection but keeps its registration.</para>
/// <para type="description">Sends a Close frame, waits (bounded) for the server's reply and stops automatic
/// reconnects. The Name stays registered, so Reset-PodeWebSocket can reconnect it; Send-PodeWebSocket fails until
/// then. Inside a Connect-PodeWebSocket script block -Name defaults to the current connection. An unknown Name is an
/// error (WebSocketNotFound).</para>
/// <example>
///   <code>Disconnect-PodeWebSocket -Name 'Example'</code>
///   <para>Closes the Example connection.</para>
/// </example>
/// <example>
///   <code>Connect-PodeWebSocket -Name 'Once' -Url 'ws://localhost:8091' -ScriptBlock { $WsEvent.Data | Out-Default; Disconnect-PodeWebSocket }</code>
///   <para>Handles the first message, then closes the connection.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "PodeWebSocket")]
[OutputType(typeof(void))]
public sealed class DisconnectPodeWebSocketCommand : PodeWebSocketCmdlet
{
    /// <summary><para type="description">The connection's Name (optional inside a Connect-PodeWebSocket script block).</para></summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(WebSocketNameCompleter))]
    public string? Name { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var name = ResolveName(Name);
        var clients = Clients;
        Run(() => clients.Disconnect(name), name, "WebSocketDisconnectFailed");
    }
}

/// <summary>
/// <para type="synopsis">Closes an external WebSocket connection and forgets its Name.</para>
/// <para type="description">Disconnects (Close frame, no more reconnects) and unregisters the Name, which can then
/// be connected again. Messages already received still run. Removing a Name that is not registered does nothing, as
/// in Pode. Inside a Connect-PodeWebSocket script block -Name defaults to the current connection.</para>
/// <example>
///   <code>Remove-PodeWebSocket -Name 'Example'</code>
///   <para>Closes and forgets the Example connection.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "PodeWebSocket")]
[OutputType(typeof(void))]
public sealed class RemovePodeWebSocketCommand : PodeWebSocketCmdlet
{
    /// <summary><para type="description">The connection's Name (optional inside a Connect-PodeWebSocket script block).</para></summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(WebSocketNameCompleter))]
    public string? Name { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var name = ResolveName(Name);
        var clients = Clients;
        if (!Run(() => clients.Remove(name), name, "WebSocketRemoveFailed"))
        {
            WriteVerbose($"No WebSocket connection named '{name}' to remove.");
        }
    }
}

/// <summary>
/// <para type="synopsis">Reconnects an external WebSocket connection, optionally to a new URL.</para>
/// <para type="description">Closes the connection if it is open, then connects again with the same Name, script
/// block, content type, headers and reconnect settings, to -Url when given (for example the new URL a Slack RTM
/// message announces). Returns once the handshake succeeded; a failure is a terminating error that says which step
/// failed, and the Name stays registered, disconnected, with the new URL, so a later reset can try again. Inside a
/// Connect-PodeWebSocket script block -Name defaults to the current connection. An unknown Name is an error
/// (WebSocketNotFound).</para>
/// <example>
///   <code>Reset-PodeWebSocket -Name 'Example'</code>
///   <para>Reconnects Example to its current URL.</para>
/// </example>
/// <example>
///   <code>Reset-PodeWebSocket -Name 'Slack' -Url $WsEvent.Data.url</code>
///   <para>Moves the Slack connection to the URL the server sent.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Reset, "PodeWebSocket")]
[OutputType(typeof(void))]
public sealed class ResetPodeWebSocketCommand : PodeWebSocketCmdlet
{
    /// <summary><para type="description">The connection's Name (optional inside a Connect-PodeWebSocket script block).</para></summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(WebSocketNameCompleter))]
    public string? Name { get; set; }

    /// <summary><para type="description">A new ws:// or wss:// URL; without it the current URL is used.</para></summary>
    [Parameter(Position = 1)]
    public string? Url { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var name = ResolveName(Name);
        var url = string.IsNullOrWhiteSpace(Url) ? null : Url;
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "ws" && uri.Scheme != "wss")))
        {
            Fail("WebSocketUrlInvalid", ErrorCategory.InvalidArgument, url,
                $"Cannot reset the WebSocket '{name}': the -Url '{url}' must begin with ws:// or wss:// (for example ws://localhost:8091/path).");
        }
        var clients = Clients;
        Run(() => clients.Reset(name, url), name, "WebSocketResetFailed");
    }
}

/// <summary>
/// <para type="synopsis">Tests whether an external WebSocket connection is registered, or with -Connected, open.</para>
/// <para type="description">Without -Connected it returns true while the Name is registered, connected or not (as
/// in Pode: a disconnected connection stays registered until Remove-PodeWebSocket). With -Connected it returns true
/// only while the connection is open (false while disconnected or reconnecting). No error when nothing was ever
/// connected: the answer is false.</para>
/// <example>
///   <code>if (!(Test-PodeWebSocket -Name 'Example' -Connected)) { Reset-PodeWebSocket -Name 'Example' }</code>
///   <para>Reconnects Example if it is not open.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeWebSocket")]
[OutputType(typeof(bool))]
public sealed class TestPodeWebSocketCommand : PodeWebSocketCmdlet
{
    /// <summary><para type="description">The connection's Name.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(WebSocketNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Return true only if the connection is open, not just registered.</para></summary>
    [Parameter]
    public SwitchParameter Connected { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var connection = Context.Clients?.Find(Name);
        WriteObject(connection is not null && (!Connected || connection.CurrentState() == NativeClientState.Connected));
    }
}

/// <summary>
/// <para type="synopsis">Sets how many runspaces run the script blocks of external WebSocket messages.</para>
/// <para type="description">The WebSockets runspaces run Connect-PodeWebSocket script blocks: messages of one
/// connection one at a time in order, different connections in parallel on up to -Maximum runspaces (default 2).
/// Call it in the Start-PodeServer script block, or later: running runspaces are replaced by -Maximum new ones once
/// their current work is done.</para>
/// <example>
///   <code>Set-PodeWebSocketConcurrency -Maximum 5</code>
///   <para>Up to five connections' messages are handled at the same time.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PodeWebSocketConcurrency")]
[OutputType(typeof(void))]
public sealed class SetPodeWebSocketConcurrencyCommand : PodeWebSocketCmdlet
{
    /// <summary><para type="description">The number of runspaces (at least 1).</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateRange(1, 256)]
    public int Maximum { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var clients = Clients;
        clients.SetConcurrency(Maximum);
    }
}
