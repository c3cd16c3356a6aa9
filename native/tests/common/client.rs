//! Helpers for the external client (`psws::ClientHub`) tests: a hub whose blocking
//! calls leave the test runtime's other workers free, an inbox of its events, the
//! Node.js `ws` peer (`tests/peers/ws-server.js`), raw TCP servers that misbehave on
//! purpose, and a self-signed certificate.
//!
//! Tests that use these run on `#[tokio::test(flavor = "multi_thread")]`: the hub's
//! blocking calls go through `block_in_place`, which a current_thread runtime refuses.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use bytes::Bytes;
use psws::{ClientConfig, ClientEvent, ClientHub, CloseInitiator, ConnectOptions, EndpointConfig, Event, Protocol, ServerConfig, TlsIdentity};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::{Inbox, LIMIT, TestServer, within};

/// A [`ClientHub`] whose events go to an inbox.
pub struct TestHub {
    /// Shared so that a blocking call can also be made from another thread.
    pub hub: Arc<ClientHub>,
    pub events: ClientInbox,
}

impl TestHub {
    /// A hub with these settings.
    pub fn new(config: ClientConfig) -> Self {
        let hub = ClientHub::new(config).expect("valid client config");
        let (tx, rx) = mpsc::unbounded_channel();
        hub.set_event_handler(move |event| {
            let _ = tx.send(event);
        });
        Self { hub: Arc::new(hub), events: ClientInbox { rx, stash: VecDeque::new() } }
    }

    /// A hub with default settings.
    pub fn default_config() -> Self {
        Self::new(ClientConfig::default())
    }

    /// `connect` with default options.
    pub fn connect(&self, name: &str, url: &str) -> psws::Result<()> {
        self.connect_with(name, url, ConnectOptions::default())
    }

    /// `connect` (blocking; the test runtime's other workers keep running).
    pub fn connect_with(&self, name: &str, url: &str, options: ConnectOptions) -> psws::Result<()> {
        tokio::task::block_in_place(|| self.hub.connect(name, url, options))
    }

    /// `disconnect` (blocking).
    pub fn disconnect(&self, name: &str) -> psws::Result<()> {
        tokio::task::block_in_place(|| self.hub.disconnect(name))
    }

    /// `remove` (blocking).
    pub fn remove(&self, name: &str) -> psws::Result<()> {
        tokio::task::block_in_place(|| self.hub.remove(name))
    }

    /// `close_all` (blocking).
    pub fn close_all(&self) {
        tokio::task::block_in_place(|| self.hub.close_all())
    }

    /// `reset` (blocking).
    pub fn reset(&self, name: &str, url: Option<&str>) -> psws::Result<()> {
        tokio::task::block_in_place(|| self.hub.reset(name, url))
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        tokio::task::block_in_place(|| self.hub.close_all());
    }
}

/// How a connection ended, from a `Disconnected` event.
#[derive(Debug, Clone)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
    pub initiator: CloseInitiator,
    pub reconnecting: bool,
}

/// A reconnect attempt, from a `Reconnecting` event.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub attempt: u32,
    pub delay: std::time::Duration,
    pub last_error: Option<String>,
}

/// Events of a hub. Events a wait does not ask for are kept, in order, for later waits,
/// so that events of several connections can be awaited in any order.
pub struct ClientInbox {
    rx: mpsc::UnboundedReceiver<ClientEvent>,
    stash: VecDeque<ClientEvent>,
}

/// The connection Name of an event (None for Log lines).
pub fn event_name(event: &ClientEvent) -> Option<&str> {
    match event {
        ClientEvent::Message { name, .. }
        | ClientEvent::Disconnected { name, .. }
        | ClientEvent::Reconnecting { name, .. }
        | ClientEvent::Reconnected { name, .. }
        | ClientEvent::ReconnectFailed { name, .. } => Some(name),
        _ => None,
    }
}

