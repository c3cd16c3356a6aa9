//! [`Server`]: the host's handle on one signals server, from configuration through
//! start and sends to graceful shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::backplane::{self, Node};
use crate::http::HttpState;
use crate::listener;
use crate::routes::SIGNAL_METHOD;
use crate::signals::Signals;
use crate::{BackplaneConfig, BackplaneStatus, BroadcastLevel, Connection, EndpointConfig, Error, EventHandler, MetricsSnapshot, Protocol, Result, Scope, ServerConfig, SigningContext};

/// State shared by every task of one server.
pub(crate) struct Shared {
    pub signals: Arc<Signals>,
    pub http: HttpState,
    /// Cancelled when the server stops.
    pub shutdown: CancellationToken,
    /// Every listener and connection task, so that stop can wait for them.
    pub tracker: TaskTracker,
    /// One permit per open TCP connection (`max_connections`).
    pub permits: Arc<Semaphore>,
}

/// An endpoint as bound by [`Server::start`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundEndpoint {
    /// Endpoint name.
    pub name: String,
    /// Protocol.
    pub protocol: Protocol,
    /// Bound address, with the real port when 0 was asked for.
    pub address: SocketAddr,
}

enum State {
    Configuring(Vec<EndpointConfig>),
    Running(Vec<BoundEndpoint>),
    Stopped,
}

/// A signals server (Pode's `Start-PodeServer` with Http/Ws endpoints).
///
/// Configure endpoints, routes and a handler, then [`start`](Self::start); every
/// method may be called from any thread, but not from inside the event handler when
/// it waits ([`stop`](Self::stop) from the handler starts the shutdown and returns).
pub struct Server {
    shared: Arc<Shared>,
    state: Mutex<State>,
    /// The backplane to start with the server, if any.
    backplane: Mutex<Option<BackplaneConfig>>,
}

impl Server {
    /// A server with these settings and no endpoints yet.
    pub fn new(config: ServerConfig) -> Result<Self> {
        config.validate()?;
        let permits = Arc::new(Semaphore::new(config.max_connections.min(Semaphore::MAX_PERMITS)));
        Ok(Self {
            shared: Arc::new(Shared {
                signals: Arc::new(Signals::new(config)),
                http: HttpState::default(),
                shutdown: CancellationToken::new(),
                tracker: TaskTracker::new(),
                permits,
            }),
            state: Mutex::new(State::Configuring(Vec::new())),
            backplane: Mutex::new(None),
        })
    }

    fn signals(&self) -> &Signals {
        &self.shared.signals
    }

    /// Errors unless the server is running.
    fn running(&self) -> Result<()> {
        match &*self.state.lock() {
            State::Running(_) => Ok(()),
            State::Configuring(_) => Err(Error::NotRunning),
            State::Stopped => Err(Error::Stopped),
        }
    }

    /// Adds an endpoint (before start). Endpoints with the same address and port share
    /// one listener.
    pub fn add_endpoint(&self, endpoint: EndpointConfig) -> Result<()> {
        listener::check(&endpoint)?;
        match &mut *self.state.lock() {
            State::Configuring(endpoints) => {
                endpoints.push(endpoint);
                Ok(())
            }
            State::Running(_) => Err(Error::AlreadyRunning),
            State::Stopped => Err(Error::Stopped),
        }
    }

    /// Joins this server to other nodes through a backplane (before start; replaces an
    /// earlier setting). Broadcasts then reach the Global connections of every node and
    /// the Name, group and client id lists cover the cluster. The server starts and
    /// serves its own clients even while Redis is unreachable.
    pub fn set_backplane(&self, config: BackplaneConfig) -> Result<()> {
        config.validate()?;
        match &*self.state.lock() {
            State::Configuring(_) => {
                *self.backplane.lock() = Some(config);
                Ok(())
            }
            State::Running(_) => Err(Error::AlreadyRunning),
            State::Stopped => Err(Error::Stopped),
        }
    }

    /// The backplane's state and counters; None without a backplane or before start.
    pub fn backplane_status(&self) -> Option<BackplaneStatus> {
        self.signals().backplane().map(|b| b.status())
    }

