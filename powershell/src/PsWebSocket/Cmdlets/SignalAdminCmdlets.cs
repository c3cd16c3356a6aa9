using System.Management.Automation;
using PsWebSocket.Completion;
using PsWebSocket.Interop;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Closes Global signal connections of a Name, optionally only some groups or client ids.</para>
/// <para type="description">Every matching connection gets a Close frame (1000) and is removed; its Disconnect
/// event runs with ClosedBy = Server. Without -Group and -ClientId every connection of the Name is closed. A Name
/// without connections is not an error: nothing is closed. (Pode 2.14 documents this command but fails on every
/// call; PsWebSocket does what the documentation promises.)</para>
/// <example>
///   <code>Close-PodeSignalConnection -Name 'Metrics'</code>
///   <para>Closes every Metrics connection.</para>
/// </example>
/// <example>
///   <code>Close-PodeSignalConnection -Name 'Metrics' -Group 'admins'</code>
///   <para>Closes the Metrics connections of the admins group.</para>
/// </example>
/// <example>
///   <code>Close-PodeSignalConnection -Name 'Metrics' -ClientId @('my-client-id', 'my-other-id')</code>
///   <para>Closes two connections by client id.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Close, "PodeSignalConnection")]
[OutputType(typeof(void))]
public sealed class ClosePodeSignalConnectionCommand : PodeCmdlet
{
    /// <summary><para type="description">The Name whose connections to close.</para></summary>
    [Parameter(Mandatory = true)]
    [Alias("Path")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Only connections of these groups (case-insensitive).</para></summary>
    [Parameter]
    public string[]? Group { get; set; }

    /// <summary><para type="description">Only connections with these client ids.</para></summary>
    [Parameter]
    public string[]? ClientId { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var closed = Call(() => context.Server.CloseSignals(Name, Group, ClientId), "SignalCloseFailed", Name);
        WriteVerbose($"Closed {closed} connection(s) of '{Name}'.");
    }
}

/// <summary>
/// <para type="synopsis">Sets the scope of new signal connections that do not name one.</para>
/// <para type="description">ConvertTo-PodeSignalConnection without -Scope (or with -Scope Default) then creates
/// connections of this scope. Global connections outlive their route and are reachable by Name; Local ones are
/// closed when their route ends. The initial default is Global.</para>
/// <example>
///   <code>Set-PodeSignalDefaultScope -Scope Local</code>
///   <para>New connections are Local unless ConvertTo-PodeSignalConnection says otherwise.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PodeSignalDefaultScope")]
[OutputType(typeof(void))]
public sealed class SetPodeSignalDefaultScopeCommand : PodeCmdlet
{
    /// <summary><para type="description">Local or Global.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Local", "Global")]
    public string Scope { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var local = Scope.Equals("Local", StringComparison.OrdinalIgnoreCase);
        Call(() => context.Server.SetDefaultScope(local ? NativeScope.Local : NativeScope.Global), "SignalDefaultScopeFailed", Scope);
    }
}

/// <summary>
/// <para type="synopsis">Gets the scope of new signal connections that do not name one.</para>
/// <para type="description">Returns Local or Global (Global unless Set-PodeSignalDefaultScope changed it).</para>
/// <example>
///   <code>$scope = Get-PodeSignalDefaultScope</code>
///   <para>Global, unless it was changed.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeSignalDefaultScope")]
[OutputType(typeof(string))]
public sealed class GetPodeSignalDefaultScopeCommand : PodeCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        WriteObject(Call(context.Server.DefaultScope, "SignalDefaultScopeFailed", null).ToString());
    }
}

