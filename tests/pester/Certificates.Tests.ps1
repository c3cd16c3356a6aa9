# Add-PodeEndpoint -SelfSigned and -X509Certificate: HTTPS and WSS endpoints with a certificate the
# module generates, or one given as an X509Certificate2, seen by real TLS clients.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force

    # The certificate a TLS server presents on 127.0.0.1:$Port.
    function Get-ServerCertificate([int]$Port) {
        $tcp = [System.Net.Sockets.TcpClient]::new()
        $tcp.Connect([System.Net.IPAddress]::Loopback, $Port)
        $ssl = [System.Net.Security.SslStream]::new($tcp.GetStream(), $false, { $true })
        try {
            $ssl.AuthenticateAsClient('localhost')
            [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($ssl.RemoteCertificate)
        }
        finally {
            $ssl.Dispose()
            $tcp.Dispose()
        }
    }
}

Describe 'Add-PodeEndpoint -SelfSigned' {
    BeforeAll {
        $port = Get-FreeTcpPort
        $server = Start-TestServer -Port $port -ScriptBlock {
            param($Port)
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Https -SelfSigned
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Wss -SelfSigned
                Add-PodeRoute -Method Get -Path '/ping' -ScriptBlock { Write-PodeTextResponse 'pong' }
                Add-PodeSignalRoute -Path '/echo' -ScriptBlock { Send-PodeSignal -Mode Direct -Value $SignalEvent.Data.Message }
            }
        }
    }
    AfterAll {
        Stop-TestServer $server | Out-Null
    }

    It 'serves HTTPS with a generated certificate for the endpoint and localhost' {
        (Invoke-WebRequest "https://127.0.0.1:$port/ping" -SkipCertificateCheck).Content | Should -Be 'pong'
        $cert = Get-ServerCertificate $port
        $cert.Subject | Should -Be 'CN=127.0.0.1'
        $cert.Issuer | Should -Be $cert.Subject
        $san = $cert.Extensions | Where-Object { $_.Oid.Value -eq '2.5.29.17' }
        $san.Format($false) | Should -Match 'localhost'
        $san.Format($false) | Should -Match '127\.0\.0\.1'
        $cert.NotAfter | Should -BeGreaterThan ([datetime]::UtcNow.AddDays(300))
    }

    It 'refuses the certificate to a client that checks it (it is self-signed)' {
        { Invoke-WebRequest "https://127.0.0.1:$port/ping" } | Should -Throw
    }

    It 'serves WSS with it' {
        # trust exactly the certificate the HTTPS endpoint presented (a compiled callback: it runs on a pool thread)
        Add-Type -TypeDefinition @'
public static class PinnedCertificate {
    public static string Thumbprint;
    public static bool Check(object sender, System.Security.Cryptography.X509Certificates.X509Certificate cert,
        System.Security.Cryptography.X509Certificates.X509Chain chain, System.Net.Security.SslPolicyErrors errors) =>
        cert != null && new System.Security.Cryptography.X509Certificates.X509Certificate2(cert).Thumbprint == Thumbprint;
}
'@
        [PinnedCertificate]::Thumbprint = (Get-ServerCertificate $port).Thumbprint
        $ws = [System.Net.WebSockets.ClientWebSocket]::new()
        $ws.Options.RemoteCertificateValidationCallback = [PinnedCertificate]::Check
        [void]$ws.ConnectAsync([uri]"wss://127.0.0.1:$port/echo", [System.Threading.CancellationToken]::None).GetAwaiter().GetResult()
        Send-TestWebSocket $ws @{ message = 'over tls' }
        Receive-TestWebSocket $ws | Should -Be 'over tls'
        Close-TestWebSocket $ws
    }

    It 'leaves no certificate files behind once started' {
        Get-TestServerOutput $server | Should -Not -Match 'error'
        @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -Directory -Filter 'psws-certs-*' -ErrorAction Ignore |
            Where-Object { $_.LastWriteTimeUtc -gt $server.Process.StartTime.ToUniversalTime() }) | Should -HaveCount 0
    }
}

Describe 'Add-PodeEndpoint -X509Certificate' {
    It 'serves HTTPS with a certificate object' {
        $port = Get-FreeTcpPort
        $server = Start-TestServer -Port $port -ScriptBlock {
            param($Port)
            $key = [System.Security.Cryptography.RSA]::Create(2048)
            $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=x509-test', $key, 'SHA256', [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
            $cert = $request.CreateSelfSigned([datetimeoffset]::UtcNow.AddMinutes(-5), [datetimeoffset]::UtcNow.AddDays(1))
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Https -X509Certificate $cert
                Add-PodeRoute -Method Get -Path '/ping' -ScriptBlock { Write-PodeTextResponse 'pong' }
            }
        }
        try {
            (Invoke-WebRequest "https://127.0.0.1:$port/ping" -SkipCertificateCheck).Content | Should -Be 'pong'
            (Get-ServerCertificate $port).Subject | Should -Be 'CN=x509-test'
        }
        finally {
            Stop-TestServer $server | Out-Null
        }
    }

    It 'refuses a certificate without its private key, and two certificate sources' {
        $port = Get-FreeTcpPort
        $bad = Start-TestServer -Port $port -ScriptBlock {
            param($Port)
            $key = [System.Security.Cryptography.ECDsa]::Create()
            $cert = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=nokey', $key, 'SHA256').CreateSelfSigned([datetimeoffset]::UtcNow, [datetimeoffset]::UtcNow.AddDays(1))
            $public = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($cert.Export('Cert'))
            Start-PodeServer {
                try { Add-PodeEndpoint -Address 127.0.0.1 -Port ([int]$Port + 1) -Protocol Https -X509Certificate $public } catch { Write-Host "ERR1 $($_.FullyQualifiedErrorId)" }
                try { Add-PodeEndpoint -Address 127.0.0.1 -Port ([int]$Port + 1) -Protocol Https -SelfSigned -X509Certificate $cert } catch { Write-Host "ERR2 $($_.FullyQualifiedErrorId)" }
                try { Add-PodeEndpoint -Address 127.0.0.1 -Port ([int]$Port + 1) -Protocol Http -SelfSigned } catch { Write-Host "ERR3 $($_.FullyQualifiedErrorId)" }
                Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
            }
        }
        $output = Wait-TestServerOutput $bad -Pattern 'ERR3'
        Stop-TestServer $bad | Out-Null
        $output | Should -Match 'ERR1 CertificateInvalid'
        $output | Should -Match 'ERR2 CertificateAmbiguous'
        $output | Should -Match 'ERR3 CertificateNotAllowed'
    }
}
