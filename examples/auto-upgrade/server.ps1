<#
.SYNOPSIS
    The legacy "auto-upgrade" path: Pode's Web-Signal.ps1 on PsWebSocket.

.DESCRIPTION
    Http and Ws endpoints share port 8091 without -NoAutoUpgradeWebSockets, so any request with a
    Sec-WebSocket-Key header becomes a WebSocket before any route runs, and its Name is the URL path
    (ws://localhost:8091/msg is Name '/msg'). Connect/Disconnect events are registered on that path.
    The signal route answers '[date]' with the server's time and re-broadcasts anything else to every
    connected client of every Name (Send-PodeSignal without -Name).

    Pode documents this path as deprecated (no routes, middleware or authentication run before the
    upgrade); the chat in ../chat uses the manual path, ConvertTo-PodeSignalConnection.

.PARAMETER Port
    The port for HTTP and WebSockets (default 8091).

.EXAMPLE
    build/run-ps1.sh examples/auto-upgrade/server.ps1
#>
param(
    [int]
    $Port = 8091
)

Import-Module PsWebSocket

# create a server, and start listening
Start-PodeServer -Threads 3 {

    # listen
    Add-PodeEndpoint -Address localhost -Port $Port -Protocol Http
    Add-PodeEndpoint -Address localhost -Port $Port -Protocol Ws

    # register a connect event
    Register-PodeSignalEvent -Name '/msg' -Type Connect -EventName 'SignalConnected' -ScriptBlock {
        "Connected: $($TriggeredEvent.Connection.Name) ($($TriggeredEvent.Connection.ClientId))" | Out-Default
    }

    # register a disconnect event
    Register-PodeSignalEvent -Name '/msg' -Type Disconnect -EventName 'SignalDisconnected' -ScriptBlock {
        "Disconnected: $($TriggeredEvent.Connection.Name) ($($TriggeredEvent.Connection.ClientId))" | Out-Default
    }

    # GET request: how to talk to the WebSocket
    Add-PodeRoute -Method Get -Path '/' -ScriptBlock {
        Write-PodeTextResponse -Value "Open a WebSocket to ws://localhost:$using:Port/msg and send {""message"":""[date]""}."
    }

    # SIGNAL route, to return current date
    Add-PodeSignalRoute -Path '/msg' -ScriptBlock {
        $msg = $SignalEvent.Data.Message

        if ($msg -ieq '[date]') {
            $msg = [datetime]::Now.ToString()
        }

        Send-PodeSignal -Value @{ message = $msg }
    }
}
