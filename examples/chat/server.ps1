<#
.SYNOPSIS
    The browser chat: the "Full Example" of Pode's WebSocket documentation, on PsWebSocket.

.DESCRIPTION
    Open http://localhost:8091 in two browser windows: a message typed in one appears in every window,
    '[date]' asks for the server's time, the list beside the messages shows who is connected, and the
    pages reconnect by themselves when the server restarts.

    Every message the server sends is a JSON object with a 'type':
      message  @{ type = 'message'; message = '...' }   a chat line (the seed's re-broadcast)
      welcome  @{ type = 'welcome'; clientId = '...' }  sent once to a new page: its own client id
      roster   @{ type = 'roster'; clients = @(...) }   sent once to a new page: the client ids connected now, oldest first
      join     @{ type = 'join'; clientId = '...' }     to every page when a page connects
      leave    @{ type = 'leave'; clientId = '...' }    to every page when a page leaves

    Only a new page gets the whole roster; the others get one small join or leave message, so a join
    costs O(N) bytes in all, not O(N) messages of O(N) bytes.

.PARAMETER Port
    The port for the page and its WebSocket (default 8091).

.EXAMPLE
    build/run-ps1.sh examples/chat/server.ps1
#>
param(
    [int]
    $Port = 8091
)

Import-Module PsWebSocket

Start-PodeServer {

    # listen
    Add-PodeEndpoint -Address localhost -Port $Port -Protocol Http
    Add-PodeEndpoint -Address localhost -Port $Port -Protocol Ws -NoAutoUpgradeWebSockets

    # who is connected: client id -> when it joined, kept in order of joining
    Set-PodeState -Name 'Roster' -NewCollectionType 'OrderedDictionary' | Out-Null

    # route for home page view
    Add-PodeRoute -Method Get -Path '/' -ScriptBlock {
        Write-PodeViewResponse -Path 'websockets'
    }

    # route for websocket upgrade
    Add-PodeRoute -Method Get -Path '/msg' -ScriptBlock {
        ConvertTo-PodeSignalConnection -Name 'Msg'
    }

    # signal route, to return current date or broadcast sent message
    Add-PodeSignalRoute -Path '/msg' -ScriptBlock {
        $msg = $SignalEvent.Data.Message

        if ($msg -ieq '[date]') {
            $msg = [datetime]::Now.ToString()
        }

        Send-PodeSignal -Name 'Msg' -Value @{ type = 'message'; message = $msg }
    }

    # a page joined: tell it who it is and who is here, then tell the others it came
    Register-PodeSignalEvent -Name 'Msg' -Type Connect -EventName 'RosterJoin' -ScriptBlock {
        $clientId = $TriggeredEvent.Connection.ClientId
        $clients = @(Lock-PodeObject -Return -ScriptBlock {
            $roster = Get-PodeState -Name 'Roster'
            $roster[$clientId] = $TriggeredEvent.Connection.Timestamp
            $roster.Keys
        })

        Send-PodeSignal -Name 'Msg' -ClientId $clientId -Value @{ type = 'welcome'; clientId = $clientId }
        Send-PodeSignal -Name 'Msg' -ClientId $clientId -Value @{ type = 'roster'; clients = $clients }
        Send-PodeSignal -Name 'Msg' -Value @{ type = 'join'; clientId = $clientId }
    }

    # a page left (closed, reloaded, or lost): tell the others
    Register-PodeSignalEvent -Name 'Msg' -Type Disconnect -EventName 'RosterLeave' -ScriptBlock {
        $clientId = $TriggeredEvent.Connection.ClientId
        $left = Lock-PodeObject -Return -ScriptBlock {
            $roster = Get-PodeState -Name 'Roster'
            $roster.Remove($clientId)
            $roster.Count
        }

        if ($left -gt 0) {
            Send-PodeSignal -Name 'Msg' -Value @{ type = 'leave'; clientId = $clientId }
        }
    }
}
