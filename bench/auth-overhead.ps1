<#
    What authentication costs a request, and how soon a session's end reaches its WebSockets: sequential
    GETs (one client, after 50 warm-up requests, three rounds) to a plain route, a route that authenticates
    from a logged-in session cookie, and a -Sessionless Basic route; then the time from a session's expiry
    to the 1008 close of its signal connection (the sweep runs every second). Timings on a loaded machine
    vary widely: compare the later rounds.
        build/run-ps1.sh bench/auth-overhead.ps1
#>
Import-Module (Join-Path $PSScriptRoot '../tests/pester/Helpers/PsWebSocket.TestHelpers.psm1') -Force
$port = Get-FreeTcpPort
$serverScript = {
    param($Port, $Duration)
    Start-PodeServer -Threads 2 {
        Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Http
        Add-PodeEndpoint -Address 127.0.0.1 -Port $Port -Protocol Ws -NoAutoUpgradeWebSockets
        Enable-PodeSessionMiddleware -Duration $Duration
        New-PodeAuthScheme -Form | Add-PodeAuth -Name 'Login' -ScriptBlock { param($u, $p) @{ User = @{ Name = $u } } }
        New-PodeAuthScheme -Basic | Add-PodeAuth -Name 'Api' -Sessionless -ScriptBlock { param($u, $p) @{ User = $u } }
        Add-PodeRoute -Method Get -Path '/plain' -ScriptBlock { Write-PodeTextResponse 'ok' }
        Add-PodeRoute -Method Post -Path '/login' -Authentication Login -Login -ScriptBlock { Write-PodeTextResponse 'in' }
        Add-PodeRoute -Method Get -Path '/session' -Authentication Login -ScriptBlock { Write-PodeTextResponse 'ok' }
        Add-PodeRoute -Method Get -Path '/basic' -Authentication Api -ScriptBlock { Write-PodeTextResponse 'ok' }
        Add-PodeRoute -Method Get -Path '/msg' -Authentication Login -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Msg' }
    }
}
function Start-Measured([int]$Duration) {
    Start-TestServer -Port (Get-FreeTcpPort) -ScriptBlock ([scriptblock]::Create("param(`$Port) & { $serverScript } `$Port $Duration"))
}
$server = Start-Measured 600
$handler = [System.Net.Http.SocketsHttpHandler]::new(); $handler.UseCookies = $false; $handler.AllowAutoRedirect = $false
$client = [System.Net.Http.HttpClient]::new($handler)
$login = Invoke-TestHttp "$($server.Http)/login" -Method Post -Form @{ username = 'morty'; password = 'x' }
$cookie = if ("$($login.Headers['Set-Cookie'])" -match '(pode\.sid=[^;]*)') { $Matches[1] }
function Measure-Route([string]$Path, [hashtable]$Headers, [int]$N = 1000) {
    for ($i = 0; $i -lt 50; $i++) { Send-One $Path $Headers | Out-Null }
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    for ($i = 0; $i -lt $N; $i++) { $code = Send-One $Path $Headers; if ($code -ne 200) { throw "$Path answered $code" } }
    '{0,-9} {1,7:N3} ms/request ({2} sequential requests)' -f $Path, ($sw.Elapsed.TotalMilliseconds / $N), $N
}
function Send-One([string]$Path, [hashtable]$Headers) {
    $req = [System.Net.Http.HttpRequestMessage]::new('GET', "$($server.Http)$Path")
    foreach ($k in $Headers.Keys) { [void]$req.Headers.TryAddWithoutValidation($k, $Headers[$k]) }
    $r = $client.SendAsync($req).GetAwaiter().GetResult(); [int]$r.StatusCode; $r.Dispose()
}
foreach ($round in 1..3) {
    "round $round"
    Measure-Route '/plain' @{}
    Measure-Route '/session' @{ Cookie = $cookie }   # signed cookie check, store lookup, user from the session
    Measure-Route '/basic' @{ Authorization = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('morty:x')) }
}
# expiry -> 1008
Stop-TestServer $server | Out-Null
$server = Start-Measured 3
$login = Invoke-TestHttp "$($server.Http)/login" -Method Post -Form @{ username = 'rick'; password = 'x' }
$cookie = if ("$($login.Headers['Set-Cookie'])" -match '(pode\.sid=[^;]*)') { $Matches[1] }
$expires = [datetime]::UtcNow.AddSeconds(3)
$ws = Connect-TestWebSocket "$($server.Ws)/msg" -Headers @{ Cookie = $cookie }
$closed = Wait-TestWebSocketClose $ws
'expiry: closed with {0} {1:N2} s after the session expired' -f $closed.Status, ([datetime]::UtcNow - $expires).TotalSeconds
Stop-TestServer $server | Out-Null