    /// Sets the event handler (replacing any earlier one).
    pub fn set_event_handler(&self, handler: impl EventHandler) {
        self.signals().events.set(Some(Arc::new(move |event| handler.on_event(event))));
    }

    /// Removes the event handler; later events are dropped (requests answer 500).
    pub fn clear_event_handler(&self) {
        self.signals().events.set(None);
    }

    /// Binds every endpoint and starts serving. Returns the bound endpoints (ports
    /// filled in). On failure nothing stays bound and the server can be fixed and
    /// started again.
    pub fn start(&self) -> Result<Vec<BoundEndpoint>> {
        let mut state = self.state.lock();
        let endpoints = match &*state {
            State::Configuring(endpoints) if endpoints.is_empty() => return Err(Error::InvalidArgument("the server has no endpoints".into())),
            State::Configuring(endpoints) => endpoints.clone(),
            State::Running(_) => return Err(Error::AlreadyRunning),
            State::Stopped => return Err(Error::Stopped),
        };
        let listeners = listener::bind_all(&endpoints)?;
        if let Some(config) = self.backplane.lock().take() {
            let signals = self.shared.signals.clone();
            let node: std::sync::Weak<dyn Node> = Arc::downgrade(&signals) as std::sync::Weak<Signals>;
            signals.attach_backplane(backplane::start(config, node, self.shared.shutdown.clone(), &self.shared.tracker));
        }
        let mut bound = Vec::new();
        for (tcp, info) in listeners {
            bound.extend(info.endpoints.iter().map(|e| BoundEndpoint { name: e.name.clone(), protocol: e.protocol, address: info.addr }));
            let shared = self.shared.clone();
            self.shared.tracker.spawn_on(listener::accept_loop(tcp, Arc::new(info), shared), crate::runtime::handle());
        }
        // Keep the caller's order.
        bound.sort_by_key(|b| endpoints.iter().position(|e| e.name == b.name));
        *state = State::Running(bound.clone());
        Ok(bound)
    }

    /// The bound endpoints (empty unless running).
    pub fn endpoints(&self) -> Vec<BoundEndpoint> {
        match &*self.state.lock() {
            State::Running(bound) => bound.clone(),
            _ => Vec::new(),
        }
    }

    /// True between start and stop.
    pub fn is_running(&self) -> bool {
        matches!(*self.state.lock(), State::Running(_))
    }

    /// Graceful shutdown: stops accepting (ports are released), answers pending
    /// requests with 503, sends Close 1001 to every connection and waits (bounded by
    /// the close timeout) for them to finish. Idempotent. Called on an engine thread
    /// (from the event handler) it starts the shutdown without waiting.
    pub fn stop(&self) {
        {
            let mut state = self.state.lock();
            if matches!(*state, State::Stopped) {
                return;
            }
            *state = State::Stopped;
        }
        let shared = self.shared.clone();
        let shutdown = async move {
            shared.shutdown.cancel();
            for conn in shared.signals.live_connections() {
                conn.close(1001, "the server is shutting down");
            }
            shared.tracker.close();
            let limit = shared.signals.config().close_timeout * 2;
            let _ = tokio::time::timeout(limit, shared.tracker.wait()).await;
        };
        if crate::runtime::on_engine_thread() {
            crate::runtime::handle().spawn(shutdown);
        } else {
            crate::runtime::block_on(shutdown);
        }
    }

    // ---- routes ----

    /// Registers an HTTP route (`:name` placeholders, `*` wildcards, method `*` for any);
    /// matching requests become [`crate::Event::Request`]. Returns the route's id.
    pub fn add_route(&self, method: &str, path: &str, endpoints: &[String]) -> Result<u64> {
        if method.is_empty() || !method.chars().all(|c| c.is_ascii_alphabetic() || c == '*') {
            return Err(Error::Route(format!("'{method}' is not an HTTP method")));
        }
        self.shared.http.routes.add(method, path, endpoints)
    }

