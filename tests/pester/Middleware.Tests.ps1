# Add-PodeMiddleware, Remove-PodeMiddleware and Add-PodeRoute -Middleware, through HTTP and WebSocket clients.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force

    $port = Get-FreeTcpPort
    $server = Start-TestServer -Port $port -ScriptBlock {
        param($Port)
        Start-PodeServer {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Ws -NoAutoUpgradeWebSockets

            # every route: a header to stop on, and a trace of what ran
            Add-PodeMiddleware -Name 'Gate' -ScriptBlock {
                $WebEvent.Metadata.Trace = @('gate')
                if ($WebEvent.Request.Headers['X-Stop'] -eq 'yes') {
                    Set-PodeResponseStatus -Code 403 -Description 'stopped by middleware'
                    return $false
                }
                return $true
            }
            # only /api/* routes; writes nothing (continues, as in Pode)
            Add-PodeMiddleware -Name 'Api' -Route '/api/*' -ScriptBlock { $WebEvent.Metadata.Trace += 'api' }
            Add-PodeMiddleware -Name 'Throws' -Route '/boom' -ScriptBlock { throw 'middleware failed' }
            Add-PodeMiddleware -Name 'Removed' -ScriptBlock { Set-PodeResponseStatus -Code 418; return $false }
            Remove-PodeMiddleware -Name 'Removed'

            Add-PodeRoute -Method Get -Path '/api/trace' -Middleware { $WebEvent.Metadata.Trace += 'route-mw'; $true } -ScriptBlock {
                Write-PodeJsonResponse -Value @{ trace = @($WebEvent.Metadata.Trace + 'route') }
            }
            Add-PodeRoute -Method Get -Path '/other' -ScriptBlock { Write-PodeJsonResponse -Value @{ trace = @($WebEvent.Metadata.Trace + 'route') } }
            Add-PodeRoute -Method Get -Path '/denied' -Middleware @{ Logic = { param($code) Set-PodeResponseStatus -Code $code; $false }; Arguments = @(409) } -ScriptBlock {
                Write-Host 'the /denied route ran'
            }
            Add-PodeRoute -Method Get -Path '/boom' -ScriptBlock { Write-PodeTextResponse 'not reached' }
            Add-PodeRoute -Method Get -Path '/msg' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Msg' }
        }
    }
}

AfterAll {
    Stop-TestServer $server | Out-Null
}

Describe 'Middleware' {
    It 'runs global, route-filtered and route middleware in order before the route' {
        $r = Invoke-RestMethod "$($server.Http)/api/trace"
        $r.trace | Should -Be @('gate', 'api', 'route-mw', 'route')
        (Invoke-RestMethod "$($server.Http)/other").trace | Should -Be @('gate', 'route')
    }

    It 'stops the request when it returns $false, with the response it set' {
        $r = Invoke-WebRequest "$($server.Http)/other" -Headers @{ 'X-Stop' = 'yes' } -SkipHttpErrorCheck
        $r.StatusCode | Should -Be 403
        $r.Content | Should -Be 'stopped by middleware'
    }

    It 'passes a hashtable middleware its Arguments and does not run the route after $false' {
        (Invoke-WebRequest "$($server.Http)/denied" -SkipHttpErrorCheck).StatusCode | Should -Be 409
        Get-TestServerOutput $server | Should -Not -Match 'the /denied route ran'
    }

    It 'answers 500 and logs when middleware throws, and keeps serving' {
        (Invoke-WebRequest "$($server.Http)/boom" -SkipHttpErrorCheck).StatusCode | Should -Be 500
        Wait-TestServerOutput $server -Pattern 'middleware failed' | Out-Null
        (Invoke-WebRequest "$($server.Http)/other").StatusCode | Should -Be 200
    }

    It 'runs before the upgrade route: a refusal is never a 101' {
        $refused = Get-TestWebSocketRefusal "$($server.Ws)/msg" -Headers @{ 'X-Stop' = 'yes' }
        $refused.StatusCode | Should -Be 403
        { Get-TestWebSocketRefusal "$($server.Ws)/msg" } | Should -Throw '*accepted the upgrade*'
        $ws = Connect-TestWebSocket "$($server.Ws)/msg"
        $ws.State | Should -Be 'Open'
        Close-TestWebSocket $ws
    }

    It 'no longer runs removed middleware' {
        (Invoke-WebRequest "$($server.Http)/other").StatusCode | Should -Be 200
    }
}
