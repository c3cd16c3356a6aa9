//! `psws_client`: named outgoing WebSocket connections (Pode's Connect-PodeWebSocket
//! family) and their events.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use psws::{ClientConfig, ClientEvent, ClientHub, ClientState, ConnectOptions, ReconnectPolicy};

use crate::boundary::boundary;
use crate::callback::CallbackSlot;
use crate::handles::{self, opaque_handle};
use crate::list::{hand_out, psws_list};
use crate::request::read_headers;
use crate::status::{Failure, psws_status};
use crate::strings::{copy_out, psws_bytes, psws_header, psws_str, read_bytes, read_list, require_out, write};
use crate::types::{psws_close_initiator, psws_log_level};

/// A client hub and its callback.
pub(crate) struct ClientObject {
    hub: ClientHub,
    callback: Arc<CallbackSlot<ClientEventFn>>,
}

/// A set of named outgoing WebSocket connections. Create with psws_client_new,
/// free with psws_client_free (which closes them all).
pub struct psws_client {
    _private: [u8; 0],
}

opaque_handle!(psws_client => Client(ClientObject));

/// Settings shared by a client's connections; get the defaults from
/// psws_client_config_default.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_client_config {
    /// Largest inbound message in bytes (default 64 MiB).
    pub max_message_size: u64,
    /// DNS + TCP + TLS + upgrade time limit (default 10000 ms).
    pub connect_timeout_ms: u64,
    /// Ping a server silent this long (default 30000 ms).
    pub ping_interval_ms: u64,
    /// A pinged server silent this long is dead (default 30000 ms).
    pub pong_timeout_ms: u64,
    /// How long a close waits for the server's reply (default 5000 ms).
    pub close_timeout_ms: u64,
    /// Bytes queued for sending before the connection is closed as stuck (default 64 MiB).
    pub send_queue_bytes: u64,
    /// PEM file of extra CA certificates for wss (empty: system roots only).
    pub extra_ca_file: psws_str,
    /// Accept any server certificate (tests against self-signed servers only).
    pub accept_invalid_certs: bool,
}

/// Writes the default client settings.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_client_config_default(out: *mut psws_client_config) -> psws_status {
    boundary(|| {
        let c = ClientConfig::default();
        let view = psws_client_config {
            max_message_size: c.max_message_size as u64,
            connect_timeout_ms: c.connect_timeout.as_millis() as u64,
            ping_interval_ms: c.ping_interval.as_millis() as u64,
            pong_timeout_ms: c.pong_timeout.as_millis() as u64,
            close_timeout_ms: c.close_timeout.as_millis() as u64,
            send_queue_bytes: c.send_queue_bytes as u64,
            extra_ca_file: psws_str::borrow(""),
            accept_invalid_certs: false,
        };
        // SAFETY: valid per the caller.
        unsafe { write(out, view, "out") }
    })
}

fn to_usize(value: u64, what: &str) -> Result<usize, Failure> {
    usize::try_from(value).map_err(|_| Failure(psws_status::InvalidArgument, format!("{what} is too large")))
}

/// Creates a client. `config` may be NULL for the defaults.
///
/// # Safety
/// `config` must be NULL or valid; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_client_new(config: *const psws_client_config, out: *mut *mut psws_client) -> psws_status {
    boundary(|| {
        require_out(out, "out")?;
        let mut settings = ClientConfig::default();
        if !config.is_null() {
            // SAFETY: non-null and valid per the caller.
            let c = unsafe { &*config };
            settings = settings
                .max_message_size(to_usize(c.max_message_size, "max_message_size")?)
                .connect_timeout(Duration::from_millis(c.connect_timeout_ms))
                .ping_interval(Duration::from_millis(c.ping_interval_ms))
                .pong_timeout(Duration::from_millis(c.pong_timeout_ms))
                .close_timeout(Duration::from_millis(c.close_timeout_ms))
                .send_queue_bytes(to_usize(c.send_queue_bytes, "send_queue_bytes")?)
                .accept_invalid_certs(c.accept_invalid_certs);
            // SAFETY: caller string.
            if let Some(ca) = unsafe { c.extra_ca_file.read_opt("extra_ca_file")? } {
                settings = settings.extra_ca_file(ca);
            }
        }
        let object = Arc::new(ClientObject { hub: ClientHub::new(settings)?, callback: Arc::default() });
        let slot = object.callback.clone();
        object.hub.set_event_handler(move |event| deliver(&slot, event));
        // SAFETY: checked non-null; valid per the caller.
        unsafe { write(out, handles::insert::<psws_client>(object), "out") }
    })
}

