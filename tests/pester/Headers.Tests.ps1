# Response headers and cookies (Set-/Add-PodeHeader, Set-/Get-PodeCookie) and error pages
# (Write-PodeErrorResponse), through a real HTTP client that keeps every header as sent.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
    $port = Get-FreeTcpPort
    $server = Start-TestServer -Port $port -ScriptBlock {
        param($Port)
        Start-PodeServer {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
            Add-PodeRoute -Method Get -Path '/headers' -ScriptBlock {
                Set-PodeHeader -Name 'X-One' -Value 'first'
                Set-PodeHeader -Name 'X-One' -Value 'replaced'
                Add-PodeHeader -Name 'X-Many' -Value 'a'
                Add-PodeHeader -Name 'X-Many' -Value 'b'
                Set-PodeHeader -Name 'X-Signed' -Value 'v' -Secret 'shh'
                Write-PodeTextResponse -Value 'ok'
            }
            Add-PodeRoute -Method Get -Path '/cookies' -ScriptBlock {
                Set-PodeCookie -Name 'theme' -Value 'dark mode' -Duration 3600 -HttpOnly
                Set-PodeCookie -Name 'token' -Value 'abc' -Secret 'shh' -Secure
                Set-PodeCookie -Name 'old' -Discard
                Write-PodeTextResponse -Value 'ok'
            }
            Add-PodeRoute -Method Get -Path '/read' -ScriptBlock {
                Write-PodeJsonResponse -Value @{
                    theme  = (Get-PodeCookie -Name 'theme').Value
                    token  = (Get-PodeCookie -Name 'token' -Secret 'shh').Value
                    forged = $null -eq (Get-PodeCookie -Name 'forged' -Secret 'shh')
                    none   = $null -eq (Get-PodeCookie -Name 'none')
                }
            }
            Add-PodeRoute -Method Get -Path '/error' -ScriptBlock {
                try { throw 'the disk is full' } catch { Write-PodeErrorResponse -StatusCode 503 -ErrorRecord $_ -ShowException }
            }
            Add-PodeRoute -Method Get -Path '/forbidden' -ScriptBlock { Write-PodeErrorResponse -StatusCode 403 }
        }
    }
}

AfterAll {
    (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
}

Describe 'Set-PodeHeader and Add-PodeHeader' {
    It 'replaces with Set-, sends a header once per value with Add-, and signs with -Secret' {
        $r = Invoke-TestHttp "$($server.Http)/headers"
        $r.StatusCode | Should -Be 200
        $r.Headers['X-One'] | Should -Be 'replaced'
        $r.Headers['X-Many'] | Should -Be 'a, b'
        $r.Headers['X-Signed'] | Should -Match '^s:v\..+=$'
    }
}

Describe 'Set-PodeCookie and Get-PodeCookie' {
    It 'sends one Set-Cookie per cookie, with its attributes' {
        $r = Invoke-TestHttp "$($server.Http)/cookies"
        $cookies = $r.Headers['Set-Cookie'] -split ', (?=[a-z]+=)'
        $cookies | Should -HaveCount 3
        $cookies[0] | Should -Match '^theme=dark%20mode; Path=/; Expires=.+ GMT; HttpOnly$'
        $cookies[1] | Should -Match '^token=s%3Aabc\..+; Path=/; Secure$'
        $cookies[2] | Should -Be 'old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT'
    }

    It 'reads the request''s cookies, and a signed one only when its signature holds' {
        $signed = ((Invoke-TestHttp "$($server.Http)/cookies").Headers['Set-Cookie'] -split ', (?=[a-z]+=)')[1] -replace ';.*', ''
        $forged = 'forged=' + [uri]::EscapeDataString('s:abc.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')
        $r = Invoke-TestHttp "$($server.Http)/read" -Headers @{ Cookie = "theme=light; $signed; $forged" }
        $read = $r.Content | ConvertFrom-Json
        $read.theme | Should -Be 'light'
        $read.token | Should -Be 'abc'
        $read.forged | Should -BeTrue
        $read.none | Should -BeTrue
    }
}

Describe 'Write-PodeErrorResponse' {
    It 'answers with the status and an HTML page, with the exception only when asked' {
        $r = Invoke-TestHttp "$($server.Http)/forbidden"
        $r.StatusCode | Should -Be 403
        $r.Headers['Content-Type'] | Should -BeLike 'text/html*'
        $r.Content | Should -Match '<h1>403 Forbidden</h1>'
        $e = Invoke-TestHttp "$($server.Http)/error"
        $e.StatusCode | Should -Be 503
        $e.Content | Should -Match 'the disk is full'
    }

    It 'answers JSON to a client that accepts it' {
        $r = Invoke-TestHttp "$($server.Http)/forbidden" -Headers @{ Accept = 'application/json' }
        $r.StatusCode | Should -Be 403
        ($r.Content | ConvertFrom-Json).message | Should -Be 'Forbidden'
    }
}
