using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace PsWebSocket.Interop.Tests.Harness;

/// <summary>A client event, copied out of the callback.</summary>
internal sealed record RawClientEvent(ClientEventKind Kind, string Name, byte[] Data, bool Binary, int CloseCode, uint Initiator, bool Reconnecting, string Text)
{
    public string DataText => Encoding.UTF8.GetString(Data);
}

/// <summary>
/// A tiny test-local wrapper over psws_client_* (named outgoing WebSocket connections),
/// through the module's NativeMethods; its events go to <see cref="Events"/>.
/// </summary>
internal sealed unsafe class TestClient : IDisposable
{
    private readonly ClientHandle _handle;
    private GCHandle _self;

    public TestClient()
    {
        Native.Check(NativeMethods.psws_client_config_default(out var config));
        config.connect_timeout_ms = 15_000;
        Native.Check(NativeMethods.psws_client_new(config, out _handle));
        _self = GCHandle.Alloc(this);
        Native.Check(NativeMethods.psws_client_set_callback(_handle, &OnEvent, GCHandle.ToIntPtr(_self)));
    }

    public ClientHandle Handle => _handle;
    public Inbox<RawClientEvent> Events { get; } = new();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnEvent(IntPtr userdata, psws_client_event* e)
    {
        try
        {
            if (GCHandle.FromIntPtr(userdata).Target is TestClient client)
            {
                client.Events.Add(new RawClientEvent((ClientEventKind)e->kind, e->name.ToString(), e->data.ToArray(), e->binary != 0, e->close_code, e->initiator,
                    e->reconnecting != 0, e->text.ToString()));
            }
        }
        catch
        {
            // Nothing may unwind into the engine.
        }
    }

    /// <summary>Connects (blocking until the handshake is done or failed).</summary>
    public void Connect(string name, Uri url)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_connect_options_default(out var options));
        Native.Check(NativeMethods.psws_client_connect(_handle, a.Str(name), a.Str(url.ToString()), options));
    }

    public void Send(string name, ReadOnlySpan<byte> data, bool binary)
    {
        using var a = new ArgBuffer();
        fixed (byte* p = data)
        {
            Native.Check(NativeMethods.psws_client_send(_handle, a.Str(name), p, (nuint)data.Length, binary));
        }
    }

    public void SendText(string name, string text) => Send(name, Encoding.UTF8.GetBytes(text), binary: false);

    public void Disconnect(string name)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_client_disconnect(_handle, a.Str(name)));
    }

    public void Remove(string name)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_client_remove(_handle, a.Str(name)));
    }

    public NativeClientState State(string name)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_client_get_state(_handle, a.Str(name), out var state));
        return state;
    }

    public string Url(string name)
    {
        using var a = new ArgBuffer();
        var n = a.Str(name);
        return Native.ReadString((buffer, capacity) =>
        {
            var status = NativeMethods.psws_client_url(_handle, n, (byte*)buffer, capacity, out var length);
            return (status, length);
        });
    }

    public string[] Names()
    {
        Native.Check(NativeMethods.psws_client_names(_handle, out var list));
        return Native.ReadList(list);
    }

    /// <summary>Closes every connection and frees the client; no callback runs afterwards.</summary>
    public void Dispose()
    {
        _handle.Dispose();
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }
}
