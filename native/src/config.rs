//! Server and endpoint settings, with the defaults and the reasons for them.

use std::path::PathBuf;
use std::time::Duration;

use crate::{Error, Result};

/// Chainable setters, one per listed field: `Type::default().field(value)`.
macro_rules! setters {
    ($type:ty { $($field:ident: $value:ty),* $(,)? }) => {
        impl $type {
            $(
                #[doc = concat!("Set [`Self::", stringify!($field), "`].")]
                pub fn $field(mut self, value: $value) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}
pub(crate) use setters;

/// Settings of a [`crate::Server`]. Every field has a safe default; change them with the
/// chainable setters and check them with [`ServerConfig::validate`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Largest inbound WebSocket message (after reassembly of fragments). Default 16 MiB:
    /// far above Pode's old 16/32 KB caps, small enough that a peer cannot exhaust memory.
    /// A bigger message closes the connection with 1009.
    pub max_message_size: usize,
    /// Largest HTTP request body. Default 100 MiB (Pode's `Request.BodySize`); more is 413.
    pub max_body_size: usize,
    /// A connection that has sent nothing for this long is pinged. Default 30 s.
    pub ping_interval: Duration,
    /// A pinged connection that stays silent for this long after the ping is dropped
    /// (Disconnect with 1006). Default 60 s.
    pub pong_timeout: Duration,
    /// Time allowed for the TLS handshake and for the HTTP request head. Default 10 s.
    pub handshake_timeout: Duration,
    /// Time a server-initiated close waits for the peer's Close reply. Default 5 s.
    pub close_timeout: Duration,
    /// Maximum simultaneous TCP connections (HTTP and WebSocket); more are refused at
    /// accept. Default 100,000.
    pub max_connections: usize,
    /// Bytes queued for one connection before the slow-reader policy applies. Default
    /// 16 MiB. Each queued message counts its length plus 64 bytes of bookkeeping; a
    /// message always fits into an empty queue.
    pub send_queue_bytes: usize,
    /// What happens when a connection's send queue is full. Default: close with 1008.
    pub slow_reader: SlowReaderPolicy,
    /// Scope of upgrades that do not name one. Default Global (as Pode).
    pub default_scope: Scope,
    /// tungstenite's read buffer per connection, allocated at the upgrade, and the most
    /// one read takes from the socket. Default 512 B: every idle connection holds it
    /// (tungstenite's 128 KiB default costs ~135 KiB per idle connection and is
    /// zero-filled on every read); a larger message grows the buffer while it arrives,
    /// but is read 512 B at a time, so raise it for peers that send large messages fast.
    pub read_buffer_size: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_message_size: 16 << 20,
            max_body_size: 100 << 20,
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(60),
            handshake_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(5),
            max_connections: 100_000,
            send_queue_bytes: 16 << 20,
            slow_reader: SlowReaderPolicy::Close,
            default_scope: Scope::Global,
            read_buffer_size: 512,
        }
    }
}

setters!(ServerConfig {
    max_message_size: usize,
    max_body_size: usize,
    ping_interval: Duration,
    pong_timeout: Duration,
    handshake_timeout: Duration,
    close_timeout: Duration,
    max_connections: usize,
    send_queue_bytes: usize,
    slow_reader: SlowReaderPolicy,
    default_scope: Scope,
    read_buffer_size: usize,
});

impl ServerConfig {
    /// Checks that every value is usable; the error names the first bad field.
    pub fn validate(&self) -> Result<()> {
        let positive = [
            ("max_message_size", self.max_message_size),
            ("max_body_size", self.max_body_size),
            ("max_connections", self.max_connections),
            ("send_queue_bytes", self.send_queue_bytes),
            ("read_buffer_size", self.read_buffer_size),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(Error::InvalidArgument(format!("{name} must be greater than 0")));
        }
        let durations = [
            ("ping_interval", self.ping_interval),
            ("pong_timeout", self.pong_timeout),
            ("handshake_timeout", self.handshake_timeout),
            ("close_timeout", self.close_timeout),
        ];
        if let Some((name, _)) = durations.iter().find(|(_, d)| d.is_zero()) {
            return Err(Error::InvalidArgument(format!("{name} must be greater than 0")));
        }
        Ok(())
    }
}

