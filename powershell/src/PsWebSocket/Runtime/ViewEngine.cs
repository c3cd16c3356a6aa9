using System.Collections;
using System.Management.Automation;

namespace PsWebSocket.Runtime;

/// <summary>
/// How Write-PodeViewResponse renders views (Set-PodeViewEngine): Html sends the file as it is,
/// Pode expands the file as a PowerShell string with <c>$data</c> (Pode's <c>.pode</c> views),
/// and a custom engine runs a script block <c>param($path, $data)</c> that returns the HTML.
/// </summary>
internal sealed record ViewEngine(string Type, string Extension, string? Script)
{
    /// <summary>Plain HTML (Pode's default).</summary>
    public static readonly ViewEngine Html = new("Html", "html", null);

    /// <summary>The file of a view in <paramref name="views"/>: the engine's extension when the name has none; null if missing or outside the folder.</summary>
    public string? Find(string views, string name)
    {
        name = name.TrimStart('/', '\\');
        var candidates = Path.HasExtension(name) ? [name] : new[] { $"{name}.{Extension}", $"{name}.html" };
        var root = Path.GetFullPath(views) + Path.DirectorySeparatorChar;
        return candidates.Select(c => Path.GetFullPath(Path.Combine(views, c))).FirstOrDefault(f => f.StartsWith(root, StringComparison.Ordinal) && File.Exists(f));
    }

    /// <summary>The HTML of a view file; files of another extension than the engine's are sent as they are.</summary>
    public string Render(CommandInvocationIntrinsics invoke, string file, Hashtable data)
    {
        var isEngineFile = Path.GetExtension(file).TrimStart('.').Equals(Extension, StringComparison.OrdinalIgnoreCase);
        if (!isEngineFile || Type.Equals("Html", StringComparison.OrdinalIgnoreCase))
        {
            return File.ReadAllText(file);
        }
        ScriptBlock renderer;
        object[] arguments;
        if (Type.Equals("Pode", StringComparison.OrdinalIgnoreCase))
        {
            // The view is the body of a double-quoted string: $data and $(...) expand, a literal quote stays a quote.
            renderer = ScriptBlock.Create("param($data)\n\"" + File.ReadAllText(file).Replace("\"", "`\"") + "\"");
            arguments = [data];
        }
        else
        {
            renderer = ScriptBlock.Create(Script!);
            arguments = [file, data];
        }
        return string.Concat(invoke.InvokeScript(false, renderer, null, arguments).Select(o => o?.ToString()));
    }
}
