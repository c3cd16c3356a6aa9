# Enable-PodeSessionMiddleware and $WebEvent.Session, through HTTP clients: signed pode.sid cookies (or
# headers), data kept between requests, tampered and expired cookies refused, Remove-PodeSession.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force

    # Pode's signed value: s:<id>.<base64 HMAC-SHA256 of the id>
    function Get-Signature([string]$Value, [string]$Secret) {
        $hmac = [System.Security.Cryptography.HMACSHA256]::new([System.Text.Encoding]::UTF8.GetBytes($Secret))
        try { [Convert]::ToBase64String($hmac.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Value))) } finally { $hmac.Dispose() }
    }

    # the value of the pode.sid cookie that a response sets, or $null
    function Get-SessionCookie($Response) {
        $set = @($Response.Headers['Set-Cookie']) -join "`n"
        if ($set -match 'pode\.sid=([^;]*)') { $Matches[1] } else { $null }
    }

    $agent = 'SessionTests/1.0'
    function Invoke-Session([string]$Path, [string]$Cookie, [string]$UserAgent = $agent, [string]$Method = 'Get') {
        $headers = @{}
        if ($Cookie) { $headers.Cookie = "other=1; pode.sid=$Cookie" }
        Invoke-WebRequest "$($server.Http)$Path" -Method $Method -Headers $headers -UserAgent $UserAgent -SkipHttpErrorCheck -MaximumRedirection 0
    }
}

Describe 'Sessions in cookies' {
    BeforeAll {
        $port = Get-FreeTcpPort
        $server = Start-TestServer -Port $port -ScriptBlock {
            param($Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
                Enable-PodeSessionMiddleware -Secret 'schwifty' -Duration 3600 -Strict -HttpOnly
                Add-PodeRoute -Method Get -Path '/views' -ScriptBlock {
                    $WebEvent.Session.Data.Views = 1 + $WebEvent.Session.Data.Views
                    Write-PodeJsonResponse -Value @{ views = $WebEvent.Session.Data.Views; id = $WebEvent.Session.Id; name = $WebEvent.Session.Name; sid = (Get-PodeSessionId) }
                }
                Add-PodeRoute -Method Get -Path '/peek' -ScriptBlock {
                    Write-PodeJsonResponse -Value @{ views = $WebEvent.Session.Data.Views }
                }
                Add-PodeRoute -Method Get -Path '/save' -ScriptBlock { Save-PodeSession }
                Add-PodeRoute -Method Post -Path '/forget' -ScriptBlock { Remove-PodeSession; Write-PodeJsonResponse -Value @{ gone = ($null -eq $WebEvent.Session) } }
            }
        }
    }
    AfterAll {
        Stop-TestServer $server | Out-Null
    }

    It 'sends no cookie and keeps nothing while the session holds no data' {
        $r = Invoke-Session '/peek'
        $r.StatusCode | Should -Be 200
        Get-SessionCookie $r | Should -BeNullOrEmpty
    }

    It 'signs the session id as Pode does and keeps the data between requests' {
        $first = Invoke-Session '/views'
        $body = $first.Content | ConvertFrom-Json
        $body.views | Should -Be 1
        $body.name | Should -Be 'pode.sid'
        $body.sid | Should -Be $body.id
        $cookie = Get-SessionCookie $first
        # -Strict: the secret is bound to the User-Agent and the client's address
        $cookie | Should -Be "s:$($body.id).$(Get-Signature $body.id "schwifty;$agent;127.0.0.1")"
        @($first.Headers['Set-Cookie']) -join ';' | Should -Match 'Path=/; Expires=.+GMT; HttpOnly'

        $second = Invoke-Session '/views' -Cookie $cookie
        ($second.Content | ConvertFrom-Json).views | Should -Be 2
        ($second.Content | ConvertFrom-Json).id | Should -Be $body.id
        Get-SessionCookie $second | Should -BeNullOrEmpty # not new, not extended
        ((Invoke-Session '/peek' -Cookie $cookie).Content | ConvertFrom-Json).views | Should -Be 2
    }

    It 'refuses a tampered cookie: a log line, no data, no new session' {
        $cookie = Get-SessionCookie (Invoke-Session '/views')
        $id = $cookie.Substring(2, $cookie.LastIndexOf('.') - 2)
        foreach ($bad in "s:$id.AAAA$($cookie.Substring($cookie.LastIndexOf('.') + 5))", "s:$([guid]::NewGuid()).$($cookie.Substring($cookie.LastIndexOf('.') + 1))", $id, 's:', '%%%') {
            $r = Invoke-Session '/peek' -Cookie $bad
            $r.StatusCode | Should -Be 200
            ($r.Content | ConvertFrom-Json).views | Should -BeNullOrEmpty
            Get-SessionCookie $r | Should -BeNullOrEmpty
        }
        Wait-TestServerOutput $server -Pattern "Session cookie 'pode.sid' from 127.0.0.1 refused: its signature is not valid" -Count 5 | Out-Null
    }

    It 'refuses the cookie from another User-Agent (-Strict)' {
        $cookie = Get-SessionCookie (Invoke-Session '/views')
        ((Invoke-Session '/peek' -Cookie $cookie -UserAgent 'Thief/1.0').Content | ConvertFrom-Json).views | Should -BeNullOrEmpty
        ((Invoke-Session '/peek' -Cookie $cookie).Content | ConvertFrom-Json).views | Should -Be 1
    }

    It 'starts a session without data with Save-PodeSession' {
        Get-SessionCookie (Invoke-Session '/save') | Should -Match '^s:[0-9a-f-]{36}\.'
    }

    It 'ends the session with Remove-PodeSession: the cookie is expired and the data gone' {
        $cookie = Get-SessionCookie (Invoke-Session '/views')
        $r = Invoke-Session '/forget' -Cookie $cookie -Method Post
        ($r.Content | ConvertFrom-Json).gone | Should -BeTrue
        @($r.Headers['Set-Cookie']) -join ';' | Should -Match 'pode\.sid=; Path=/; Expires=Thu, 01 Jan 1970'
        ((Invoke-Session '/peek' -Cookie $cookie).Content | ConvertFrom-Json).views | Should -BeNullOrEmpty
        Wait-TestServerOutput $server -Pattern 'the session has expired or does not exist' | Out-Null
    }
}

