# JSON Web Tokens: ConvertTo-PodeJwt makes them, New-PodeAuthScheme -ApiKey|-Bearer -AsJWT reads them
# (signature with -Secret, exp and nbf) and hands the payload to the method's script block. A token
# that fails a check is a 400 with the reason; a payload the script block refuses is a 401.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
    Import-Module PsWebSocket

    # An HS256 token built here with .NET's HMAC, independently of the module.
    function New-Hs256Token([hashtable]$Payload, [string]$Secret) {
        $encode = { param($bytes) [Convert]::ToBase64String($bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
        $utf8 = [System.Text.Encoding]::UTF8
        $body = "$(& $encode $utf8.GetBytes('{"alg":"HS256","typ":"JWT"}')).$(& $encode $utf8.GetBytes(($Payload | ConvertTo-Json -Compress)))"
        $mac = [System.Security.Cryptography.HMACSHA256]::HashData($utf8.GetBytes($Secret), [System.Text.Encoding]::ASCII.GetBytes($body))
        "$body.$(& $encode $mac)"
    }

    $server = Start-TestServer -Port (Get-FreeTcpPort) -ScriptBlock {
        param($Port)
        Start-PodeServer -Quiet {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
            New-PodeAuthScheme -ApiKey -AsJWT | Add-PodeAuth -Name 'Unsigned' -Sessionless -ScriptBlock {
                param($jwt)
                if ($jwt.username -eq 'morty') { @{ User = @{ Name = $jwt.username; Sub = $jwt.sub } } }
            }
            New-PodeAuthScheme -ApiKey -AsJWT -Secret 'secret' | Add-PodeAuth -Name 'Signed' -Sessionless -ScriptBlock {
                param($jwt)
                if ($jwt.username -eq 'morty') { @{ User = @{ Name = $jwt.username; Sub = $jwt.sub } } }
            }
            New-PodeAuthScheme -Bearer -AsJWT -Secret 'secret' | Add-PodeAuth -Name 'BearerJwt' -Sessionless -ScriptBlock {
                param($jwt)
                if ($jwt.username -eq 'morty') { @{ User = @{ Name = $jwt.username; Sub = $jwt.sub } } }
            }
            Add-PodeRoute -Method Get -Path '/unsigned' -Authentication Unsigned -ScriptBlock { Write-PodeJsonResponse -Value $WebEvent.Auth.User }
            Add-PodeRoute -Method Get -Path '/signed' -Authentication Signed -ScriptBlock { Write-PodeJsonResponse -Value $WebEvent.Auth.User }
            Add-PodeRoute -Method Get -Path '/bearer' -Authentication BearerJwt -ScriptBlock { Write-PodeJsonResponse -Value $WebEvent.Auth.User }
        }
    }
    $base = $server.Http

    function Invoke-WithKey([string]$Path, [string]$Key) {
        Invoke-WebRequest "$base$Path" -Headers @{ 'X-API-KEY' = $Key } -SkipHttpErrorCheck
    }
}

AfterAll {
    $stopped = Stop-TestServer $server
}

Describe 'ConvertTo-PodeJwt' {
    It 'makes an unsigned token that ends with a dot, and carries the payload' {
        $jwt = ConvertTo-PodeJwt -Header @{ alg = 'none' } -Payload @{ sub = '123' }
        $parts = $jwt.Split('.')
        $parts.Count | Should -Be 3
        $parts[2] | Should -BeNullOrEmpty
        $json = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($parts[1].PadRight($parts[1].Length + (4 - $parts[1].Length % 4) % 4, '=')))
        ($json | ConvertFrom-Json).sub | Should -Be '123'
    }

    It 'refuses a header without alg, and a signed algorithm without a secret' {
        { ConvertTo-PodeJwt -Header @{ typ = 'JWT' } -Payload @{ sub = '1' } } | Should -Throw '*algorithm*'
        { ConvertTo-PodeJwt -Header @{ alg = 'hs256' } -Payload @{ sub = '1' } } | Should -Throw '*No secret*'
    }
}