/// What to do with a connection whose send queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowReaderPolicy {
    /// Close the connection with 1008 (policy violation). The default.
    Close,
    /// Drop the oldest queued messages until the new one fits; counted as queue drops.
    DropOldest,
}

/// Lifetime of a signal connection (Pode's `-Scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Lives while its request handle is open; not in the registry; sends to it go direct.
    Local,
    /// In the registry (Name -> ClientId) until closed.
    Global,
}

impl Scope {
    /// Pode's spelling: `Local` or `Global`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Local => "Local",
            Scope::Global => "Global",
        }
    }
}

/// Endpoint protocol (Pode's `-Protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Plain HTTP; manual upgrades through routes still work.
    Http,
    /// HTTP over TLS.
    Https,
    /// WebSocket; enables auto-upgrade unless the endpoint opts out.
    Ws,
    /// WebSocket over TLS.
    Wss,
}

impl Protocol {
    /// True for Https and Wss.
    pub fn is_tls(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Wss)
    }
    /// True for Ws and Wss.
    pub fn is_websocket(self) -> bool {
        matches!(self, Protocol::Ws | Protocol::Wss)
    }
    /// Lower-case name as in URLs: `http`, `https`, `ws`, `wss`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Ws => "ws",
            Protocol::Wss => "wss",
        }
    }
}

/// Certificate and key of a TLS endpoint.
#[derive(Debug, Clone)]
pub enum TlsIdentity {
    /// A PKCS#12 (.pfx/.p12) file holding the certificate chain and the private key.
    Pkcs12 {
        /// Path of the file.
        path: PathBuf,
        /// Its password (empty for none).
        password: String,
    },
    /// PEM files: the certificate chain and the private key (PKCS#8, PKCS#1 or SEC1).
    Pem {
        /// Certificate chain, leaf first.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
}

/// One endpoint (Pode's `Add-PodeEndpoint`). Endpoints on the same address and port
/// share one listener.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// Endpoint name, used by signal routes' endpoint filters. Default: a fresh GUID.
    pub name: String,
    /// Protocol.
    pub protocol: Protocol,
    /// Address to bind: an IP, `localhost` (127.0.0.1) or `*` (all IPv4 addresses).
    pub address: String,
    /// Port; 0 binds an ephemeral port (never shared with another endpoint).
    pub port: u16,
    /// Certificate for Https/Wss.
    pub tls: Option<TlsIdentity>,
    /// Disable the legacy auto-upgrade for the listener this endpoint is on.
    pub no_auto_upgrade: bool,
}

impl EndpointConfig {
    /// An endpoint with a generated name, no TLS and auto-upgrade enabled.
    pub fn new(protocol: Protocol, address: impl Into<String>, port: u16) -> Self {
        Self { name: uuid::Uuid::new_v4().to_string(), protocol, address: address.into(), port, tls: None, no_auto_upgrade: false }
    }
    /// Set [`Self::name`].
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
    /// Set [`Self::tls`].
    pub fn tls(mut self, identity: TlsIdentity) -> Self {
        self.tls = Some(identity);
        self
    }
    /// Set [`Self::no_auto_upgrade`].
    pub fn no_auto_upgrade(mut self, yes: bool) -> Self {
        self.no_auto_upgrade = yes;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_zero_is_refused() {
        ServerConfig::default().validate().unwrap();
        let err = ServerConfig::default().max_message_size(0).validate().unwrap_err();
        assert!(err.to_string().contains("max_message_size"));
        let err = ServerConfig::default().pong_timeout(Duration::ZERO).validate().unwrap_err();
        assert!(err.to_string().contains("pong_timeout"));
    }
}
