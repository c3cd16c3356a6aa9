using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PsWebSocket.Interop;

#pragma warning disable IDE1006 // C names

/// <summary>
/// Every libpsws import, named exactly as in ffi/include/psws.h. Nothing above
/// <see cref="Native"/> calls these directly.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "psws";

    static NativeMethods() => LibraryResolver.Register();

    [LibraryImport(Library)] internal static partial uint psws_abi_version();
    [LibraryImport(Library)] internal static partial psws_str psws_version();
    [LibraryImport(Library)] internal static partial psws_str psws_last_error();

    // ---- server lifecycle ----
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_config_default(out psws_server_config config);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_new(in psws_server_config config, out ServerHandle server);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_add_endpoint(ServerHandle server, in psws_endpoint endpoint);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_set_callback(ServerHandle server, delegate* unmanaged[Cdecl]<IntPtr, psws_event*, void> callback, IntPtr userdata);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_start(ServerHandle server, out nuint count);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_endpoint(ServerHandle server, nuint index, out psws_bound_endpoint endpoint);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_stop(ServerHandle server);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_free(IntPtr server);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_metrics(ServerHandle server, out psws_metrics metrics);
    [LibraryImport(Library)] internal static partial PswsStatus psws_backplane_config_default(out psws_backplane_config config);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_set_backplane(ServerHandle server, in psws_backplane_config config);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_backplane_status(ServerHandle server, out psws_backplane_status status);

    // ---- routes ----
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_add_route(ServerHandle server, psws_str method, psws_str path, psws_str* endpoints, nuint endpointsLen, out ulong id);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_remove_route(ServerHandle server, psws_str method, psws_str path, psws_str endpoint, out nuint removed);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_add_static(ServerHandle server, psws_str prefix, psws_str folder);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_add_metrics_route(ServerHandle server, psws_str path, psws_str endpoint);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_add_signal_route(ServerHandle server, psws_str path, psws_str* endpoints, nuint endpointsLen, out ulong id);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_remove_signal_route(ServerHandle server, psws_str path, psws_str endpoint, out nuint removed);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_clear_signal_routes(ServerHandle server);

    // ---- requests ----
    [LibraryImport(Library)] internal static partial PswsStatus psws_request_get_info(RequestHandle request, out psws_request_info info);
    [LibraryImport(Library)] internal static partial PswsStatus psws_request_respond(RequestHandle request, ushort status, psws_header* headers, nuint headersLen, byte* body, nuint bodyLen);
    [LibraryImport(Library)] internal static partial PswsStatus psws_request_upgrade(RequestHandle request, in psws_upgrade options, out psws_connection_info connection);
    [LibraryImport(Library)] internal static partial PswsStatus psws_request_free(IntPtr request);

    // ---- signals ----
    [LibraryImport(Library)]
    internal static partial PswsStatus psws_server_send(ServerHandle server, psws_str* names, nuint namesLen, psws_str* groups, nuint groupsLen,
        psws_str* clientIds, nuint clientIdsLen, byte* payload, nuint payloadLen, out nuint reached);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_send_direct(ServerHandle server, ulong connectionId, byte* payload, nuint payloadLen, [MarshalAs(UnmanagedType.U1)] bool binary);
    [LibraryImport(Library)]
    internal static partial PswsStatus psws_server_close_signals(ServerHandle server, psws_str name, psws_str* groups, nuint groupsLen, psws_str* clientIds, nuint clientIdsLen, out nuint closed);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_close_connection(ServerHandle server, ulong connectionId, ushort code, psws_str reason);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_connection_open(ServerHandle server, ulong connectionId, [MarshalAs(UnmanagedType.U1)] out bool open);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_signal_names(ServerHandle server, out ListHandle list);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_signal_groups(ServerHandle server, psws_str name, out ListHandle list);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_signal_client_ids(ServerHandle server, psws_str name, psws_str* groups, nuint groupsLen, out ListHandle list);
    [LibraryImport(Library)]
    internal static partial PswsStatus psws_server_signal_exists(ServerHandle server, psws_str name, psws_str* groups, nuint groupsLen, psws_str* clientIds, nuint clientIdsLen,
        [MarshalAs(UnmanagedType.U1)] out bool exists);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_signal_count(ServerHandle server, psws_str name, out nuint count);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_set_broadcast_level(ServerHandle server, psws_str name, uint level);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_broadcast_level(ServerHandle server, psws_str name, out uint level);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_set_default_scope(ServerHandle server, uint scope);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_default_scope(ServerHandle server, out uint scope);

    // ---- signing ----
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_enable_signing(ServerHandle server, psws_str secret, [MarshalAs(UnmanagedType.U1)] bool strict);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_disable_signing(ServerHandle server);
    [LibraryImport(Library)] internal static partial PswsStatus psws_server_signing_enabled(ServerHandle server, [MarshalAs(UnmanagedType.U1)] out bool enabled);
    [LibraryImport(Library)]
    internal static partial PswsStatus psws_server_new_client_id(ServerHandle server, psws_str requested, psws_str userAgent, psws_str remoteIp, byte* buffer, nuint capacity, out nuint length);
    [LibraryImport(Library)]
    internal static partial PswsStatus psws_server_sign_client_id(ServerHandle server, psws_str id, psws_str userAgent, psws_str remoteIp, byte* buffer, nuint capacity, out nuint length);
    [LibraryImport(Library)]
    internal static partial PswsStatus psws_server_test_client_id(ServerHandle server, psws_str id, psws_str userAgent, psws_str remoteIp,
        [MarshalAs(UnmanagedType.U1)] out bool signed, [MarshalAs(UnmanagedType.U1)] out bool valid);

    // ---- lists ----
    [LibraryImport(Library)] internal static partial PswsStatus psws_list_len(ListHandle list, out nuint length);
    [LibraryImport(Library)] internal static partial PswsStatus psws_list_get(ListHandle list, nuint index, out psws_str item);
    [LibraryImport(Library)] internal static partial PswsStatus psws_list_free(IntPtr list);

    // ---- external connections ----
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_config_default(out psws_client_config config);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_new(in psws_client_config config, out ClientHandle client);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_set_callback(ClientHandle client, delegate* unmanaged[Cdecl]<IntPtr, psws_client_event*, void> callback, IntPtr userdata);
    [LibraryImport(Library)] internal static partial PswsStatus psws_connect_options_default(out psws_connect_options options);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_connect(ClientHandle client, psws_str name, psws_str url, in psws_connect_options options);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_send(ClientHandle client, psws_str name, byte* data, nuint dataLen, [MarshalAs(UnmanagedType.U1)] bool binary);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_disconnect(ClientHandle client, psws_str name);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_remove(ClientHandle client, psws_str name);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_reset(ClientHandle client, psws_str name, psws_str url);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_get_state(ClientHandle client, psws_str name, out NativeClientState state);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_url(ClientHandle client, psws_str name, byte* buffer, nuint capacity, out nuint length);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_names(ClientHandle client, out ListHandle list);
    [LibraryImport(Library)] internal static partial PswsStatus psws_client_free(IntPtr client);
}
