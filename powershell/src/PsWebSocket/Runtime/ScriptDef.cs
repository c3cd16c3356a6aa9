using System.Management.Automation;
using System.Management.Automation.Language;

namespace PsWebSocket.Runtime;

/// <summary>
/// A user scriptblock captured at registration (route, signal route, event, timer, ...)
/// so that worker runspaces can run it: its text with every <c>$using:x</c> rewritten to
/// <c>$__using_x</c>, the values of those variables as they were at registration (as
/// Pode does), and the <c>-ArgumentList</c>.
/// </summary>
public sealed class ScriptDef
{
    private ScriptDef(string text, IReadOnlyDictionary<string, object?> usingValues, object?[] arguments, string source)
    {
        Text = text;
        UsingValues = usingValues;
        Arguments = arguments;
        Source = source;
    }

    /// <summary>The script text to compile in a worker runspace.</summary>
    public string Text { get; }

    /// <summary><c>__using_x</c> -> value.</summary>
    public IReadOnlyDictionary<string, object?> UsingValues { get; }

    /// <summary>Arguments splatted into the script.</summary>
    public object?[] Arguments { get; }

    /// <summary>Where the script came from, for error messages.</summary>
    public string Source { get; }

    /// <summary>Captures a scriptblock; <c>$using:</c> values are read from <paramref name="caller"/>.</summary>
    public static ScriptDef Capture(ScriptBlock script, SessionState caller, object?[]? arguments)
    {
        var root = script.Ast;
        var text = root.Extent.Text;
        var start = root.Extent.StartOffset;
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var replacements = new List<(int Offset, int Length, string Text)>();
        foreach (var node in root.FindAll(a => a is UsingExpressionAst, searchNestedScriptBlocks: true).Cast<UsingExpressionAst>())
        {
            var variable = UsingExpressionAst.ExtractUsingVariable(node);
            var name = variable.VariablePath.UserPath;
            var colon = name.IndexOf(':');
            if (colon >= 0)
            {
                name = name[(colon + 1)..];
            }
            var local = "__using_" + name;
            values[local] = caller.PSVariable.GetValue(name);
            replacements.Add((variable.Extent.StartOffset - start, variable.Extent.EndOffset - variable.Extent.StartOffset, "$" + local));
        }
        foreach (var (offset, length, replacement) in replacements.OrderByDescending(r => r.Offset))
        {
            text = text[..offset] + replacement + text[(offset + length)..];
        }
        if (root.Parent is ScriptBlockExpressionAst)
        {
            text = Body(text);
        }
        var source = root.Extent.File is { Length: > 0 } file ? $"{file}:{root.Extent.StartLineNumber}" : "scriptblock";
        return new ScriptDef(text, values, arguments ?? [], source);
    }

    /// <summary>
    /// The text inside a literal <c>{ ... }</c> (its extent carries the braces): exactly one brace is
    /// taken from each end, so <c>{@{a=1}}</c> is <c>@{a=1}</c>.
    /// </summary>
    internal static string Body(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length >= 2 && trimmed[0] == '{' && trimmed[^1] == '}' ? trimmed[1..^1] : text;
    }

    /// <summary>Captures a script file (<c>-FilePath</c>): read now, run later.</summary>
    public static ScriptDef FromFile(string path, SessionState caller, object?[]? arguments)
    {
        var full = caller.Path.GetUnresolvedProviderPathFromPSPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"The script file '{full}' does not exist.", full);
        }
        return Capture(ScriptBlock.Create(File.ReadAllText(full)), caller, arguments);
    }
}
