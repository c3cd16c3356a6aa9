<#
    What the specs share, written as a Pode user would test a server of their own: start the server
    script in its own pwsh process, wait for its port, talk to it with ClientWebSocket and
    Invoke-WebRequest, stop the process by its id.
#>

$ErrorActionPreference = 'Stop'

$script:DefaultTimeout = [timespan]::FromSeconds(20)

<# A TCP port that is free on 127.0.0.1 now. #>
function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

<#
    Starts a server script in its own pwsh process (the pwsh of $PSHOME, as Start-Job would), with
    its output and errors going to files: -ScriptBlock (written to a script after Import-Module
    PsWebSocket; it gets the port as its first argument) or -Path (a script file, run from its
    folder with -Parameters). Waits until -Port accepts; fails with what the server wrote when it
    ends first. Returns an object for Stop-TestServer and Wait-TestServerOutput.
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
        -WorkingDirectory (Split-Path -Parent $Path) -RedirectStandardOutput $server.Stdout -RedirectStandardError $server.Stderr

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

<# What the server wrote so far: its standard output and standard error, as text. #>
function Get-TestServerOutput {
    param(
        [Parameter(Mandatory)]
        $Server
    )

    (Get-Content -Raw -Path $Server.Stdout -ErrorAction SilentlyContinue) + (Get-Content -Raw -Path $Server.Stderr -ErrorAction SilentlyContinue)
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
        Output = Get-Content -Raw -Path $Server.Stdout -ErrorAction SilentlyContinue
        Errors = Get-Content -Raw -Path $Server.Stderr -ErrorAction SilentlyContinue
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

    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
    while ([datetime]::UtcNow -lt $deadline) {
        $output = Get-TestServerOutput $Server
        if ([regex]::Matches("$output", $Pattern).Count -ge $Count) {
            return $output
        }
        Start-Sleep -Milliseconds 100
    }
    throw "the server did not write '$Pattern' $Count time(s) within $TimeoutSec s; it wrote: $output"
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

Export-ModuleMember -Function Get-FreeTcpPort, Invoke-TestHttp, Start-TestServer, Stop-TestServer, Get-TestServerOutput, Wait-TestServerOutput, Connect-TestWebSocket, Get-TestWebSocketRefusal, Wait-TestWebSocketClose, Send-TestWebSocket, Receive-TestWebSocket, Close-TestWebSocket
