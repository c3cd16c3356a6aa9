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

    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
    while ([datetime]::UtcNow -lt $deadline) {
        $text = (Get-ChildItem -Path $Path -ErrorAction SilentlyContinue | Sort-Object Name | Get-Content -Raw) -join ''
        if ([regex]::Matches("$text", $Pattern).Count -ge $Count) {
            return $text
        }
        Start-Sleep -Milliseconds 100
    }
    throw "the files '$Path' did not hold '$Pattern' $Count time(s) within $TimeoutSec s; they hold: $text"
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

Export-ModuleMember -Function Get-FreeTcpPort, Start-TestServer, Stop-TestServer, Get-TestServerOutput, Wait-TestServerOutput, Wait-TestFileContent, Connect-TestWebSocket, Send-TestWebSocket, Receive-TestWebSocket, Close-TestWebSocket
