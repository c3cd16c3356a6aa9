# Tab completion of -Name: the cmdlets that take the Name of an existing signal connection or
# external WebSocket complete the names that exist now. The server runs in this process (a
# background runspace), as when a user starts one with Start-ThreadJob and works at the prompt.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
    Import-Module PsWebSocket

    # The completion texts TabExpansion2 offers at the end of -Line.
    function Get-Completion([string]$Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches | ForEach-Object CompletionText)
    }

    # Waits until the completions of -Line are -Expected (names appear and leave with connections).
    function Wait-Completion([string]$Line, [string[]]$Expected) {
        $deadline = [datetime]::UtcNow.AddSeconds(20)
        do {
            $actual = Get-Completion $Line
            if (($actual -join '|') -ceq ($Expected -join '|')) { return }
            Start-Sleep -Milliseconds 100
        } while ([datetime]::UtcNow -lt $deadline)
        throw "'$Line' completed to '$($actual -join ', ')', not '$($Expected -join ', ')'"
    }

    $port = Get-FreeTcpPort
    $server = [powershell]::Create()
    $null = $server.AddScript({
            param($Port)
            Import-Module PsWebSocket
            Start-PodeServer -Threads 2 -EnablePool WebSockets {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Ws -NoAutoUpgradeWebSockets
                Add-PodeRoute -Method Get -Path '/signal' -ScriptBlock { ConvertTo-PodeSignalConnection -Name $WebEvent.Query['name'] }
                Add-PodeRoute -Method Get -Path '/ready' -ScriptBlock { Write-PodeTextResponse -Value 'ready' }
                # An external connection, to this server's own signal Name 'Upstream' (the upgrade needs a second thread).
                Add-PodeRoute -Method Get -Path '/connect-feed' -ScriptBlock {
                    Connect-PodeWebSocket -Name 'Feed' -Url "ws://127.0.0.1:$($using:Port)/signal?name=Upstream" -ScriptBlock { }
                    Write-PodeTextResponse -Value "$(Test-PodeWebSocket -Name 'Feed')"
                }
            }
        }).AddArgument($port)
    $running = $server.BeginInvoke()
    $http = "http://127.0.0.1:$port"
    $deadline = [datetime]::UtcNow.AddSeconds(60)
    while ($(try { (Invoke-WebRequest "$http/ready").Content } catch { 'not yet' }) -ne 'ready') {
        if ($running.IsCompleted -or [datetime]::UtcNow -gt $deadline) {
            throw "the server did not start: $($server.Streams.Error)"
        }
        Start-Sleep -Milliseconds 100
    }
    $connected = try { (Invoke-WebRequest "$http/connect-feed").Content } catch { "$_ $($server.Streams.Error)" }
    $connected | Should -Be 'True' 
    # Signal connections, besides Feed's own 'Upstream'.
    $chat = Connect-TestWebSocket "ws://127.0.0.1:$port/signal?name=Chat"
    $metrics = Connect-TestWebSocket "ws://127.0.0.1:$port/signal?name=Metrics"
    $room = Connect-TestWebSocket "ws://127.0.0.1:$port/signal?name=Chat%20Room"
}

AfterAll {
    foreach ($socket in $chat, $metrics, $room) {
        if ($socket) { $socket.Dispose() }
    }
    if ($server) {
        $server.Stop()
        $server.Dispose()
    }
}

Describe 'Tab completion of signal Names' {
    It 'completes every open Name for <_>' -ForEach @(
        'Send-PodeSignal', 'Close-PodeSignalConnection', 'Test-PodeSignalName', 'Test-PodeSignalClientId', 'Get-PodeSignalGroupList',
        'Get-PodeSignalClientIdList', 'Get-PodeServerActiveSignalClientMetric', 'Set-PodeSignalBroadcastLevel', 'Get-PodeSignalBroadcastLevel',
        'Test-PodeSignalBroadcastLevel'
    ) {
        Get-Completion "$_ -Name " | Should -Be @('Chat', "'Chat Room'", 'Metrics', 'Upstream')
    }

    It 'completes the Names that start with what is typed' {
        Get-Completion 'Send-PodeSignal -Name Ch' | Should -Be @('Chat', "'Chat Room'")
        Get-Completion "Send-PodeSignal -Name 'Chat R" | Should -Be @("'Chat Room'")
        Get-Completion 'Send-PodeSignal -Value 1 -Name m' | Should -Be @('Metrics')
        Get-Completion 'Send-PodeSignal -Name x' | Should -BeNullOrEmpty
    }

    It 'drops a Name when its last connection closes' {
        Close-TestWebSocket $metrics
        Wait-Completion 'Close-PodeSignalConnection -Name ' @('Chat', "'Chat Room'", 'Upstream')
    }
}

Describe 'Tab completion of external WebSocket Names' {
    It 'completes the connected Names for <_>' -ForEach @(
        'Send-PodeWebSocket', 'Disconnect-PodeWebSocket', 'Remove-PodeWebSocket', 'Reset-PodeWebSocket', 'Test-PodeWebSocket'
    ) {
        Get-Completion "$_ -Name " | Should -Be @('Feed')
        Get-Completion "$_ -Name x" | Should -BeNullOrEmpty
    }
}

Describe 'Tab completion without a server' {
    It 'offers nothing once the server stopped' {
        $server.Stop()
        Get-Completion 'Send-PodeSignal -Name ' | Should -BeNullOrEmpty
        Get-Completion 'Send-PodeWebSocket -Name ' | Should -BeNullOrEmpty
    }
}
