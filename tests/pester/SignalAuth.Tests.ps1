# Authenticated WebSockets: ConvertTo-PodeSignalConnection inside an authenticated route upgrades only
# authenticated requests; the user stays with the connection ($SignalEvent.Auth, $TriggeredEvent.Connection.Auth),
# Send-PodeSignal -User reaches each connection of a user, and a session's end closes its connections with 1008.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force

    $serverScript = {
        param($Port, $Duration)
        Start-PodeServer {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Ws -NoAutoUpgradeWebSockets
            Enable-PodeSessionMiddleware -Duration $Duration
            New-PodeAuthScheme -Form | Add-PodeAuth -Name 'Login' -FailureUrl '/login' -SuccessUrl '/' -ScriptBlock {
                param($username, $password)
                if ($password -eq 'pickle') { return @{ User = @{ ID = $username.ToUpperInvariant(); Name = $username } } }
                return @{ Message = 'Invalid details supplied' }
            }
            New-PodeAuthScheme -Basic | Add-PodeAuth -Name 'Api' -Sessionless -ScriptBlock {
                param($username, $password)
                if ($password -eq 'pickle') { return @{ User = $username } }
            }
            Register-PodeSignalEvent -Name 'Msg' -Type Connect -EventName 'In' -ScriptBlock { Write-Host "CONNECT [$($TriggeredEvent.Connection.Auth.User.Name)]" }
            Register-PodeSignalEvent -Name 'Msg' -Type Disconnect -EventName 'Out' -ScriptBlock { Write-Host "DISCONNECT [$($TriggeredEvent.Connection.Auth.User.Name)] $($TriggeredEvent.Connection.CloseCode)" }

            Add-PodeRoute -Method Post -Path '/login' -Authentication Login -Login
            Add-PodeRoute -Method Post -Path '/logout' -Authentication Login -Logout
            Add-PodeRoute -Method Get -Path '/msg' -Authentication Login -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Msg' }
            Add-PodeRoute -Method Get -Path '/api-msg' -Authentication Api -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Api' }
            Add-PodeRoute -Method Get -Path '/notify' -ScriptBlock { Send-PodeSignal -User $WebEvent.Query['user'] -Value "hello $($WebEvent.Query['user'])" }
            Add-PodeSignalRoute -Path '/msg' -ScriptBlock {
                Send-PodeSignal -Mode Direct -Value @{ user = $SignalEvent.Auth.User.Name; id = $SignalEvent.Auth.User.ID; in = $SignalEvent.Auth.IsAuthenticated; echo = $SignalEvent.Data.Message }
            }
        }
    }

    function Start-AuthServer([int]$Duration) {
        $port = Get-FreeTcpPort
        $script = [scriptblock]::Create("param(`$Port) & { $serverScript } `$Port $Duration")
        Start-TestServer -Port $port -ScriptBlock $script
    }

    function Get-LoginCookie($Server, [string]$User) {
        $r = Invoke-TestHttp "$($Server.Http)/login" -Method Post -Form @{ username = $User; password = 'pickle' }
        $r.Location | Should -Be '/'
        if ("$($r.Headers['Set-Cookie'])" -match '(pode\.sid=[^;]*)') { $Matches[1] } else { throw 'no session cookie' }
    }
}

