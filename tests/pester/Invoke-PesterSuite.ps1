<#
.SYNOPSIS
    Runs the module's Pester specs (tests/pester/**/*.Tests.ps1) with the Pester the build restored.
.DESCRIPTION
    Imports Pester from the manifest path that the runner's build wrote (pester.path), runs every
    spec, writes NUnit XML, and ends with one line "Pester: N passed, M failed, K skipped".
    Exit code: the number of failed tests (0 = all passed), as Pester's Run.Exit does.
.EXAMPLE
    build/run-ps1.sh tests/pester/Invoke-PesterSuite.ps1 -PesterPath (Get-Content pester.path) -ResultPath target/test-logs/pester.xml
#>
param(
    [Parameter(Mandatory)]
    [string]
    $PesterPath,

    [string]
    $ResultPath = (Join-Path $PSScriptRoot 'pester-results.xml'),

    # Run only the specs whose path matches (e.g. 'Examples').
    [string]
    $Filter = '*'
)

$ErrorActionPreference = 'Stop'
# Logs are files: no colour escapes in them.
$PSStyle.OutputRendering = 'PlainText'
Import-Module $PesterPath -Force

$config = New-PesterConfiguration
$config.Run.Path = @(Get-ChildItem -Path $PSScriptRoot -Recurse -Filter '*.Tests.ps1' | Where-Object FullName -like "*$Filter*" | ForEach-Object FullName)
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = $ResultPath

$result = Invoke-Pester -Configuration $config

# Servers a failed test left running (Start-TestServer starts them as this process's children).
Get-Process | Where-Object { $_.Parent.Id -eq $PID } | ForEach-Object {
    Write-Host "stopping a server a test left running: pid $($_.Id) $($_.CommandLine)"
    Stop-Process -Id $_.Id -Force
}
Write-Host "Pester: $($result.PassedCount) passed, $($result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount) failed, $($result.SkippedCount) skipped"
exit ($result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount)
