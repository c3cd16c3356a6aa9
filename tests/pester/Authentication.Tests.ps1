# New-PodeAuthScheme, Add-PodeAuth and Add-PodeRoute -Authentication -Login -Logout -AllowAnon, through
# an HTTP client: Pode's statuses, messages and WWW-Authenticate headers, the form login flow with
# sessions, and a log line for each refusal.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force

    function Get-Basic([string]$Text) { 'Basic ' + [Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($Text)) }
    function Get-SessionCookie($Response) {
        if ("$($Response.Headers['Set-Cookie'])" -match '(pode\.sid=[^;]*)') { $Matches[1] } else { $null }
    }

    $port = Get-FreeTcpPort
    $server = Start-TestServer -Port $port -ScriptBlock {
        param($Port)
        Start-PodeServer {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
            Enable-PodeSessionMiddleware -Duration 120 -Extend

            New-PodeAuthScheme -Form | Add-PodeAuth -Name 'Login' -FailureUrl '/login' -SuccessUrl '/' -ScriptBlock {
                param($username, $password)
                if ($username -eq 'morty' -and $password -eq 'pickle') {
                    return @{ User = @{ ID = 'M0R7Y302'; Name = 'Morty'; Type = 'Human' } }
                }
                return @{ Message = 'Invalid details supplied' }
            }
            New-PodeAuthScheme -Basic | Add-PodeAuth -Name 'Api' -Sessionless -ArgumentList 'pickle' -ScriptBlock {
                param($username, $password, $expected)
                if ($username -eq 'boom') { throw 'the user store is down' }
                if ($username -eq 'morty' -and $password -eq $expected) { return @{ User = @{ Name = 'Morty' } } }
                return @{ Message = 'Invalid details supplied' }
            }
            New-PodeAuthScheme -Bearer -Scope 'read' | Add-PodeAuth -Name 'Token' -Sessionless -ScriptBlock {
                param($token)
                switch ($token) {
                    'good' { @{ User = 'reader'; Scope = 'read' } }
                    'writer' { @{ User = 'writer'; Scope = 'write' } }
                }
            }
            New-PodeAuthScheme -ApiKey | Add-PodeAuth -Name 'Key' -Sessionless -ScriptBlock {
                param($key)
                if ($key -eq 'k-123') { @{ User = 'service' } } else { @{ Message = 'Bad key' } }
            }
            New-PodeAuthScheme -ApiKey -Location Query | Add-PodeAuth -Name 'QueryKey' -Sessionless -ScriptBlock {
                param($key)
                if ($key -eq 'k-123') { @{ User = 'service' } }
            }

            Add-PodeRoute -Method Get -Path '/' -Authentication Login -ScriptBlock {
                Write-PodeJsonResponse -Value @{ name = $WebEvent.Auth.User.Name; auth = $WebEvent.Auth.Name; store = $WebEvent.Auth.Store; test = (Test-PodeAuthUser); user = (Get-PodeAuthUser).ID }
            }
            Add-PodeRoute -Method Get -Path '/login' -Authentication Login -Login -ScriptBlock { Write-PodeHtmlResponse -Value '<form>login</form>' }
            Add-PodeRoute -Method Post -Path '/login' -Authentication Login -Login
            Add-PodeRoute -Method Post -Path '/logout' -Authentication Login -Logout
            Add-PodeRoute -Method Get -Path '/visit' -ScriptBlock { $WebEvent.Session.Data.Visited = $true }
            Add-PodeRoute -Method Get -Path '/api' -Authentication Api -ScriptBlock { Write-PodeJsonResponse -Value @{ name = $WebEvent.Auth.User.Name; store = $WebEvent.Auth.Store } }
            Add-PodeRoute -Method Get -Path '/api-login' -Authentication Api -Login -ScriptBlock { Write-PodeTextResponse -Value 'api login page' }
            Add-PodeRoute -Method Get -Path '/anon' -Authentication Api -AllowAnon -ScriptBlock { Write-PodeJsonResponse -Value @{ in = (Test-PodeAuthUser) } }
            Add-PodeRoute -Method Get -Path '/token' -Authentication Token -ScriptBlock { Write-PodeTextResponse -Value $WebEvent.Auth.User }
            Add-PodeRoute -Method Get -Path '/key' -Authentication Key -ScriptBlock { Write-PodeTextResponse -Value $WebEvent.Auth.User }
            Add-PodeRoute -Method Get -Path '/qkey' -Authentication QueryKey -ScriptBlock { Write-PodeTextResponse -Value $WebEvent.Auth.User }
        }
    }
}

AfterAll {
    Stop-TestServer $server | Out-Null
}