Describe 'Authenticated signal connections' {
    BeforeAll {
        $server = Start-AuthServer -Duration 3600
    }
    AfterAll {
        Stop-TestServer $server | Out-Null
    }

    It 'refuses an anonymous upgrade with the scheme''s redirect or 401, never a 101' {
        $form = Get-TestWebSocketRefusal "$($server.Ws)/msg"
        $form.StatusCode | Should -Be 302
        "$($form.Headers['Location'])" | Should -Be '/login'
        $tampered = Get-TestWebSocketRefusal "$($server.Ws)/msg" -Headers @{ Cookie = 'pode.sid=s:00000000-0000-0000-0000-000000000000.AAAA' }
        $tampered.StatusCode | Should -Be 302
        $basic = Get-TestWebSocketRefusal "$($server.Ws)/api-msg" -Headers @{ Authorization = 'Basic !!' }
        $basic.StatusCode | Should -Be 400
        $wrong = Get-TestWebSocketRefusal "$($server.Ws)/api-msg" -Headers @{ Authorization = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('morty:rick')) }
        $wrong.StatusCode | Should -Be 401
        "$($wrong.Headers['WWW-Authenticate'])" | Should -Be 'Basic realm="User"'
        Get-TestServerOutput $server | Should -Not -Match 'CONNECT'
    }

    It 'keeps the user with the connection: Connect event and $SignalEvent.Auth' {
        $cookie = Get-LoginCookie $server 'Morty'
        $ws = Connect-TestWebSocket "$($server.Ws)/msg" -Headers @{ Cookie = $cookie }
        Wait-TestServerOutput $server -Pattern 'CONNECT \[Morty\]' | Out-Null
        Send-TestWebSocket $ws @{ message = 'hi' }
        $reply = Receive-TestWebSocket $ws -AsJson
        $reply.user | Should -Be 'Morty'
        $reply.id | Should -Be 'MORTY'
        $reply.in | Should -BeTrue
        $reply.echo | Should -Be 'hi'
        Close-TestWebSocket $ws
        Wait-TestServerOutput $server -Pattern 'DISCONNECT \[Morty\]' | Out-Null
    }

    It 'sends to every connection of one user with Send-PodeSignal -User, and to no one else' {
        $morty = Get-LoginCookie $server 'Morty'
        $rick = Get-LoginCookie $server 'Rick'
        $m1 = Connect-TestWebSocket "$($server.Ws)/msg" -Headers @{ Cookie = $morty }
        $m2 = Connect-TestWebSocket "$($server.Ws)/msg" -Headers @{ Cookie = (Get-LoginCookie $server 'Morty') }
        $r1 = Connect-TestWebSocket "$($server.Ws)/msg" -Headers @{ Cookie = $rick }
        (Invoke-TestHttp "$($server.Http)/notify?user=Morty").StatusCode | Should -Be 200
        Receive-TestWebSocket $m1 | Should -Be 'hello Morty'
        Receive-TestWebSocket $m2 | Should -Be 'hello Morty'
        (Invoke-TestHttp "$($server.Http)/notify?user=Rick").StatusCode | Should -Be 200
        Receive-TestWebSocket $r1 | Should -Be 'hello Rick' # Morty's message never reached Rick
        foreach ($ws in $m1, $m2, $r1) { Close-TestWebSocket $ws }
    }

    It 'keeps a -Sessionless (Basic) connection open: it belongs to no session' {
        $ws = Connect-TestWebSocket "$($server.Ws)/api-msg" -Headers @{ Authorization = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('summer:pickle')) }
        Start-Sleep -Seconds 3 # longer than the session sweep's interval (1 s)
        (Invoke-TestHttp "$($server.Http)/notify?user=summer").StatusCode | Should -Be 200
        Receive-TestWebSocket $ws | Should -Be 'hello summer'
        Close-TestWebSocket $ws
    }

    It 'closes the connections of a session with 1008 at logout, and only those' {
        $morty = Get-LoginCookie $server 'Morty'
        $other = Get-LoginCookie $server 'Morty'
        $ws = Connect-TestWebSocket "$($server.Ws)/msg" -Headers @{ Cookie = $morty }
        $keep = Connect-TestWebSocket "$($server.Ws)/msg" -Headers @{ Cookie = $other }
        (Invoke-TestHttp "$($server.Http)/logout" -Method Post -Headers @{ Cookie = $morty }).Location | Should -Be '/login'
        $closed = Wait-TestWebSocketClose $ws
        $closed.Status | Should -Be 1008
        $closed.Description | Should -Be 'Session ended'
        Wait-TestServerOutput $server -Pattern 'DISCONNECT \[Morty\] 1008' | Out-Null
        Send-TestWebSocket $keep @{ message = 'still here' }
        (Receive-TestWebSocket $keep -AsJson).echo | Should -Be 'still here'
        (Get-TestWebSocketRefusal "$($server.Ws)/msg" -Headers @{ Cookie = $morty }).StatusCode | Should -Be 302
        Close-TestWebSocket $keep
    }
}

Describe 'Session expiry' {
    BeforeAll {
        $server = Start-AuthServer -Duration 2
    }
    AfterAll {
        Stop-TestServer $server | Out-Null
    }

    It 'closes the connection with 1008 once its session expired' {
        $ws = Connect-TestWebSocket "$($server.Ws)/msg" -Headers @{ Cookie = (Get-LoginCookie $server 'Morty') }
        $closed = Wait-TestWebSocketClose $ws -TimeoutSec 60
        $closed.Status | Should -Be 1008
        $ws.Dispose()
    }
}