/// Kinds of client event.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum psws_client_event_kind {
    /// A message arrived (`data`, `binary`).
    Message = 0,
    /// The connection closed (`close_code`, `text` = reason, `initiator`, `reconnecting`).
    Disconnected = 1,
    /// An automatic reconnect attempt follows after `delay_ms` (`attempt`; `text` =
    /// why the previous attempt failed).
    Reconnecting = 2,
    /// An automatic reconnect succeeded (`text` = URL).
    Reconnected = 3,
    /// Automatic reconnects gave up after `attempt` attempts (`text` = last error).
    ReconnectFailed = 4,
    /// A log line (`text`, `level`).
    Log = 5,
}

/// One client event; every pointer in it is valid only during the callback.
#[repr(C)]
#[derive(Debug)]
pub struct psws_client_event {
    /// What happened; says which fields are set.
    pub kind: psws_client_event_kind,
    /// Connection name (empty for LOG).
    pub name: psws_str,
    /// MESSAGE: the payload (UTF-8 for text).
    pub data: psws_bytes,
    /// MESSAGE: true for binary, false for text.
    pub binary: bool,
    /// DISCONNECTED: close code (1006 when it just dropped).
    pub close_code: u16,
    /// DISCONNECTED: SERVER when the remote server closed or vanished, CLIENT when this side closed.
    pub initiator: psws_close_initiator,
    /// DISCONNECTED: true if automatic reconnects follow.
    pub reconnecting: bool,
    /// See the kinds.
    pub text: psws_str,
    /// RECONNECTING: attempt number (1-based); RECONNECT_FAILED: attempts made.
    pub attempt: u32,
    /// RECONNECTING: wait before the attempt, in ms.
    pub delay_ms: u64,
    /// LOG: severity.
    pub level: psws_log_level,
}

/// Receives a client's events on engine threads; must return quickly and must not
/// call blocking client functions (connect, disconnect, reset, remove, free).
pub type psws_client_callback = Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const psws_client_event)>;

type ClientEventFn = unsafe extern "C" fn(*mut c_void, *const psws_client_event);

fn deliver(slot: &CallbackSlot<ClientEventFn>, event: ClientEvent) {
    let empty = psws_str::borrow("");
    let mut e = psws_client_event {
        kind: psws_client_event_kind::Log,
        name: empty,
        data: psws_bytes::borrow(&[]),
        binary: false,
        close_code: 0,
        initiator: psws_close_initiator::Client,
        reconnecting: false,
        text: empty,
        attempt: 0,
        delay_ms: 0,
        level: psws_log_level::Info,
    };
    let text_holder;
    match &event {
        ClientEvent::Message { name, data, binary } => {
            e.kind = psws_client_event_kind::Message;
            e.name = psws_str::borrow(name);
            e.data = psws_bytes::borrow(data);
            e.binary = *binary;
        }
        ClientEvent::Disconnected { name, code, reason, initiator, reconnecting } => {
            e.kind = psws_client_event_kind::Disconnected;
            e.name = psws_str::borrow(name);
            e.close_code = *code;
            e.text = psws_str::borrow(reason);
            e.initiator = (*initiator).into();
            e.reconnecting = *reconnecting;
        }
        ClientEvent::Reconnecting { name, attempt, delay, last_error } => {
            e.kind = psws_client_event_kind::Reconnecting;
            e.name = psws_str::borrow(name);
            e.attempt = *attempt;
            e.delay_ms = delay.as_millis() as u64;
            text_holder = last_error.clone().unwrap_or_default();
            e.text = psws_str::borrow(&text_holder);
        }
        ClientEvent::Reconnected { name, url } => {
            e.kind = psws_client_event_kind::Reconnected;
            e.name = psws_str::borrow(name);
            e.text = psws_str::borrow(url);
        }
        ClientEvent::ReconnectFailed { name, attempts, error } => {
            e.kind = psws_client_event_kind::ReconnectFailed;
            e.name = psws_str::borrow(name);
            e.attempt = *attempts;
            e.text = psws_str::borrow(error);
        }
        ClientEvent::Log { level, message } => {
            e.text = psws_str::borrow(message);
            e.level = (*level).into();
        }
        _ => return,
    }
    // SAFETY: the host registered this function for this call shape; the event and
    // what it points to live until the call returns.
    slot.with(|callback, userdata| unsafe { callback(userdata, &e) });
}

