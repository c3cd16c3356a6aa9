# How the module treats the server script itself: the functions it defines, its scopes and pools,
# and the native library it loads.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
}

Describe 'Functions defined in the server script' {
    It 'run in routes with their body intact, braces and all' {
        $port = Get-FreeTcpPort
        $server = Start-TestServer -Port $port -ScriptBlock {
            param($Port)
            function Get-Pair {@{a=1}}
            function Get-Nested { if ($true) { @{ b = @{ c = 2 } } } }
            Start-PodeServer {
                Add-PodeEndpoint -Address localhost -Port $Port -Protocol Http
                Add-PodeRoute -Method Get -Path '/pair' -ScriptBlock { Write-PodeJsonResponse -Value (Get-Pair) }
                Add-PodeRoute -Method Get -Path '/nested' -ScriptBlock { Write-PodeJsonResponse -Value (Get-Nested) }
            }
        }
        try {
            (Invoke-RestMethod "$($server.Http)/pair").a | Should -Be 1
            (Invoke-RestMethod "$($server.Http)/nested").b.c | Should -Be 2
        }
        finally {
            (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
        }
    }
}

Describe 'The default signal scope' {
    It 'is the engine''s: Set- changes what Get- says and what an upgrade without -Scope gets' {
        $port = Get-FreeTcpPort
        $server = Start-TestServer -Port $port -ScriptBlock {
            param($Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address localhost -Port $Port -Protocol Http
                Add-PodeEndpoint -Address localhost -Port $Port -Protocol Ws -NoAutoUpgradeWebSockets
                Add-PodeRoute -Method Get -Path '/scope' -ScriptBlock { Write-PodeTextResponse -Value (Get-PodeSignalDefaultScope) }
                Add-PodeRoute -Method Post -Path '/scope/local' -ScriptBlock { Set-PodeSignalDefaultScope -Scope Local }
                Add-PodeRoute -Method Get -Path '/ws' -ScriptBlock {
                    ConvertTo-PodeSignalConnection -Name 'Scoped'
                    Send-PodeSignal -Value "scope=$($WebEvent.Signal.Scope)" -Mode Direct
                }
            }
        }
        try {
            Invoke-RestMethod "$($server.Http)/scope" | Should -Be 'Global'
            $global = Connect-TestWebSocket "$($server.Ws)/ws"
            Receive-TestWebSocket $global | Should -Be 'scope=Global'

            Invoke-RestMethod -Method Post "$($server.Http)/scope/local" | Out-Null
            Invoke-RestMethod "$($server.Http)/scope" | Should -Be 'Local'
            $local = Connect-TestWebSocket "$($server.Ws)/ws"
            Receive-TestWebSocket $local | Should -Be 'scope=Local'
            Receive-TestWebSocket $local | Should -BeNullOrEmpty -Because 'a Local connection closes when its route ends'
            $local.Dispose()
            Close-TestWebSocket $global
        }
        finally {
            (Stop-TestServer $server).Errors | Should -BeNullOrEmpty
        }
    }
}

Describe 'Pools PsWebSocket does not have' {
    It 'warns that -EnablePool <Pool> is not supported and still serves' -ForEach @(@{ Pool = 'Tasks' }, @{ Pool = 'Files' }) {
        $port = Get-FreeTcpPort
        $server = Start-TestServer -Port $port -ScriptBlock ([scriptblock]::Create(@"
            param(`$Port)
            Start-PodeServer -EnablePool $Pool {
                Add-PodeEndpoint -Address localhost -Port `$Port -Protocol Http
                Add-PodeRoute -Method Get -Path '/' -ScriptBlock { Write-PodeTextResponse -Value 'up' }
            }
"@))
        try {
            Invoke-RestMethod "$($server.Http)/" | Should -Be 'up'
            Wait-TestServerOutput $server "-EnablePool $Pool is not supported by PsWebSocket" | Out-Null
        }
        finally {
            Stop-TestServer $server | Out-Null
        }
    }
}

Describe 'The native library' {
    It 'is refused when its ABI version is not the module''s, with both versions named' {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) "psws-abi-$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content -Path "$dir/fake.c" -Value 'unsigned int psws_abi_version(void) { return 99; }'
        & gcc -shared -fPIC -o "$dir/libfake.so" "$dir/fake.c"
        $LASTEXITCODE | Should -Be 0

        $env:PSWS_NATIVE_LIBRARY = "$dir/libfake.so"
        try {
            $output = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command 'Import-Module PsWebSocket; Start-PodeServer { }' 2>&1 | Out-String
        }
        finally {
            Remove-Item Env:PSWS_NATIVE_LIBRARY
            Remove-Item -Recurse -Force $dir
        }
        $output | Should -Match 'implements libpsws ABI version 99, but this PsWebSocket module needs ABI version 1'
    }
}
