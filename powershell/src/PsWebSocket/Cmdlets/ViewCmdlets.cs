using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Sets how Write-PodeViewResponse renders views.</para>
/// <para type="description">Html (the default) sends .html views as they are. Pode renders .pode views: the file is
/// expanded as a PowerShell string, so $data (Write-PodeViewResponse -Data) and $(...) work in the HTML. Any other
/// -Type needs a -ScriptBlock param($path, $data) that returns the HTML, and views with -Extension (default: the
/// type's name) go through it.</para>
/// <example>
///   <code>Set-PodeViewEngine -Type Pode</code>
///   <para>Renders views/*.pode with $data.</para>
/// </example>
/// <example>
///   <code>Set-PodeViewEngine -Type Upper -Extension 'txt' -ScriptBlock { param($path, $data) (Get-Content $path -Raw).ToUpper() }</code>
///   <para>A custom engine for .txt views.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PodeViewEngine")]
public sealed class SetPodeViewEngineCommand : PodeCmdlet
{
    /// <summary><para type="description">Html, Pode, or the name of a custom engine.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Type { get; set; } = "";

    /// <summary><para type="description">A custom engine: param($path, $data), returns the HTML.</para></summary>
    [Parameter(Position = 1)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">The extension of the engine's views (default: Html → html, Pode → pode, else the type).</para></summary>
    [Parameter(Position = 2)]
    public string? Extension { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var context = Context;
        var builtIn = Type.Equals("Html", StringComparison.OrdinalIgnoreCase) || Type.Equals("Pode", StringComparison.OrdinalIgnoreCase);
        if (!builtIn && ScriptBlock is null)
        {
            Fail("ViewEngineScriptRequired", ErrorCategory.InvalidArgument, Type, $"The view engine '{Type}' is not built in: give -ScriptBlock {{ param($path, $data) ... }} that returns the HTML.");
        }
        var extension = Extension is { Length: > 0 } ? Extension.TrimStart('.') : Type.ToLowerInvariant();
        context.ViewEngine = new ViewEngine(Type, extension, builtIn ? null : Capture(ScriptBlock, null, null).Text);
    }
}
