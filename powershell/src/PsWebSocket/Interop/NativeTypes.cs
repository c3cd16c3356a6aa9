using System.Runtime.InteropServices;

namespace PsWebSocket.Interop;

// The structs of ffi/include/psws.h, field for field. C `bool` is one byte (byte here);
// enumerations are uint. Names follow the C header so that a grep finds both sides.
#pragma warning disable IDE1006 // C names

/// <summary>psws_str: UTF-8 pointer + length.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct psws_str
{
    public byte* ptr;
    public nuint len;

    /// <summary>The text (empty for a NULL pointer).</summary>
    public override string ToString() => ptr == null || len == 0 ? string.Empty : System.Text.Encoding.UTF8.GetString(ptr, checked((int)len));
}

/// <summary>psws_bytes: pointer + length.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct psws_bytes
{
    public byte* ptr;
    public nuint len;

    /// <summary>A managed copy of the bytes.</summary>
    public byte[] ToArray() => ptr == null || len == 0 ? [] : new ReadOnlySpan<byte>(ptr, checked((int)len)).ToArray();
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_header
{
    public psws_str name;
    public psws_str value;
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_server_config
{
    public ulong max_message_size;
    public ulong max_body_size;
    public ulong ping_interval_ms;
    public ulong pong_timeout_ms;
    public ulong handshake_timeout_ms;
    public ulong close_timeout_ms;
    public ulong max_connections;
    public ulong send_queue_bytes;
    public uint slow_reader;
    public uint default_scope;
    public ulong read_buffer_size;
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_endpoint
{
    public psws_str name;
    public uint protocol;
    public psws_str address;
    public ushort port;
    public psws_str certificate;
    public psws_str certificate_password;
    public psws_str certificate_key;
    public byte no_auto_upgrade;
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_bound_endpoint
{
    public psws_str name;
    public uint protocol;
    public psws_str address;
    public ushort port;
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_connection_info
{
    public ulong id;
    public psws_str name;
    public psws_str group;
    public psws_str client_id;
    public uint scope;
    public psws_str path;
    public psws_str query;
    public psws_str endpoint_name;
    public uint protocol;
    public psws_str host;
    public psws_str remote_ip;
    public ushort remote_port;
    public psws_str user_agent;
    public long opened_unix_ms;
    public long last_activity_unix_ms;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct psws_request_info
{
    public psws_str method;
    public psws_str path;
    public psws_str query;
    public psws_bytes body;
    public psws_header* headers;
    public nuint headers_len;
    public psws_header* @params;
    public nuint params_len;
    public psws_str remote_ip;
    public ushort remote_port;
    public psws_str endpoint_name;
    public uint endpoint_protocol;
    public psws_str host;
    public ulong route_id;
    public psws_str route_path;
    public psws_connection_info* signal;
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_upgrade
{
    public psws_str name;
    public psws_str group;
    public psws_str client_id;
    public uint scope;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct psws_event
{
    public uint kind;
    public IntPtr request;
    public psws_connection_info* connection;
    public psws_str route;
    public psws_str text;
    public psws_str error;
    public psws_bytes data;
    public psws_str signal_path;
    public psws_str* client_ids;
    public nuint client_ids_len;
    public psws_str* groups;
    public nuint groups_len;
    public byte direct;
    public ushort close_code;
    public uint initiator;
    public uint level;
    public long timestamp_unix_ms;
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_metrics
{
    public ulong connections;
    public ulong connections_total;
    public ulong messages_in;
    public ulong messages_out;
    public ulong bytes_in;
    public ulong bytes_out;
    public ulong queue_drops;
    public ulong http_requests;
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_backplane_config
{
    public psws_str url;
    public psws_str channel_prefix;
    public ulong outbox_messages;
    public ulong outbox_bytes;
    public ulong stream_length;
    public ulong presence_ttl_ms;
    public ulong reconnect_min_ms;
    public ulong reconnect_max_ms;
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_backplane_status
{
    public byte enabled;
    public byte connected;
    public ulong published;
    public ulong received;
    public ulong dropped;
    public ulong outbox_depth;
    public ulong lag_ms;
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_client_config
{
    public ulong max_message_size;
    public ulong connect_timeout_ms;
    public ulong ping_interval_ms;
    public ulong pong_timeout_ms;
    public ulong close_timeout_ms;
    public ulong send_queue_bytes;
    public psws_str extra_ca_file;
    public byte accept_invalid_certs;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct psws_connect_options
{
    public psws_header* headers;
    public nuint headers_len;
    public psws_str* protocols;
    public nuint protocols_len;
    public byte reconnect;
    public ulong reconnect_initial_delay_ms;
    public ulong reconnect_max_delay_ms;
    public uint reconnect_max_attempts;
    public double reconnect_jitter;
}

[StructLayout(LayoutKind.Sequential)]
internal struct psws_client_event
{
    public uint kind;
    public psws_str name;
    public psws_bytes data;
    public byte binary;
    public ushort close_code;
    public uint initiator;
    public byte reconnecting;
    public psws_str text;
    public uint attempt;
    public ulong delay_ms;
    public uint level;
}

/// <summary>psws_status values (the numbers never change).</summary>
internal enum PswsStatus : uint
{
    Ok = 0,
    NullArgument = 1,
    InvalidHandle = 2,
    InvalidUtf8 = 3,
    InvalidArgument = 4,
    Panic = 5,
    BufferTooSmall = 6,
    Bind = 10,
    Tls = 11,
    NotRunning = 12,
    AlreadyRunning = 13,
    Stopped = 14,
    Route = 15,
    RequestCompleted = 16,
    UpgradeRejected = 17,
    BroadcastLevel = 18,
    UnknownName = 19,
    UnknownConnection = 20,
    InvalidClientId = 21,
    NameInUse = 22,
    UnknownClient = 23,
    NotConnected = 24,
    Connect = 25,
    MessageTooLarge = 26,
    InCallback = 27,
}

/// <summary>psws_event_kind.</summary>
internal enum EventKind : uint { Request = 0, Signal = 1, Connect = 2, Disconnect = 3, MessageError = 4, Binary = 5, Log = 6 }

/// <summary>psws_client_event_kind.</summary>
internal enum ClientEventKind : uint { Message = 0, Disconnected = 1, Reconnecting = 2, Reconnected = 3, ReconnectFailed = 4, Log = 5 }

/// <summary>psws_protocol.</summary>
internal enum NativeProtocol : uint { Http = 0, Https = 1, Ws = 2, Wss = 3 }

/// <summary>psws_scope.</summary>
internal enum NativeScope : uint { Default = 0, Local = 1, Global = 2 }

/// <summary>psws_client_state.</summary>
internal enum NativeClientState : uint { NotRegistered = 0, Connected = 1, Reconnecting = 2, Disconnected = 3 }
