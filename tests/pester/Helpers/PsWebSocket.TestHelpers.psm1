<#
    What the specs share, written as a Pode user would test a server of their own: start the server
    script in its own pwsh process, wait for its port, talk to it with ClientWebSocket and
    Invoke-WebRequest, stop the process by its id.
#>

$ErrorActionPreference = 'Stop'

$script:DefaultTimeout = [timespan]::FromSeconds(20)

<#
    A TCP port that is free on 127.0.0.1 now, from 20000-32767: below Linux's ephemeral range
    (32768-60999), so the outgoing connections of other tests cannot take it before the server binds.
#>
function Get-FreeTcpPort {
    while ($true) {
        $port = Get-Random -Minimum 20000 -Maximum 32768
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port)
        try {
            $listener.Start()
            return $port
        }
        catch [System.Net.Sockets.SocketException] {
        }
        finally {
            $listener.Stop()
        }
    }
}

<#
    Starts a server script in its own pwsh process (the pwsh of $PSHOME, as Start-Job would), with
    its output and errors going to files: -ScriptBlock (written to a script after Import-Module
    PsWebSocket; it gets the port as its first argument) or -Path (a script file, run from its
    folder with -Parameters). -ModulePath replaces PSModulePath for it (e.g. a folder a package was
    installed to). Waits until -Port accepts; fails with what the server wrote when it ends first.
    Returns an object for Stop-TestServer and Wait-TestServerOutput.
#>
function Start-TestServer {
    [CmdletBinding(DefaultParameterSetName = 'ScriptBlock')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'ScriptBlock')]
        [scriptblock]
        $ScriptBlock,

        [Parameter(Mandatory, ParameterSetName = 'Path')]
        [string]
        $Path,

        [Parameter(Mandatory)]
        [int]
        $Port,

        [hashtable]
        $Parameters = @{},

        [string]
        $ModulePath,

        [timespan]
        $Timeout = [timespan]::FromSeconds(60)
    )

    $dir = Join-Path ([System.IO.Path]::GetTempPath()) "psws-test-$([guid]::NewGuid().ToString('n'))"
    New-Item -ItemType Directory -Path $dir | Out-Null
    $arguments = @('-NoLogo', '-NoProfile', '-NonInteractive', '-File')
    if ($PSCmdlet.ParameterSetName -eq 'ScriptBlock') {
        $Path = Join-Path $dir 'server.ps1'
        Set-Content -Path $Path -Value "param(`$Port)`nImport-Module PsWebSocket`n& {`n$ScriptBlock`n} `$Port"
        $arguments += $Path, $Port
    }
    else {
        $arguments += $Path
        foreach ($name in $Parameters.Keys) {
            $arguments += "-$name", "$($Parameters[$name])"
        }
    }

    $server = [pscustomobject]@{
        Process = $null
        Port    = $Port
        Http    = "http://127.0.0.1:$Port"
        Ws      = "ws://127.0.0.1:$Port"
        Stdout  = Join-Path $dir 'stdout.txt'
        Stderr  = Join-Path $dir 'stderr.txt'
    }
    $server.Process = Start-Process -FilePath (Join-Path $PSHOME 'pwsh') -ArgumentList $arguments -PassThru `
        -WorkingDirectory (Split-Path -Parent $Path) -RedirectStandardOutput $server.Stdout -RedirectStandardError $server.Stderr `
        -Environment (Get-ModulePathEnvironment $ModulePath)

    $deadline = [datetime]::UtcNow + $Timeout
    while ([datetime]::UtcNow -lt $deadline) {
        if ($server.Process.HasExited) {
            throw "the server ended (exit code $($server.Process.ExitCode)) before port $Port accepted: $(Get-TestServerOutput $server)"
        }
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $client.Connect([System.Net.IPAddress]::Loopback, $Port)
            return $server
        }
        catch {
            Start-Sleep -Milliseconds 100
        }
        finally {
            $client.Dispose()
        }
    }
    $output = Stop-TestServer $server
    throw "port $Port did not accept within $Timeout; the server wrote: $($output.Output) $($output.Errors)"
}

<#
    The environment that gives a child pwsh exactly -ModulePath as PSModulePath (plus its own
    $PSHOME/Modules): PWSH_RUNNER_MODULES too, so that the build's runner adds no module folder.
    Without -ModulePath the child inherits this process's PSModulePath.
#>
function Get-ModulePathEnvironment([string]$ModulePath) {
    if (-not $ModulePath) { return @{} }
    @{ PSModulePath = $ModulePath; PWSH_RUNNER_MODULES = ($ModulePath -split [System.IO.Path]::PathSeparator)[0] }
}