/// <summary>
/// <para type="synopsis">Sets how specific a broadcast to a signal Name must be.</para>
/// <para type="description">Name (the default): a Name is enough. Group: a Group or a ClientId is required.
/// ClientId: a ClientId is required. Without -Name the level applies to every Name that has no level of its own.
/// Send-PodeSignal, and the re-broadcast of client messages, fail with an error naming the level when a send
/// breaks it; direct replies are not affected.</para>
/// <example>
///   <code>Set-PodeSignalBroadcastLevel -Type 'ClientId'</code>
///   <para>Every send to a Name must name client ids.</para>
/// </example>
/// <example>
///   <code>Set-PodeSignalBroadcastLevel -Name 'ResponseTimes' -Type 'Group'</code>
///   <para>Sends to ResponseTimes must name a group or client ids.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PodeSignalBroadcastLevel")]
[OutputType(typeof(void))]
public sealed class SetPodeSignalBroadcastLevelCommand : PodeCmdlet
{
    /// <summary><para type="description">The Name the level applies to (default '*': every Name).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    public string Name { get; set; } = "*";

    /// <summary><para type="description">Name, Group or ClientId.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Name", "Group", "ClientId")]
    public string Type { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var level = BroadcastLevels.Parse(Type);
        Call(() => context.Server.SetBroadcastLevel(Name, level), "SignalBroadcastLevelFailed", Name);
    }
}

/// <summary>
/// <para type="synopsis">Gets the broadcast level in force for a signal Name.</para>
/// <para type="description">Returns the level set for the Name, else the one set for every Name ('*'), else
/// 'name'. Levels are returned lower-case as in Pode: name, group or clientid.</para>
/// <example>
///   <code>$level = Get-PodeSignalBroadcastLevel -Name 'Actions'</code>
///   <para>'name' unless a level was set.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeSignalBroadcastLevel")]
[OutputType(typeof(string))]
public sealed class GetPodeSignalBroadcastLevelCommand : PodeCmdlet
{
    /// <summary><para type="description">The Name of a signal connection.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    public string Name { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        WriteObject(BroadcastLevels.Text(Call(() => context.Server.BroadcastLevel(Name), "SignalBroadcastLevelFailed", Name)));
    }
}

/// <summary>
/// <para type="synopsis">Tests whether a send to a Name with these groups and client ids passes its broadcast level.</para>
/// <para type="description">Level name: always true. Level group: true if any group or client id is given. Level
/// clientid: true if any client id is given.</para>
/// <example>
///   <code>if (Test-PodeSignalBroadcastLevel -Name 'Actions' -Group 'admins') { Send-PodeSignal -Name 'Actions' -Group 'admins' -Value 'hi' }</code>
///   <para>Sends only when the level allows it.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeSignalBroadcastLevel")]
[OutputType(typeof(bool))]
public sealed class TestPodeSignalBroadcastLevelCommand : PodeCmdlet
{
    /// <summary><para type="description">The Name of a signal connection.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The groups the send would name.</para></summary>
    [Parameter]
    public string[]? Group { get; set; }

    /// <summary><para type="description">The client ids the send would name.</para></summary>
    [Parameter]
    public string[]? ClientId { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var level = Call(() => context.Server.BroadcastLevel(Name), "SignalBroadcastLevelFailed", Name);
        var groups = Group is { Length: > 0 };
        var clientIds = ClientId is { Length: > 0 };
        WriteObject(level switch
        {
            BroadcastLevels.Group => groups || clientIds,
            BroadcastLevels.ClientId => clientIds,
            _ => true,
        });
    }
}

/// <summary>Broadcast levels as the engine numbers them and as Pode spells them.</summary>
internal static class BroadcastLevels
{
    public const uint Name = 0;
    public const uint Group = 1;
    public const uint ClientId = 2;

    public static uint Parse(string type) => type.ToLowerInvariant() switch
    {
        "group" => Group,
        "clientid" => ClientId,
        _ => Name,
    };

    public static string Text(uint level) => level switch
    {
        Group => "group",
        ClientId => "clientid",
        _ => "name",
    };
}

/// <summary>
/// <para type="synopsis">Tests whether a signal Name has Global connections.</para>
/// <para type="description">True if at least one Global connection is open under the Name (Names compare
/// case-sensitively, as in Pode). Local connections are not counted. (Pode 2.14 fails on every call; PsWebSocket
/// does what the documentation promises.)</para>
/// <example>
///   <code>if (Test-PodeSignalName -Name 'Example') { Send-PodeSignal -Name 'Example' -Value 'hi' }</code>
///   <para>Sends only when someone is connected.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeSignalName")]
[OutputType(typeof(bool))]
public sealed class TestPodeSignalNameCommand : PodeCmdlet
{
    /// <summary><para type="description">The Name to test.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    public string Name { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        WriteObject(Call(() => context.Server.SignalExists(Name, null, null), "SignalTestFailed", Name));
    }
}

