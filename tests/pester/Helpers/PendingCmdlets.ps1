<#
    Dot-sourced before examples/auth-chat/server.ps1 in tests, after Import-Module PsWebSocket: that
    example (Pode's Web-SignalAuthForm.ps1) calls New-PodeLogTerminalMethod, Enable-PodeErrorLogType and
    Set-PodeViewEngine, which other branches build (logging, .pode views). Each is defined here, doing
    nothing, only while the module lacks it; once those branches are merged the module's own run.
#>
foreach ($name in 'New-PodeLogTerminalMethod', 'Enable-PodeErrorLogType', 'Set-PodeViewEngine') {
    if (-not (Get-Command $name -ErrorAction Ignore)) {
        . ([scriptblock]::Create("function global:$name { param([Parameter(ValueFromPipeline)] `$InputObject, [string[]] `$Levels, [string] `$Type) }"))
    }
}