<#
    Runs a script block in a new pwsh process (the pwsh of $PSHOME) with -ModulePath as its
    PSModulePath (default: this process's), as a user's fresh session. Returns its output lines;
    throws with its error output when it fails.
#>
function Invoke-TestPwsh {
    param(
        [Parameter(Mandatory)]
        [scriptblock]
        $ScriptBlock,

        [string]
        $ModulePath
    )

    $dir = Join-Path ([System.IO.Path]::GetTempPath()) "psws-test-$([guid]::NewGuid().ToString('n'))"
    New-Item -ItemType Directory -Path $dir | Out-Null
    try {
        $script = Join-Path $dir 'script.ps1'
        Set-Content -Path $script -Value "`$ErrorActionPreference = 'Stop'`n$ScriptBlock"
        $process = Start-Process -FilePath (Join-Path $PSHOME 'pwsh') -ArgumentList '-NoLogo', '-NoProfile', '-NonInteractive', '-File', $script `
            -PassThru -Wait -RedirectStandardOutput (Join-Path $dir 'stdout.txt') -RedirectStandardError (Join-Path $dir 'stderr.txt') `
            -Environment (Get-ModulePathEnvironment $ModulePath)
        if ($process.ExitCode -ne 0) {
            throw "pwsh exited with $($process.ExitCode): $(Get-Content -Raw (Join-Path $dir 'stderr.txt')) $(Get-Content -Raw (Join-Path $dir 'stdout.txt'))"
        }
        Get-Content -Path (Join-Path $dir 'stdout.txt')
    }
    finally {
        Remove-Item -LiteralPath $dir -Recurse -Force
    }
}

<# What the server wrote so far: its standard output and standard error, as text. #>
function Get-TestServerOutput {
    param(
        [Parameter(Mandatory)]
        $Server
    )

    (Read-TestServerFile $Server.Stdout) + (Read-TestServerFile $Server.Stderr)
}

<# A server output file as plain text (pwsh colours its errors even into files). #>
function Read-TestServerFile([string]$Path) {
    (Get-Content -Raw -Path $Path -ErrorAction SilentlyContinue) -replace '\x1b\[[0-9;?]*[A-Za-z]', ''
}

<#
    Stops a server started by Start-TestServer (by its process id). Returns what it wrote: Output
    (standard output) and Errors (standard error: failed scriptblocks and so on).
#>
function Stop-TestServer {
    param(
        [Parameter(Mandatory)]
        $Server
    )

    if (-not $Server.Process.HasExited) {
        Stop-Process -Id $Server.Process.Id -Force
        $Server.Process.WaitForExit()
    }
    [pscustomobject]@{
        Output = Read-TestServerFile $Server.Stdout
        Errors = Read-TestServerFile $Server.Stderr
    }
}

<# Waits until the server's output matches -Pattern -Count times; returns the output. #>
function Wait-TestServerOutput {
    param(
        [Parameter(Mandatory)]
        $Server,

        [Parameter(Mandatory)]
        [string]
        $Pattern,

        [int]
        $Count = 1,

        [int]
        $TimeoutSec = 20
    )

    Wait-TestText -Read { Get-TestServerOutput $Server } -Pattern $Pattern -Count $Count -TimeoutSec $TimeoutSec -What 'the server'
}

<#
    Reads text with -Read every 100 ms until it matches -Pattern -Count times; returns it. Fails
    after -TimeoutSec, naming -What and showing the last text read.
#>
function Wait-TestText([scriptblock]$Read, [string]$Pattern, [int]$Count, [int]$TimeoutSec, [string]$What) {
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
    while ([datetime]::UtcNow -lt $deadline) {
        $text = & $Read
        if ([regex]::Matches("$text", $Pattern).Count -ge $Count) {
            return $text
        }
        Start-Sleep -Milliseconds 100
    }
    throw "$What did not show '$Pattern' $Count time(s) within $TimeoutSec s; it shows: $text"
}

<#
    Makes a private certificate authority and a server certificate it signed for 127.0.0.1 and
    localhost, in -Directory: ca.pem (the CA), cert.pem and key.pem (the server's). Returns the paths.
#>
function New-TestCertificateChain {
    param(
        [Parameter(Mandatory)]
        [string]
        $Directory
    )

    $now = [datetimeoffset]::UtcNow
    $caKey = [System.Security.Cryptography.RSA]::Create(2048)
    $caRequest = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=PsWebSocket Test CA', $caKey, 'SHA256', [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $caRequest.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
    $caRequest.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('KeyCertSign, CrlSign', $true))
    $ca = $caRequest.CreateSelfSigned($now.AddMinutes(-5), $now.AddDays(1))

    $key = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=localhost', $key, 'SHA256', [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $san.AddDnsName('localhost')
    $san.AddIpAddress([System.Net.IPAddress]::Loopback)
    $request.CertificateExtensions.Add($san.Build())
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($false, $false, 0, $false))
    $serverAuth = [System.Security.Cryptography.OidCollection]::new()
    [void]$serverAuth.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.1'))
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($serverAuth, $false))
    $serial = [byte[]]::new(8)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($serial)
    $leaf = $request.Create($ca, $now.AddMinutes(-5), $now.AddDays(1), $serial)

    $paths = [pscustomobject]@{
        CaFile   = Join-Path $Directory 'ca.pem'
        CertFile = Join-Path $Directory 'cert.pem'
        KeyFile  = Join-Path $Directory 'key.pem'
    }
    Set-Content -Path $paths.CaFile -Value $ca.ExportCertificatePem()
    Set-Content -Path $paths.CertFile -Value $leaf.ExportCertificatePem()
    Set-Content -Path $paths.KeyFile -Value $key.ExportPkcs8PrivateKeyPem()
    $paths
}

