using System.Collections;
using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes a Connect or Disconnect event registration of signal Names.</para>
/// <para type="description">The event no longer runs for connections of those Names. An event that is not
/// registered for one of the Names is an error, and then nothing is removed.</para>
/// <example>
///   <code>Unregister-PodeSignalEvent -Name 'Example' -Type Connect -EventName 'OnConnect'</code>
///   <para>Removes the OnConnect registration of Example.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Unregister, "PodeSignalEvent")]
[OutputType(typeof(void))]
public sealed class UnregisterPodeSignalEventCommand : UnregisterConnectionEventCmdlet
{
    /// <summary><para type="description">Connect or Disconnect.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Connect", "Disconnect")]
    public string Type { get; set; } = "";

    private protected override string EventType => Type;

    private protected override EventTable TableOf(PodeContext context) => context.SignalEvents;

    private protected override string ErrorIdPrefix => "SignalEvent";

    private protected override string NotRegistered(string name) =>
        $"{Type} event not registered for Signal connection {name}: {EventName}. Get-PodeSignalEvent -Name '{name}' -Type {Type} lists the registered ones.";
}

/// <summary>
/// <para type="synopsis">Gets Connect/Disconnect event registrations of signal Names.</para>
/// <para type="description">Returns one hashtable per registration (Name, Type, EventName, ScriptBlock, Arguments),
/// for the given Names (default: every Name) and types, optionally only those with the given event names.</para>
/// <example>
///   <code>$events = Get-PodeSignalEvent -Name 'Metrics' -Type Connect -EventName 'OnConnect'</code>
///   <para>The OnConnect registration of Metrics.</para>
/// </example>
/// <example>
///   <code>$events = Get-PodeSignalEvent -Type Disconnect</code>
///   <para>Every Disconnect registration.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PodeSignalEvent")]
[OutputType(typeof(Hashtable))]
public sealed class GetPodeSignalEventCommand : PodeCmdlet
{
    /// <summary><para type="description">Connection Names (default: every Name).</para></summary>
    [Parameter]
    public string[]? Name { get; set; }

    /// <summary><para type="description">Connect, Disconnect, or both.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Connect", "Disconnect")]
    public string[] Type { get; set; } = [];

    /// <summary><para type="description">Only registrations with these event names.</para></summary>
    [Parameter]
    public string[]? EventName { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        foreach (var handler in SignalEventQuery.Find(Context, Name, Type, EventName))
        {
            WriteObject(handler.ToHashtable());
        }
    }
}

/// <summary>
/// <para type="synopsis">Tests whether Connect/Disconnect events are registered for signal Names.</para>
/// <para type="description">True if any registration matches the Names (default: any Name), types and event names
/// (default: any).</para>
/// <example>
///   <code>if (Test-PodeSignalEvent -Name 'Metrics' -Type Connect -EventName 'OnConnect') { ... }</code>
///   <para>True once OnConnect is registered for Metrics.</para>
/// </example>
/// <example>
///   <code>if (Test-PodeSignalEvent -Type Disconnect) { ... }</code>
///   <para>True if any Name has a Disconnect event.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PodeSignalEvent")]
[OutputType(typeof(bool))]
public sealed class TestPodeSignalEventCommand : PodeCmdlet
{
    /// <summary><para type="description">Connection Names (default: every Name).</para></summary>
    [Parameter]
    public string[]? Name { get; set; }

    /// <summary><para type="description">Connect, Disconnect, or both.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateSet("Connect", "Disconnect")]
    public string[] Type { get; set; } = [];

    /// <summary><para type="description">Only registrations with these event names.</para></summary>
    [Parameter]
    public string[]? EventName { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing() => WriteObject(SignalEventQuery.Find(Context, Name, Type, EventName).Any());
}

/// <summary>Registrations by Names, types and event names.</summary>
internal static class SignalEventQuery
{
    public static IEnumerable<EventRegistration> Find(PodeContext context, string[]? names, string[] types, string[]? eventNames)
    {
        foreach (var type in types)
        {
            var handlers = names is { Length: > 0 }
                ? names.SelectMany(n => context.SignalEvents.For(n, type))
                : context.SignalEvents.All(type);
            foreach (var handler in handlers)
            {
                // Pode 2.14 compares -EventName with the connection Name; the documented filter is the event name.
                if (eventNames is { Length: > 0 } && !eventNames.Contains(handler.EventName, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }
                yield return handler;
            }
        }
    }
}