    /// Removes HTTP routes (see [`Self::remove_signal_route`] for the endpoint rule).
    pub fn remove_route(&self, method: &str, path: &str, endpoint: Option<&str>) -> usize {
        self.shared.http.routes.remove(method, path, endpoint)
    }

    /// Serves the files under `folder` at URL prefix `prefix`.
    pub fn add_static_folder(&self, prefix: &str, folder: impl Into<PathBuf>) -> Result<()> {
        self.shared.http.statics.add(prefix, folder.into())
    }

    /// Stops serving a static prefix; returns whether it was served.
    pub fn remove_static_folder(&self, prefix: &str) -> bool {
        self.shared.http.statics.remove(prefix)
    }

    /// Registers a signal route: messages from connections whose URL path matches
    /// (`*` wildcards; optionally only via the named endpoints) go to the host as
    /// [`crate::Event::Signal`] instead of being re-broadcast.
    pub fn add_signal_route(&self, path: &str, endpoints: &[String]) -> Result<u64> {
        self.signals().signal_routes.add(SIGNAL_METHOD, path, endpoints)
    }

    /// Removes the signal routes for `path` that list `endpoint`, or that list no
    /// endpoint when `endpoint` is None (Pode's rule). Returns how many went.
    pub fn remove_signal_route(&self, path: &str, endpoint: Option<&str>) -> usize {
        self.signals().signal_routes.remove(SIGNAL_METHOD, path, endpoint)
    }

    /// Removes every signal route.
    pub fn clear_signal_routes(&self) {
        self.signals().signal_routes.clear(SIGNAL_METHOD)
    }

    /// The signal routes as (path, endpoint names).
    pub fn signal_routes(&self) -> Vec<(String, Vec<String>)> {
        self.signals().signal_routes.list(SIGNAL_METHOD)
    }

    // ---- sends and closes ----

    /// Sends text to the Global connections of `names` (every Name when empty),
    /// filtered by groups and client ids; the payload is shared by all recipients.
    /// Returns how many connections it reached. A broadcast-level violation is an
    /// error and sends nothing.
    pub fn send(&self, names: &[String], groups: &[String], client_ids: &[String], payload: impl Into<Utf8Bytes>) -> Result<usize> {
        self.running()?;
        self.signals().send(names, groups, client_ids, payload.into())
    }

    /// Sends text to one open connection (either scope), ignoring broadcast levels.
    pub fn send_direct(&self, connection_id: u64, payload: impl Into<Utf8Bytes>) -> Result<()> {
        self.running()?;
        self.signals().send_direct(connection_id, Message::Text(payload.into()))
    }

    /// Sends binary data to one open connection.
    pub fn send_direct_binary(&self, connection_id: u64, payload: impl Into<bytes::Bytes>) -> Result<()> {
        self.running()?;
        self.signals().send_direct(connection_id, Message::Binary(payload.into()))
    }

    /// Closes (Close 1000) the Global connections of a Name that pass the filters;
    /// returns how many.
    pub fn close_signals(&self, name: &str, groups: &[String], client_ids: &[String]) -> Result<usize> {
        self.running()?;
        Ok(self.signals().close(name, groups, client_ids))
    }

    /// Closes one open connection with a code and reason. The code must be one a server
    /// may send (RFC 6455 section 7.4: not 1004-1006, 1015, reserved or out of range).
    pub fn close_connection(&self, connection_id: u64, code: u16, reason: &str) -> Result<()> {
        if !CloseCode::from(code).is_allowed() {
            return Err(Error::InvalidArgument(format!("{code} is not a close code a server may send")));
        }
        self.running()?;
        self.signals().close_connection(connection_id, code, reason)
    }

    // ---- queries ----

    /// The open connection with this id (either scope).
    pub fn connection(&self, connection_id: u64) -> Option<Arc<Connection>> {
        self.signals().connection(connection_id)
    }

    /// The Global connection with this Name and ClientId.
    pub fn find_connection(&self, name: &str, client_id: &str) -> Option<Arc<Connection>> {
        self.signals().find(name, client_id)
    }

