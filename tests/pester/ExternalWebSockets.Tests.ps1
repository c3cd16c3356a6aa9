# Connect-PodeWebSocket's connect options: how long a connect may take, and which certificate
# authorities a wss:// server's certificate may come from.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force

    # A server whose GET /connect tries Connect-PodeWebSocket with the query's url (and ca, timeout)
    # and answers 'connected' or the error's message.
    function Start-ConnectingServer([hashtable]$Parameters = @{}) {
        $port = Get-FreeTcpPort
        Start-TestServer -Port $port -Parameters $Parameters -ScriptBlock {
            param($Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
                Add-PodeRoute -Method Get -Path '/connect' -ScriptBlock {
                    $options = @{ Name = "c$([guid]::NewGuid())"; Url = $WebEvent.Query['url'] }
                    if ($WebEvent.Query['ca']) { $options.CertificateAuthority = $WebEvent.Query['ca'] }
                    if ($WebEvent.Query['timeout']) { $options.Timeout = [int]$WebEvent.Query['timeout'] }
                    try {
                        Connect-PodeWebSocket @options
                        Write-PodeTextResponse -Value 'connected'
                    }
                    catch {
                        Write-PodeTextResponse -Value $_.Exception.Message
                    }
                }
            }
        }
    }

    function Invoke-Connect($Server, [hashtable]$Query) {
        $text = ($Query.GetEnumerator() | ForEach-Object { "$($_.Key)=$([uri]::EscapeDataString($_.Value))" }) -join '&'
        Invoke-RestMethod "$($Server.Http)/connect?$text" -TimeoutSec 60
    }
}

Describe 'Connect-PodeWebSocket -Timeout' {
    It 'gives up on a server that takes the connection but never answers the upgrade' {
        # The kernel completes TCP handshakes for the listener's backlog; nobody ever answers.
        $silent = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $silent.Start()
        $server = Start-ConnectingServer
        try {
            $answer = Invoke-Connect $server @{ url = "ws://127.0.0.1:$($silent.LocalEndpoint.Port)/x"; timeout = '1' }
            $answer | Should -Match 'timed out after 1s'
        }
        finally {
            $silent.Stop()
            (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
        }
    }
}

Describe 'Connect-PodeWebSocket -CertificateAuthority' {
    BeforeAll {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) "psws-ca-$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory -Path $dir | Out-Null
        $chain = New-TestCertificateChain -Directory $dir
        $wssPort = Get-FreeTcpPort
        $wss = Start-TestServer -Port $wssPort -Parameters @{} -ScriptBlock ([scriptblock]::Create(@"
            param(`$Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port `$Port -Protocol Wss -Certificate '$($chain.CertFile)' -CertificateKey '$($chain.KeyFile)'
            }
"@))
        $server = Start-ConnectingServer
    }
    AfterAll {
        Stop-TestServer $server | Out-Null
        Stop-TestServer $wss | Out-Null
        Remove-Item -Recurse -Force $dir
    }

    It 'trusts a server certificate from a private CA given as a PEM file' {
        Invoke-Connect $server @{ url = "wss://127.0.0.1:$wssPort/feed"; ca = $chain.CaFile } | Should -Be 'connected'
    }

    It 'refuses that server without the CA file' {
        Invoke-Connect $server @{ url = "wss://127.0.0.1:$wssPort/feed" } | Should -Match 'TLS'
    }

    It 'says when the CA file does not exist' {
        Invoke-Connect $server @{ url = "wss://127.0.0.1:$wssPort/feed"; ca = "$dir/missing.pem" } | Should -Match 'missing.pem'' does not exist'
    }
}

Describe 'Register-PodeWebSocketEvent' {
    It 'runs scripts when a connection drops, reconnects and is back, with what each event knows' {
        $feedPort = Get-FreeTcpPort
        $feed = Start-TestServer -Port $feedPort -ScriptBlock {
            param($Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Ws
                Add-PodeRoute -Method Post -Path '/close' -ScriptBlock { Close-PodeSignalConnection -Name '/feed' }
            }
        }
        $port = Get-FreeTcpPort
        $client = Start-TestServer -Port $port -ScriptBlock ([scriptblock]::Create(@"
            param(`$Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port `$Port -Protocol Http
                Set-PodeState -Name 'Seen' -Value ([System.Collections.ArrayList]::new()) | Out-Null
                Connect-PodeWebSocket -Name 'Feed' -Url 'ws://127.0.0.1:$feedPort/feed' -Reconnect -ReconnectDelay 100
                foreach (`$type in 'Disconnected', 'Reconnecting', 'Reconnected') {
                    Register-PodeWebSocketEvent -Name 'Feed' -Type `$type -EventName 'Record' -ScriptBlock {
                        `$seen = "`$(`$WsEvent.Type) name=`$(`$WsEvent.Name) code=`$(`$WsEvent.Code) attempt=`$(`$WsEvent.Attempt) delay=`$(`$WsEvent.Delay.TotalMilliseconds) url=`$(`$WsEvent.Url)"
                        Lock-PodeObject -ScriptBlock { (Get-PodeState -Name 'Seen').Add(`$seen) | Out-Null }
                    }
                }
                Add-PodeRoute -Method Get -Path '/seen' -ScriptBlock { Write-PodeJsonResponse -Value (Get-PodeState -Name 'Seen').ToArray() }
            }
"@))
        try {
            Invoke-RestMethod -Method Post "$($feed.Http)/close" | Out-Null
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            do {
                Start-Sleep -Milliseconds 200
                $seen = @(Invoke-RestMethod "$($client.Http)/seen" | ForEach-Object { $_ })
            } while ($seen.Count -lt 3 -and [datetime]::UtcNow -lt $deadline)

            $seen | Should -HaveCount 3
            $seen[0] | Should -Be 'Disconnected name=Feed code=1000 attempt= delay= url='
            $seen[1] | Should -Match '^Reconnecting name=Feed code= attempt=1 delay=\d+(\.\d+)? url=$'
            # The first wait is -ReconnectDelay with the engine's jitter of 20 % either way.
            [double]($seen[1] -replace '.*delay=([0-9.]+).*', '$1') | Should -BeGreaterOrEqual 80
            [double]($seen[1] -replace '.*delay=([0-9.]+).*', '$1') | Should -BeLessOrEqual 120
            $seen[2] | Should -Be "Reconnected name=Feed code= attempt= delay= url=ws://127.0.0.1:$feedPort/feed"
        }
        finally {
            (Stop-TestServer $client).Errors | Should -BeNullOrEmpty
            Stop-TestServer $feed | Out-Null
        }
    }
}