Describe 'Basic authentication' {
    It 'answers <status> "<message>" for <case>' -ForEach @(
        @{ case = 'no header'; header = $null; status = 401; message = 'No Authorization header found'; www = 'Basic realm="User"' }
        @{ case = 'a header without credentials'; header = 'Basic'; status = 400; message = 'Invalid Authorization header'; www = $null }
        @{ case = 'another scheme'; header = 'Bearer abc'; status = 401; message = 'Header is not for Basic Authorization'; www = 'Basic realm="User"' }
        @{ case = 'not base64'; header = 'Basic !!not-base64!!'; status = 400; message = 'Invalid Base64 string found in Authorization header'; www = $null }
        @{ case = 'no colon'; header = 'Basic bW9ydHk='; status = 400; message = 'Invalid Authorization header'; www = $null }
        @{ case = 'a wrong password'; header = 'WRONG'; status = 401; message = 'Invalid details supplied'; www = 'Basic realm="User"' }
    ) {
        $headers = @{}
        if ($header -eq 'WRONG') { $header = Get-Basic 'morty:rick' }
        if ($header) { $headers.Authorization = $header }
        $r = Invoke-TestHttp "$($server.Http)/api" -Headers $headers
        $r.StatusCode | Should -Be $status
        $r.Content | Should -Be $message
        $r.Headers['WWW-Authenticate'] | Should -Be $www
        $r.Headers['Set-Cookie'] | Should -BeNullOrEmpty
        Wait-TestServerOutput $server -Pattern ([regex]::Escape("Authentication 'Api' refused GET /api from 127.0.0.1: $status $message")) | Out-Null
    }

    It 'lets the right credentials in, without a session (-Sessionless) and with -ArgumentList' {
        $r = Invoke-TestHttp "$($server.Http)/api" -Headers @{ Authorization = (Get-Basic 'morty:pickle') }
        $r.StatusCode | Should -Be 200
        ($r.Content | ConvertFrom-Json).name | Should -Be 'Morty'
        ($r.Content | ConvertFrom-Json).store | Should -BeFalse
        $r.Headers['Set-Cookie'] | Should -BeNullOrEmpty
    }

    It 'answers 500 when the script block throws, logs the error and keeps serving' {
        $r = Invoke-TestHttp "$($server.Http)/api" -Headers @{ Authorization = (Get-Basic 'boom:x') }
        $r.StatusCode | Should -Be 500
        Wait-TestServerOutput $server -Pattern 'the user store is down' | Out-Null
        (Invoke-TestHttp "$($server.Http)/api" -Headers @{ Authorization = (Get-Basic 'morty:pickle') }).StatusCode | Should -Be 200
    }

    It 'shows a GET -Login page without credentials, also for a -Sessionless method' {
        (Invoke-TestHttp "$($server.Http)/api-login").Content | Should -Be 'api login page'
    }

    It 'lets anonymous requests through with -AllowAnon' {
        ((Invoke-TestHttp "$($server.Http)/anon").Content | ConvertFrom-Json).in | Should -BeFalse
        ((Invoke-TestHttp "$($server.Http)/anon" -Headers @{ Authorization = (Get-Basic 'morty:pickle') }).Content | ConvertFrom-Json).in | Should -BeTrue
    }
}

Describe 'Bearer authentication' {
    It 'answers <status> with <www> for <case>' -ForEach @(
        @{ case = 'no header'; header = $null; status = 400; www = 'Bearer realm="User", scope="read", error="invalid_request"' }
        @{ case = 'another scheme'; header = 'Basic abc'; status = 400; www = 'Bearer realm="User", scope="read", error="invalid_request"' }
        @{ case = 'an unknown token'; header = 'Bearer nope'; status = 401; www = 'Bearer realm="User", scope="read", error="invalid_token"' }
        @{ case = 'a token without the scope'; header = 'Bearer writer'; status = 403; www = 'Bearer realm="User", scope="read", error="insufficient_scope"' }
    ) {
        $headers = @{}
        if ($header) { $headers.Authorization = $header }
        $r = Invoke-TestHttp "$($server.Http)/token" -Headers $headers
        $r.StatusCode | Should -Be $status
        $r.Headers['WWW-Authenticate'] | Should -Be $www
    }

    It 'lets a good token in' {
        $r = Invoke-TestHttp "$($server.Http)/token" -Headers @{ Authorization = 'Bearer good' }
        $r.StatusCode | Should -Be 200
        $r.Content | Should -Be 'reader'
    }
}

Describe 'API key authentication' {
    It 'reads the X-API-KEY header' {
        $missing = Invoke-TestHttp "$($server.Http)/key"
        $missing.StatusCode | Should -Be 400
        $missing.Content | Should -Be 'No X-API-KEY header found'
        $bad = Invoke-TestHttp "$($server.Http)/key" -Headers @{ 'X-API-KEY' = 'guess' }
        $bad.StatusCode | Should -Be 401
        $bad.Content | Should -Be 'Bad key'
        $bad.Headers['WWW-Authenticate'] | Should -Be 'ApiKey realm="User"'
        (Invoke-TestHttp "$($server.Http)/key" -Headers @{ 'X-API-KEY' = 'k-123' }).Content | Should -Be 'service'
    }

    It 'reads the api_key query value with -Location Query' {
        (Invoke-TestHttp "$($server.Http)/qkey").Content | Should -Be 'No api_key query found'
        (Invoke-TestHttp "$($server.Http)/qkey?api_key=nope").StatusCode | Should -Be 401
        (Invoke-TestHttp "$($server.Http)/qkey?api_key=k-123").Content | Should -Be 'service'
    }
}