impl ClientInbox {
    /// The first event (kept or new) that `wanted` accepts, within [`LIMIT`].
    pub async fn take(&mut self, what: &str, wanted: impl Fn(&ClientEvent) -> bool) -> ClientEvent {
        if let Some(i) = self.stash.iter().position(&wanted) {
            return self.stash.remove(i).expect("index from position");
        }
        let (rx, stash) = (&mut self.rx, &mut self.stash);
        within(what, async {
            loop {
                let event = rx.recv().await.expect("the hub dropped its handler");
                if wanted(&event) {
                    return event;
                }
                stash.push_back(event);
            }
        })
        .await
    }

    /// The next message of `name`: (payload, binary).
    pub async fn message(&mut self, name: &str) -> (Bytes, bool) {
        match self.take(&format!("a message on '{name}'"), |e| matches!(e, ClientEvent::Message { .. }) && event_name(e) == Some(name)).await {
            ClientEvent::Message { data, binary, .. } => (data, binary),
            _ => unreachable!(),
        }
    }

    /// The next message of `name`, which must be text.
    pub async fn text(&mut self, name: &str) -> String {
        let (data, binary) = self.message(name).await;
        assert!(!binary, "expected a text message on '{name}', got {} binary bytes", data.len());
        String::from_utf8(data.to_vec()).expect("text messages are UTF-8")
    }

    /// The next message of `name`, which must be binary.
    pub async fn binary(&mut self, name: &str) -> Bytes {
        let (data, binary) = self.message(name).await;
        assert!(binary, "expected a binary message on '{name}', got text of {} bytes", data.len());
        data
    }

    /// The next `Disconnected` event of `name`.
    pub async fn disconnected(&mut self, name: &str) -> Closed {
        match self.take(&format!("'{name}' to disconnect"), |e| matches!(e, ClientEvent::Disconnected { .. }) && event_name(e) == Some(name)).await {
            ClientEvent::Disconnected { code, reason, initiator, reconnecting, .. } => Closed { code, reason, initiator, reconnecting },
            _ => unreachable!(),
        }
    }

    /// The next `Reconnecting` event of `name`.
    pub async fn reconnecting(&mut self, name: &str) -> Attempt {
        match self.take(&format!("'{name}' to try a reconnect"), |e| matches!(e, ClientEvent::Reconnecting { .. }) && event_name(e) == Some(name)).await {
            ClientEvent::Reconnecting { attempt, delay, last_error, .. } => Attempt { attempt, delay, last_error },
            _ => unreachable!(),
        }
    }

    /// The next `Reconnected` event of `name`: the URL.
    pub async fn reconnected(&mut self, name: &str) -> String {
        match self.take(&format!("'{name}' to reconnect"), |e| matches!(e, ClientEvent::Reconnected { .. }) && event_name(e) == Some(name)).await {
            ClientEvent::Reconnected { url, .. } => url,
            _ => unreachable!(),
        }
    }

    /// The next `ReconnectFailed` event of `name`: (attempts, last error).
    pub async fn reconnect_failed(&mut self, name: &str) -> (u32, String) {
        match self.take(&format!("'{name}' to give up reconnecting"), |e| matches!(e, ClientEvent::ReconnectFailed { .. }) && event_name(e) == Some(name)).await
        {
            ClientEvent::ReconnectFailed { attempts, error, .. } => (attempts, error),
            _ => unreachable!(),
        }
    }

    /// Every event received so far (kept ones first), without waiting.
    pub fn received(&mut self) -> Vec<ClientEvent> {
        let mut out: Vec<ClientEvent> = self.stash.drain(..).collect();
        while let Ok(event) = self.rx.try_recv() {
            out.push(event);
        }
        out
    }
}

/// The reason of a failed connect, or a panic naming what happened instead.
pub fn connect_error(result: psws::Result<()>) -> psws::ConnectError {
    match result {
        Err(psws::Error::Connect { reason, .. }) => reason,
        other => panic!("expected a connect error, got {other:?}"),
    }
}

