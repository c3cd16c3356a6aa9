//! `psws_server`: creating, configuring, starting and stopping a signals server.

use std::ffi::c_void;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use psws::{EndpointConfig, Server, ServerConfig, TlsIdentity};

use crate::boundary::boundary;
use crate::callback::CallbackSlot;
use crate::events::{EventFn, deliver, psws_event_callback};
use crate::handles::{self, opaque_handle};
use crate::list::psws_list;
use crate::status::{Failure, psws_status};
use crate::strings::{psws_str, require_out, write, write_optional};
use crate::types::{invalid_enum, protocol_arg, psws_protocol, psws_scope, scope_arg};

/// A server and what the ABI keeps for it.
pub(crate) struct ServerObject {
    pub(crate) server: Server,
    callback: Arc<CallbackSlot<EventFn>>,
    /// Bound endpoints: (name, IP text, protocol, port); strings handed out by psws_server_endpoint.
    bound: Mutex<Vec<(String, String, psws_protocol, u16)>>,
}

/// A signals server. Create with psws_server_new, free with psws_server_free.
pub struct psws_server {
    _private: [u8; 0],
}

opaque_handle!(psws_server => Server(ServerObject));

/// What a slow reader (a client whose send queue is full) gets.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum psws_slow_reader {
    /// Closed with 1008.
    Close = 0,
    /// Its oldest queued messages are dropped.
    DropOldest = 1,
}

/// Server settings. Get the defaults from psws_server_config_default, then change
/// what you need. Enumerations are passed as numbers and checked.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_server_config {
    /// Largest inbound WebSocket message in bytes (default 16 MiB); more closes with 1009.
    pub max_message_size: u64,
    /// Largest HTTP request body in bytes (default 100 MiB); more is 413.
    pub max_body_size: u64,
    /// Ping a connection idle this long (default 30000 ms).
    pub ping_interval_ms: u64,
    /// Drop a pinged connection silent this long (default 60000 ms).
    pub pong_timeout_ms: u64,
    /// TLS handshake and request head time limit (default 10000 ms).
    pub handshake_timeout_ms: u64,
    /// How long a close waits for the peer's reply (default 5000 ms).
    pub close_timeout_ms: u64,
    /// Maximum simultaneous TCP connections (default 100000).
    pub max_connections: u64,
    /// Bytes queued per connection before the slow-reader policy applies (default 16 MiB).
    pub send_queue_bytes: u64,
    /// A psws_slow_reader value (default CLOSE).
    pub slow_reader: u32,
    /// A psws_scope value, LOCAL or GLOBAL (default GLOBAL).
    pub default_scope: u32,
    /// Read buffer per connection in bytes (default 512).
    pub read_buffer_size: u64,
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

fn size(value: u64, what: &str) -> Result<usize, Failure> {
    usize::try_from(value).map_err(|_| Failure(psws_status::InvalidArgument, format!("{what} is too large")))
}

impl From<&ServerConfig> for psws_server_config {
    fn from(c: &ServerConfig) -> Self {
        Self {
            max_message_size: c.max_message_size as u64,
            max_body_size: c.max_body_size as u64,
            ping_interval_ms: ms(c.ping_interval),
            pong_timeout_ms: ms(c.pong_timeout),
            handshake_timeout_ms: ms(c.handshake_timeout),
            close_timeout_ms: ms(c.close_timeout),
            max_connections: c.max_connections as u64,
            send_queue_bytes: c.send_queue_bytes as u64,
            slow_reader: match c.slow_reader {
                psws::SlowReaderPolicy::Close => psws_slow_reader::Close as u32,
                psws::SlowReaderPolicy::DropOldest => psws_slow_reader::DropOldest as u32,
            },
            default_scope: match c.default_scope {
                psws::Scope::Local => psws_scope::Local as u32,
                psws::Scope::Global => psws_scope::Global as u32,
            },
            read_buffer_size: c.read_buffer_size as u64,
        }
    }
}

