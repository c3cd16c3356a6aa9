using System.Collections;
using System.Management.Automation;
using System.Text;
using PsWebSocket.Completion;
using PsWebSocket.Interop;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Upgrades the current request to a WebSocket signal connection.</para>
/// <para type="description">Call it inside a route. The 101 response carries X-Pode-Signal-Client-Id,
/// X-Pode-Signal-Name and X-Pode-Signal-Group, and $WebEvent.Signal describes the connection. A Global connection
/// stays open after the route and is reachable with Send-PodeSignal -Name; a Local one lives while the route runs,
/// receives every Send-PodeSignal of the route directly, and is closed when the route ends. A request that is not
/// a WebSocket handshake is answered 405 (not GET), 412 (no Sec-WebSocket-Key) or 426/400 (version), and the
/// command fails.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/msg' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Msg' }</code>
///   <para>Requests to /msg become Global connections under the Name Msg.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "PodeSignalConnection")]
[OutputType(typeof(void))]
public sealed class ConvertToPodeSignalConnectionCommand : PodeCmdlet
{
    /// <summary><para type="description">The Name to register the connection under.</para></summary>
    [Parameter(Mandatory = true)]
    [Alias("Path")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">An optional Group within the Name.</para></summary>
    [Parameter]
    public string? Group { get; set; }

    /// <summary><para type="description">Default (the server's default scope, initially Global), Local or Global.</para></summary>
    [Parameter]
    [ValidateSet("Default", "Local", "Global")]
    public string Scope { get; set; } = "Default";

    /// <summary><para type="description">A client id to use instead of a generated GUID (signed when signing is on).</para></summary>
    [Parameter]
    public string? ClientId { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var webEvent = WebEvent;
        if (webEvent?["Response"] is not PodeResponse response)
        {
            Fail("NotInRoute", ErrorCategory.InvalidOperation, Name, "ConvertTo-PodeSignalConnection can only be used inside a route (Add-PodeRoute).");
            return;
        }
        if (response.Signal is not null)
        {
            return; // already upgraded: a no-op, as in Pode
        }
        var scope = Scope switch { "Local" => NativeScope.Local, "Global" => NativeScope.Global, _ => NativeScope.Default };
        var auth = webEvent["Auth"] is Hashtable a && LanguagePrimitives.IsTrue(a["IsAuthenticated"])
            ? new ConnectionAuth(a, SignalAuthTable.IdentityOf(a["User"]), LanguagePrimitives.IsTrue(a["Store"]) ? (webEvent["Session"] as Hashtable)?["Id"] as string : null, Name)
            : null;
        var info = Call(() =>
        {
            try
            {
                return context.SignalAuth.Upgrade(() => NativeRequest.Upgrade(response.Request, Name, Group, ClientId, scope), auth);
            }
            catch (PswsException e) when (e.Status == PswsStatus.UpgradeRejected)
            {
                // The engine answered the client itself; its message names the status ("HTTP 426"): the request log records it.
                var status = System.Text.RegularExpressions.Regex.Match(e.Message, @"HTTP (\d{3})");
                response.StatusCode = status.Success ? int.Parse(status.Groups[1].Value) : 400;
                throw;
            }
        }, "SignalUpgradeFailed", Name);
        response.Signal = new PodeSignalConnection(info, context.Server);
        webEvent["Signal"] = response.Signal;
    }
}

/// <summary>
/// <para type="synopsis">Sends a message to signal connections.</para>
/// <para type="description">Strings are sent as they are; other values as compact JSON (to -Depth). Without
/// -Name the message goes to every Name. Inside a signal route, an empty -Name, -Group or -ClientId defaults to
/// the incoming message's path, group and clientId, and a message with direct=true is answered to its sender
/// only. Inside a route with a Local connection every send goes to that connection. -Mode Direct always replies
/// to the current connection; -Mode Broadcast always broadcasts. A send that breaks a broadcast level
/// (Set-PodeSignalBroadcastLevel) is an error that names the level, and nothing is sent.</para>
/// <example>
///   <code>Send-PodeSignal -Name 'ResponseTimes' -Data @{ Durations = @(123, 101, 104) }</code>
///   <para>Broadcasts {"Durations":[123,101,104]} to every ResponseTimes connection.</para>
/// </example>
/// <example>
///   <code>Send-PodeSignal -Name 'Chat' -ClientId $id -Value 'just you'</code>
///   <para>Sends to one client of the Chat Name.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Send, "PodeSignal")]
public sealed class SendPodeSignalCommand : PodeCmdlet
{
    private readonly List<object?> _piped = [];

    /// <summary><para type="description">The message: a string, or a value converted to JSON.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [Alias("Value")]
    [AllowNull, AllowEmptyString, AllowEmptyCollection]
    public object? Data { get; set; }

