using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;

namespace PsWebSocket.Module.Tests.Harness;

/// <summary>What a script produced.</summary>
public sealed record PsResult(Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors, string HostText);

/// <summary>Runs PowerShell 7.6 in-process with the built module.</summary>
public static class Ps
{
    private static string Metadata(string key) =>
        typeof(Ps).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    /// <summary>The assembled module folder (out/PsWebSocket).</summary>
    public static readonly string ModuleDir = Metadata("PsModuleDir");

    /// <summary>The repository root.</summary>
    public static readonly string RepoRoot = Metadata("RepoRoot");

    /// <summary>The module manifest.</summary>
    public static readonly string Manifest = Path.Combine(ModuleDir, "PsWebSocket.psd1");

    static Ps() => PSStyle.Instance.OutputRendering = OutputRendering.PlainText;

    /// <summary>
    /// Puts the built module's parent folder on PSModulePath, so that a script's own
    /// <c>Import-Module PsWebSocket</c> finds it, as a user's script would (the examples).
    /// </summary>
    public static void ExposeModule()
    {
        var modules = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(ModuleDir))!;
        var path = Environment.GetEnvironmentVariable("PSModulePath") ?? "";
        if (!path.Split(Path.PathSeparator).Contains(modules))
        {
            Environment.SetEnvironmentVariable("PSModulePath", modules + Path.PathSeparator + path);
        }
    }

    /// <summary>A runspace with the module imported and host output going to <paramref name="text"/>.</summary>
    public static Runspace OpenRunspace(TextWriter text)
    {
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule([Manifest]);
        var runspace = RunspaceFactory.CreateRunspace(new TextHost(text), iss);
        runspace.Open();
        return runspace;
    }

    /// <summary>Runs a script (not a server) and returns its output, errors and host text.</summary>
    public static PsResult Run(string script, IDictionary<string, object?>? variables = null)
    {
        var text = new StringWriter();
        using var runspace = OpenRunspace(text);
        foreach (var (name, value) in variables ?? new Dictionary<string, object?>())
        {
            runspace.SessionStateProxy.SetVariable(name, value);
        }
        using var ps = PowerShell.Create(runspace);
        ps.AddScript(script);
        Collection<PSObject> output;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException e)
        {
            return new PsResult([], [.. ps.Streams.Error, e.ErrorRecord], text.ToString());
        }
        return new PsResult(output, ps.Streams.Error.ToList(), text.ToString());
    }
}
