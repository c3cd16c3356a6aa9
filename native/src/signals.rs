//! The signal hub of a server: connections by id and by Name, sends, closes, inbound
//! messages (signal route or native re-broadcast), client-id signing, and events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::backplane::{Backplane, Broadcast, Member, Node};
use crate::broadcast::BroadcastLevels;
use crate::connection::Identity;
use crate::events::{DisconnectEvent, Emitter, SignalMessage};
use crate::metrics::{Gauges, Metrics};
use crate::pump::{self, Ending, Side};
use crate::queue::{Pushed, SendQueue};
use crate::registry::{Filter, Registry};
use crate::routes::{RouteTable, SIGNAL_METHOD};
use crate::signing::{Signer, looks_signed};
use crate::{BroadcastLevel, CloseInitiator, Connection, Envelope, Error, Event, LogLevel, Result, Scope, ServerConfig, SigningContext};

/// Counts of one fan-out.
#[derive(Default)]
struct Tally {
    delivered: u64,
    dropped: u64,
    overflowed: Vec<u64>,
}

impl Tally {
    /// Queues one copy (a reference-count bump of the shared frame).
    fn deliver(&mut self, conn: &Connection, frame: &Bytes) {
        match conn.push(frame.clone()) {
            Pushed::Queued => self.delivered += 1,
            Pushed::DroppedOldest(n) => {
                self.delivered += 1;
                self.dropped += n as u64;
            }
            Pushed::Overflow(n) => {
                self.dropped += n as u64;
                self.overflowed.push(conn.id());
            }
            Pushed::Closed => {}
        }
    }
}

/// State shared by a server's listeners, requests and connections.
pub(crate) struct Signals {
    config: ServerConfig,
    default_scope: Mutex<Scope>,
    registry: Registry,
    /// Every open connection, Local and Global, by id.
    live: Mutex<HashMap<u64, Arc<Connection>>>,
    pub(crate) levels: BroadcastLevels,
    signer: RwLock<Option<Signer>>,
    /// HTTP routes and signal routes (method `SIGNAL`).
    pub(crate) signal_routes: RouteTable,
    pub(crate) events: Emitter<Event>,
    pub(crate) metrics: Metrics,
    next_id: AtomicU64,
    /// Set at start when the server has a backplane: broadcasts leave the node here.
    backplane: OnceLock<Arc<dyn Backplane>>,
}

fn lower_all(values: &[String]) -> Vec<String> {
    values.iter().map(|v| v.to_lowercase()).collect()
}

impl Signals {
    pub(crate) fn new(config: ServerConfig) -> Self {
        Self {
            default_scope: Mutex::new(config.default_scope),
            config,
            registry: Registry::default(),
            live: Mutex::default(),
            levels: BroadcastLevels::default(),
            signer: RwLock::new(None),
            signal_routes: RouteTable::default(),
            events: Emitter::default(),
            metrics: Metrics::default(),
            next_id: AtomicU64::new(0),
            backplane: OnceLock::new(),
        }
    }

    /// Connects the node to its backplane (once, at start).
    pub(crate) fn attach_backplane(&self, backplane: Arc<dyn Backplane>) {
        let _ = self.backplane.set(backplane);
    }

    pub(crate) fn backplane(&self) -> Option<&Arc<dyn Backplane>> {
        self.backplane.get()
    }

    fn members_changed(&self) {
        if let Some(b) = self.backplane.get() {
            b.members_changed();
        }
    }

    pub(crate) fn config(&self) -> &ServerConfig {
        &self.config
    }

    pub(crate) fn default_scope(&self) -> Scope {
        *self.default_scope.lock()
    }

    pub(crate) fn set_default_scope(&self, scope: Scope) {
        *self.default_scope.lock() = scope;
    }

    pub(crate) fn log_warn(&self, message: &str) {
        self.events.log(LogLevel::Warn, message.to_string());
    }

