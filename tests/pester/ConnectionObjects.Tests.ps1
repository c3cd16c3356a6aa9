# The connection objects Pode scripts call methods on: $WebEvent.Signal (Send, Close, IsClosed,
# LastActivity) and $WsEvent.Request.WebSocket (Send, Reconnect, Disconnect).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
}

Describe '$WebEvent.Signal' {
    It 'sends to its own connection, says whether it is closed, and closes it' {
        $port = Get-FreeTcpPort
        $server = Start-TestServer -Port $port -ScriptBlock {
            param($Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Ws -NoAutoUpgradeWebSockets
                Add-PodeRoute -Method Get -Path '/ws' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'Objects'
                    $signal = $WebEvent.Signal
                    $sent = $signal.Send("hello $($signal.ClientId)")
                    $signal.Send("sent=$sent closed=$($signal.IsClosed) active=$($signal.LastActivity.Year -ge 2000)") | Out-Null
                    $signal.Close()
                    Start-Sleep -Milliseconds 200
                    Set-PodeState -Name 'after' -Value "closed=$($signal.IsClosed) send=$($signal.Send('late'))" | Out-Null
                }
                Add-PodeRoute -Method Get -Path '/after' -ScriptBlock { Write-PodeTextResponse -Value (Get-PodeState -Name 'after') }
            }
        }
        try {
            $ws = Connect-TestWebSocket "$($server.Ws)/ws"
            Receive-TestWebSocket $ws | Should -Match '^hello [0-9a-f-]{36}$'
            Receive-TestWebSocket $ws | Should -Be 'sent=True closed=False active=True'
            Receive-TestWebSocket $ws | Should -BeNullOrEmpty -Because 'Close() closed it'
            $ws.CloseStatus | Should -Be 'NormalClosure'
            $ws.Dispose()
            $deadline = [datetime]::UtcNow.AddSeconds(20)
            while (-not ($after = Invoke-RestMethod "$($server.Http)/after") -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $after | Should -Be 'closed=True send=False'
        }
        finally {
            (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
        }
    }
}

Describe '$WsEvent.Request.WebSocket' {
    It 'sends, reconnects and disconnects its connection' {
        $chatPort = Get-FreeTcpPort
        $chat = Start-TestServer -Path (Join-Path $PSScriptRoot '../../examples/chat/server.ps1' | Resolve-Path) -Port $chatPort -Parameters @{ Port = $chatPort }
        $port = Get-FreeTcpPort
        $client = Start-TestServer -Port $port -ScriptBlock ([scriptblock]::Create(@"
            param(`$Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port `$Port -Protocol Http
                Connect-PodeWebSocket -Name 'Chat' -Url 'ws://127.0.0.1:$chatPort/msg' -ScriptBlock {
                    switch (`$WsEvent.Data.message) {
                        'ping' { `$WsEvent.Request.WebSocket.Send(@{ message = 'pong' }) }
                        'reconnect' { `$WsEvent.Request.WebSocket.Reconnect() }
                        'disconnect' { `$WsEvent.Request.WebSocket.Disconnect() }
                    }
                }
            }
"@))
        try {
            $watcher = Connect-TestWebSocket "$($chat.Ws)/msg"
            function Next([scriptblock]$Where) {
                for ($i = 0; $i -lt 50; $i++) { $m = Receive-TestWebSocket $watcher -AsJson; if (& $Where $m) { return $m } }
                throw 'no matching message'
            }
            $me = (Next { param($m) $m.type -eq 'welcome' }).clientId
            # The client joined before the watcher (it is in the roster) or joins after it.
            $others = @((Next { param($m) $m.type -eq 'roster' }).clients | Where-Object { $_ -ne $me })
            $external = if ($others) { $others[0] } else { (Next { param($m) $m.type -eq 'join' -and $m.clientId -ne $me }).clientId }

            Send-TestWebSocket $watcher '{"message":"ping"}'
            Next { param($m) $m.type -eq 'message' -and $m.message -eq 'pong' } | Should -Not -BeNullOrEmpty

            Send-TestWebSocket $watcher '{"message":"reconnect"}'
            Next { param($m) $m.type -eq 'leave' -and $m.clientId -eq $external } | Should -Not -BeNullOrEmpty
            $again = (Next { param($m) $m.type -eq 'join' -and $m.clientId -notin $me, $external }).clientId

            Send-TestWebSocket $watcher '{"message":"disconnect"}'
            Next { param($m) $m.type -eq 'leave' -and $m.clientId -eq $again } | Should -Not -BeNullOrEmpty
            Close-TestWebSocket $watcher
        }
        finally {
            (Stop-TestServer $client).Errors | Should -BeNullOrEmpty
            Stop-TestServer $chat | Out-Null
        }
    }
}