    /// <summary><para type="description">Names to send to (every Name when omitted).</para></summary>
    [Parameter]
    [Alias("Path")]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary><para type="description">Only connections of these groups.</para></summary>
    [Parameter]
    public string[]? Group { get; set; }

    /// <summary><para type="description">Only these client ids.</para></summary>
    [Parameter]
    public string[]? ClientId { get; set; }

    /// <summary><para type="description">Only the connections of these users: the name of the user that
    /// authenticated the upgrade ($WebEvent.Auth.User itself when a string, else its Username, Name or Id).
    /// With -Name, only that user's connections of those Names. Not in Pode.</para></summary>
    [Parameter]
    public string[]? User { get; set; }

    /// <summary><para type="description">JSON depth for non-string data (default 10).</para></summary>
    [Parameter]
    public int Depth { get; set; } = 10;

    /// <summary><para type="description">Auto (default: decides from the context), Broadcast (always to
    /// -Name/-Group/-ClientId), or Direct (reply to the current connection).</para></summary>
    [Parameter]
    [ValidateSet("Auto", "Broadcast", "Direct")]
    public string Mode { get; set; } = "Auto";

    /// <summary><para type="description">Ignore the current signal event and Local connection when choosing targets.</para></summary>
    [Parameter]
    public SwitchParameter IgnoreEvent { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (MyInvocation.ExpectingInput)
        {
            _piped.Add(Data);
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var data = MyInvocation.ExpectingInput ? (_piped.Count == 1 ? _piped[0] : _piped.ToArray()) : Data;
        if (IsEmpty(data))
        {
            return;
        }
        var context = Context;
        var payload = data is string s ? s : (data is PSObject { BaseObject: string ps } ? ps : Json.Serialize(data, Depth));
        if (User is { Length: > 0 })
        {
            var bytes = Encoding.UTF8.GetBytes(payload);
            foreach (var connection in context.SignalAuth.OfUsers(User, Name))
            {
                try
                {
                    context.Server.SendDirect(connection, bytes, binary: false);
                }
                catch (PswsException e) when (e.Status is PswsStatus.UnknownConnection)
                {
                    // closed meanwhile
                }
            }
            return;
        }
        var signalEvent = IgnoreEvent ? null : SignalEvent;
        var webSignal = WebEvent?["Signal"] as PodeSignalConnection;
        // Pode's help for -Mode: Broadcast always broadcasts, Direct always replies, Auto decides.
        var broadcast = Mode.Equals("Broadcast", StringComparison.OrdinalIgnoreCase);
        var direct = Mode.Equals("Direct", StringComparison.OrdinalIgnoreCase)
            || (!broadcast && !IgnoreEvent && webSignal is { IsLocal: true })
            || (!broadcast && signalEvent?["Data"] is Hashtable d && d["Direct"] is true);
        if (direct)
        {
            var target = (SignalEvent?["Signal"] as PodeSignalConnection) ?? webSignal;
            if (target is null)
            {
                Fail("NoSignalConnection", ErrorCategory.InvalidOperation, null,
                    "Send-PodeSignal -Mode Direct needs a connection: use it in a signal route, or in a route after ConvertTo-PodeSignalConnection.");
                return;
            }
            Call(() => context.Server.SendDirect(target.ConnectionId, Encoding.UTF8.GetBytes(payload), binary: false), "SignalSendFailed", target.ClientId);
            return;
        }
        var names = Name;
        var groups = Group;
        var clientIds = ClientId;
        if (signalEvent?["Data"] is Hashtable inbound)
        {
            names = names is { Length: > 0 } ? names : Strings(inbound["Path"]);
            groups = groups is { Length: > 0 } ? groups : Strings(inbound["Group"]);
            clientIds = clientIds is { Length: > 0 } ? clientIds : Strings(inbound["ClientId"]);
        }
        Call(() => context.Server.Send(names, groups, clientIds, payload), "SignalSendFailed", names);
    }

    private static bool IsEmpty(object? data) => data switch
    {
        null => true,
        string s => s.Length == 0,
        PSObject { BaseObject: string s } => s.Length == 0,
        ICollection c => c.Count == 0,
        _ => false,
    };

    private static string[]? Strings(object? value) => value switch
    {
        null => null,
        string s when s.Length == 0 => null,
        string s => [s],
        IEnumerable e => e.Cast<object?>().Select(o => o?.ToString()).Where(o => !string.IsNullOrEmpty(o)).Select(o => o!).ToArray(),
        _ => [value.ToString()!],
    };
}

/// <summary>
/// <para type="synopsis">Adds a signal route: a script block for messages from connections on a path.</para>
/// <para type="description">The path is the WebSocket connection's URL path (* wildcards allowed), optionally only
/// for some endpoints. The script block runs in the Signals runspaces with $SignalEvent and must send its replies
/// itself (Send-PodeSignal). Messages of paths without a route are re-broadcast by the engine.</para>
/// <example>
///   <code>Add-PodeSignalRoute -Path '/msg' -ScriptBlock { Send-PodeSignal -Name 'Msg' -Value @{ message = $SignalEvent.Data.Message } }</code>
///   <para>Re-broadcasts every message of /msg connections to the Msg Name.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeSignalRoute", DefaultParameterSetName = "Script")]
public sealed class AddPodeSignalRouteCommand : PodeCmdlet
{
    /// <summary>Variable that Add-PodeSignalRouteGroup sets while its routes are added.</summary>
    internal const string GroupVariable = "PodeSignalRouteGroup";

