# examples/auth-chat (Pode's Web-SignalAuthForm.ps1) through an HTTP client and ClientWebSockets: the
# login page, the chat only for logged-in sessions, login and logout announced to every page. The same
# example runs in Chromium in tests/dotnet/PsWebSocket.Browser.Tests (AuthChatPageTests).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
    $example = Join-Path $PSScriptRoot '../../examples/auth-chat/server.ps1' | Resolve-Path

    $port = Get-FreeTcpPort
    $server = Start-TestServer -Path $example -Port $port -Parameters @{ Port = $port }

    function Get-LoginCookie([string]$User, [string]$Password) {
        $r = Invoke-TestHttp "$($server.Http)/login" -Method Post -Form @{ username = $User; password = $Password }
        $r.Location | Should -Be '/'
        if ("$($r.Headers['Set-Cookie'])" -match '(pode\.sid=[^;]*)') { $Matches[1] } else { throw 'no session cookie' }
    }

    # the next message's text, skipping none
    function Receive-Text($Socket) { (Receive-TestWebSocket $Socket -AsJson).message }
}

AfterAll {
    Stop-TestServer $server | Out-Null
}

Describe 'The authenticated chat (examples/auth-chat)' {
    It 'sends anonymous visitors to the login page, which loads' {
        $homePage = Invoke-TestHttp "$($server.Http)/"
        $homePage.StatusCode | Should -Be 302
        $homePage.Location | Should -Be '/login'
        $login = Invoke-TestHttp "$($server.Http)/login"
        $login.StatusCode | Should -Be 200
        $login.Content | Should -BeLike '*<form action="/login" method="post"*'
        (Invoke-TestHttp "$($server.Http)/scripts/websockets.js").StatusCode | Should -Be 200
        (Get-TestWebSocketRefusal "$($server.Ws)/msg").Location | Should -Be '/login'
    }

    It 'refuses wrong details with a redirect to the login page and no session' {
        $r = Invoke-TestHttp "$($server.Http)/login" -Method Post -Form @{ username = 'morty'; password = 'rick' }
        $r.Location | Should -Be '/login'
        $r.Headers['Set-Cookie'] | Should -BeNullOrEmpty
    }

    It 'lets logged-in users chat, announces logins and logouts, and closes the socket at logout' {
        $rickCookie = Get-LoginCookie 'rick' 'sanchez'
        $rick = Connect-TestWebSocket "$($server.Ws)/msg" -Headers @{ Cookie = $rickCookie }
        Receive-Text $rick | Should -Be "User 'Rick' has logged in."

        $mortyCookie = Get-LoginCookie 'morty' 'pickle'
        (Invoke-TestHttp "$($server.Http)/" -Headers @{ Cookie = $mortyCookie }).Content | Should -BeLike '*<title>WebSockets</title>*'
        $morty = Connect-TestWebSocket "$($server.Ws)/msg" -Headers @{ Cookie = $mortyCookie }
        Receive-Text $morty | Should -Be "User 'Morty' has logged in."
        Receive-Text $rick | Should -Be "User 'Morty' has logged in."

        Send-TestWebSocket $rick @{ message = 'wubba lubba dub dub' }
        Receive-Text $rick | Should -Be 'wubba lubba dub dub'
        Receive-Text $morty | Should -Be 'wubba lubba dub dub'

        $logout = Invoke-TestHttp "$($server.Http)/logout" -Method Post -Headers @{ Cookie = $mortyCookie }
        $logout.Location | Should -Be '/login'
        (Wait-TestWebSocketClose $morty).Status | Should -Be 1008
        Receive-Text $rick | Should -Be "User 'Morty' has logged out."
        (Invoke-TestHttp "$($server.Http)/" -Headers @{ Cookie = $mortyCookie }).Location | Should -Be '/login'

        $output = Wait-TestServerOutput $server -Pattern 'User logged out: Morty'
        $output | Should -Match 'User logged in: Rick'
        $output | Should -Match 'User logged in: Morty'
        $output | Should -Match 'Connected: Msg'
        Close-TestWebSocket $rick
        $morty.Dispose()
    }

    It 'serves a Local connection to a logged-in page for the length of its route' {
        $local = Connect-TestWebSocket "$($server.Ws)/local" -Headers @{ Cookie = (Get-LoginCookie 'rick' 'sanchez') }
        Receive-Text $local | Should -Be 'This is a local signal connection'
        Receive-Text $local | Should -Be 'Another local signal message'
        $local.Dispose()
    }

    It 'wrote no errors' {
        (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
    }
}