Describe 'Sessions in headers, extended, expiring' {
    BeforeAll {
        $port = Get-FreeTcpPort
        $server = Start-TestServer -Port $port -ScriptBlock {
            param($Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
                Enable-PodeSessionMiddleware -Duration 2 -Extend -UseHeaders -Name 'X-Session'
                Add-PodeRoute -Method Get -Path '/views' -ScriptBlock {
                    $WebEvent.Session.Data.Views = 1 + $WebEvent.Session.Data.Views
                    Write-PodeJsonResponse -Value @{ views = $WebEvent.Session.Data.Views }
                }
            }
        }
    }
    AfterAll {
        Stop-TestServer $server | Out-Null
    }

    It 'sends the signed id in the header, again on every request with -Extend' {
        $first = Invoke-WebRequest "$($server.Http)/views"
        $sid = "$($first.Headers['X-Session'])"
        $sid | Should -Match '^s:[0-9a-f-]{36}\.'
        $first.Headers['Set-Cookie'] | Should -BeNullOrEmpty
        $second = Invoke-WebRequest "$($server.Http)/views" -Headers @{ 'X-Session' = $sid }
        ($second.Content | ConvertFrom-Json).views | Should -Be 2
        "$($second.Headers['X-Session'])" | Should -Be $sid
    }

    It 'forgets a session once it expired' {
        $sid = "$((Invoke-WebRequest "$($server.Http)/views").Headers['X-Session'])"
        Start-Sleep -Seconds 4 # past the 2 s duration
        $r = Invoke-WebRequest "$($server.Http)/views" -Headers @{ 'X-Session' = $sid }
        ($r.Content | ConvertFrom-Json).views | Should -Be 1
        "$($r.Headers['X-Session'])" | Should -Not -Be $sid
        Wait-TestServerOutput $server -Pattern "Session header 'X-Session' from 127.0.0.1 refused: the session has expired" | Out-Null
    }
}