    /// <summary><para type="description">The connection path, e.g. /msg or /chat/*.</para></summary>
    [Parameter(Mandatory = true)]
    public string Path { get; set; } = "";

    /// <summary><para type="description">The route's script block.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "Script", Position = 0)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">A script file to run instead of a script block.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "File")]
    public string? FilePath { get; set; }

    /// <summary><para type="description">Only connections of these endpoints.</para></summary>
    [Parameter]
    public string[]? EndpointName { get; set; }

    /// <summary><para type="description">Arguments splatted into the script block.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <summary><para type="description">When the route exists: Default (as Error), Error, Overwrite or Skip.</para></summary>
    [Parameter]
    [ValidateSet("Default", "Error", "Overwrite", "Skip")]
    public string IfExists { get; set; } = "Default";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var group = SessionState.PSVariable.GetValue(GroupVariable) as Hashtable;
        var path = Normalise((group?["Path"] as string ?? "") + Normalise(Path));
        var endpoints = EndpointName ?? (group?["EndpointName"] as string[]) ?? [];
        var ifExists = IfExists == "Default" && group?["IfExists"] is string groupIfExists ? groupIfExists : IfExists;
        var script = Capture(ScriptBlock, FilePath, ArgumentList);
        lock (context.SignalRoutes)
        {
            var existing = context.SignalRoutes.FindIndex(r => r.Path.Equals(path, StringComparison.OrdinalIgnoreCase) && SameNames(r.EndpointNames, endpoints));
            if (existing >= 0)
            {
                switch (ifExists)
                {
                    case "Skip":
                        return;
                    case "Overwrite":
                        foreach (var endpoint in endpoints.DefaultIfEmpty(null))
                        {
                            context.Server.RemoveSignalRoute(path, endpoint);
                        }
                        context.SignalRoutes.RemoveAt(existing);
                        break;
                    default:
                        Fail("SignalRouteExists", ErrorCategory.ResourceExists, path, $"A signal route for '{path}' is already defined; use -IfExists Overwrite or Skip.");
                        return;
                }
            }
            Call(() => context.Server.AddSignalRoute(path, endpoints), "SignalRouteAddFailed", path);
            context.SignalRoutes.Add(new SignalRoute(path, script, endpoints));
        }
    }

    /// <summary>Pode's path form: a leading slash, no trailing one.</summary>
    internal static string Normalise(string path)
    {
        var p = "/" + path.Trim('/');
        return p;
    }

    private static bool SameNames(string[] a, string[] b) =>
        a.Length == b.Length && a.All(x => b.Contains(x, StringComparer.OrdinalIgnoreCase));
}

/// <summary>
/// <para type="synopsis">Registers a script block for the Connect or Disconnect event of a signal Name.</para>
/// <para type="description">The script block runs with $TriggeredEvent (Name, Type, Timestamp, Connection with
/// Name/Group/ClientId/Scope, and for Disconnect CloseCode, CloseReason and ClosedBy). Each event fires exactly
/// once per connection, for Local and Global connections. For auto-upgraded connections the Name is the URL
/// path.</para>
/// <example>
///   <code>Register-PodeSignalEvent -Name 'Msg' -Type Connect -EventName 'Joined' -ScriptBlock { Send-PodeSignal -Name 'Msg' -Value "joined: $($TriggeredEvent.Connection.ClientId)" }</code>
///   <para>Announces every new Msg connection.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "PodeSignalEvent")]
public sealed class RegisterPodeSignalEventCommand : RegisterConnectionEventCmdlet
{
    /// <summary><para type="description">Connect or Disconnect.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Connect", "Disconnect")]
    public string Type { get; set; } = "";

    private protected override string EventType => Type;

    private protected override EventTable TableOf(PodeContext context) => context.SignalEvents;

    private protected override string ErrorIdPrefix => "SignalEvent";
}
