<#
.SYNOPSIS
    A Local WebSocket connection: the "Scopes > Local" example of Pode's WebSocket documentation.

.DESCRIPTION
    GET /response-times is converted into a Local WebSocket connection: it lives only while the route
    runs. The route sends two messages, ten seconds apart, straight to that connection (Send-PodeSignal
    with the connection's Name goes to the Local connection of the current request), and when the
    route ends the server closes the connection, as it would finish a normal request.

.PARAMETER Port
    The HTTP port, where /response-times is upgraded (default 8091).

.PARAMETER WsPort
    The Ws endpoint's port (default 8081), as in the documentation.

.PARAMETER Seconds
    The pause between the two messages (default 10).

.EXAMPLE
    build/run-ps1.sh examples/local-scope/server.ps1
#>
param(
    [int]
    $Port = 8091,

    [int]
    $WsPort = 8081,

    [int]
    $Seconds = 10
)

Import-Module PsWebSocket

Start-PodeServer {
    Add-PodeEndpoint -Address localhost -Port $Port -Protocol Http
    Add-PodeEndpoint -Address localhost -Port $WsPort -Protocol Ws -NoAutoUpgradeWebSockets

    Add-PodeRoute -Method Get -Path '/response-times' -ScriptBlock {
        ConvertTo-PodeSignalConnection -Name 'ResponseTimes' -Scope Local
        Send-PodeSignal -Name 'ResponseTimes' -Data @{ Durations = @(123, 101, 104) }
        Start-Sleep -Seconds $using:Seconds
        Send-PodeSignal -Name 'ResponseTimes' -Data @{ Durations = @(234, 202, 205) }
    }
}
