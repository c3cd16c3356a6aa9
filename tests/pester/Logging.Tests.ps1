# Logging as in Pode: errors of routes, signal routes, events, timers and schedules reach the error
# log in Pode's format, requests (upgrades included) reach the request log in the Combined Log
# Format, through terminal, file and custom methods; -Quiet (and -Daemon) silences the terminal.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force

    function New-LogFolder {
        $folder = Join-Path ([System.IO.Path]::GetTempPath()) "psws-logs-$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory -Path $folder | Out-Null
        $folder
    }
}

Describe 'Error and request logs in files (Pode 2.14 names)' {
    BeforeAll {
        $logs = New-LogFolder
        $server = Start-TestServer -Port (Get-FreeTcpPort) -ScriptBlock ([scriptblock]::Create(@"
param(`$Port)
Start-PodeServer -Quiet {
    Add-PodeEndpoint -Address 127.0.0.1 -Port `$Port -Protocol Http
    Add-PodeEndpoint -Address 127.0.0.1 -Port `$Port -Protocol Ws -NoAutoUpgradeWebSockets
    New-PodeLogFileMethod -Path '$logs' -Name 'errors' | Enable-PodeLogErrorType -Levels Error, Warning
    New-PodeLogFileMethod -Path '$logs' -Name 'requests' | Enable-PodeLogRequestType
    New-PodeLogCustomMethod -ArgumentList '$logs' -ScriptBlock { param(`$item, `$folder) "custom:`$item" | Add-Content (Join-Path `$folder 'custom.txt') } | Add-PodeLogger -Name 'Audit' -ScriptBlock { param(`$item) "`$(`$item.User) did `$(`$item.Action)" }
    Add-PodeRoute -Method Get -Path '/ok' -ScriptBlock { Write-PodeTextResponse -Value 'fine' }
    Add-PodeRoute -Method Get -Path '/route-throws' -ScriptBlock { throw 'route boom' }
    Add-PodeRoute -Method Get -Path '/route-writes-error' -ScriptBlock { Write-Error 'written boom' }
    Add-PodeRoute -Method Get -Path '/warn' -ScriptBlock { [System.InvalidOperationException]::new('a warning') | Write-PodeErrorLog -Level Warning }
    Add-PodeRoute -Method Get -Path '/debug' -ScriptBlock { [System.InvalidOperationException]::new('a debug line') | Write-PodeErrorLog -Level Debug }
    Add-PodeRoute -Method Get -Path '/audit' -ScriptBlock { @{ User = 'rick'; Action = 'login' } | Write-PodeLog -Name 'Audit' }
    Add-PodeRoute -Method Get -Path '/timer' -ScriptBlock { Invoke-PodeTimer -Name 'Failing' }
    Add-PodeRoute -Method Get -Path '/schedule' -ScriptBlock { Invoke-PodeSchedule -Name 'Failing' }
    Add-PodeRoute -Method Get -Path '/msg' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Msg' }
    Add-PodeSignalRoute -Path '/msg' -ScriptBlock { throw 'signal boom' }
    Register-PodeSignalEvent -Name 'Msg' -Type Connect -EventName 'Failing' -ScriptBlock { throw 'event boom' }
    Add-PodeTimer -Name 'Failing' -Interval 3600 -ScriptBlock { throw 'timer boom' }
    Add-PodeSchedule -Name 'Failing' -Cron '0 0 1 1 *' -ScriptBlock { throw 'schedule boom' }
}
"@))
        $base = $server.Http
    }

    AfterAll {
        $stopped = Stop-TestServer $server
        Remove-Item -Recurse -Force -Path $logs -ErrorAction SilentlyContinue
    }

    It 'logs a throwing route in Pode''s error format, answers 500 and keeps serving' {
        (Invoke-WebRequest "$base/route-throws" -SkipHttpErrorCheck).StatusCode | Should -Be 500
        $text = Wait-TestFileContent -Path "$logs/errors_*.log" -Pattern 'Message: route boom'
        $entry = @($text -split '(?=Date: )' | Where-Object { $_ -match 'route boom' })[0]
        foreach ($field in 'Date', 'Level', 'ThreadId', 'Server', 'Category', 'Message', 'StackTrace') {
            $entry | Should -Match "(?m)^$($field): "
        }
        $entry | Should -Match '(?m)^Level: Error'
        (Invoke-WebRequest "$base/ok").Content | Should -Be 'fine'
    }

    It 'names the day in the file name, as Pode' {
        Invoke-WebRequest "$base/route-throws" -SkipHttpErrorCheck | Out-Null
        Wait-TestFileContent -Path "$logs/errors_*.log" -Pattern 'route boom' | Out-Null
        (Get-ChildItem "$logs/errors_*.log").Name | Should -Contain "errors_$([datetime]::Now.ToString('yyyy-MM-dd'))_001.log"
    }

    It 'logs errors that a route only writes' {
        Invoke-WebRequest "$base/route-writes-error" -SkipHttpErrorCheck | Out-Null
        Wait-TestFileContent -Path "$logs/errors_*.log" -Pattern 'Message: written boom' | Out-Null
    }

    It 'logs errors of a <Source>' -ForEach @(
        @{ Source = 'timer'; Message = 'timer boom' }
        @{ Source = 'schedule'; Message = 'schedule boom' }
    ) {
        Invoke-WebRequest "$base/$Source" | Out-Null
        Wait-TestFileContent -Path "$logs/errors_*.log" -Pattern "Message: $Message" | Out-Null
    }

    It 'logs errors of a signal route and of a signal event' {
        $socket = Connect-TestWebSocket "$($server.Ws)/msg"
        try {
            Send-TestWebSocket $socket '{"message":"hello"}'
            Wait-TestFileContent -Path "$logs/errors_*.log" -Pattern 'Message: signal boom' | Out-Null
            Wait-TestFileContent -Path "$logs/errors_*.log" -Pattern 'Message: event boom' | Out-Null
        }
        finally {
            Close-TestWebSocket $socket
        }
    }

    It 'logs Write-PodeErrorLog at the enabled levels only' {
        Invoke-WebRequest "$base/debug" | Out-Null
        Invoke-WebRequest "$base/warn" | Out-Null
        $text = Wait-TestFileContent -Path "$logs/errors_*.log" -Pattern 'Message: a warning'
        $text | Should -Match '(?m)^Level: Warning'
        $text | Should -Not -Match 'a debug line'
    }

    It 'logs requests in the Combined Log Format, the upgrade with 101' {
        Invoke-WebRequest "$base/ok" -UserAgent 'spec-agent' | Out-Null
        Invoke-WebRequest "$base/route-throws" -UserAgent 'spec-agent' -SkipHttpErrorCheck | Out-Null
        $socket = Connect-TestWebSocket "$($server.Ws)/msg"
        Close-TestWebSocket $socket
        $text = Wait-TestFileContent -Path "$logs/requests_*.log" -Pattern '"GET /msg HTTP/1.1" 101 '
        $text | Should -Match '(?m)^127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{2}:\d{2}\] "GET /ok HTTP/1.1" 200 4 "-" "spec-agent"$'
        $text | Should -Match '"GET /route-throws HTTP/1.1" 500 0 "-" "spec-agent"'
    }

    It 'logs a refused upgrade with the status the client got' {
        $handshake = @{ Connection = 'Upgrade'; Upgrade = 'websocket'; 'Sec-WebSocket-Key' = 'dGhlIHNhbXBsZSBub25jZQ=='; 'Sec-WebSocket-Version' = '8' }
        $response = Invoke-WebRequest "$base/msg" -Headers $handshake -SkipHeaderValidation -SkipHttpErrorCheck
        $response.StatusCode | Should -Be 426
        Wait-TestFileContent -Path "$logs/requests_*.log" -Pattern '"GET /msg HTTP/1.1" 426 ' | Out-Null
    }

    It 'writes Write-PodeLog items through the logger''s script block to a custom method' {
        Invoke-WebRequest "$base/audit" | Out-Null
        Wait-TestFileContent -Path "$logs/custom.txt" -Pattern 'custom:rick did login' | Out-Null
    }
}