    // ---- connection lifecycle ----

    /// Creates a connection and makes it addressable (Global ones by Name, replacing
    /// and closing an older one with the same Name and ClientId). Sends queue up until
    /// its task starts.
    pub(crate) fn register(&self, identity: Identity) -> Arc<Connection> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let global = identity.scope == Scope::Global;
        let conn = Arc::new(Connection::new(id, identity, SendQueue::new(self.config.send_queue_bytes, self.config.slow_reader)));
        self.live.lock().insert(id, conn.clone());
        if global {
            if let Some(old) = self.registry.insert(conn.clone()) {
                old.close(1000, "replaced by a new connection with the same client id");
            }
            self.members_changed();
        }
        conn
    }

    fn forget(&self, conn: &Connection) {
        self.live.lock().remove(&conn.id());
        if conn.scope() == Scope::Global {
            self.registry.remove(conn);
            self.members_changed();
        }
    }

    /// The upgrade never completed: forget the connection without events.
    pub(crate) fn abandon(&self, conn: &Connection) {
        conn.queue.shut();
        self.forget(conn);
    }

    pub(crate) fn on_connected(&self, conn: &Arc<Connection>) {
        if conn.mark_connected() {
            Metrics::add(&self.metrics.connections, 1);
            Metrics::add(&self.metrics.connections_total, 1);
            self.events.emit(Event::Connect(conn.clone()));
        }
    }

    pub(crate) fn on_disconnected(&self, conn: &Arc<Connection>, ending: Ending) {
        self.forget(conn);
        if conn.was_connected() {
            self.metrics.connections.fetch_sub(1, Ordering::Relaxed);
            self.metrics.closed(ending.cause);
            self.events.emit(Event::Disconnect(DisconnectEvent {
                connection: conn.clone(),
                code: ending.code,
                reason: ending.reason,
                initiator: match ending.cause.side() {
                    Side::Local => CloseInitiator::Server,
                    Side::Peer => CloseInitiator::Client,
                },
            }));
        }
    }

    /// Every open connection (for shutdown).
    pub(crate) fn live_connections(&self) -> Vec<Arc<Connection>> {
        self.live.lock().values().cloned().collect()
    }

    /// The counters, and the gauges of the connections open now, in Prometheus' text
    /// format.
    pub(crate) fn metrics_text(&self) -> String {
        let mut gauges = Gauges::default();
        for conn in self.live_connections() {
            if conn.was_connected() {
                *gauges.connections.entry((conn.name().to_string(), conn.scope().as_str())).or_default() += 1;
            }
            let (messages, bytes) = conn.queue.depth();
            gauges.queued_messages += messages as u64;
            gauges.queued_bytes += bytes as u64;
        }
        self.metrics.exposition(&gauges)
    }

    // ---- inbound ----

    pub(crate) fn on_text(&self, conn: &Arc<Connection>, text: Utf8Bytes) {
        Metrics::add(&self.metrics.messages_in, 1);
        Metrics::add(&self.metrics.bytes_in, text.len() as u64);
        let envelope = match Envelope::parse(&text) {
            Ok(envelope) => envelope,
            Err(error) => {
                self.events.emit(Event::MessageError { connection: conn.clone(), error, text });
                return;
            }
        };
        if let Some(route) = self.signal_routes.find(SIGNAL_METHOD, conn.path(), conn.endpoint_name()) {
            self.events.emit(Event::Signal(SignalMessage { connection: conn.clone(), route: route.path, envelope, received: SystemTime::now() }));
            return;
        }
        self.rebroadcast(conn, &envelope);
    }

    pub(crate) fn on_binary(&self, conn: &Arc<Connection>, data: Bytes) {
        Metrics::add(&self.metrics.messages_in, 1);
        Metrics::add(&self.metrics.bytes_in, data.len() as u64);
        self.events.emit(Event::Binary { connection: conn.clone(), data });
    }

    /// Pode's default for a message without a signal route: `Send-PodeSignal` with the
    /// message's data, to its `path` (or every Name), group and client ids, or back to
    /// the sender alone when `direct` is true.
    fn rebroadcast(&self, conn: &Arc<Connection>, envelope: &Envelope) {
        let Some(payload) = envelope.payload() else { return };
        if envelope.direct {
            self.deliver_all(std::iter::once(conn), &Message::Text(payload));
            return;
        }
        let names = if envelope.path.is_empty() { &[][..] } else { std::slice::from_ref(&envelope.path) };
        if let Err(e) = self.send(names, &envelope.groups, &envelope.client_ids, payload) {
            self.log_warn(&format!("message from connection {} ({}) not re-broadcast: {e}", conn.id(), conn.name()));
        }
    }

    // ---- outbound ----

    /// Queues `message` to each connection; returns how many accepted it.
    fn deliver_all<'a>(&self, targets: impl IntoIterator<Item = &'a Arc<Connection>>, message: &Message) -> usize {
        let frame = pump::encode(message);
        let mut tally = Tally::default();
        targets.into_iter().for_each(|c| tally.deliver(c, &frame));
        self.settle(tally, message.len())
    }

    /// Books a fan-out's counters and reports its slow readers (outside any lock).
    fn settle(&self, tally: Tally, size: usize) -> usize {
        Metrics::add(&self.metrics.messages_out, tally.delivered);
        Metrics::add(&self.metrics.bytes_out, tally.delivered * size as u64);
        if tally.dropped > 0 {
            Metrics::add(&self.metrics.queue_drops, tally.dropped);
        }
        for id in tally.overflowed {
            self.log_warn(&format!("connection {id} reads too slowly: its send queue is full, closing it with 1008"));
        }
        tally.delivered as usize
    }

    /// Sends text to the Global connections of `names` (every Name when empty), filtered
    /// by groups and client ids, then hands it once to the backplane for the other
    /// nodes. Checks every Name's broadcast level first, so a violation sends nothing.
    /// Returns how many connections of this node it reached.
    pub(crate) fn send(&self, names: &[String], groups: &[String], client_ids: &[String], payload: Utf8Bytes) -> Result<usize> {
        let reached = self.fan_out(names, groups, client_ids, payload.clone())?;
        if let Some(backplane) = self.backplane.get() {
            backplane.publish(Broadcast { names: names.to_vec(), groups: groups.to_vec(), client_ids: client_ids.to_vec(), payload });
        }
        Ok(reached)
    }

    /// The local part of [`Self::send`].
    fn fan_out(&self, names: &[String], groups: &[String], client_ids: &[String], payload: Utf8Bytes) -> Result<usize> {
        let every_name;
        let names = if names.is_empty() {
            every_name = self.registry.names();
            &every_name[..]
        } else {
            names
        };
        for name in names {
            let level = self.levels.get(name);
            if !level.allows(groups, client_ids) {
                return Err(Error::BroadcastLevel { name: name.clone(), level });
            }
        }
        let groups_lower = lower_all(groups);
        let filter = Filter { groups_lower: &groups_lower, client_ids };
        // Encoded once: every recipient gets the same bytes.
        let size = payload.len();
        let frame = pump::encode(&Message::Text(payload));
        let mut tally = Tally::default();
        for name in names {
            self.registry.for_each(name, filter, |c| tally.deliver(c, &frame));
        }
        Ok(self.settle(tally, size))
    }

    /// Sends to one open connection (either scope), ignoring broadcast levels.
    pub(crate) fn send_direct(&self, connection_id: u64, message: Message) -> Result<()> {
        let conn = self.live.lock().get(&connection_id).cloned().ok_or(Error::UnknownConnection(connection_id))?;
        match self.deliver_all(std::iter::once(&conn), &message) {
            0 => Err(Error::UnknownConnection(connection_id)),
            _ => Ok(()),
        }
    }

    /// The open connection with this id.
    pub(crate) fn connection(&self, connection_id: u64) -> Option<Arc<Connection>> {
        self.live.lock().get(&connection_id).cloned()
    }

    /// Closes (Close frame 1000) the Global connections of a Name that pass the filters.
    pub(crate) fn close(&self, name: &str, groups: &[String], client_ids: &[String]) -> usize {
        let groups_lower = lower_all(groups);
        let targets = self.registry.collect(name, Filter { groups_lower: &groups_lower, client_ids }).unwrap_or_default();
        targets.iter().filter(|c| c.close(1000, "closed by the server")).count()
    }

    /// Closes one open connection by id.
    pub(crate) fn close_connection(&self, connection_id: u64, code: u16, reason: &str) -> Result<()> {
        let conn = self.connection(connection_id).ok_or(Error::UnknownConnection(connection_id))?;
        conn.close(code, reason);
        Ok(())
    }

    // ---- queries (cluster-wide with a backplane) ----

    /// The other nodes' Global connections, as last read; None without a backplane.
    fn remote_members(&self) -> Option<Arc<[Member]>> {
        self.backplane.get().map(|b| b.remote_members())
    }

    /// The members of this Name on other nodes that pass the filters.
    fn remote_matching<'a>(remote: &'a Option<Arc<[Member]>>, name: &'a str, groups_lower: &'a [String], client_ids: &'a [String]) -> impl Iterator<Item = &'a Member> {
        remote.iter().flat_map(|m| m.iter()).filter(move |m| m.matches(name, groups_lower, client_ids))
    }

    /// Names with Global connections on any node, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names = self.registry.names();
        if let Some(remote) = self.remote_members() {
            names.extend(remote.iter().map(|m| m.name.clone()));
            names.sort();
            names.dedup();
        }
        names
    }

    /// Distinct non-empty groups of a Name on any node, compared case-insensitively and
    /// sorted the same way; of several spellings of one group the first in ordinal
    /// order is kept.
    pub(crate) fn groups(&self, name: &str) -> Result<Vec<String>> {
        let remote = self.remote_members();
        let local = self.registry.collect(name, Filter::default());
        let mut groups: Vec<String> = Self::remote_matching(&remote, name, &[], &[]).map(|m| m.group.clone()).collect();
        if local.is_none() && groups.is_empty() {
            return Err(Error::UnknownName(name.to_string()));
        }
        groups.extend(local.iter().flatten().map(|c| c.group().to_string()));
        groups.retain(|g| !g.is_empty());
        groups.sort();
        groups.sort_by_key(|g| g.to_lowercase());
        groups.dedup_by(|a, b| a.to_lowercase() == b.to_lowercase());
        Ok(groups)
    }

    /// Client ids of a Name on any node, optionally of some groups only.
    pub(crate) fn client_ids(&self, name: &str, groups: &[String]) -> Result<Vec<String>> {
        let groups_lower = lower_all(groups);
        let remote = self.remote_members();
        let known_remotely = Self::remote_matching(&remote, name, &[], &[]).next().is_some();
        let local = self.registry.collect(name, Filter { groups_lower: &groups_lower, client_ids: &[] });
        if local.is_none() && !known_remotely {
            return Err(Error::UnknownName(name.to_string()));
        }
        let mut ids: Vec<String> = local.iter().flatten().map(|c| c.client_id().to_string()).collect();
        ids.extend(Self::remote_matching(&remote, name, &groups_lower, &[]).map(|m| m.client_id.clone()));
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// True if any Global connection of the Name, on any node, passes the filters.
    pub(crate) fn exists(&self, name: &str, groups: &[String], client_ids: &[String]) -> bool {
        let groups_lower = lower_all(groups);
        let mut found = false;
        self.registry.for_each(name, Filter { groups_lower: &groups_lower, client_ids }, |_| found = true);
        found || Self::remote_matching(&self.remote_members(), name, &groups_lower, client_ids).next().is_some()
    }

    /// The Global connection with this Name and ClientId.
    pub(crate) fn find(&self, name: &str, client_id: &str) -> Option<Arc<Connection>> {
        self.registry.get(name, client_id)
    }

    /// Number of Global connections, of one Name or of all.
    pub(crate) fn count(&self, name: Option<&str>) -> usize {
        self.registry.count(name)
    }

    pub(crate) fn set_broadcast_level(&self, name: &str, level: BroadcastLevel) {
        self.levels.set(name, level);
    }

    // ---- signing ----

    pub(crate) fn enable_signing(&self, secret: &str, strict: bool) -> Result<()> {
        if secret.is_empty() {
            return Err(Error::InvalidArgument("a signing secret is required".into()));
        }
        *self.signer.write() = Some(Signer::new(secret.to_string(), strict));
        Ok(())
    }

    pub(crate) fn disable_signing(&self) {
        *self.signer.write() = None;
    }

    pub(crate) fn signing_enabled(&self) -> bool {
        self.signer.read().is_some()
    }

    /// Pode's `New-PodeSignalClientId`: a fresh GUID when none is given; signed when
    /// signing is on. An id that is already signed is verified, not trusted.
    pub(crate) fn new_client_id(&self, requested: Option<&str>, ctx: &SigningContext<'_>) -> Result<String> {
        let signer = self.signer.read();
        let id = match requested.filter(|id| !id.is_empty()) {
            None => uuid::Uuid::new_v4().to_string(),
            Some(id) if looks_signed(id) => {
                return match &*signer {
                    Some(s) if s.verify(id, ctx).is_some() => Ok(id.to_string()),
                    Some(_) => Err(Error::InvalidClientId(format!("'{id}' is not signed with this server's secret"))),
                    // A signed form cannot be checked without a secret: refused, as the
                    // X-Pode-Signal headers and Test-PodeSignalClientIdValid refuse it.
                    None => Err(Error::InvalidClientId(format!("'{id}' is in signed form but signing is not enabled"))),
                };
            }
            Some(id) => id.to_string(),
        };
        Ok(match &*signer {
            Some(s) => s.sign(&id, ctx),
            None => id,
        })
    }

    /// Signs an id with the current secret; an error when signing is off.
    pub(crate) fn sign_client_id(&self, id: &str, ctx: &SigningContext<'_>) -> Result<String> {
        match &*self.signer.read() {
            Some(s) => Ok(s.sign(id, ctx)),
            None => Err(Error::InvalidArgument("signing is not enabled; call enable_signing first".into())),
        }
    }

    /// Pode's `Test-PodeSignalClientIdSigned`: true if the id verifies.
    pub(crate) fn client_id_signed(&self, id: &str, ctx: &SigningContext<'_>) -> bool {
        self.signer.read().as_ref().is_some_and(|s| s.verify(id, ctx).is_some())
    }

    /// Pode's `Test-PodeSignalClientIdValid`: signing off, any id not in signed form;
    /// signing on, only ids that verify.
    pub(crate) fn client_id_valid(&self, id: &str, ctx: &SigningContext<'_>) -> bool {
        if id.is_empty() {
            return false;
        }
        match &*self.signer.read() {
            Some(s) => s.verify(id, ctx).is_some(),
            None => !looks_signed(id),
        }
    }
}

/// The node side of the backplane: remote broadcasts are delivered as local sends are,
/// Global connections are this node's presence.
impl Node for Signals {
    fn deliver(&self, broadcast: Broadcast) {
        if let Err(e) = self.fan_out(&broadcast.names, &broadcast.groups, &broadcast.client_ids, broadcast.payload) {
            self.log_warn(&format!("broadcast from another node not delivered here: {e}"));
        }
    }

    fn members(&self) -> Vec<Member> {
        self.registry.members()
    }
}