/// The engine settings for a C config, checked.
fn server_config(c: &psws_server_config) -> Result<ServerConfig, Failure> {
    let slow_reader = match c.slow_reader {
        0 => psws::SlowReaderPolicy::Close,
        1 => psws::SlowReaderPolicy::DropOldest,
        other => return Err(invalid_enum("slow-reader policy", other)),
    };
    let default_scope = scope_arg(c.default_scope)?.unwrap_or(psws::Scope::Global);
    let config = ServerConfig::default()
        .max_message_size(size(c.max_message_size, "max_message_size")?)
        .max_body_size(size(c.max_body_size, "max_body_size")?)
        .ping_interval(Duration::from_millis(c.ping_interval_ms))
        .pong_timeout(Duration::from_millis(c.pong_timeout_ms))
        .handshake_timeout(Duration::from_millis(c.handshake_timeout_ms))
        .close_timeout(Duration::from_millis(c.close_timeout_ms))
        .max_connections(size(c.max_connections, "max_connections")?)
        .send_queue_bytes(size(c.send_queue_bytes, "send_queue_bytes")?)
        .slow_reader(slow_reader)
        .default_scope(default_scope)
        .read_buffer_size(size(c.read_buffer_size, "read_buffer_size")?);
    config.validate()?;
    Ok(config)
}

/// Writes the default settings to `out`.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_config_default(out: *mut psws_server_config) -> psws_status {
    // SAFETY: valid per the caller.
    boundary(|| unsafe { write(out, psws_server_config::from(&ServerConfig::default()), "out") })
}

/// Creates a server. `config` may be NULL for the defaults; invalid settings are
/// INVALID_ARGUMENT with the field named in psws_last_error().
///
/// # Safety
/// `config` must be NULL or valid; `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_new(config: *const psws_server_config, out: *mut *mut psws_server) -> psws_status {
    boundary(|| {
        require_out(out, "out")?;
        let config = if config.is_null() {
            ServerConfig::default()
        } else {
            // SAFETY: non-null and valid per the caller.
            server_config(unsafe { &*config })?
        };
        let object = Arc::new(ServerObject { server: Server::new(config)?, callback: Arc::default(), bound: Mutex::default() });
        let slot = object.callback.clone();
        object.server.set_event_handler(move |event| deliver(&slot, event));
        // SAFETY: checked non-null; valid per the caller.
        unsafe { write(out, handles::insert::<psws_server>(object), "out") }
    })
}

/// One endpoint (Pode's Add-PodeEndpoint). A certificate makes it TLS: with
/// `certificate_key` set, `certificate` and `certificate_key` are PEM files; without,
/// `certificate` is a PKCS#12 file opened with `certificate_password`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_endpoint {
    /// Endpoint name (empty: a generated GUID).
    pub name: psws_str,
    /// A psws_protocol value.
    pub protocol: u32,
    /// IP, `localhost` or `*` (empty: `localhost`).
    pub address: psws_str,
    /// Port; 0 for an ephemeral port (see psws_server_endpoint after start).
    pub port: u16,
    /// Certificate file (empty for none).
    pub certificate: psws_str,
    /// PKCS#12 password.
    pub certificate_password: psws_str,
    /// PEM private key file.
    pub certificate_key: psws_str,
    /// Turn off the legacy auto-upgrade on this endpoint's listener.
    pub no_auto_upgrade: bool,
}

/// Adds an endpoint (before start).
///
/// # Safety
/// `endpoint` must point to a valid psws_endpoint.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_add_endpoint(server: *const psws_server, endpoint: *const psws_endpoint) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        if endpoint.is_null() {
            return Err(Failure(psws_status::NullArgument, "endpoint is NULL".into()));
        }
        // SAFETY: non-null and valid per the caller.
        let e = unsafe { &*endpoint };
        // SAFETY: caller strings.
        let (name, address, certificate, password, key) = unsafe {
            (
                e.name.read_opt("name")?,
                e.address.read_opt("address")?,
                e.certificate.read_opt("certificate")?,
                e.certificate_password.read("certificate_password")?,
                e.certificate_key.read_opt("certificate_key")?,
            )
        };
        let mut config = EndpointConfig::new(protocol_arg(e.protocol)?, address.unwrap_or("localhost"), e.port).no_auto_upgrade(e.no_auto_upgrade);
        if let Some(name) = name {
            config = config.name(name);
        }
        if let Some(certificate) = certificate {
            config = config.tls(match key {
                Some(key) => TlsIdentity::Pem { cert: certificate.into(), key: key.into() },
                None => TlsIdentity::Pkcs12 { path: certificate.into(), password: password.to_string() },
            });
        }
        server.server.add_endpoint(config)?;
        Ok(())
    })
}

