namespace PsWebSocket.Runtime;

/// <summary>External WebSocket connections of a server (Connect-PodeWebSocket).</summary>
internal sealed class WebSocketClients : IDisposable
{
    public void Dispose()
    {
    }
}
