using System.Reflection;

// pwsh [pwsh's own arguments]: PowerShell 7.6's console host with the PsWebSocket module folder
// on PSModulePath (PWSH_RUNNER_MODULES overrides it). Everything else (-File, -Command, exit
// codes, Ctrl+C, -s for Start-Job) is pwsh's own code.
var moduleDir = Assembly.GetExecutingAssembly().GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "PsModuleDir").Value!;
var modulesRoot = Environment.GetEnvironmentVariable("PWSH_RUNNER_MODULES") ?? Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(moduleDir))!;
var inherited = Environment.GetEnvironmentVariable("PSModulePath");
if (inherited is null || !inherited.Split(Path.PathSeparator).Contains(modulesRoot))
{
    Environment.SetEnvironmentVariable("PSModulePath", modulesRoot + (inherited is null ? "" : Path.PathSeparator + inherited));
}
return Microsoft.PowerShell.UnmanagedPSEntry.Start(args, args.Length);