<#
    One HTTP request with HttpClient, redirects not followed and no cookies kept: returns StatusCode,
    Headers (every response and content header, case-insensitive, values joined with ", "), Location
    and Content. -Form posts application/x-www-form-urlencoded fields.
#>
function Invoke-TestHttp {
    param(
        [Parameter(Mandatory)]
        [string]
        $Url,

        [string]
        $Method = 'Get',

        [hashtable]
        $Headers = @{},

        [hashtable]
        $Form
    )

    $handler = [System.Net.Http.HttpClientHandler]::new()
    $handler.AllowAutoRedirect = $false
    $handler.UseCookies = $false
    $client = [System.Net.Http.HttpClient]::new($handler)
    $client.Timeout = $script:DefaultTimeout
    try {
        $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method.ToUpperInvariant()), $Url)
        foreach ($name in $Headers.Keys) {
            [void]$request.Headers.TryAddWithoutValidation($name, [string]$Headers[$name])
        }
        if ($Form) {
            $pairs = [System.Collections.Generic.List[System.Collections.Generic.KeyValuePair[string, string]]]::new()
            foreach ($name in $Form.Keys) { $pairs.Add([System.Collections.Generic.KeyValuePair[string, string]]::new($name, [string]$Form[$name])) }
            $request.Content = [System.Net.Http.FormUrlEncodedContent]::new($pairs)
        }
        $response = $client.SendAsync($request, [System.Net.Http.HttpCompletionOption]::ResponseHeadersRead).GetAwaiter().GetResult()
        $all = [System.Collections.Hashtable]::new([System.StringComparer]::OrdinalIgnoreCase)
        foreach ($h in @($response.Headers) + @($response.Content.Headers)) {
            $all[$h.Key] = $h.Value -join ', '
        }
        [pscustomobject]@{
            StatusCode = [int]$response.StatusCode
            Headers    = $all
            Location   = $all['Location']
            Content    = if ($response.StatusCode -eq 101) { $null } else { $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() }
        }
    }
    finally {
        $client.Dispose()
    }
}

