# The scripts in examples/ run as files (their own folder as the server root, Import-Module
# PsWebSocket by name) on free ports, with ClientWebSocket clients. The chat is also tested in
# Chromium (tests/dotnet/PsWebSocket.Browser.Tests); here its wire protocol is checked.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
    $examples = Join-Path $PSScriptRoot '../../examples' | Resolve-Path

    function Start-Example([string]$Name, [hashtable]$Parameters = @{}) {
        $port = Get-FreeTcpPort
        Start-TestServer -Path (Join-Path $examples "$Name/server.ps1") -Port $port -Parameters (@{ Port = $port } + $Parameters)
    }

    function Test-Date([string]$Text) {
        $date = [datetime]::MinValue
        [datetime]::TryParse($Text, [cultureinfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::None, [ref]$date)
    }

    # The next chat message that matches, skipping others (each is added to $Seen when given).
    function Receive-ChatMessage($Socket, [scriptblock]$Where, [System.Collections.Generic.List[object]]$Seen) {
        for ($i = 0; $i -lt 50; $i++) {
            $m = Receive-TestWebSocket $Socket -AsJson
            if ($null -ne $Seen) { $Seen.Add($m) }
            if (& $Where $m) { return $m }
        }
        throw 'no matching chat message in 50'
    }
}

