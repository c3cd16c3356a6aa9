using System.Collections;
using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Writes to the server's terminal, unless the server runs with -Quiet.</para>
/// <para type="description">Like Write-Host, but safe from routes, signal routes, events, timers and schedules:
/// the text is written by Start-PodeServer's thread, in order. -Explode writes each item of a collection on its
/// own line, -ShowType prefixes the type name, and -Label a label. -Force writes even when the server is quiet.</para>
/// <example>
///   <code>Add-PodeRoute -Method Get -Path '/' -ScriptBlock { Write-PodeHost "GET / from $($WebEvent.Request.RemoteEndPoint)" -ForegroundColor Cyan }</code>
///   <para>Writes a line per request to the terminal.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "PodeHost")]
public sealed class WritePodeHostCommand : PodeCmdlet
{
    /// <summary><para type="description">What to write.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [AllowNull]
    public object? Object { get; set; }

    /// <summary><para type="description">The text colour.</para></summary>
    [Parameter]
    public ConsoleColor? ForegroundColor { get; set; }

    /// <summary><para type="description">No newline after the text.</para></summary>
    [Parameter]
    public SwitchParameter NoNewLine { get; set; }

    /// <summary><para type="description">Write each item of a collection on its own line.</para></summary>
    [Parameter]
    public SwitchParameter Explode { get; set; }

    /// <summary><para type="description">Prefix the text with the object's type name.</para></summary>
    [Parameter]
    public SwitchParameter ShowType { get; set; }

    /// <summary><para type="description">A label written before the text.</para></summary>
    [Parameter]
    public string? Label { get; set; }

    /// <summary><para type="description">Write even when the server runs with -Quiet.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var server = ContextOrNull;
        if (server is { Quiet: true } && !Force)
        {
            return;
        }
        var value = Object is PSObject pso ? pso.BaseObject : Object;
        var text = Explode && value is IEnumerable items and not string and not IDictionary
            ? HostText.Format(InvokeCommand, items.Cast<object?>().ToArray())
            : value is IDictionary or PSCustomObject ? HostText.Format(InvokeCommand, [Object]) : LanguagePrimitives.ConvertTo<string>(Object) ?? "";
        if (ShowType && value is not null)
        {
            text = $"[{value.GetType().Name}] {text}";
        }
        if (Label is { Length: > 0 })
        {
            text = $"{Label}: {text}";
        }
        var line = new HostLine(text, ForegroundColor, !NoNewLine);
        if (server is not null)
        {
            server.Log.HostLine(line.Text, line.Color, line.NewLine);
        }
        else
        {
            line.WriteTo(Host.UI);
        }
    }
}

/// <summary>
/// <para type="synopsis">Writes objects to the server's terminal as Out-Default would, unless the server runs with -Quiet.</para>
/// <para type="description">Formats what is piped in (tables, lists) and writes it from Start-PodeServer's
/// thread, so it is safe in routes and timers.</para>
/// <example>
///   <code>Add-PodeTimer -Name 'Procs' -Interval 60 -ScriptBlock { Get-Process | Select-Object -First 3 | Out-PodeHost }</code>
///   <para>Writes a small table to the terminal every minute.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsData.Out, "PodeHost")]
public sealed class OutPodeHostCommand : PodeCmdlet
{
    private readonly List<object?> _items = [];

    /// <summary><para type="description">The objects to write.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public object? InputObject { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => _items.Add(InputObject);

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var server = ContextOrNull;
        if (server is { Quiet: true })
        {
            return;
        }
        var text = HostText.Format(InvokeCommand, [.. _items]);
        if (server is not null)
        {
            server.Log.HostLine(text);
        }
        else
        {
            Host.UI.WriteLine(text);
        }
    }
}

/// <summary>PowerShell's own formatting of objects as text (Out-String).</summary>
internal static class HostText
{
    private static readonly ScriptBlock OutString = ScriptBlock.Create("param($items) $items | Out-String");

    public static string Format(CommandInvocationIntrinsics invoke, object?[] items) =>
        string.Concat(invoke.InvokeScript(false, OutString, null, [items]).Select(o => o?.ToString())).TrimEnd();
}