Describe 'The terminal, and Pode''s older names' {
    It 'writes error entries to the terminal' {
        $server = Start-TestServer -Port (Get-FreeTcpPort) -ScriptBlock {
            param($Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
                New-PodeLoggingMethod -Terminal | Enable-PodeErrorLogging
                Add-PodeRoute -Method Get -Path '/throws' -ScriptBlock { throw 'terminal boom' }
                Add-PodeRoute -Method Get -Path '/host' -ScriptBlock { Write-PodeHost 'from write-podehost'; @{ Name = 'from out-podehost' } | ForEach-Object { [pscustomobject]$_ } | Out-PodeHost }
            }
        }
        try {
            Invoke-WebRequest "$($server.Http)/throws" -SkipHttpErrorCheck | Out-Null
            Invoke-WebRequest "$($server.Http)/host" | Out-Null
            $output = Wait-TestServerOutput $server -Pattern 'Message: terminal boom'
            $output = Wait-TestServerOutput $server -Pattern 'from out-podehost'
            $output | Should -Match 'from write-podehost'
        }
        finally {
            $stopped = Stop-TestServer $server
        }
    }

    It 'writes nothing to the terminal with <Switch>, but still the error stream' -TestCases @(
        @{ Switch = '-Quiet' }
        @{ Switch = '-Daemon' }
    ) {
        $logs = New-LogFolder
        $server = Start-TestServer -Port (Get-FreeTcpPort) -ScriptBlock ([scriptblock]::Create(@"
param(`$Port)
Start-PodeServer $Switch {
    Add-PodeEndpoint -Address 127.0.0.1 -Port `$Port -Protocol Http
    New-PodeLoggingMethod -Terminal | Enable-PodeErrorLogging
    New-PodeLoggingMethod -File -Path '$logs' -Name 'requests' | Enable-PodeRequestLogging
    Add-PodeRoute -Method Get -Path '/throws' -ScriptBlock { throw 'quiet boom' }
    Add-PodeRoute -Method Get -Path '/host' -ScriptBlock { Write-PodeHost 'not shown'; 'not shown either' | Out-PodeHost }
}
"@))
        try {
            Invoke-WebRequest "$($server.Http)/host" | Out-Null
            Invoke-WebRequest "$($server.Http)/throws" -SkipHttpErrorCheck | Out-Null
            # The request log is written after both requests were answered, so the terminal had its chance.
            Wait-TestFileContent -Path "$logs/requests_*.log" -Pattern '/throws' | Out-Null
            $output = Wait-TestServerOutput $server -Pattern 'quiet boom'
        }
        finally {
            $stopped = Stop-TestServer $server
            Remove-Item -Recurse -Force -Path $logs -ErrorAction SilentlyContinue
        }
        $stopped.Output | Should -Not -Match 'not shown|Message: quiet boom'
        $stopped.Errors | Should -Match 'quiet boom'
    }
}

Describe 'File method limits' {
    It 'starts the next numbered file past -MaxSize' {
        $logs = New-LogFolder
        $server = Start-TestServer -Port (Get-FreeTcpPort) -ScriptBlock ([scriptblock]::Create(@"
param(`$Port)
Start-PodeServer -Quiet {
    Add-PodeEndpoint -Address 127.0.0.1 -Port `$Port -Protocol Http
    New-PodeLoggingMethod -File -Path '$logs' -Name 'small' -MaxSize 100 | Enable-PodeRequestLogging
    Add-PodeRoute -Method Get -Path '/ok' -ScriptBlock { }
}
"@))
        try {
            1..3 | ForEach-Object { Invoke-WebRequest "$($server.Http)/ok" | Out-Null }
            Wait-TestFileContent -Path "$logs/small_*.log" -Pattern 'GET /ok' -Count 3 | Out-Null
        }
        finally {
            $stopped = Stop-TestServer $server
        }
        $day = [datetime]::Now.ToString('yyyy-MM-dd')
        (Get-ChildItem "$logs/small_*.log").Name | Should -Be @("small_$($day)_001.log", "small_$($day)_002.log", "small_$($day)_003.log")
        Remove-Item -Recurse -Force -Path $logs -ErrorAction SilentlyContinue
    }
}