Describe 'The browser chat (examples/chat)' {
    BeforeEach {
        $server = Start-Example 'chat'
    }
    AfterEach {
        $stopped = Stop-TestServer $server
    }

    It 'welcomes each page with the roster, tells the others who joins and broadcasts' {
        $a = Connect-TestWebSocket "$($server.Ws)/msg"
        $welcomeA = Receive-TestWebSocket $a -AsJson
        $welcomeA.type | Should -Be 'welcome'
        $idA = $welcomeA.clientId
        (Receive-TestWebSocket $a -AsJson).clients | Should -Be @($idA)
        $joined = Receive-TestWebSocket $a -AsJson
        $joined.type | Should -Be 'join'
        $joined.clientId | Should -Be $idA

        $b = Connect-TestWebSocket "$($server.Ws)/msg"
        $idB = (Receive-TestWebSocket $b -AsJson).clientId
        $idB | Should -Not -Be $idA
        (Receive-TestWebSocket $b -AsJson).clients | Should -Be @($idA, $idB)
        (Receive-TestWebSocket $b -AsJson).clientId | Should -Be $idB
        $joined = Receive-TestWebSocket $a -AsJson
        $joined.type | Should -Be 'join'
        $joined.clientId | Should -Be $idB

        Send-TestWebSocket $a '{"message":"hello"}'
        foreach ($ws in $a, $b) {
            $m = Receive-TestWebSocket $ws -AsJson
            $m.type | Should -Be 'message'
            $m.message | Should -Be 'hello'
        }
        Send-TestWebSocket $b '{"message":"[date]"}'
        foreach ($ws in $a, $b) {
            Test-Date (Receive-TestWebSocket $ws -AsJson).message | Should -BeTrue
        }

        Close-TestWebSocket $b
        $left = Receive-TestWebSocket $a -AsJson
        $left.type | Should -Be 'leave'
        $left.clientId | Should -Be $idB
        Close-TestWebSocket $a
        (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
    }

    It 'costs each of 500 pages less than 64 KiB of roster traffic while they all join' {
        # With the whole roster sent to everyone on every join, the first page alone would get
        # 500 rosters of up to 500 ids (about 9 MiB) and all of them together about 1.7 GB.
        $crowd = Join-Path $PSScriptRoot '../peers/chat-crowd.js'
        $result = & node $crowd "$($server.Ws)/msg" 500 240 | ConvertFrom-Json
        $LASTEXITCODE | Should -Be 0
        $result.clients | Should -Be 500
        $result.maxRosterBytes | Should -BeLessThan 64KB
        (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
    }

    It 'serves its page and loads nothing from outside' {
        $page = Invoke-WebRequest "$($server.Http)/"
        $page.Content | Should -BeLike '*<script type="text/javascript" src="/script.js"*'
        $page.Content | Should -BeLike "*id='bc-form'*"
        $script = (Invoke-WebRequest "$($server.Http)/script.js").Content
        $script | Should -BeLike '*new WebSocket(url)*'
        $style = (Invoke-WebRequest "$($server.Http)/style.css").Content
        foreach ($text in $page.Content, $script, $style) {
            $text | Should -Not -Match '(?i)https?://|//[a-z0-9.-]+\.[a-z]{2,}/'
        }
        (Invoke-WebRequest "$($server.Http)/jquery.min.js" -SkipHttpErrorCheck).StatusCode | Should -Be 404
    }
}

Describe 'Auto-upgrade (examples/auto-upgrade)' {
    It 'names connections by path and broadcasts to all' {
        $server = Start-Example 'auto-upgrade'
        $a = Connect-TestWebSocket "$($server.Ws)/msg"
        $b = Connect-TestWebSocket "$($server.Ws)/msg"
        Wait-TestServerOutput $server 'Connected: /msg \(' -Count 2 | Out-Null

        Send-TestWebSocket $a '{"message":"[date]"}'
        foreach ($ws in $a, $b) {
            Test-Date (Receive-TestWebSocket $ws -AsJson).message | Should -BeTrue
        }
        Send-TestWebSocket $b '{"message":"hello"}'
        foreach ($ws in $a, $b) {
            Receive-TestWebSocket $ws | Should -BeExactly '{"message":"hello"}'
        }

        Close-TestWebSocket $b
        Wait-TestServerOutput $server 'Disconnected: /msg \(' | Out-Null
        Close-TestWebSocket $a
        (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
    }
}

Describe 'Local scope (examples/local-scope)' {
    It 'sends twice, then closes with the route' {
        $server = Start-Example 'local-scope' @{ WsPort = (Get-FreeTcpPort); Seconds = 1 }
        $ws = Connect-TestWebSocket "$($server.Ws)/response-times"
        Receive-TestWebSocket $ws | Should -BeExactly '{"Durations":[123,101,104]}'
        Receive-TestWebSocket $ws | Should -BeExactly '{"Durations":[234,202,205]}'
        Receive-TestWebSocket $ws | Should -BeNullOrEmpty -Because 'the route ended, so the server closed the connection'
        $ws.Dispose()
        (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
    }
}

Describe 'External client (examples/external-client)' {
    It 'echoes the chat, says hello from a timer and resets' {
        $chat = Start-Example 'chat'
        $watcher = Connect-TestWebSocket "$($chat.Ws)/msg"
        $me = (Receive-TestWebSocket $watcher -AsJson).clientId
        (Receive-TestWebSocket $watcher -AsJson).clients | Should -Be @($me)
        (Receive-TestWebSocket $watcher -AsJson).clientId | Should -Be $me

        $client = Start-Example 'external-client' @{ ChatUrl = "$($chat.Ws)/msg"; Interval = 1 }
        $seen = [System.Collections.Generic.List[object]]::new()
        $external = (Receive-ChatMessage $watcher { param($m) $m.type -eq 'join' } $seen).clientId
        $external | Should -Not -Be $me

        # The timer says hello; the client echoes a message once, never its own echo.
        Receive-ChatMessage $watcher { param($m) $m.type -eq 'message' -and $m.message -like 'hello from the timer at *' } $seen | Out-Null
        Send-TestWebSocket $watcher '{"message":"hi robot"}'
        Receive-ChatMessage $watcher { param($m) $m.message -eq 'Ex: hi robot' } $seen | Out-Null

        # /reset reconnects: the old connection leaves the chat and a new one joins.
        (Invoke-WebRequest "$($client.Http)/reset").Content | Should -Be 'reconnected'
        Receive-ChatMessage $watcher { param($m) $m.type -eq 'leave' -and $m.clientId -eq $external } $seen | Out-Null
        $isNewJoin = { param($m) $m.type -eq 'join' -and $m.clientId -notin $me, $external }
        if (-not ($seen | Where-Object { & $isNewJoin $_ })) {
            Receive-ChatMessage $watcher $isNewJoin $seen | Out-Null
        }
        Send-TestWebSocket $watcher '{"message":"still there?"}'
        Receive-ChatMessage $watcher { param($m) $m.message -eq 'Ex: still there?' } $seen | Out-Null
        $seen | Where-Object { $_.message -like 'Ex: Ex:*' } | Should -BeNullOrEmpty

        Close-TestWebSocket $watcher
        (Stop-TestServer $client).Errors | Should -BeNullOrEmpty
        (Stop-TestServer $chat).Errors | Should -BeNullOrEmpty
    }
}
