using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PsWebSocket.Interop;

/// <summary>An endpoint to add (Add-PodeEndpoint). <see cref="Hostname"/> stays in the module (the endpoint's URL); the engine does not filter by host.</summary>
internal sealed record EndpointSpec(string Name, NativeProtocol Protocol, string Address, int Port, string? Certificate, string? CertificatePassword,
    string? CertificateKey, bool NoAutoUpgrade, string? Hostname = null);

/// <summary>An endpoint as bound.</summary>
internal sealed record BoundEndpoint(string Name, NativeProtocol Protocol, string Address, int Port);

/// <summary>Server settings the module changes from the engine defaults.</summary>
internal sealed record ServerSettings(NativeScope DefaultScope);

/// <summary>
/// One libpsws server. Events arrive on engine threads and are handed, already copied,
/// to the sink given at creation; the sink must not block.
/// </summary>
internal sealed unsafe class NativeServer : IDisposable
{
    private readonly ServerHandle _handle;
    private readonly Action<ServerEvent> _sink;
    private GCHandle _self;

    public NativeServer(ServerSettings settings, Action<ServerEvent> sink)
    {
        _sink = sink;
        Native.Check(NativeMethods.psws_server_config_default(out var config));
        config.default_scope = (uint)settings.DefaultScope;
        Native.Check(NativeMethods.psws_server_new(config, out _handle));
        _self = GCHandle.Alloc(this);
        Native.Check(NativeMethods.psws_server_set_callback(_handle, &OnEvent, GCHandle.ToIntPtr(_self)));
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnEvent(IntPtr userdata, psws_event* e)
    {
        try
        {
            if (GCHandle.FromIntPtr(userdata).Target is NativeServer server && Copy(e) is { } copied)
            {
                server._sink(copied);
            }
        }
        catch (Exception ex)
        {
            // Nothing may unwind into the engine; the sink itself reports its failures.
            System.Diagnostics.Trace.TraceError($"PsWebSocket: event dropped: {ex}");
        }
    }

    private static string[] Strings(psws_str* items, nuint count)
    {
        var result = new string[(int)count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = items[i].ToString();
        }
        return result;
    }

    private static ServerEvent? Copy(psws_event* e)
    {
        var kind = (EventKind)e->kind;
        if (kind == EventKind.Request)
        {
            return new RequestEvent(new RequestHandle(e->request));
        }
        if (kind == EventKind.Log)
        {
            return new LogEvent((int)e->level, e->text.ToString());
        }
        if (e->connection == null)
        {
            return null;
        }
        var conn = ConnectionInfo.From(*e->connection);
        return kind switch
        {
            EventKind.Signal => new SignalEvent(conn, e->route.ToString(), e->text.ToString(), e->signal_path.ToString(), Strings(e->client_ids, e->client_ids_len),
                Strings(e->groups, e->groups_len), e->direct != 0, DateTime.UnixEpoch.AddMilliseconds(e->timestamp_unix_ms)),
            EventKind.Connect => new ConnectEvent(conn),
            EventKind.Disconnect => new DisconnectEvent(conn, e->close_code, e->text.ToString(), e->initiator == 1),
            EventKind.MessageError => new MessageErrorEvent(conn, e->text.ToString(), e->error.ToString()),
            EventKind.Binary => new BinaryEvent(conn, e->data.ToArray()),
            _ => null,
        };
    }

    public void AddEndpoint(EndpointSpec spec)
    {
        using var a = new ArgBuffer();
        var endpoint = new psws_endpoint
        {
            name = a.Str(spec.Name),
            protocol = (uint)spec.Protocol,
            address = a.Str(spec.Address),
            port = checked((ushort)spec.Port),
            certificate = a.Str(spec.Certificate),
            certificate_password = a.Str(spec.CertificatePassword),
            certificate_key = a.Str(spec.CertificateKey),
            no_auto_upgrade = spec.NoAutoUpgrade ? (byte)1 : (byte)0,
        };
        Native.Check(NativeMethods.psws_server_add_endpoint(_handle, endpoint));
    }

    /// <summary>Binds and starts; returns the bound endpoints.</summary>
    public IReadOnlyList<BoundEndpoint> Start()
    {
        Native.Check(NativeMethods.psws_server_start(_handle, out var count));
        var bound = new List<BoundEndpoint>();
        for (nuint i = 0; i < count; i++)
        {
            Native.Check(NativeMethods.psws_server_endpoint(_handle, i, out var b));
            bound.Add(new BoundEndpoint(b.name.ToString(), (NativeProtocol)b.protocol, b.address.ToString(), b.port));
        }
        return bound;
    }

    /// <summary>Graceful shutdown.</summary>
    public void Stop() => Native.Check(NativeMethods.psws_server_stop(_handle));

    public ulong AddRoute(string method, string path, IReadOnlyCollection<string> endpoints)
    {
        using var a = new ArgBuffer();
        var items = a.List(endpoints, out var count);
        Native.Check(NativeMethods.psws_server_add_route(_handle, a.Str(method), a.Str(path), items, count, out var id));
        return id;
    }

    public void AddStatic(string prefix, string folder)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_server_add_static(_handle, a.Str(prefix), a.Str(folder)));
    }

    /// <summary>The engine answers GET <paramref name="path"/> with its Prometheus metrics (on one endpoint, or every endpoint when null).</summary>
    public void AddMetricsRoute(string path, string? endpoint)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_server_add_metrics_route(_handle, a.Str(path), a.Str(endpoint ?? "")));
    }

    public void AddSignalRoute(string path, IReadOnlyCollection<string> endpoints)
    {
        using var a = new ArgBuffer();
        var items = a.List(endpoints, out var count);
        Native.Check(NativeMethods.psws_server_add_signal_route(_handle, a.Str(path), items, count, out _));
    }

    public int RemoveSignalRoute(string path, string? endpoint)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_server_remove_signal_route(_handle, a.Str(path), a.Str(endpoint), out var removed));
        return (int)removed;
    }

    public void ClearSignalRoutes() => Native.Check(NativeMethods.psws_server_clear_signal_routes(_handle));

    /// <summary>Broadcast to Names (all when empty) filtered by groups/client ids; returns how many were reached.</summary>
    public int Send(IReadOnlyCollection<string>? names, IReadOnlyCollection<string>? groups, IReadOnlyCollection<string>? clientIds, string payload)
    {
        using var a = new ArgBuffer();
        var n = a.List(names, out var nl);
        var g = a.List(groups, out var gl);
        var c = a.List(clientIds, out var cl);
        var body = a.Str(payload);
        Native.Check(NativeMethods.psws_server_send(_handle, n, nl, g, gl, c, cl, body.ptr, body.len, out var reached));
        return (int)reached;
    }

    /// <summary>Sends to one connection by id.</summary>
    public void SendDirect(ulong connectionId, ReadOnlySpan<byte> payload, bool binary)
    {
        fixed (byte* p = payload)
        {
            Native.Check(NativeMethods.psws_server_send_direct(_handle, connectionId, p, (nuint)payload.Length, binary));
        }
    }

    public int CloseSignals(string name, IReadOnlyCollection<string>? groups, IReadOnlyCollection<string>? clientIds)
    {
        using var a = new ArgBuffer();
        var g = a.List(groups, out var gl);
        var c = a.List(clientIds, out var cl);
        Native.Check(NativeMethods.psws_server_close_signals(_handle, a.Str(name), g, gl, c, cl, out var closed));
        return (int)closed;
    }

    public void CloseConnection(ulong connectionId, int code, string reason)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_server_close_connection(_handle, connectionId, checked((ushort)code), a.Str(reason)));
    }

    public bool IsOpen(ulong connectionId)
    {
        Native.Check(NativeMethods.psws_server_connection_open(_handle, connectionId, out var open));
        return open;
    }

    public string[] SignalNames()
    {
        Native.Check(NativeMethods.psws_server_signal_names(_handle, out var list));
        return Native.ReadList(list);
    }

    public string[] SignalGroups(string name)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_server_signal_groups(_handle, a.Str(name), out var list));
        return Native.ReadList(list);
    }

    public string[] SignalClientIds(string name, IReadOnlyCollection<string>? groups)
    {
        using var a = new ArgBuffer();
        var g = a.List(groups, out var gl);
        Native.Check(NativeMethods.psws_server_signal_client_ids(_handle, a.Str(name), g, gl, out var list));
        return Native.ReadList(list);
    }

    public bool SignalExists(string name, IReadOnlyCollection<string>? groups, IReadOnlyCollection<string>? clientIds)
    {
        using var a = new ArgBuffer();
        var g = a.List(groups, out var gl);
        var c = a.List(clientIds, out var cl);
        Native.Check(NativeMethods.psws_server_signal_exists(_handle, a.Str(name), g, gl, c, cl, out var exists));
        return exists;
    }

    public int SignalCount(string? name)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_server_signal_count(_handle, a.Str(name), out var count));
        return (int)count;
    }

    public void SetBroadcastLevel(string name, uint level)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_server_set_broadcast_level(_handle, a.Str(name), level));
    }

    public uint BroadcastLevel(string name)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_server_broadcast_level(_handle, a.Str(name), out var level));
        return level;
    }

    public void SetDefaultScope(NativeScope scope) => Native.Check(NativeMethods.psws_server_set_default_scope(_handle, (uint)scope));

    /// <summary>The scope of upgrades that name none (the engine's; Local or Global).</summary>
    public NativeScope DefaultScope()
    {
        Native.Check(NativeMethods.psws_server_default_scope(_handle, out var scope));
        return (NativeScope)scope;
    }

    public void EnableSigning(string secret, bool strict)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_server_enable_signing(_handle, a.Str(secret), strict));
    }

    public void DisableSigning() => Native.Check(NativeMethods.psws_server_disable_signing(_handle));

    /// <summary>New-PodeSignalClientId for the client with this User-Agent and IP.</summary>
    public string NewClientId(string? requested, string userAgent, string remoteIp)
    {
        using var a = new ArgBuffer();
        var (r, ua, ip) = (a.Str(requested), a.Str(userAgent), a.Str(remoteIp));
        return Native.ReadString((buffer, capacity) =>
        {
            var status = NativeMethods.psws_server_new_client_id(_handle, r, ua, ip, (byte*)buffer, capacity, out var length);
            return (status, length);
        });
    }

    /// <summary>(signed, valid) for a client id presented by this User-Agent and IP.</summary>
    public (bool Signed, bool Valid) TestClientId(string id, string userAgent, string remoteIp)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_server_test_client_id(_handle, a.Str(id), a.Str(userAgent), a.Str(remoteIp), out var signed, out var valid));
        return (signed, valid);
    }

    /// <summary>Joins the server to other nodes through Redis (before start); null keeps a default.</summary>
    public void SetBackplane(string url, string? channelPrefix, int? outboxLimit)
    {
        using var a = new ArgBuffer();
        Native.Check(NativeMethods.psws_backplane_config_default(out var config));
        config.url = a.Str(url);
        if (channelPrefix is not null)
        {
            config.channel_prefix = a.Str(channelPrefix);
        }
        if (outboxLimit is int limit)
        {
            config.outbox_messages = checked((ulong)limit);
        }
        Native.Check(NativeMethods.psws_server_set_backplane(_handle, config));
    }

    public psws_backplane_status BackplaneStatus()
    {
        Native.Check(NativeMethods.psws_server_backplane_status(_handle, out var status));
        return status;
    }

    public psws_metrics Metrics()
    {
        Native.Check(NativeMethods.psws_server_metrics(_handle, out var metrics));
        return metrics;
    }

    /// <summary>Stops and frees the server; no event arrives after this returns.</summary>
    public void Dispose()
    {
        _handle.Dispose();
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }
}