<#
    Waits until the files matching -Path (a wildcard, e.g. a log folder's *.log) hold -Pattern -Count
    times in all; returns their text. Log methods write in the background, so a spec waits for them.
#>
function Wait-TestFileContent {
    param(
        [Parameter(Mandatory)]
        [string]
        $Path,

        [Parameter(Mandatory)]
        [string]
        $Pattern,

        [int]
        $Count = 1,

        [int]
        $TimeoutSec = 20
    )

    Wait-TestText -Read { (Get-ChildItem -Path $Path -ErrorAction SilentlyContinue | Sort-Object Name | Get-Content -Raw) -join '' } `
        -Pattern $Pattern -Count $Count -TimeoutSec $TimeoutSec -What "the files '$Path'"
}

<# Opens a ClientWebSocket to a ws:// URL. #>
function Connect-TestWebSocket {
    param(
        [Parameter(Mandatory)]
        [string]
        $Url,

        [hashtable]
        $Headers = @{}
    )

    $socket = [System.Net.WebSockets.ClientWebSocket]::new()
    foreach ($name in $Headers.Keys) {
        $socket.Options.SetRequestHeader($name, $Headers[$name])
    }
    $cts = [System.Threading.CancellationTokenSource]::new($script:DefaultTimeout)
    try {
        [void]$socket.ConnectAsync([uri]$Url, $cts.Token).GetAwaiter().GetResult()
    }
    finally {
        $cts.Dispose()
    }
    $socket
}

<#
    Sends a WebSocket handshake (GET with Upgrade: websocket and a Sec-WebSocket-Key) that the server
    should refuse, without following redirects (ClientWebSocket would): returns StatusCode, Headers and
    Content as Invoke-TestHttp; fails if the server answered 101.
#>
function Get-TestWebSocketRefusal {
    param(
        [Parameter(Mandatory)]
        [string]
        $Url,

        [hashtable]
        $Headers = @{}
    )

    $handshake = @{
        Connection              = 'Upgrade'
        Upgrade                 = 'websocket'
        'Sec-WebSocket-Version' = '13'
        'Sec-WebSocket-Key'     = [Convert]::ToBase64String([guid]::NewGuid().ToByteArray())
    }
    $response = Invoke-TestHttp ($Url -replace '^ws', 'http') -Headers ($handshake + $Headers)
    if ($response.StatusCode -eq 101) {
        throw "the server accepted the upgrade of $Url"
    }
    $response
}

<#
    Waits until the server closes the socket; returns the close status (e.g. 1008) and description.
    Messages that arrive first are skipped.
#>
function Wait-TestWebSocketClose {
    param(
        [Parameter(Mandatory)]
        [System.Net.WebSockets.WebSocket]
        $Socket,

        [int]
        $TimeoutSec = 30
    )

    $buffer = [byte[]]::new(65536)
    $cts = [System.Threading.CancellationTokenSource]::new([timespan]::FromSeconds($TimeoutSec))
    try {
        while ($true) {
            $result = $Socket.ReceiveAsync([System.ArraySegment[byte]]::new($buffer), $cts.Token).GetAwaiter().GetResult()
            if ($result.MessageType -eq 'Close') {
                return [pscustomobject]@{ Status = [int]$result.CloseStatus; Description = $result.CloseStatusDescription }
            }
        }
    }
    catch [System.OperationCanceledException] {
        throw "the server did not close the connection within $TimeoutSec s"
    }
    finally {
        $cts.Dispose()
    }
}

<# Sends one text message (a string, or anything else as compressed JSON). #>
function Send-TestWebSocket {
    param(
        [Parameter(Mandatory)]
        [System.Net.WebSockets.WebSocket]
        $Socket,

        [Parameter(Mandatory)]
        $Message
    )

    $text = if ($Message -is [string]) { $Message } else { $Message | ConvertTo-Json -Compress -Depth 10 }
    $bytes = [System.Text.Encoding]::UTF8.GetBytes($text)
    [void]$Socket.SendAsync([System.ArraySegment[byte]]::new($bytes), 'Text', $true, [System.Threading.CancellationToken]::None).GetAwaiter().GetResult()
}

<#
    Receives one whole message as text; -AsJson parses it. Throws when nothing arrives within
    -TimeoutSec; returns $null when the server closed the connection.
#>
function Receive-TestWebSocket {
    param(
        [Parameter(Mandatory)]
        [System.Net.WebSockets.WebSocket]
        $Socket,

        [int]
        $TimeoutSec = 20,

        [switch]
        $AsJson
    )

    $buffer = [byte[]]::new(65536)
    $stream = [System.IO.MemoryStream]::new()
    $cts = [System.Threading.CancellationTokenSource]::new([timespan]::FromSeconds($TimeoutSec))
    try {
        do {
            $result = $Socket.ReceiveAsync([System.ArraySegment[byte]]::new($buffer), $cts.Token).GetAwaiter().GetResult()
            if ($result.MessageType -eq 'Close') {
                return $null
            }
            $stream.Write($buffer, 0, $result.Count)
        } while (-not $result.EndOfMessage)
    }
    catch [System.OperationCanceledException] {
        throw "no message within $TimeoutSec s"
    }
    finally {
        $cts.Dispose()
    }
    $text = [System.Text.Encoding]::UTF8.GetString($stream.ToArray())
    if ($AsJson) { $text | ConvertFrom-Json } else { $text }
}

<# Closes a ClientWebSocket with a normal closure, ignoring a server that is already gone. #>
function Close-TestWebSocket {
    param(
        [Parameter(Mandatory)]
        [System.Net.WebSockets.WebSocket]
        $Socket
    )

    try {
        [void]$Socket.CloseAsync('NormalClosure', 'bye', [System.Threading.CancellationToken]::None).GetAwaiter().GetResult()
    }
    catch [System.Net.WebSockets.WebSocketException] {
    }
    $Socket.Dispose()
}

