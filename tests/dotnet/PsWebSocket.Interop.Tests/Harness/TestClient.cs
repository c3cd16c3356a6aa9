using System.Text;

namespace PsWebSocket.Interop.Tests.Harness;

/// <summary>
/// The module's <see cref="NativeClient"/> (psws_client_*) with its events collected in
/// <see cref="Events"/>, for tests that connect outwards to their own psws server.
/// </summary>
internal sealed class TestClient : IDisposable
{
    private readonly NativeClient _client;

    public TestClient() => _client = new NativeClient(new ClientSettings(AcceptInvalidCertificates: false), Events.Add);

    public Inbox<ClientEvent> Events { get; } = new();

    /// <summary>Connects (blocking until the handshake is done or failed).</summary>
    public void Connect(string name, Uri url) => _client.Connect(name, url.ToString(), new ConnectSpec([], [], Reconnect: null));

    public void Send(string name, ReadOnlySpan<byte> data, bool binary) => _client.Send(name, data, binary);

    public void SendText(string name, string text) => Send(name, Encoding.UTF8.GetBytes(text), binary: false);

    public void Disconnect(string name) => _client.Disconnect(name);

    public void Remove(string name) => _client.Remove(name);

    public NativeClientState State(string name) => _client.State(name);

    public string Url(string name) => _client.Url(name);

    public string[] Names() => _client.Names();

    /// <summary>The next message event.</summary>
    public Task<ClientMessageEvent> MessageAsync(CancellationToken cancel) => Events.TakeAsync<ClientMessageEvent>(cancel);

    /// <summary>The next disconnected event.</summary>
    public Task<ClientDisconnectedEvent> DisconnectedAsync(CancellationToken cancel) => Events.TakeAsync<ClientDisconnectedEvent>(cancel);

    /// <summary>Closes every connection and frees the client; no callback runs afterwards.</summary>
    public void Dispose() => _client.Dispose();
}
