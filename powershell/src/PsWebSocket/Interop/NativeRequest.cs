namespace PsWebSocket.Interop;

/// <summary>An HTTP request, copied out of psws_request_get_info.</summary>
internal sealed record RequestInfo(
    string Method,
    string Path,
    string Query,
    byte[] Body,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<KeyValuePair<string, string>> Parameters,
    string RemoteIp,
    int RemotePort,
    string EndpointName,
    NativeProtocol EndpointProtocol,
    string Host,
    ulong RouteId,
    string RoutePath,
    ConnectionInfo? Signal);

/// <summary>Calls on a psws_request.</summary>
internal static unsafe class NativeRequest
{
    private static List<KeyValuePair<string, string>> Pairs(psws_header* items, nuint count)
    {
        var list = new List<KeyValuePair<string, string>>((int)count);
        for (nuint i = 0; i < count; i++)
        {
            list.Add(new(items[i].name.ToString(), items[i].value.ToString()));
        }
        return list;
    }

    public static RequestInfo Info(RequestHandle request)
    {
        Native.Check(NativeMethods.psws_request_get_info(request, out var i));
        return new RequestInfo(i.method.ToString(), i.path.ToString(), i.query.ToString(), i.body.ToArray(), Pairs(i.headers, i.headers_len),
            Pairs(i.@params, i.params_len), i.remote_ip.ToString(), i.remote_port, i.endpoint_name.ToString(), (NativeProtocol)i.endpoint_protocol, i.host.ToString(),
            i.route_id, i.route_path.ToString(), i.signal == null ? null : ConnectionInfo.From(*i.signal));
    }

    public static void Respond(RequestHandle request, int status, IReadOnlyCollection<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body)
    {
        using var a = new ArgBuffer();
        var h = a.Headers(headers, out var hl);
        fixed (byte* b = body)
        {
            Native.Check(NativeMethods.psws_request_respond(request, checked((ushort)status), h, hl, b, (nuint)body.Length));
        }
    }

    public static ConnectionInfo Upgrade(RequestHandle request, string name, string? group, string? clientId, NativeScope scope)
    {
        using var a = new ArgBuffer();
        var options = new psws_upgrade { name = a.Str(name), group = a.Str(group), client_id = a.Str(clientId), scope = (uint)scope };
        Native.Check(NativeMethods.psws_request_upgrade(request, options, out var connection));
        return ConnectionInfo.From(connection);
    }
}
