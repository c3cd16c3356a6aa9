# A REST API as Pode users write one: route parameters and wildcards, any method, query strings,
# bodies parsed by content type (JSON, XML, CSV, forms), compressed bodies, a route that forces the
# body's content type or encoding, Pode's 404 and 405, and functions defined around the server.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
    $server = Start-TestServer -Port (Get-FreeTcpPort) -ScriptBlock {
        param($Port)
        function Get-OuterGreeting { 'Outer Hello' }
        Start-PodeServer -Quiet {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
            function Get-InnerGreeting { 'Inner Hello' }
            Add-PodeRoute -Method Get -Path '/users/:name/messages' -ScriptBlock { Write-PodeJsonResponse -Value @{ Name = $WebEvent.Parameters.name } }
            Add-PodeRoute -Method Get -Path '/search' -ScriptBlock { Write-PodeJsonResponse -Value @{ Q = $WebEvent.Query.q; Tags = @($WebEvent.Query.tag) } }
            Add-PodeRoute -Method Post -Path '/echo' -ScriptBlock {
                $data = $WebEvent.Data
                $value = if ($data -is [xml]) { "xml:$($data.user.name)" }
                elseif ($data -is [array]) { "csv:$(($data | ForEach-Object name) -join ',')" }
                elseif ($data -is [System.Collections.IDictionary]) { "table:$($data.name)" }
                else { "text:$data" }
                Write-PodeJsonResponse -Value @{ Value = $value }
            }
            Add-PodeRoute -Method Post -Path '/forced-json' -ContentType 'application/json' -ScriptBlock { Write-PodeJsonResponse -Value @{ Name = $WebEvent.Data.name } }
            Add-PodeRoute -Method Post -Path '/forced-gzip' -TransferEncoding gzip -ScriptBlock { Write-PodeJsonResponse -Value @{ Name = $WebEvent.Data.name } }
            Add-PodeRoute -Method * -Path '/any' -ScriptBlock { Write-PodeJsonResponse -Value @{ Method = $WebEvent.Method } }
            Add-PodeRoute -Method Get -Path '/api/*/hello' -ScriptBlock { Write-PodeJsonResponse -Value @{ Path = $WebEvent.Path } }
            Add-PodeRoute -Method Get -Path '/functions' -ScriptBlock { Write-PodeJsonResponse -Value @{ Outer = (Get-OuterGreeting); Inner = (Get-InnerGreeting) } }
        }
    }
    $base = $server.Http

    function ConvertTo-Compressed([string]$Text, [string]$Kind) {
        $ms = [System.IO.MemoryStream]::new()
        $stream = if ($Kind -eq 'gzip') { [System.IO.Compression.GZipStream]::new($ms, [System.IO.Compression.CompressionMode]::Compress, $true) }
        else { [System.IO.Compression.DeflateStream]::new($ms, [System.IO.Compression.CompressionMode]::Compress, $true) }
        $bytes = [System.Text.Encoding]::UTF8.GetBytes($Text)
        $stream.Write($bytes, 0, $bytes.Length)
        $stream.Dispose()
        , $ms.ToArray()
    }
}

AfterAll {
    $stopped = Stop-TestServer $server
}

Describe 'Routes' {
    It 'captures :name parameters' {
        (Invoke-RestMethod "$base/users/rick/messages").Name | Should -Be 'rick'
    }

    It 'matches * wildcards' {
        (Invoke-RestMethod "$base/api/anything/hello").Path | Should -Be '/api/anything/hello'
    }

    It 'serves every method on a -Method * route' {
        foreach ($method in 'Get', 'Put', 'Patch', 'Delete') {
            (Invoke-RestMethod "$base/any" -Method $method).Method | Should -Be $method.ToLowerInvariant()
        }
    }

    It 'answers 404 for an unknown path and 405 for a known path with another method' {
        (Invoke-WebRequest "$base/nothing-here" -SkipHttpErrorCheck).StatusCode | Should -Be 404
        (Invoke-WebRequest "$base/search" -Method Post -SkipHttpErrorCheck).StatusCode | Should -Be 405
    }

    It 'runs functions defined before Start-PodeServer and inside its script block' {
        $result = Invoke-RestMethod "$base/functions"
        $result.Outer | Should -Be 'Outer Hello'
        $result.Inner | Should -Be 'Inner Hello'
    }
}

Describe 'Request data' {
    It 'parses the query string, repeated keys to an array' {
        $result = Invoke-RestMethod "$base/search?q=pode%20rocks&tag=a&tag=b"
        $result.Q | Should -Be 'pode rocks'
        $result.Tags | Should -Be @('a', 'b')
    }

    It 'parses a body by its content type: <Type>' -ForEach @(
        @{ Type = 'application/json'; Body = '{"name":"rick"}'; Expected = 'table:rick' }
        @{ Type = 'text/xml'; Body = '<user><name>rick</name></user>'; Expected = 'xml:rick' }
        @{ Type = 'application/xml'; Body = '<user><name>morty</name></user>'; Expected = 'xml:morty' }
        @{ Type = 'text/csv'; Body = "name,age`nrick,70`nmorty,14"; Expected = 'csv:rick,morty' }
        @{ Type = 'application/x-www-form-urlencoded'; Body = 'name=rick+sanchez'; Expected = 'table:rick sanchez' }
        @{ Type = 'text/plain'; Body = 'just text'; Expected = 'text:just text' }
    ) {
        (Invoke-RestMethod "$base/echo" -Method Post -ContentType $Type -Body $Body).Value | Should -Be $Expected
    }

    It 'parses the body as the route''s -ContentType, whatever the request says' {
        (Invoke-RestMethod "$base/forced-json" -Method Post -ContentType 'text/plain' -Body '{"name":"rick"}').Name | Should -Be 'rick'
    }

    It 'decodes a <Kind> body named by Content-Encoding' -ForEach @(@{ Kind = 'gzip' }, @{ Kind = 'deflate' }) {
        $body = ConvertTo-Compressed '{"name":"rick"}' $Kind
        $result = Invoke-RestMethod "$base/echo" -Method Post -ContentType 'application/json' -Headers @{ 'Content-Encoding' = $Kind } -Body $body
        $result.Value | Should -Be 'table:rick'
    }

    It 'decodes a body with the route''s -TransferEncoding, whatever the request says' {
        $body = ConvertTo-Compressed '{"name":"rick"}' 'gzip'
        (Invoke-RestMethod "$base/forced-gzip" -Method Post -ContentType 'application/json' -Body $body).Name | Should -Be 'rick'
    }

    It 'answers 400 with the reason for a body that is not valid <Type>, and keeps serving' -ForEach @(
        @{ Type = 'application/json'; Body = '{"name":' }
        @{ Type = 'text/xml'; Body = '<user><name>rick</user>' }
    ) {
        $response = Invoke-WebRequest "$base/echo" -Method Post -ContentType $Type -Body $Body -SkipHttpErrorCheck
        $response.StatusCode | Should -Be 400
        $response.Content | Should -Match 'not valid'
        (Invoke-RestMethod "$base/users/rick/messages").Name | Should -Be 'rick'
    }

    It 'answers 400 for a body that claims gzip but is not' {
        $response = Invoke-WebRequest "$base/echo" -Method Post -ContentType 'application/json' -Headers @{ 'Content-Encoding' = 'gzip' } -Body '{"name":"rick"}' -SkipHttpErrorCheck
        $response.StatusCode | Should -Be 400
        $response.Content | Should -Match 'decompress'
    }
}