    /// Names with Global connections, sorted.
    pub fn signal_names(&self) -> Vec<String> {
        self.signals().names()
    }

    /// Distinct groups of a Name; an error for an unknown Name.
    pub fn signal_groups(&self, name: &str) -> Result<Vec<String>> {
        self.signals().groups(name)
    }

    /// Client ids of a Name, optionally only of some groups; an error for an unknown Name.
    pub fn signal_client_ids(&self, name: &str, groups: &[String]) -> Result<Vec<String>> {
        self.signals().client_ids(name, groups)
    }

    /// True if a Global connection of the Name passes the group and client id filters.
    pub fn signal_exists(&self, name: &str, groups: &[String], client_ids: &[String]) -> bool {
        self.signals().exists(name, groups, client_ids)
    }

    /// Number of Global connections, of one Name or of all.
    pub fn signal_count(&self, name: Option<&str>) -> usize {
        self.signals().count(name)
    }

    /// Sets the broadcast level of a Name (`*` for every Name).
    pub fn set_broadcast_level(&self, name: &str, level: BroadcastLevel) -> Result<()> {
        if name.is_empty() {
            return Err(Error::InvalidArgument("a broadcast level needs a Name (or '*')".into()));
        }
        self.signals().set_broadcast_level(name, level);
        Ok(())
    }

    /// The broadcast level in force for a Name.
    pub fn broadcast_level(&self, name: &str) -> BroadcastLevel {
        self.signals().levels.get(name)
    }

    /// The scope of upgrades that do not name one.
    pub fn default_scope(&self) -> Scope {
        self.signals().default_scope()
    }

    /// Sets the scope of upgrades that do not name one.
    pub fn set_default_scope(&self, scope: Scope) {
        self.signals().set_default_scope(scope)
    }

    // ---- signing ----

    /// Signs every client id from now on (`strict`: bound to User-Agent and IP).
    pub fn enable_signing(&self, secret: &str, strict: bool) -> Result<()> {
        self.signals().enable_signing(secret, strict)
    }

    /// Stops signing client ids.
    pub fn disable_signing(&self) {
        self.signals().disable_signing()
    }

    /// True while signing is on.
    pub fn signing_enabled(&self) -> bool {
        self.signals().signing_enabled()
    }

    /// Pode's `New-PodeSignalClientId`: a fresh GUID when none is given, signed when
    /// signing is on; an already signed id must verify.
    pub fn new_client_id(&self, requested: Option<&str>, ctx: &SigningContext<'_>) -> Result<String> {
        self.signals().new_client_id(requested, ctx)
    }

    /// Signs an id with the current secret (an error when signing is off).
    pub fn sign_client_id(&self, id: &str, ctx: &SigningContext<'_>) -> Result<String> {
        self.signals().sign_client_id(id, ctx)
    }

    /// Pode's `Test-PodeSignalClientIdSigned`.
    pub fn client_id_signed(&self, id: &str, ctx: &SigningContext<'_>) -> bool {
        self.signals().client_id_signed(id, ctx)
    }

    /// Pode's `Test-PodeSignalClientIdValid`.
    pub fn client_id_valid(&self, id: &str, ctx: &SigningContext<'_>) -> bool {
        self.signals().client_id_valid(id, ctx)
    }

    /// A copy of the server's counters.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.signals().metrics.snapshot()
    }

    /// The counters and gauges in Prometheus' text exposition format 0.0.4
    /// (`psws_connections`, `psws_messages_received_total`, ...), as a `/metrics` route
    /// answers them.
    pub fn metrics_text(&self) -> String {
        self.signals().metrics_text()
    }

    /// Answers `GET path` (on `endpoint` only, or on every endpoint when None) with
    /// [`Self::metrics_text`], without the host; before any HTTP route of the same path.
    /// A second route for the same path and endpoint is an error.
    pub fn add_metrics_route(&self, path: &str, endpoint: Option<&str>) -> Result<()> {
        let endpoints: Vec<String> = endpoint.map(str::to_string).into_iter().collect();
        self.shared.http.metrics.add("GET", path, &endpoints).map(drop)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
