//! One upgraded signal connection: its identity, its send queue, and its task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::pump::{self, Inbound, Timings};
use crate::queue::{Pushed, SendQueue};
use crate::signals::Signals;
use crate::{Protocol, Scope, SigningContext};

/// Which side ended a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseInitiator {
    /// The peer sent a Close frame or went away.
    Client,
    /// The server closed it (close call, replacement, Local scope end, shutdown,
    /// keep-alive timeout, slow reader, oversize message, protocol error).
    Server,
}

/// Who a connection is and where it came from; fixed at upgrade.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub name: String,
    pub group: String,
    pub client_id: String,
    pub scope: Scope,
    pub path: String,
    pub query: String,
    pub endpoint: String,
    pub protocol: Protocol,
    pub host: String,
    pub remote: SocketAddr,
    pub user_agent: String,
}

/// A signal connection (Pode's `PodeSignal`). Shared by the registry, the host's
/// events and the connection's own task.
#[repr(C)]
pub struct Connection {
    /// First: the part every send touches (see [`SendQueue`]).
    pub(crate) queue: SendQueue,
    id: u64,
    identity: Identity,
    group_lower: String,
    remote_ip: String,
    opened_at: SystemTime,
    opened: Instant,
    /// Milliseconds after `opened` of the last frame received.
    last_activity_ms: AtomicU64,
    /// The Connect event was emitted, so a Disconnect event is owed.
    connected: AtomicBool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("name", &self.identity.name)
            .field("client_id", &self.identity.client_id)
            .field("scope", &self.identity.scope)
            .finish_non_exhaustive()
    }
}

impl Connection {
    pub(crate) fn new(id: u64, identity: Identity, queue: SendQueue) -> Self {
        // As .NET's IPAddressToString: IPv4-mapped IPv6 reads `::ffff:a.b.c.d`.
        let remote_ip = identity.remote.ip().to_string();
        Self {
            id,
            group_lower: identity.group.to_lowercase(),
            identity,
            remote_ip,
            opened_at: SystemTime::now(),
            opened: Instant::now(),
            last_activity_ms: AtomicU64::new(0),
            connected: AtomicBool::new(false),
            queue,
        }
    }

    /// Process-unique id of the connection (for direct sends).
    pub fn id(&self) -> u64 {
        self.id
    }
    /// The Name it was registered under (the URL path for auto-upgrades).
    pub fn name(&self) -> &str {
        &self.identity.name
    }
    /// Its Group, empty when none.
    pub fn group(&self) -> &str {
        &self.identity.group
    }
    /// Its client id (signed when signing was on at upgrade).
    pub fn client_id(&self) -> &str {
        &self.identity.client_id
    }
    /// Local or Global.
    pub fn scope(&self) -> Scope {
        self.identity.scope
    }
    /// URL path of the upgrade request, URL-decoded.
    pub fn path(&self) -> &str {
        &self.identity.path
    }
    /// Query string of the upgrade request, without `?`.
    pub fn query(&self) -> &str {
        &self.identity.query
    }
    /// Name of the endpoint it came in on.
    pub fn endpoint_name(&self) -> &str {
        &self.identity.endpoint
    }
    /// `Ws` or `Wss`.
    pub fn protocol(&self) -> Protocol {
        self.identity.protocol
    }
    /// The `Host` header of the upgrade request.
    pub fn host(&self) -> &str {
        &self.identity.host
    }
    /// The peer's socket address.
    pub fn remote_addr(&self) -> SocketAddr {
        self.identity.remote
    }
    /// The peer's IP as text (IPv4-mapped IPv6 as `::ffff:a.b.c.d`, as .NET writes it).
    pub fn remote_ip(&self) -> &str {
        &self.remote_ip
    }
    /// The `User-Agent` of the upgrade request (empty if absent).
    pub fn user_agent(&self) -> &str {
        &self.identity.user_agent
    }
    /// When the upgrade happened.
    pub fn opened_at(&self) -> SystemTime {
        self.opened_at
    }
    /// When the last frame arrived (the open time if none has).
    pub fn last_activity(&self) -> SystemTime {
        self.opened_at + Duration::from_millis(self.last_activity_ms.load(Ordering::Relaxed))
    }
    /// True once the connection is closing or closed.
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }
    /// The strict-signing context recorded at upgrade.
    pub fn signing_context(&self) -> SigningContext<'_> {
        SigningContext { user_agent: &self.identity.user_agent, remote_ip: &self.remote_ip }
    }

    /// True if the connection belongs to one of `groups_lower` (already lower-cased);
    /// an empty filter matches every connection.
    pub(crate) fn in_groups(&self, groups_lower: &[String]) -> bool {
        groups_lower.is_empty() || (!self.group_lower.is_empty() && groups_lower.iter().any(|g| *g == self.group_lower))
    }

    /// Queues an encoded frame (shared with the other recipients).
    pub(crate) fn push(&self, frame: Bytes) -> Pushed {
        self.queue.push_frame(frame)
    }

    /// Starts a server-side close after what is already queued.
    pub(crate) fn close(&self, code: u16, reason: &str) -> bool {
        self.queue.close(code, reason.to_string())
    }

    fn touch(&self) {
        self.last_activity_ms.store(self.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Marks the Connect event as emitted; true the first time.
    pub(crate) fn mark_connected(&self) -> bool {
        !self.connected.swap(true, Ordering::AcqRel)
    }
    /// True if a Connect event was emitted (so a Disconnect is owed).
    pub(crate) fn was_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }
}

/// Inbound frames of a server connection go to the signal hub.
struct ToSignals<'a> {
    conn: &'a Arc<Connection>,
    signals: &'a Signals,
}

impl Inbound for ToSignals<'_> {
    fn text(&self, text: Utf8Bytes) {
        self.signals.on_text(self.conn, text)
    }
    fn binary(&self, data: Bytes) {
        self.signals.on_binary(self.conn, data)
    }
    fn activity(&self) {
        self.conn.touch()
    }
    fn warn(&self, message: String) {
        self.signals.log_warn(&format!("connection {} ({}): {message}", self.conn.id, self.conn.name()))
    }
}

/// Runs a connection until it closes, then reports how it ended to `signals`.
/// The socket is borrowed, not moved in: a moved socket would be held twice by the
/// caller's task (its own slot and this future's), on every idle connection.
pub(crate) async fn run<S>(conn: Arc<Connection>, ws: &mut WebSocketStream<S>, signals: Arc<Signals>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    signals.on_connected(&conn);
    let config = signals.config();
    let timings = Timings {
        ping_interval: config.ping_interval,
        pong_timeout: config.pong_timeout,
        close_timeout: config.close_timeout,
        max_message_size: config.max_message_size,
    };
    let ending = pump::run(ws, &conn.queue, &ToSignals { conn: &conn, signals: &signals }, timings).await;
    conn.queue.shut();
    signals.on_disconnected(&conn, ending);
}
