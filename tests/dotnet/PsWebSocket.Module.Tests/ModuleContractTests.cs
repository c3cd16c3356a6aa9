using System.Management.Automation;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// The module's contract with its users: the manifest exports exactly Pode's WebSocket
/// cmdlets, every one has help (synopsis, every parameter described, an example), and
/// the folder is self-contained (psd1, assemblies, help, the native engine).
/// </summary>
public class ModuleContractTests
{
    /// <summary>The cmdlets the module promises (Pode's names).</summary>
    public static readonly string[] Expected =
    [
        // server
        "Start-PodeServer", "Close-PodeServer", "Add-PodeEndpoint", "Get-PodeEndpoint", "Get-PodeServerDefaultSecret",
        // http
        "Add-PodeRoute", "Add-PodeStaticRoute", "Write-PodeTextResponse", "Write-PodeJsonResponse", "Write-PodeHtmlResponse",
        "Write-PodeFileResponse", "Write-PodeViewResponse", "Set-PodeResponseStatus", "Set-PodeViewEngine", "Move-PodeResponseUrl",
        "Set-PodeResponseAttachment", "Set-PodeHeader", "Add-PodeHeader", "Set-PodeCookie", "Get-PodeCookie", "Write-PodeErrorResponse",
        // logging and the terminal
        "New-PodeLogTerminalMethod", "New-PodeLogFileMethod", "New-PodeLogCustomMethod", "New-PodeLoggingMethod", "Enable-PodeLogErrorType",
        "Enable-PodeErrorLogging", "Enable-PodeLogRequestType", "Enable-PodeRequestLogging", "Add-PodeLogger", "Write-PodeLog",
        "Write-PodeErrorLog", "Write-PodeHost", "Out-PodeHost",
        // middleware, sessions and authentication
        "Add-PodeMiddleware", "Remove-PodeMiddleware", "Enable-PodeSessionMiddleware", "Save-PodeSession", "Remove-PodeSession",
        "Get-PodeSessionId", "New-PodeAuthScheme", "ConvertTo-PodeJwt", "Add-PodeAuth", "Test-PodeAuthUser", "Get-PodeAuthUser", "Register-PodeAuthEvent",
        // timers, schedules, state
        "Add-PodeTimer", "Invoke-PodeTimer", "Get-PodeTimer", "Remove-PodeTimer", "Test-PodeTimer",
        "Add-PodeSchedule", "Invoke-PodeSchedule", "Get-PodeSchedule", "Remove-PodeSchedule", "Test-PodeSchedule",
        "New-PodeCron", "Lock-PodeObject", "Set-PodeState", "Get-PodeState",
        // signals
        "ConvertTo-PodeSignalConnection", "Send-PodeSignal", "Close-PodeSignalConnection", "Set-PodeSignalDefaultScope", "Get-PodeSignalDefaultScope",
        "Set-PodeSignalBroadcastLevel", "Get-PodeSignalBroadcastLevel", "Test-PodeSignalBroadcastLevel", "Enable-PodeSignalSigning",
        "Disable-PodeSignalSigning", "New-PodeSignalClientId", "Test-PodeSignalClientId", "Test-PodeSignalClientIdSigned",
        "Test-PodeSignalClientIdValid", "Test-PodeSignalName", "Get-PodeSignalNameList", "Get-PodeSignalGroupList", "Get-PodeSignalClientIdList",
        "Add-PodeSignalRoute", "Remove-PodeSignalRoute", "Clear-PodeSignalRoutes", "Get-PodeSignalRoute", "Test-PodeSignalRoute",
        "Add-PodeSignalRouteGroup", "Register-PodeSignalEvent", "Unregister-PodeSignalEvent", "Test-PodeSignalEvent", "Get-PodeSignalEvent",
        "Register-PodeWebSocketEvent", "Unregister-PodeWebSocketEvent", "Add-PodeSignalMetricsRoute",
        "Get-PodeServerSignalMetric", "Get-PodeServerActiveSignalMetric", "Get-PodeServerActiveSignalClientMetric",
        "Set-PodeSignalBackplane", "Get-PodeSignalBackplane",
        // external websockets
        "Connect-PodeWebSocket", "Send-PodeWebSocket", "Disconnect-PodeWebSocket", "Remove-PodeWebSocket", "Reset-PodeWebSocket",
        "Test-PodeWebSocket", "Set-PodeWebSocketConcurrency",
    ];

    [Fact]
    public void The_module_exports_exactly_the_promised_cmdlets()
    {
        var result = Ps.Run("(Get-Module PsWebSocket).ExportedCmdlets.Keys");
        Assert.Empty(result.Errors);
        var exported = result.Output.Select(o => o.ToString()).Order().ToArray();
        Assert.Equal(Expected.Order().ToArray(), exported);
    }

    [Fact]
    public void Every_cmdlet_class_is_exported()
    {
        var result = Ps.Run("""
            $asm = (Get-Module PsWebSocket).ImplementingAssembly
            $asm.GetExportedTypes() | ForEach-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
                ForEach-Object { "$($_.VerbName)-$($_.NounName)" }
            """);
        Assert.Empty(result.Errors);
        Assert.Equal(Expected.Order().ToArray(), result.Output.Select(o => o.ToString()).Order().ToArray());
    }

    public static IEnumerable<object[]> Cmdlets() => Expected.Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Get_Help_gives_a_synopsis_every_parameter_and_an_example(string name)
    {
        var result = Ps.Run("""
            param($name)
            $help = Get-Help $name -Full
            $help.Synopsis
            @($help.parameters.parameter | Where-Object { $_ }).Count
            @($help.parameters.parameter | Where-Object { -not ($_.description | ForEach-Object { $_.Text }) } | ForEach-Object { $_.name }) -join ','
            @($help.examples.example).Count
            (Get-Command $name).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.Cmdlet]::CommonParameters -and $_ -notin [System.Management.Automation.Cmdlet]::OptionalCommonParameters }
            """.Replace("param($name)", "$name = '" + name + "'"));
        Assert.Empty(result.Errors);
        var lines = result.Output.Select(o => o?.ToString() ?? "").ToList();
        var synopsis = lines[0];
        Assert.False(string.IsNullOrWhiteSpace(synopsis), $"{name} has no synopsis");
        Assert.DoesNotContain(name, synopsis.Split(' ').Take(1)); // a real sentence, not the generated syntax line
        var undocumented = lines[2];
        Assert.True(undocumented.Length == 0, $"{name}: parameters without a description: {undocumented}");
        Assert.True(int.Parse(lines[3]) >= 1, $"{name} has no example");
        var documented = int.Parse(lines[1]);
        var declared = lines.Skip(4).Count();
        Assert.True(documented == declared, $"{name}: help lists {documented} parameters, the cmdlet has {declared}");
    }

    [Fact]
    public void The_module_folder_is_self_contained()
    {
        foreach (var file in new[] { "PsWebSocket.psd1", "PsWebSocket.dll", "Cronos.dll", "PsWebSocket.dll-Help.xml", "runtimes/linux-x64/native/libpsws.so" })
        {
            Assert.True(File.Exists(Path.Combine(Ps.ModuleDir, file)), $"{file} is missing from {Ps.ModuleDir}");
        }
    }
}
