@{
    RootModule           = 'PsWebSocket.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0f3c2e-8f7b-4c49-9a8e-3f5d0f1c2a77'
    Author               = 'PsWebSocket'
    CompanyName          = 'PsWebSocket'
    Copyright            = '(c) PsWebSocket. MIT licence.'
    Description          = "Pode's WebSocket cmdlets (signals server and external WebSockets) on a native Rust engine."
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    RequiredAssemblies   = @('Cronos.dll')

    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @('Enable-PodeErrorLogType', 'Enable-PodeRequestLogType')
    CmdletsToExport      = @(
        # server
        'Start-PodeServer', 'Close-PodeServer', 'Add-PodeEndpoint', 'Get-PodeEndpoint', 'Get-PodeServerDefaultSecret',
        # http
        'Add-PodeRoute', 'Add-PodeStaticRoute', 'Write-PodeTextResponse', 'Write-PodeJsonResponse', 'Write-PodeHtmlResponse',
        'Write-PodeFileResponse', 'Write-PodeViewResponse', 'Set-PodeResponseStatus', 'Set-PodeViewEngine', 'Move-PodeResponseUrl',
        'Set-PodeResponseAttachment', 'Set-PodeHeader', 'Add-PodeHeader', 'Set-PodeCookie', 'Get-PodeCookie', 'Write-PodeErrorResponse',
        # logging and the terminal
        'New-PodeLogTerminalMethod', 'New-PodeLogFileMethod', 'New-PodeLogCustomMethod', 'New-PodeLoggingMethod',
        'Enable-PodeLogErrorType', 'Enable-PodeErrorLogging', 'Enable-PodeLogRequestType', 'Enable-PodeRequestLogging',
        'Add-PodeLogger', 'Write-PodeLog', 'Write-PodeErrorLog', 'Write-PodeHost', 'Out-PodeHost',
        # middleware, sessions and authentication
        'Add-PodeMiddleware', 'Remove-PodeMiddleware', 'Enable-PodeSessionMiddleware', 'Save-PodeSession', 'Remove-PodeSession',
        'Get-PodeSessionId', 'New-PodeAuthScheme', 'ConvertTo-PodeJwt', 'Add-PodeAuth', 'Test-PodeAuthUser', 'Get-PodeAuthUser', 'Register-PodeAuthEvent',
        # timers, schedules, state and locking
        'Add-PodeTimer', 'Invoke-PodeTimer', 'Get-PodeTimer', 'Remove-PodeTimer', 'Test-PodeTimer',
        'Add-PodeSchedule', 'Invoke-PodeSchedule', 'Get-PodeSchedule', 'Remove-PodeSchedule', 'Test-PodeSchedule',
        'New-PodeCron', 'Set-PodeState', 'Get-PodeState', 'Lock-PodeObject',
        # signals
        'ConvertTo-PodeSignalConnection', 'Send-PodeSignal', 'Close-PodeSignalConnection', 'Set-PodeSignalDefaultScope',
        'Get-PodeSignalDefaultScope', 'Set-PodeSignalBroadcastLevel', 'Get-PodeSignalBroadcastLevel', 'Test-PodeSignalBroadcastLevel',
        'Enable-PodeSignalSigning', 'Disable-PodeSignalSigning', 'New-PodeSignalClientId', 'Test-PodeSignalClientId',
        'Test-PodeSignalClientIdSigned', 'Test-PodeSignalClientIdValid', 'Test-PodeSignalName', 'Get-PodeSignalNameList',
        'Get-PodeSignalGroupList', 'Get-PodeSignalClientIdList',
        'Add-PodeSignalRoute', 'Remove-PodeSignalRoute', 'Clear-PodeSignalRoutes', 'Get-PodeSignalRoute', 'Test-PodeSignalRoute',
        'Add-PodeSignalRouteGroup',
        'Register-PodeSignalEvent', 'Unregister-PodeSignalEvent', 'Test-PodeSignalEvent', 'Get-PodeSignalEvent',
        'Register-PodeWebSocketEvent', 'Unregister-PodeWebSocketEvent', 'Add-PodeSignalMetricsRoute',
        'Get-PodeServerSignalMetric', 'Get-PodeServerActiveSignalMetric', 'Get-PodeServerActiveSignalClientMetric',
        'Set-PodeSignalBackplane', 'Get-PodeSignalBackplane',
        # external websockets
        'Connect-PodeWebSocket', 'Send-PodeWebSocket', 'Disconnect-PodeWebSocket', 'Remove-PodeWebSocket', 'Reset-PodeWebSocket',
        'Test-PodeWebSocket', 'Set-PodeWebSocketConcurrency'
    )

    HelpInfoURI          = 'https://example.invalid/pswebsocket'

    PrivateData          = @{
        PSData = @{
            Tags         = @('WebSocket', 'Pode', 'Signals', 'Server', 'Linux', 'Windows', 'MacOS')
            ProjectUri   = 'https://example.invalid/pswebsocket'
            LicenseUri   = 'https://opensource.org/license/mit'
            ReleaseNotes = "First release: Pode's signals server and external WebSockets on the native engine."
        }
    }
}