/// <summary>
/// <para type="synopsis">Tests whether a Global signal connection with this Name and client id is open.</para>
/// <para type="description">With -Group the connection must also be in one of the groups.</para>
/// <example>
///   <code>if (Test-PodeSignalClientId -Name 'Example' -ClientId 'my-client-id') { ... }</code>
///   <para>True while that client is connected.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeSignalClientId")]
[OutputType(typeof(bool))]
public sealed class TestPodeSignalClientIdCommand : PodeCmdlet
{
    /// <summary><para type="description">The Name of the connection.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Groups the connection must be in (any of them).</para></summary>
    [Parameter]
    public string[]? Group { get; set; }

    /// <summary><para type="description">The client id to test.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string ClientId { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        WriteObject(Call(() => context.Server.SignalExists(Name, Group, [ClientId]), "SignalTestFailed", ClientId));
    }
}

/// <summary>
/// <para type="synopsis">Lists the Names that have Global signal connections.</para>
/// <para type="description">Returns one string per Name with at least one open Global connection.</para>
/// <example>
///   <code>$names = Get-PodeSignalNameList</code>
///   <para>For example Msg and ResponseTimes.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeSignalNameList")]
[OutputType(typeof(string))]
public sealed class GetPodeSignalNameListCommand : PodeCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        WriteObject(Call(context.Server.SignalNames, "SignalListFailed", null), enumerateCollection: true);
    }
}

/// <summary>
/// <para type="synopsis">Lists the groups of the Global connections of a signal Name.</para>
/// <para type="description">Returns the distinct non-empty groups (case-insensitive). A Name without connections
/// is an error: "No Signal connection found with the name '&lt;Name&gt;'".</para>
/// <example>
///   <code>$groups = Get-PodeSignalGroupList -Name 'Example'</code>
///   <para>The groups in use under Example.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeSignalGroupList")]
[OutputType(typeof(string))]
public sealed class GetPodeSignalGroupListCommand : PodeCmdlet
{
    /// <summary><para type="description">The Name of a signal connection.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    public string Name { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        WriteObject(SignalNames.Query(this, Name, () => context.Server.SignalGroups(Name)), enumerateCollection: true);
    }
}

/// <summary>
/// <para type="synopsis">Lists the client ids of the Global connections of a signal Name.</para>
/// <para type="description">With -Group only connections of those groups. A Name without connections is an
/// error: "No Signal connection found with the name '&lt;Name&gt;'".</para>
/// <example>
///   <code>$clientIds = Get-PodeSignalClientIdList -Name 'Example' -Group 'Admins'</code>
///   <para>The client ids of the Admins group under Example.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeSignalClientIdList")]
[OutputType(typeof(string))]
public sealed class GetPodeSignalClientIdListCommand : PodeCmdlet
{
    /// <summary><para type="description">The Name of a signal connection.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SignalNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Only connections of these groups.</para></summary>
    [Parameter]
    public string[]? Group { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        WriteObject(SignalNames.Query(this, Name, () => context.Server.SignalClientIds(Name, Group)), enumerateCollection: true);
    }
}

/// <summary>Queries by Name with Pode's error for an unknown Name.</summary>
internal static class SignalNames
{
    /// <summary>Pode's message for a Name without connections.</summary>
    public static string NotFound(string name) => $"No Signal connection found with the name '{name}'";

    public static T Query<T>(PSCmdlet cmdlet, string name, Func<T> query)
    {
        try
        {
            return query();
        }
        catch (PswsException e) when (e.Status == PswsStatus.UnknownName)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ItemNotFoundException(NotFound(name), e), "SignalNameNotFound", ErrorCategory.ObjectNotFound, name));
            throw; // not reached
        }
        catch (PswsException e)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(e, "SignalListFailed", PodeCmdlet.CategoryOf(e.Status), name));
            throw; // not reached
        }
    }
}
