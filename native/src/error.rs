//! The engine's one error type.

use std::io;

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call to the engine. Each variant says what the
/// caller can do next. Exhaustive on purpose: the C ABI maps every variant to its own
/// status, so a new variant does not compile until it has one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting or argument is out of range or malformed; fix the value and retry.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A listener could not bind its address (in use, no permission, bad address).
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address as given.
        address: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A certificate or key could not be loaded or does not fit the endpoint.
    #[error("TLS: {0}")]
    Tls(String),
    /// The call needs a running server; start it first.
    #[error("the server is not running")]
    NotRunning,
    /// The call is only allowed before the server starts (or it was started twice).
    #[error("the server is already running")]
    AlreadyRunning,
    /// The server has been stopped; create a new one.
    #[error("the server has been stopped")]
    Stopped,
    /// A route with the same method and path exists, or the path is malformed.
    #[error("route: {0}")]
    Route(String),
    /// The request handle was already answered, upgraded or finished.
    #[error("the request has already been completed")]
    RequestCompleted,
    /// A WebSocket upgrade was refused; the request has been answered with `status`.
    #[error("cannot upgrade to a WebSocket (HTTP {status}): {reason}")]
    UpgradeRejected {
        /// The HTTP status sent to the client.
        status: u16,
        /// Why.
        reason: String,
    },
    /// A send would break the broadcast level set for a Name; give the Group or ClientId it requires.
    #[error("Signal failed to broadcast due to defined Signal broadcast level for {name}: {level}")]
    BroadcastLevel {
        /// The connection Name.
        name: String,
        /// The level in force.
        level: crate::BroadcastLevel,
    },
    /// No Global connection has this Name.
    #[error("no Signal connection found with the name '{0}'")]
    UnknownName(String),
    /// The connection id is not (or no longer) open.
    #[error("no open connection with id {0}")]
    UnknownConnection(u64),
    /// A client id is signed with the wrong secret, tampered with, or malformed.
    #[error("the client id is not valid: {0}")]
    InvalidClientId(String),
    /// An external connection Name is already registered; remove it or pick another Name.
    #[error("already connected to WebSocket with name '{0}'")]
    NameInUse(String),
    /// No external connection is registered under this Name.
    #[error("no WebSocket connection registered with name '{0}'")]
    UnknownClient(String),
    /// The external connection is registered but not connected; reset it first.
    #[error("the WebSocket connection '{0}' is not connected")]
    NotConnected(String),
    /// Connecting to an external WebSocket server failed.
    #[error("failed to connect to WebSocket '{url}': {reason}")]
    Connect {
        /// The URL that was tried.
        url: String,
        /// What failed.
        reason: ConnectError,
    },
    /// A message is larger than the configured maximum message size.
    #[error("message of {size} bytes is larger than the maximum of {max} bytes")]
    MessageTooLarge {
        /// The message size.
        size: usize,
        /// The limit.
        max: usize,
    },
}

/// Why an outgoing WebSocket connection could not be established.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is malformed or its scheme is not `ws` or `wss`.
    #[error("invalid URL: {0}")]
    Url(String),
    /// The host name could not be resolved.
    #[error("cannot resolve host: {0}")]
    Dns(String),
    /// The server refused the TCP connection.
    #[error("connection refused: {0}")]
    Refused(String),
    /// The connection or handshake took longer than the connect timeout.
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The TLS handshake failed (certificate not trusted, wrong name, protocol).
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// The server answered the upgrade with an HTTP status other than 101.
    #[error("the server answered HTTP {0}")]
    HttpStatus(u16),
    /// Any other I/O or protocol failure during the handshake.
    #[error("{0}")]
    Other(String),
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_stays_small() {
        assert!(std::mem::size_of::<super::Error>() <= 64);
    }
}
