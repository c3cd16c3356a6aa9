//! Enumerations and plain structs shared by several parts of the ABI.

use std::time::{SystemTime, UNIX_EPOCH};

use psws::Connection;

use crate::status::{Failure, psws_status};
use crate::strings::psws_str;

/// Endpoint protocol.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum psws_protocol {
    /// Plain HTTP.
    Http = 0,
    /// HTTP over TLS.
    Https = 1,
    /// WebSocket.
    Ws = 2,
    /// WebSocket over TLS.
    Wss = 3,
}

/// Scope of a signal connection.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum psws_scope {
    /// The server's default scope (only as an argument).
    Default = 0,
    /// Lives while its request is open; not addressable by Name.
    Local = 1,
    /// In the registry until closed.
    Global = 2,
}

/// Which side closed a connection.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum psws_close_initiator {
    /// The client (its Close frame, or it went away).
    Client = 0,
    /// The server.
    Server = 1,
}

/// Severity of a log line.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum psws_log_level {
    /// Diagnostic detail.
    Debug = 0,
    /// Normal operation.
    Info = 1,
    /// Something was refused or dropped; the server carries on.
    Warn = 2,
    /// Something failed.
    Error = 3,
}

impl From<psws::Protocol> for psws_protocol {
    fn from(p: psws::Protocol) -> Self {
        match p {
            psws::Protocol::Http => psws_protocol::Http,
            psws::Protocol::Https => psws_protocol::Https,
            psws::Protocol::Ws => psws_protocol::Ws,
            psws::Protocol::Wss => psws_protocol::Wss,
        }
    }
}

impl From<psws::CloseInitiator> for psws_close_initiator {
    fn from(i: psws::CloseInitiator) -> Self {
        match i {
            psws::CloseInitiator::Client => psws_close_initiator::Client,
            psws::CloseInitiator::Server => psws_close_initiator::Server,
        }
    }
}

impl From<psws::LogLevel> for psws_log_level {
    fn from(l: psws::LogLevel) -> Self {
        match l {
            psws::LogLevel::Debug => psws_log_level::Debug,
            psws::LogLevel::Info => psws_log_level::Info,
            psws::LogLevel::Warn => psws_log_level::Warn,
            psws::LogLevel::Error => psws_log_level::Error,
        }
    }
}

/// Reads an enum argument passed as a number (an unknown value is an error, never UB).
pub(crate) fn protocol_arg(value: u32) -> Result<psws::Protocol, Failure> {
    Ok(match value {
        0 => psws::Protocol::Http,
        1 => psws::Protocol::Https,
        2 => psws::Protocol::Ws,
        3 => psws::Protocol::Wss,
        _ => return Err(invalid_enum("protocol", value)),
    })
}

/// Reads a scope argument; `Default` is None.
pub(crate) fn scope_arg(value: u32) -> Result<Option<psws::Scope>, Failure> {
    Ok(match value {
        0 => None,
        1 => Some(psws::Scope::Local),
        2 => Some(psws::Scope::Global),
        _ => return Err(invalid_enum("scope", value)),
    })
}

pub(crate) fn invalid_enum(what: &str, value: u32) -> Failure {
    Failure(psws_status::InvalidArgument, format!("{value} is not a valid {what}"))
}

/// Milliseconds since 1970 (negative before).
pub(crate) fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

/// A signal connection as C sees it. Strings point into the connection and are
/// valid as long as the call or callback that handed it out says.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_connection_info {
    /// Connection id (for psws_server_send_direct and psws_server_close_connection).
    pub id: u64,
    /// Name.
    pub name: psws_str,
    /// Group (empty when none).
    pub group: psws_str,
    /// Client id (signed when signing was on).
    pub client_id: psws_str,
    /// Local or Global.
    pub scope: psws_scope,
    /// URL path of the upgrade request, URL-decoded.
    pub path: psws_str,
    /// Query string of the upgrade request, without `?`.
    pub query: psws_str,
    /// Name of the endpoint it came in on.
    pub endpoint_name: psws_str,
    /// Ws or Wss.
    pub protocol: psws_protocol,
    /// Host header of the upgrade request.
    pub host: psws_str,
    /// The peer's IP.
    pub remote_ip: psws_str,
    /// The peer's port.
    pub remote_port: u16,
    /// User-Agent of the upgrade request.
    pub user_agent: psws_str,
    /// When it opened (ms since 1970, UTC).
    pub opened_unix_ms: i64,
    /// When the last frame arrived (ms since 1970, UTC).
    pub last_activity_unix_ms: i64,
}

impl psws_connection_info {
    /// A view of `conn` (valid while `conn` lives).
    pub(crate) fn of(conn: &Connection) -> Self {
        Self {
            id: conn.id(),
            name: psws_str::borrow(conn.name()),
            group: psws_str::borrow(conn.group()),
            client_id: psws_str::borrow(conn.client_id()),
            scope: match conn.scope() {
                psws::Scope::Local => psws_scope::Local,
                psws::Scope::Global => psws_scope::Global,
            },
            path: psws_str::borrow(conn.path()),
            query: psws_str::borrow(conn.query()),
            endpoint_name: psws_str::borrow(conn.endpoint_name()),
            protocol: conn.protocol().into(),
            host: psws_str::borrow(conn.host()),
            remote_ip: psws_str::borrow(conn.remote_ip()),
            remote_port: conn.remote_addr().port(),
            user_agent: psws_str::borrow(conn.user_agent()),
            opened_unix_ms: unix_ms(conn.opened_at()),
            last_activity_unix_ms: unix_ms(conn.last_activity()),
        }
    }
}