/// Sets the event callback (NULL removes it); waits for calls in flight. From the
/// callback itself it is IN_CALLBACK.
#[unsafe(no_mangle)]
pub extern "C" fn psws_client_set_callback(client: *const psws_client, callback: psws_client_callback, userdata: *mut c_void) -> psws_status {
    boundary(|| {
        let client = handles::get(client)?;
        client.callback.refuse_reentry("psws_client_set_callback")?;
        client.callback.set(callback, userdata);
        Ok(())
    })
}

/// Options of one connection; get the defaults from psws_connect_options_default.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_connect_options {
    /// Extra request headers.
    pub headers: *const psws_header,
    /// Number of headers.
    pub headers_len: usize,
    /// Sub-protocols to offer.
    pub protocols: *const psws_str,
    /// Number of sub-protocols.
    pub protocols_len: usize,
    /// Reconnect automatically when the connection drops.
    pub reconnect: bool,
    /// Delay before the first reconnect attempt (default 500 ms).
    pub reconnect_initial_delay_ms: u64,
    /// Upper bound of the doubling delay (default 30000 ms).
    pub reconnect_max_delay_ms: u64,
    /// Attempts before giving up; 0 for no limit (default 0).
    pub reconnect_max_attempts: u32,
    /// Random variation of each delay, 0 to 1 (default 0.2).
    pub reconnect_jitter: f64,
}

/// Writes the default connect options (no headers, no sub-protocols, no reconnect).
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_connect_options_default(out: *mut psws_connect_options) -> psws_status {
    boundary(|| {
        let p = ReconnectPolicy::default();
        let view = psws_connect_options {
            headers: std::ptr::null(),
            headers_len: 0,
            protocols: std::ptr::null(),
            protocols_len: 0,
            reconnect: false,
            reconnect_initial_delay_ms: p.initial_delay.as_millis() as u64,
            reconnect_max_delay_ms: p.max_delay.as_millis() as u64,
            reconnect_max_attempts: 0,
            reconnect_jitter: p.jitter,
        };
        // SAFETY: valid per the caller.
        unsafe { write(out, view, "out") }
    })
}

/// # Safety
/// `options` must be NULL or point to valid options whose arrays are valid.
unsafe fn read_options(options: *const psws_connect_options) -> Result<ConnectOptions, Failure> {
    let mut result = ConnectOptions::default();
    if options.is_null() {
        return Ok(result);
    }
    // SAFETY: non-null and valid per the caller.
    let o = unsafe { &*options };
    // SAFETY: caller arrays.
    result.headers = unsafe { read_headers(o.headers, o.headers_len)? };
    // SAFETY: caller arrays.
    result.protocols = unsafe { read_list(o.protocols, o.protocols_len, "protocols")? };
    if o.reconnect {
        let policy = ReconnectPolicy::default()
            .initial_delay(Duration::from_millis(o.reconnect_initial_delay_ms))
            .max_delay(Duration::from_millis(o.reconnect_max_delay_ms))
            .max_attempts(Some(o.reconnect_max_attempts).filter(|n| *n > 0))
            .jitter(o.reconnect_jitter);
        result.reconnect = Some(policy);
    }
    Ok(result)
}

/// Connects `name` to a ws:// or wss:// URL; returns once the handshake succeeded. A Name
/// in use is NAME_IN_USE; a URL that is malformed or not ws/wss, and a failed connect
/// (DNS, refused, timeout, TLS, HTTP status) are CONNECT, with psws_last_error() naming
/// the step that failed. Either way nothing stays registered. Blocks: from a callback it
/// is INVALID_ARGUMENT.
///
/// # Safety
/// `options` must be NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_client_connect(client: *const psws_client, name: psws_str, url: psws_str, options: *const psws_connect_options) -> psws_status {
    boundary(|| {
        let client = handles::get(client)?;
        // SAFETY: caller strings and options.
        let (name, url, options) = unsafe { (name.read("name")?, url.read("url")?, read_options(options)?) };
        client.hub.connect(name, url, options)?;
        Ok(())
    })
}

