//! One upgraded signal connection: its identity, its send queue, and the task that
//! moves frames between the socket and the engine.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::queue::{Outbound, Pushed, SendQueue};
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
pub struct Connection {
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
    pub(crate) queue: SendQueue,
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
        let remote_ip = ip_text(&identity.remote);
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

    pub(crate) fn push(&self, message: Message) -> Pushed {
        self.queue.push(message)
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

/// Text of an IP as .NET's `IPAddressToString` writes it (IPv4-mapped IPv6 as `::ffff:a.b.c.d`).
fn ip_text(addr: &SocketAddr) -> String {
    addr.ip().to_string()
}

/// How a connection ended.
#[derive(Debug, Clone)]
pub(crate) struct Ending {
    pub code: u16,
    pub reason: String,
    pub initiator: CloseInitiator,
}

impl Ending {
    fn new(code: u16, reason: impl Into<String>, initiator: CloseInitiator) -> Self {
        Self { code, reason: reason.into(), initiator }
    }
}

/// Runs a connection until it closes, then reports how it ended to `signals`.
pub(crate) async fn run<S>(conn: Arc<Connection>, ws: WebSocketStream<S>, signals: Arc<Signals>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    signals.on_connected(&conn);
    let ending = Pump { conn: &conn, ws, signals: &signals }.run().await;
    conn.queue.shut();
    signals.on_disconnected(&conn, ending);
}

struct Pump<'a, S> {
    conn: &'a Arc<Connection>,
    ws: WebSocketStream<S>,
    signals: &'a Arc<Signals>,
}

/// Outcome of writing one batch.
enum Written {
    /// Everything was sent.
    Sent,
    /// A Close was reached: start the close handshake with this code and reason.
    Close(u16, String),
}

impl<S> Pump<'_, S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    async fn run(mut self) -> Ending {
        let cfg = self.signals.config().clone();
        let mut batch = VecDeque::new();
        let mut last_inbound = Instant::now();
        let mut pinged = false;
        let keepalive = tokio::time::sleep(cfg.ping_interval);
        tokio::pin!(keepalive);
        loop {
            self.conn.queue.drain_into(&mut batch);
            if !batch.is_empty() {
                let written = tokio::select! {
                    biased;
                    written = write_batch(&mut self.ws, &mut batch) => written,
                    () = self.conn.queue.aborted() => {
                        return Ending::new(1008, "send queue full: the client reads too slowly", CloseInitiator::Server);
                    }
                };
                batch.clear();
                match written {
                    Ok(Written::Sent) => continue,
                    Ok(Written::Close(code, reason)) => return self.close(code, reason, &cfg).await,
                    Err(e) => return Ending::new(1006, format!("write failed: {e}"), CloseInitiator::Client),
                }
            }
            tokio::select! {
                () = self.conn.queue.ready() => {}
                inbound = self.ws.next() => {
                    last_inbound = Instant::now();
                    pinged = false;
                    self.conn.touch();
                    match inbound {
                        Some(Ok(Message::Text(text))) => self.signals.on_text(self.conn, text),
                        Some(Ok(Message::Binary(data))) => self.signals.on_binary(self.conn, data),
                        Some(Ok(Message::Close(frame))) => return self.closed_by_peer(frame, &cfg).await,
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return self.failed(e, &cfg).await,
                        None => return Ending::new(1006, "the connection was dropped without a Close frame", CloseInitiator::Client),
                    }
                }
                () = &mut keepalive => {
                    let idle = last_inbound.elapsed();
                    if pinged && idle >= cfg.ping_interval + cfg.pong_timeout {
                        return Ending::new(1006, "no answer to the keep-alive ping", CloseInitiator::Server);
                    }
                    let next = if idle < cfg.ping_interval {
                        last_inbound + cfg.ping_interval
                    } else {
                        if !pinged {
                            pinged = true;
                            if self.ws.send(Message::Ping(Default::default())).await.is_err() {
                                return Ending::new(1006, "the keep-alive ping could not be sent", CloseInitiator::Client);
                            }
                        }
                        last_inbound + cfg.ping_interval + cfg.pong_timeout
                    };
                    keepalive.as_mut().reset(next.into());
                }
            }
        }
    }

    /// Server-initiated close: send the Close frame, wait (bounded) for the reply.
    async fn close(&mut self, code: u16, reason: String, cfg: &crate::ServerConfig) -> Ending {
        let frame = CloseFrame { code: code.into(), reason: reason.clone().into() };
        if self.ws.close(Some(frame)).await.is_ok() {
            self.drain_until_closed(cfg.close_timeout).await;
        }
        Ending::new(code, reason, CloseInitiator::Server)
    }

    /// The peer sent Close: tungstenite has queued the echo; flush it and finish.
    async fn closed_by_peer(&mut self, frame: Option<CloseFrame>, cfg: &crate::ServerConfig) -> Ending {
        self.drain_until_closed(cfg.close_timeout).await;
        match frame {
            Some(f) => Ending::new(f.code.into(), f.reason.as_str(), CloseInitiator::Client),
            None => Ending::new(1005, "", CloseInitiator::Client),
        }
    }

    /// A read failed: answer protocol violations with the matching close code.
    async fn failed(&mut self, error: tungstenite::Error, cfg: &crate::ServerConfig) -> Ending {
        use tungstenite::Error as E;
        let code = match &error {
            E::Capacity(_) => 1009,
            E::Utf8(_) => 1007,
            E::Protocol(_) | E::AttackAttempt => 1002,
            _ => return Ending::new(1006, format!("read failed: {error}"), CloseInitiator::Client),
        };
        let reason = match code {
            1009 => format!("message too big (the maximum is {} bytes)", cfg.max_message_size),
            _ => error.to_string(),
        };
        self.signals.log_warn(&format!("connection {} ({}): {error}; closing with {code}", self.conn.id, self.conn.name()));
        self.close(code, truncate_reason(reason), cfg).await
    }

    async fn drain_until_closed(&mut self, limit: Duration) {
        let _ = tokio::time::timeout(limit, async { while let Some(Ok(_)) = self.ws.next().await {} }).await;
    }
}

/// Close reasons must fit a control frame (123 bytes of UTF-8).
fn truncate_reason(mut reason: String) -> String {
    if reason.len() > 123 {
        let mut end = 123;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

/// Feeds every queued message and flushes once: one write syscall for the batch.
async fn write_batch<S>(ws: &mut WebSocketStream<S>, batch: &mut VecDeque<Outbound>) -> Result<Written, tungstenite::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut written = Written::Sent;
    while let Some(item) = batch.pop_front() {
        match item {
            Outbound::Message(message) => ws.feed(message).await?,
            Outbound::Close(code, reason) => {
                written = Written::Close(code, reason);
                break;
            }
        }
    }
    ws.flush().await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_cut_on_a_char_boundary() {
        let r = truncate_reason("é".repeat(100));
        assert!(r.len() <= 123 && r.chars().all(|c| c == 'é'));
    }
}