/// A port nothing listens on (bound a moment ago, then released): connecting is refused.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port").local_addr().expect("local address").port()
}

/// A psws server with one Ws endpoint named `ws` on a fixed port (to restart a stopped
/// one where its clients expect it).
pub fn ws_server_on(port: u16, config: ServerConfig) -> TestServer {
    TestServer::start(config, vec![EndpointConfig::new(Protocol::Ws, "127.0.0.1", port).name("ws")])
}

/// The next binary message a psws server received from a client.
#[allow(clippy::result_large_err)] // the shape `Inbox::next_matching` asks for
pub async fn server_binary(events: &mut Inbox) -> Bytes {
    events
        .next_matching("a Binary event", |e| match e {
            Event::Binary { data, .. } => Ok(data),
            other => Err(other),
        })
        .await
}

// ---- the Node.js peer ----

/// The workspace root (where `tests/peers` lives).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the crate is inside the workspace").to_path_buf()
}

/// `node tests/peers/ws-server.js`: a server on the `ws` package, killed on drop.
/// A missing `node` or `ws` fails the test with a message saying how to fix it.
pub struct NodePeer {
    child: Option<Child>,
    port: u16,
    args: Vec<String>,
}

impl NodePeer {
    /// Starts the peer on an ephemeral port.
    pub fn start() -> Self {
        Self::spawn(0, Vec::new())
    }

    /// Starts the peer on an ephemeral port with extra arguments (`--cert`, `--key`).
    pub fn start_with(args: Vec<String>) -> Self {
        Self::spawn(0, args)
    }

