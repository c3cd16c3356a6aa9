using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Runtime.InteropServices;
using PwshRunner;

// PwshRunner <script.ps1> [args...]   (-Name value and -Switch work as with pwsh -File)
// Runs the script in-process with PowerShell 7.6, the PsWebSocket module on PSModulePath
// (PWSH_RUNNER_MODULES overrides its folder's parent), output rendered like pwsh through
// Out-Default. Ctrl+C or SIGTERM stops the pipeline (a blocking Start-PodeServer shuts down
// gracefully); a second signal exits at once.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: PwshRunner <script.ps1> [args...]");
    return 2;
}
var script = Path.GetFullPath(args[0]);
if (!File.Exists(script))
{
    Console.Error.WriteLine($"PwshRunner: {script} does not exist");
    return 2;
}

var moduleDir = typeof(TextHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "PsModuleDir").Value!;
var modulesRoot = Environment.GetEnvironmentVariable("PWSH_RUNNER_MODULES") ?? Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(moduleDir))!;
Environment.SetEnvironmentVariable("PSModulePath", modulesRoot + Path.PathSeparator + Environment.GetEnvironmentVariable("PSModulePath"));

// Formatting would emit ANSI escapes into redirected output; the host writes plain text.
PSStyle.Instance.OutputRendering = OutputRendering.PlainText;

var host = new TextHost(Console.Out, Console.Error);
using var runspace = RunspaceFactory.CreateRunspace(host, InitialSessionState.CreateDefault2());
runspace.Open();
runspace.SessionStateProxy.Path.SetLocation(Path.GetDirectoryName(script)!);

using var ps = PowerShell.Create(runspace);
ps.AddCommand(script);
AddArguments(ps, args.Skip(1).ToArray());
ps.Commands.Commands[0].MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
ps.AddCommand("Out-Default");

var signals = 0;
void OnSignal(PosixSignalContext ctx)
{
    ctx.Cancel = true;
    if (Interlocked.Increment(ref signals) == 1)
    {
        Console.Error.WriteLine($"[PwshRunner] {ctx.Signal}: stopping");
        ps.BeginStop(null, null);
    }
    else
    {
        Environment.Exit(130);
    }
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

try
{
    ps.Invoke();
}
catch (RuntimeException e)
{
    Console.Error.WriteLine(e.ErrorRecord?.ToString() ?? e.Message);
    return 1;
}
if (ps.InvocationStateInfo.State == PSInvocationState.Stopped)
{
    return 130;
}
if (host.ExitCode is int code)
{
    return code;
}
return ps.HadErrors ? 1 : 0;

// Script arguments as pwsh -File passes them: `-Name value` binds a parameter, `-Name`
// followed by another `-Name` (or nothing) is a switch, anything else is positional.
static void AddArguments(PowerShell ps, string[] rest)
{
    static bool IsName(string a) => a.Length > 1 && a[0] == '-' && char.IsLetter(a[1]);
    for (var i = 0; i < rest.Length; i++)
    {
        if (!IsName(rest[i]))
        {
            ps.AddArgument(rest[i]);
        }
        else if (rest[i].IndexOf(':') is var colon and > 0)
        {
            ps.AddParameter(rest[i][1..colon], rest[i][(colon + 1)..]);
        }
        else if (i + 1 < rest.Length && !IsName(rest[i + 1]))
        {
            ps.AddParameter(rest[i][1..], rest[++i]);
        }
        else
        {
            ps.AddParameter(rest[i][1..]);
        }
    }
}