Describe 'Authentication with -AsJWT' {
    It 'hands the payload of a valid unsigned token to the script block' {
        $response = Invoke-WithKey '/unsigned' (ConvertTo-PodeJwt -Header @{ alg = 'none' } -Payload @{ sub = '123'; username = 'morty' })
        $response.StatusCode | Should -Be 200
        ($response.Content | ConvertFrom-Json).Sub | Should -Be '123'
    }

    It 'accepts an HS256 token signed by another implementation, in the API key and the Bearer header' {
        $token = New-Hs256Token -Payload @{ sub = '42'; username = 'morty'; exp = [DateTimeOffset]::UtcNow.AddDays(1).ToUnixTimeSeconds() } -Secret 'secret'
        (Invoke-WithKey '/signed' $token).StatusCode | Should -Be 200
        $bearer = Invoke-WebRequest "$base/bearer" -Headers @{ Authorization = "Bearer $token" } -SkipHttpErrorCheck
        $bearer.StatusCode | Should -Be 200
        ($bearer.Content | ConvertFrom-Json).Sub | Should -Be '42'
    }

    It 'answers 400 "<message>" for <case>' -ForEach @(
        @{ case = 'a token that is not base64'; path = '/unsigned'; token = { "hh$(ConvertTo-PodeJwt -Header @{ alg = 'none' } -Payload @{ username = 'morty' })" }; message = 'Invalid * found in JWT' }
        @{ case = 'an expired token'; path = '/unsigned'; token = { ConvertTo-PodeJwt -Header @{ alg = 'none' } -Payload @{ username = 'morty'; exp = 100 } }; message = 'The JWT has expired' }
        @{ case = 'a token not valid yet'; path = '/unsigned'; token = { ConvertTo-PodeJwt -Header @{ alg = 'none' } -Payload @{ username = 'morty'; nbf = [DateTimeOffset]::UtcNow.AddYears(1).ToUnixTimeSeconds() } }; message = 'The JWT is not yet valid for use' }
        @{ case = 'a signed token where none is expected'; path = '/unsigned'; token = { New-Hs256Token -Payload @{ username = 'morty' } -Secret 'secret' }; message = 'No secret supplied for JWT signature' }
        @{ case = 'a changed signature'; path = '/signed'; token = { "$(ConvertTo-PodeJwt -Header @{ alg = 'hs256' } -Payload @{ username = 'morty' } -Secret 'secret')hh" }; message = 'Invalid JWT signature supplied' }
        @{ case = 'another secret'; path = '/signed'; token = { New-Hs256Token -Payload @{ username = 'morty' } -Secret 'fake' }; message = 'Invalid JWT signature supplied' }
        @{ case = 'an unsigned token where a signature is required'; path = '/signed'; token = { ConvertTo-PodeJwt -Header @{ alg = 'none' } -Payload @{ username = 'morty' } }; message = "Expected a signed JWT*" }
        @{ case = 'a token of one part'; path = '/signed'; token = { 'notajwt' }; message = 'Invalid JWT supplied' }
    ) {
        $response = Invoke-WithKey $path (& $token)
        $response.StatusCode | Should -Be 400
        $response.Content | Should -BeLike $message
    }

    It 'answers 401 when the script block refuses a valid token' {
        $response = Invoke-WithKey '/signed' (ConvertTo-PodeJwt -Header @{ alg = 'hs512' } -Payload @{ username = 'rick' } -Secret 'secret')
        $response.StatusCode | Should -Be 401
    }

    It 'answers 400 for a Bearer JWT with a bad signature, with Pode''s invalid_token challenge' {
        $response = Invoke-WebRequest "$base/bearer" -Headers @{ Authorization = 'Bearer a.b.c' } -SkipHttpErrorCheck
        $response.StatusCode | Should -Be 400
        "$($response.Headers['WWW-Authenticate'])" | Should -Match 'error="invalid_token"'
    }
}