    fn spawn(port: u16, args: Vec<String>) -> Self {
        tokio::task::block_in_place(|| {
            let root = workspace_root();
            let mut child = Command::new("node")
                .arg("tests/peers/ws-server.js")
                .arg("--port")
                .arg(port.to_string())
                .args(&args)
                .current_dir(&root)
                .stdin(Stdio::piped()) // the peer exits when this process does
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("the Node.js peer needs `node` (Node.js 18 or later) on PATH: {e}"));
            let stdout = child.stdout.take().expect("piped stdout");
            let mut stderr = child.stderr.take().expect("piped stderr");
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = BufReader::new(stdout).read_line(&mut line);
                let _ = tx.send(line);
            });
            let (err_tx, err_rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                let _ = err_tx.send(text);
            });
            let line = rx.recv_timeout(LIMIT).unwrap_or_default();
            match line.trim().parse::<u16>() {
                Ok(bound) if bound != 0 => Self { child: Some(child), port: bound, args },
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let stderr = err_rx.recv_timeout(LIMIT).unwrap_or_default();
                    panic!(
                        "the Node.js ws peer did not start (stdout {line:?}); install it with `npm ci` in {}:\n{stderr}",
                        root.join("tests/peers").display()
                    );
                }
            }
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `ws://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// Kills the process (SIGKILL): the server vanishes without a Close frame.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = tokio::task::block_in_place(|| child.wait());
        }
    }

    /// Kills the process if it runs and starts a new one on the same port.
    pub fn restart(&mut self) {
        self.kill();
        let args = std::mem::take(&mut self.args);
        *self = Self::spawn(self.port, args);
    }
}

impl Drop for NodePeer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---- raw TCP servers ----

/// A TCP server that accepts connections and never sends a byte (for connect timeouts).
pub async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// Reads an HTTP request head byte by byte (nothing after it is consumed).
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.ok()?);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// Completes a WebSocket handshake by hand on an accepted stream.
async fn accept_by_hand(stream: &mut TcpStream) -> Option<()> {
    let head = read_head(stream).await?;
    stream.write_all(switching_protocols(&head).as_bytes()).await.ok()
}

/// The 101 response to a handshake request head.
fn switching_protocols(head: &str) -> String {
    let key = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("sec-websocket-key").then(|| value.trim().to_string())
    });
    let accept = derive_accept_key(key.unwrap_or_default().as_bytes());
    format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n")
}

/// A WebSocket server written by hand that completes every handshake and then never
/// reads or writes again: it neither answers pings nor takes data off the socket (its
/// receive buffer is kept small, so a client writing to it soon blocks). Each completed
/// handshake is reported on the receiver.
pub async fn unresponsive_server() -> (SocketAddr, mpsc::UnboundedReceiver<()>) {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.set_recv_buffer_size(4096).expect("set the receive buffer size");
    socket.bind("127.0.0.1:0".parse().expect("an address")).expect("bind");
    let listener = socket.listen(16).expect("listen");
    let addr = listener.local_addr().expect("local address");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let held = Arc::new(parking_lot::Mutex::new(Vec::new()));
        while let Ok((mut stream, _)) = listener.accept().await {
            let (tx, held) = (tx.clone(), held.clone());
            tokio::spawn(async move {
                if accept_by_hand(&mut stream).await.is_some() {
                    held.lock().push(stream);
                    let _ = tx.send(());
                }
            });
        }
    });
    (addr, rx)
}

/// A handshake held by [`gated_server`]: the request has arrived, the 101 has not been sent.
pub struct HeldHandshake {
    release: tokio::sync::oneshot::Sender<()>,
    closed: tokio::sync::oneshot::Receiver<()>,
}

impl HeldHandshake {
    /// Sends the 101 and waits until the client closes the TCP connection.
    pub async fn release_and_wait_for_close(self) {
        let _ = self.release.send(());
        within("the client to close the connection", self.closed).await.expect("the gated server task ended");
    }
}

/// A WebSocket server written by hand that holds each handshake after reading the
/// request until the test releases it, then reads (and discards) until the client
/// closes the connection.
pub async fn gated_server() -> (SocketAddr, mpsc::UnboundedReceiver<HeldHandshake>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (release_tx, release) = tokio::sync::oneshot::channel();
                let (closed, closed_rx) = tokio::sync::oneshot::channel();
                let Some(head) = read_head(&mut stream).await else { return };
                let _ = tx.send(HeldHandshake { release: release_tx, closed: closed_rx });
                if release.await.is_err() {
                    return;
                }
                if stream.write_all(switching_protocols(&head).as_bytes()).await.is_ok() {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = stream.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                }
                let _ = closed.send(());
            });
        }
    });
    (addr, rx)
}

// ---- TLS ----

/// A self-signed certificate for `localhost` and 127.0.0.1, as PEM files.
pub struct SelfSigned {
    dir: tempfile::TempDir,
}

impl SelfSigned {
    /// For `localhost` and 127.0.0.1.
    pub fn new() -> Self {
        Self::for_names(&["localhost", "127.0.0.1"])
    }

    /// For these DNS names or IP addresses only.
    pub fn for_names(names: &[&str]) -> Self {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let rcgen::CertifiedKey { cert, signing_key } = rcgen::generate_simple_self_signed(names).expect("a self-signed certificate");
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("cert.pem"), cert.pem()).expect("write cert.pem");
        std::fs::write(dir.path().join("key.pem"), signing_key.serialize_pem()).expect("write key.pem");
        Self { dir }
    }

    /// The certificate (PEM), usable as a CA file since it signed itself.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// The private key (PEM).
    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// The identity for a psws Wss endpoint.
    pub fn identity(&self) -> TlsIdentity {
        TlsIdentity::Pem { cert: self.cert_path(), key: self.key_path() }
    }

    /// `--cert ... --key ...` for the Node peer.
    pub fn node_args(&self) -> Vec<String> {
        vec!["--cert".into(), self.cert_path().display().to_string(), "--key".into(), self.key_path().display().to_string()]
    }
}