/// Sets the event callback (NULL removes it). Replacing or removing waits for calls in
/// flight, so afterwards the old userdata is no longer used; from the callback itself it
/// is IN_CALLBACK.
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_set_callback(server: *const psws_server, callback: psws_event_callback, userdata: *mut c_void) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        server.callback.refuse_reentry("psws_server_set_callback")?;
        server.callback.set(callback, userdata);
        Ok(())
    })
}

/// Binds every endpoint and starts serving; writes the number of bound endpoints.
/// On failure nothing stays bound.
///
/// # Safety
/// `out_count` must be NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_start(server: *const psws_server, out_count: *mut usize) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        let bound = server.server.start()?;
        let count = bound.len();
        *server.bound.lock() = bound.into_iter().map(|b| (b.name, b.address.ip().to_string(), b.protocol.into(), b.address.port())).collect();
        // SAFETY: NULL or valid per the caller.
        unsafe { write_optional(out_count, count) }
    })
}

/// A bound endpoint; strings valid until psws_server_free.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_bound_endpoint {
    /// Endpoint name.
    pub name: psws_str,
    /// Protocol.
    pub protocol: psws_protocol,
    /// Bound IP.
    pub address: psws_str,
    /// Bound port (the real one when 0 was asked for).
    pub port: u16,
}

/// Describes bound endpoint `index` (0-based, in the order they were added).
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_endpoint(server: *const psws_server, index: usize, out: *mut psws_bound_endpoint) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        require_out(out, "out")?;
        let bound = server.bound.lock();
        let (name, ip, protocol, port) =
            bound.get(index).ok_or_else(|| Failure(psws_status::InvalidArgument, format!("there is no bound endpoint {index}")))?;
        let view = psws_bound_endpoint { name: psws_str::borrow(name), protocol: *protocol, address: psws_str::borrow(ip), port: *port };
        // SAFETY: valid per the caller; the strings live in the server object.
        unsafe { write(out, view, "out") }
    })
}

/// Graceful shutdown: ports released, pending requests answered 503, Close 1001 to
/// every connection, waits (bounded) for them. Later calls on the server return STOPPED.
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_stop(server: *const psws_server) -> psws_status {
    boundary(|| {
        handles::get(server)?.server.stop();
        Ok(())
    })
}

/// Stops (if needed) and frees the server. No callback runs once this returns. NULL is
/// a no-op; a second free is INVALID_HANDLE; from the server's own callback it is
/// IN_CALLBACK (and nothing happens).
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_free(server: *mut psws_server) -> psws_status {
    boundary(|| {
        if !server.is_null() {
            handles::get(server)?.callback.refuse_reentry("psws_server_free")?;
        }
        if let Some(object) = handles::remove(server)? {
            object.callback.set(None, std::ptr::null_mut());
            object.server.stop();
        }
        Ok(())
    })
}

/// A server's counters.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct psws_metrics {
    /// Signal connections open now.
    pub connections: u64,
    /// Signal connections opened since start.
    pub connections_total: u64,
    /// Messages received from clients.
    pub messages_in: u64,
    /// Messages queued to clients (one per recipient).
    pub messages_out: u64,
    /// Payload bytes received.
    pub bytes_in: u64,
    /// Payload bytes queued to clients.
    pub bytes_out: u64,
    /// Messages dropped from send queues (drop-oldest, or a slow reader's queue at 1008).
    pub queue_drops: u64,
    /// HTTP requests received.
    pub http_requests: u64,
}

/// Writes the server's counters.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_metrics(server: *const psws_server, out: *mut psws_metrics) -> psws_status {
    boundary(|| {
        let m = handles::get(server)?.server.metrics();
        let view = psws_metrics {
            connections: m.connections,
            connections_total: m.connections_total,
            messages_in: m.messages_in,
            messages_out: m.messages_out,
            bytes_in: m.bytes_in,
            bytes_out: m.bytes_out,
            queue_drops: m.queue_drops,
            http_requests: m.http_requests,
        };
        // SAFETY: valid per the caller.
        unsafe { write(out, view, "out") }
    })
}

/// The server's counters and gauges in Prometheus' text exposition format 0.0.4, as a
/// list holding one string (psws_list_get(list, 0, ...)); free it with psws_list_free.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_metrics_text(server: *const psws_server, out: *mut *mut psws_list) -> psws_status {
    boundary(|| {
        let text = handles::get(server)?.server.metrics_text();
        // SAFETY: valid per the caller.
        unsafe { crate::list::hand_out(vec![text], out) }
    })
}