/// Sends text (UTF-8) or binary data to a connected Name; UNKNOWN_CLIENT or
/// NOT_CONNECTED otherwise.
///
/// # Safety
/// `data` must point to `data_len` bytes (or be NULL with 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_client_send(client: *const psws_client, name: psws_str, data: *const u8, data_len: usize, binary: bool) -> psws_status {
    boundary(|| {
        let client = handles::get(client)?;
        // SAFETY: caller string and bytes.
        let (name, data) = unsafe { (name.read("name")?, read_bytes(data, data_len, "data")?) };
        if binary {
            client.hub.send_binary(name, data.to_vec())?;
        } else {
            let text = std::str::from_utf8(data).map_err(|_| Failure(psws_status::InvalidUtf8, "text data is not valid UTF-8".into()))?;
            client.hub.send_text(name, text.to_string())?;
        }
        Ok(())
    })
}

/// Closes a connection cleanly and stops its reconnects; the Name stays registered.
#[unsafe(no_mangle)]
pub extern "C" fn psws_client_disconnect(client: *const psws_client, name: psws_str) -> psws_status {
    boundary(|| {
        let client = handles::get(client)?;
        // SAFETY: caller string.
        client.hub.disconnect(unsafe { name.read("name")? })?;
        Ok(())
    })
}

/// Closes a connection and forgets its Name.
#[unsafe(no_mangle)]
pub extern "C" fn psws_client_remove(client: *const psws_client, name: psws_str) -> psws_status {
    boundary(|| {
        let client = handles::get(client)?;
        // SAFETY: caller string.
        client.hub.remove(unsafe { name.read("name")? })?;
        Ok(())
    })
}

/// Reconnects a registered Name, to `url` when not empty. On failure the Name stays
/// registered and disconnected.
#[unsafe(no_mangle)]
pub extern "C" fn psws_client_reset(client: *const psws_client, name: psws_str, url: psws_str) -> psws_status {
    boundary(|| {
        let client = handles::get(client)?;
        // SAFETY: caller strings.
        let (name, url) = unsafe { (name.read("name")?, url.read_opt("url")?) };
        client.hub.reset(name, url)?;
        Ok(())
    })
}

/// State of an external connection.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum psws_client_state {
    /// No connection has this Name.
    NotRegistered = 0,
    /// Open.
    Connected = 1,
    /// Dropped; reconnect attempts under way.
    Reconnecting = 2,
    /// Registered but closed.
    Disconnected = 3,
}

/// Writes the state of a Name (NOT_REGISTERED when unknown).
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_client_get_state(client: *const psws_client, name: psws_str, out: *mut psws_client_state) -> psws_status {
    boundary(|| {
        let client = handles::get(client)?;
        // SAFETY: caller string.
        let state = match client.hub.state(unsafe { name.read("name")? }) {
            None => psws_client_state::NotRegistered,
            Some(ClientState::Connected) => psws_client_state::Connected,
            Some(ClientState::Reconnecting) => psws_client_state::Reconnecting,
            Some(ClientState::Disconnected) => psws_client_state::Disconnected,
        };
        // SAFETY: valid per the caller.
        unsafe { write(out, state, "out") }
    })
}

/// Copies the URL of a Name into `buffer` (UNKNOWN_CLIENT when not registered), as
/// psws_server_new_client_id copies.
///
/// # Safety
/// `buffer` must be valid for `capacity` bytes; `out_len` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_client_url(client: *const psws_client, name: psws_str, buffer: *mut c_char, capacity: usize, out_len: *mut usize) -> psws_status {
    boundary(|| {
        let client = handles::get(client)?;
        require_out(out_len, "out_len")?;
        // SAFETY: caller string.
        let name = unsafe { name.read("name")? };
        let url = client.hub.url(name).ok_or_else(|| Failure::from(psws::Error::UnknownClient(name.to_string())))?;
        // SAFETY: forwarded from the caller.
        unsafe { copy_out(&url, buffer, capacity, out_len) }
    })
}

/// Hands out the registered Names (sorted).
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_client_names(client: *const psws_client, out: *mut *mut psws_list) -> psws_status {
    boundary(|| {
        let names = handles::get(client)?.hub.names();
        // SAFETY: valid per the caller.
        unsafe { hand_out(names, out) }
    })
}

/// Closes every connection and frees the client; no callback runs once this returns.
/// NULL is a no-op; a second free is INVALID_HANDLE; from the client's own callback it is
/// IN_CALLBACK (and nothing happens).
#[unsafe(no_mangle)]
pub extern "C" fn psws_client_free(client: *mut psws_client) -> psws_status {
    boundary(|| {
        if !client.is_null() {
            handles::get(client)?.callback.refuse_reentry("psws_client_free")?;
        }
        if let Some(object) = handles::remove(client)? {
            object.callback.set(None, std::ptr::null_mut());
            object.hub.close_all();
        }
        Ok(())
    })
}
