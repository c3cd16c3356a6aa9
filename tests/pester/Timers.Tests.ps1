# Timers and schedules run on demand from routes (Invoke-PodeTimer, Invoke-PodeSchedule) with their
# own or other arguments, and are listed, tested and removed by name, as in Pode.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
    $server = Start-TestServer -Port (Get-FreeTcpPort) -ScriptBlock {
        param($Port)
        Start-PodeServer -Quiet {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
            Set-PodeState -Name 'Runs' -Value ([System.Collections.Concurrent.ConcurrentQueue[string]]::new())
            # An hour apart: only Invoke-* runs them while the specs run.
            Add-PodeTimer -Name 'Hourly' -Interval 3600 -ArgumentList 'own' -ScriptBlock {
                param($Value)
                (Get-PodeState -Name 'Runs').Enqueue("timer:${Value}:$($TimerEvent.Sender.Name)")
            }
            Add-PodeSchedule -Name 'Yearly' -Cron '0 0 1 1 *' -ArgumentList @{ Value = 'own' } -ScriptBlock {
                param($Value, $Extra)
                (Get-PodeState -Name 'Runs').Enqueue("schedule:${Value}:${Extra}")
            }
            Add-PodeRoute -Method Post -Path '/invoke/timer' -ScriptBlock {
                if ($WebEvent.Data.Value) { Invoke-PodeTimer -Name 'Hourly' -ArgumentList $WebEvent.Data.Value } else { Invoke-PodeTimer -Name 'Hourly' }
            }
            Add-PodeRoute -Method Post -Path '/invoke/schedule' -ScriptBlock {
                if ($WebEvent.Data.Extra) { Invoke-PodeSchedule -Name 'Yearly' -ArgumentList @{ Extra = $WebEvent.Data.Extra } } else { Invoke-PodeSchedule -Name 'Yearly' }
            }
            Add-PodeRoute -Method Get -Path '/invoke/unknown' -ScriptBlock { Invoke-PodeTimer -Name 'Nope' -ErrorAction Stop }
            Add-PodeRoute -Method Get -Path '/runs' -ScriptBlock { Write-PodeJsonResponse -Value @{ Runs = @((Get-PodeState -Name 'Runs').ToArray()) } }
            Add-PodeRoute -Method Get -Path '/list' -ScriptBlock {
                Write-PodeJsonResponse -Value @{
                    Timers    = @(Get-PodeTimer | ForEach-Object { $_.Name })
                    Schedules = @(Get-PodeSchedule | ForEach-Object { $_.Name })
                    HasTimer  = (Test-PodeTimer -Name 'Hourly')
                    HasSched  = (Test-PodeSchedule -Name 'Yearly')
                    Interval  = (Get-PodeTimer -Name 'Hourly').Interval
                }
            }
            Add-PodeRoute -Method Delete -Path '/all' -ScriptBlock { Remove-PodeTimer -Name 'Hourly'; Remove-PodeSchedule -Name 'Yearly'; Remove-PodeTimer -Name 'Nope' }
        }
    }
    $base = $server.Http

    function Wait-Run([string]$Expected) {
        for ($i = 0; $i -lt 200; $i++) {
            $runs = (Invoke-RestMethod "$base/runs").Runs
            if ($runs -contains $Expected) { return $runs }
            Start-Sleep -Milliseconds 100
        }
        throw "no run '$Expected'; runs: $($runs -join ', ')"
    }
}

AfterAll {
    $stopped = Stop-TestServer $server
}

Describe 'Invoke-PodeTimer and Invoke-PodeSchedule' {
    It 'runs a timer now with its own arguments and $TimerEvent' {
        Invoke-RestMethod "$base/invoke/timer" -Method Post | Out-Null
        Wait-Run 'timer:own:Hourly' | Out-Null
    }

    It 'runs a timer now with other arguments' {
        Invoke-RestMethod "$base/invoke/timer" -Method Post -ContentType 'application/json' -Body '{"Value":"other"}' | Out-Null
        Wait-Run 'timer:other:Hourly' | Out-Null
    }

    It 'runs a schedule now, with extra named arguments added to its own' {
        Invoke-RestMethod "$base/invoke/schedule" -Method Post | Out-Null
        Wait-Run 'schedule:own:' | Out-Null
        Invoke-RestMethod "$base/invoke/schedule" -Method Post -ContentType 'application/json' -Body '{"Extra":"more"}' | Out-Null
        Wait-Run 'schedule:own:more' | Out-Null
    }

    It 'fails for an unknown timer, saying which' {
        $response = Invoke-WebRequest "$base/invoke/unknown" -SkipHttpErrorCheck
        $response.StatusCode | Should -Be 500
        Wait-TestServerOutput $server -Pattern "Timer 'Nope' does not exist" | Out-Null
    }
}

Describe 'Get-, Test- and Remove- for timers and schedules' {
    It 'lists and tests them by name, then removes them' {
        $list = Invoke-RestMethod "$base/list"
        $list.Timers | Should -Be @('Hourly')
        $list.Schedules | Should -Be @('Yearly')
        $list.HasTimer | Should -BeTrue
        $list.HasSched | Should -BeTrue
        $list.Interval | Should -Be 3600

        Invoke-RestMethod "$base/all" -Method Delete | Out-Null
        $list = Invoke-RestMethod "$base/list"
        $list.Timers | Should -BeNullOrEmpty
        $list.Schedules | Should -BeNullOrEmpty
        $list.HasTimer | Should -BeFalse
        $list.HasSched | Should -BeFalse
    }
}
