<#
.SYNOPSIS
    An external WebSocket client: Pode's Web-SignalConnection.ps1 on PsWebSocket, talking to the chat.

.DESCRIPTION
    Start the chat first (build/run-chat.sh), then this script. It connects to the chat's WebSocket
    with Connect-PodeWebSocket and:
      - echoes every chat line back as "Ex: <line>"; its own echoes come back too, and the guard
        (lines already starting with "Ex:") stops them from being echoed again, forever;
      - says hello from a timer every -Interval seconds with Send-PodeWebSocket;
      - reconnects when http://localhost:8092/reset is requested (Reset-PodeWebSocket): the chat's
        "Connected" list shows the old client leave and a new one join.

.PARAMETER Port
    The HTTP port of this script's own server, for /reset (default 8092).

.PARAMETER ChatUrl
    The chat's WebSocket (default ws://localhost:8091/msg).

.PARAMETER Interval
    Seconds between the timer's hellos (default 10).

.EXAMPLE
    build/run-ps1.sh examples/external-client/server.ps1
#>
param(
    [int]
    $Port = 8092,

    [string]
    $ChatUrl = 'ws://localhost:8091/msg',

    [int]
    $Interval = 10
)

Import-Module PsWebSocket

# create a server, and start listening
Start-PodeServer -EnablePool WebSockets {

    # listen
    Add-PodeEndpoint -Address localhost -Port $Port -Protocol Http

    # connect to the chat's web socket, and echo its lines back
    Connect-PodeWebSocket -Name 'Chat' -Url $ChatUrl -ScriptBlock {
        $WsEvent.Data | Out-Default
        if (($WsEvent.Data.type -eq 'message') -and ($WsEvent.Data.message -inotlike 'Ex:*')) {
            Send-PodeWebSocket -Message @{ message = "Ex: $($WsEvent.Data.message)" }
        }
    }

    # say hello now and then
    Add-PodeTimer -Name 'Hello' -Interval $Interval -ScriptBlock {
        Send-PodeWebSocket -Name 'Chat' -Message @{ message = "hello from the timer at $([datetime]::Now.ToString('T'))" }
    }

    # reconnect to the chat
    Add-PodeRoute -Method Get -Path '/reset' -ScriptBlock {
        Reset-PodeWebSocket -Name 'Chat'
        Write-PodeTextResponse -Value 'reconnected'
    }
}
