# Add-PodeSignalMetricsRoute: the engine's counters on an HTTP route in Prometheus' text format,
# scraped while clients are connected and parsed by the Prometheus project's own Python parser.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force

    # Every sample of an exposition text, parsed by prometheus_client: Name, Labels (hashtable), Value.
    function ConvertFrom-PrometheusText([string]$Text) {
        $parser = @'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
print(json.dumps([{"Name": s.name, "Labels": s.labels, "Value": s.value}
                  for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]))
'@
        $json = $Text | & /usr/bin/python3 -c $parser
        $LASTEXITCODE | Should -Be 0 -Because 'prometheus_client accepts the text'
        $json | ConvertFrom-Json -AsHashtable
    }

    function Get-Sample($Samples, [string]$Name, [hashtable]$Labels = @{}) {
        @($Samples | Where-Object {
                $sample = $_
                $sample.Name -eq $Name -and $sample.Labels.Count -eq $Labels.Count -and
                @($Labels.Keys | Where-Object { $sample.Labels[$_] -ne $Labels[$_] }).Count -eq 0
            })
    }
}

Describe 'Add-PodeSignalMetricsRoute' {
    BeforeAll {
        $port = Get-FreeTcpPort
        $server = Start-TestServer -Port $port -ScriptBlock {
            param($Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Ws -NoAutoUpgradeWebSockets
                Add-PodeSignalMetricsRoute -Path '/metrics'
                Add-PodeRoute -Method Get -Path '/chat' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Chat' }
            }
        }
    }
    AfterAll {
        (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
    }

    It 'counts the open connections by Name and scope and the messages received' {
        $a = Connect-TestWebSocket "$($server.Ws)/chat"
        $b = Connect-TestWebSocket "$($server.Ws)/chat"
        1..3 | ForEach-Object { Send-TestWebSocket $a '{"message":"hi"}' }
        1..3 | ForEach-Object { Receive-TestWebSocket $b | Should -Be 'hi' -Because 'a re-broadcast reaches both' }
        1..3 | ForEach-Object { Receive-TestWebSocket $a | Should -Be 'hi' }

        $response = Invoke-WebRequest "$($server.Http)/metrics"
        $response.Headers['Content-Type'] | Should -BeLike 'text/plain*version=0.0.4*'
        $samples = ConvertFrom-PrometheusText $response.Content
        (Get-Sample $samples 'psws_connections' @{ name = 'Chat'; scope = 'Global' }).Value | Should -Be 2
        (Get-Sample $samples 'psws_messages_received_total').Value | Should -BeGreaterOrEqual 3

        Close-TestWebSocket $a
        Close-TestWebSocket $b
    }

    It 'is refused twice for the same path' {
        $port2 = Get-FreeTcpPort
        $twice = Start-TestServer -Port $port2 -ScriptBlock {
            param($Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
                Add-PodeSignalMetricsRoute -Path '/metrics'
                try { Add-PodeSignalMetricsRoute -Path '/metrics' } catch { $message = $_.Exception.Message }
                Add-PodeRoute -Method Get -Path '/second' -ScriptBlock { Write-PodeTextResponse -Value $using:message }
            }
        }
        try {
            Invoke-RestMethod "$($twice.Http)/second" | Should -Match 'already exists'
        }
        finally {
            Stop-TestServer $twice | Out-Null
        }
    }
}
