using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PsWebSocket.Interop;

/// <summary>
/// Client settings the module changes from the engine defaults: certificate checks, the connect
/// timeout (DNS + TCP + TLS + upgrade) and a PEM file of extra trusted CAs (null: none).
/// </summary>
internal sealed record ClientSettings(bool AcceptInvalidCertificates, int ConnectTimeoutMs = 10_000, string? CaFile = null);

/// <summary>Automatic reconnects: first delay, the cap of the doubling delay, attempts (0 = no limit).</summary>
internal sealed record ReconnectSpec(int InitialDelayMs, int MaxDelayMs, int MaxAttempts);

/// <summary>Per-connection options: request headers, sub-protocols, and reconnects (none when null).</summary>
internal sealed record ConnectSpec(IReadOnlyCollection<KeyValuePair<string, string>> Headers, IReadOnlyCollection<string> Protocols, ReconnectSpec? Reconnect);

/// <summary>
/// One libpsws client: a set of named outgoing WebSocket connections. Events arrive on
/// engine threads and are handed, already copied, to the sink given at creation; the sink
/// must not block. Connect, Disconnect, Remove and Reset wait for the network.
/// </summary>
internal sealed unsafe class NativeClient : IDisposable
{
    private readonly ClientHandle _handle;
    private readonly Action<ClientEvent> _sink;
    private GCHandle _self;

    public NativeClient(ClientSettings settings, Action<ClientEvent> sink)
    {
        _sink = sink;
        Native.Check(NativeMethods.psws_client_config_default(out var config));
        config.accept_invalid_certs = settings.AcceptInvalidCertificates ? (byte)1 : (byte)0;
        config.connect_timeout_ms = (ulong)settings.ConnectTimeoutMs;
        using var a = new ArgBuffer();
        config.extra_ca_file = a.Str(settings.CaFile ?? "");
        Native.Check(NativeMethods.psws_client_new(config, out _handle));
        _self = GCHandle.Alloc(this);
        Native.Check(NativeMethods.psws_client_set_callback(_handle, &OnEvent, GCHandle.ToIntPtr(_self)));
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnEvent(IntPtr userdata, psws_client_event* e)
    {
        try
        {
            if (GCHandle.FromIntPtr(userdata).Target is NativeClient client && Copy(e) is { } copied)
            {
                client._sink(copied);
            }
        }
        catch (Exception ex)
        {
            // Nothing may unwind into the engine; the sink itself reports its failures.
            System.Diagnostics.Trace.TraceError($"PsWebSocket: client event dropped: {ex}");
        }
    }

    private static ClientEvent? Copy(psws_client_event* e)
    {
        var name = e->name.ToString();
        return (ClientEventKind)e->kind switch
        {
            ClientEventKind.Message => new ClientMessageEvent(name, e->data.ToArray(), e->binary != 0),
            ClientEventKind.Disconnected => new ClientDisconnectedEvent(name, e->close_code, e->text.ToString(), e->initiator == 1, e->reconnecting != 0),
            ClientEventKind.Reconnecting => new ClientReconnectingEvent(name, (int)e->attempt, TimeSpan.FromMilliseconds(e->delay_ms), e->text.ToString()),
            ClientEventKind.Reconnected => new ClientReconnectedEvent(name, e->text.ToString()),
            ClientEventKind.ReconnectFailed => new ClientReconnectFailedEvent(name, (int)e->attempt, e->text.ToString()),
            ClientEventKind.Log => new ClientLogEvent((int)e->level, e->text.ToString()),
            _ => null,
        };
    }

    /// <summary>Connects <paramref name="name"/> and returns once the handshake succeeded; nothing stays registered on failure.</summary>
    public void Connect(string name, string url, ConnectSpec spec)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_connect_options_default(out var options));
        options.headers = a.Headers(spec.Headers, out options.headers_len);
        options.protocols = a.List(spec.Protocols, out options.protocols_len);
        if (spec.Reconnect is { } reconnect)
        {
            options.reconnect = 1;
            options.reconnect_initial_delay_ms = (ulong)reconnect.InitialDelayMs;
            options.reconnect_max_delay_ms = (ulong)reconnect.MaxDelayMs;
            options.reconnect_max_attempts = (uint)reconnect.MaxAttempts;
        }
        Native.Check(NativeMethods.psws_client_connect(_handle, a.Str(name), a.Str(url), options));
    }

    /// <summary>Queues a text (UTF-8) or binary message to a connected Name.</summary>
    public void Send(string name, ReadOnlySpan<byte> data, bool binary)
    {
        using var a = new ArgBuffer();
        fixed (byte* p = data)
        {
            Native.Check(NativeMethods.psws_client_send(_handle, a.Str(name), p, (nuint)data.Length, binary));
        }
    }

    /// <summary>Closes the connection and stops reconnects; the Name stays registered.</summary>
    public void Disconnect(string name)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_client_disconnect(_handle, a.Str(name)));
    }

    /// <summary>Closes the connection and forgets the Name.</summary>
    public void Remove(string name)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_client_remove(_handle, a.Str(name)));
    }

    /// <summary>Reconnects a registered Name, to <paramref name="url"/> when given.</summary>
    public void Reset(string name, string? url)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_client_reset(_handle, a.Str(name), a.Str(url)));
    }

    /// <summary>The state of a Name (NotRegistered when unknown).</summary>
    public NativeClientState State(string name)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_client_get_state(_handle, a.Str(name), out var state));
        return state;
    }

    /// <summary>The URL a Name connects to.</summary>
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

    /// <summary>The registered Names, sorted.</summary>
    public string[] Names()
    {
        Native.Check(NativeMethods.psws_client_names(_handle, out var list));
        return Native.ReadList(list);
    }

    /// <summary>Closes every connection and frees the client; no event arrives after this returns.</summary>
    public void Dispose()
    {
        _handle.Dispose();
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }
}