Describe 'Form login with sessions' {
    It 'redirects anonymous requests to the login page, which itself loads' {
        $homePage = Invoke-TestHttp "$($server.Http)/"
        $homePage.StatusCode | Should -Be 302
        $homePage.Location | Should -Be '/login'
        $homePage.Headers['Set-Cookie'] | Should -BeNullOrEmpty
        $page = Invoke-TestHttp "$($server.Http)/login"
        $page.StatusCode | Should -Be 200
        $page.Content | Should -Be '<form>login</form>'
    }

    It 'sends a wrong login back to the login page without a session' {
        $r = Invoke-TestHttp "$($server.Http)/login" -Method Post -Form @{ username = 'morty'; password = 'wrong' }
        $r.StatusCode | Should -Be 302
        $r.Location | Should -Be '/login'
        $r.Headers['Set-Cookie'] | Should -BeNullOrEmpty
        $empty = Invoke-TestHttp "$($server.Http)/login" -Method Post -Form @{ username = 'morty' }
        $empty.Location | Should -Be '/login'
        Wait-TestServerOutput $server -Pattern ([regex]::Escape("Authentication 'Login' refused POST /login from 127.0.0.1: 401 Username or Password not supplied")) | Out-Null
    }

    It 'logs in, keeps the user in the session, and logs out' {
        $login = Invoke-TestHttp "$($server.Http)/login" -Method Post -Form @{ username = 'morty'; password = 'pickle' }
        $login.StatusCode | Should -Be 302
        $login.Location | Should -Be '/'
        $cookie = Get-SessionCookie $login
        $cookie | Should -Not -BeNullOrEmpty

        $homePage = Invoke-TestHttp "$($server.Http)/" -Headers @{ Cookie = $cookie }
        $homePage.StatusCode | Should -Be 200
        $me = $homePage.Content | ConvertFrom-Json
        $me.name | Should -Be 'Morty'
        $me.auth | Should -Be 'Login'
        $me.store | Should -BeTrue
        $me.test | Should -BeTrue
        $me.user | Should -Be 'M0R7Y302'

        # logged in: the login page sends the user home
        (Invoke-TestHttp "$($server.Http)/login" -Headers @{ Cookie = $cookie }).Location | Should -Be '/'

        $logout = Invoke-TestHttp "$($server.Http)/logout" -Method Post -Headers @{ Cookie = $cookie }
        $logout.StatusCode | Should -Be 302
        $logout.Location | Should -Be '/login'
        $logout.Headers['Set-Cookie'] | Should -Match 'pode\.sid=; Path=/; Expires=Thu, 01 Jan 1970'
        (Invoke-TestHttp "$($server.Http)/" -Headers @{ Cookie = $cookie }).Location | Should -Be '/login'
    }

    It 'gives the session a new id at login, so the id known before is worth nothing' {
        $before = Get-SessionCookie (Invoke-TestHttp "$($server.Http)/visit")
        $before | Should -Not -BeNullOrEmpty
        $login = Invoke-TestHttp "$($server.Http)/login" -Method Post -Headers @{ Cookie = $before } -Form @{ username = 'morty'; password = 'pickle' }
        $after = Get-SessionCookie $login
        $after | Should -Not -BeNullOrEmpty
        $after | Should -Not -Be $before
        (Invoke-TestHttp "$($server.Http)/" -Headers @{ Cookie = $before }).Location | Should -Be '/login'
        (Invoke-TestHttp "$($server.Http)/" -Headers @{ Cookie = $after }).StatusCode | Should -Be 200
    }
}

Describe 'Registration errors' {
    It 'refuses a route whose authentication does not exist, and a session auth without sessions' {
        $port = Get-FreeTcpPort
        $bad = Start-TestServer -Port $port -ScriptBlock {
            param($Port)
            try {
                Start-PodeServer {
                    Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
                    try { New-PodeAuthScheme -Basic | Add-PodeAuth -Name 'S' -ScriptBlock { } } catch { Write-Host "ERR1 $($_.FullyQualifiedErrorId)" }
                    try { Add-PodeRoute -Method Get -Path '/' -Authentication 'Nope' -ScriptBlock { } } catch { Write-Host "ERR2 $($_.FullyQualifiedErrorId)" }
                    Add-PodeRoute -Method Get -Path '/' -ScriptBlock { }
                }
            }
            catch { Write-Host "START $_" }
        }
        $output = Wait-TestServerOutput $bad -Pattern 'ERR2'
        Stop-TestServer $bad | Out-Null
        $output | Should -Match 'ERR1 SessionsRequired'
        $output | Should -Match 'ERR2 AuthenticationNotFound'
    }
}
