//! Shared test harness: servers on 127.0.0.1 port 0, an event inbox, tokio-tungstenite
//! clients (also from another loopback source address), raw TCP WebSocket peers, a raw
//! HTTP/1.1 client, and time limits so that a hang fails instead of blocking the run.
#![allow(dead_code)]
// `Inbox::next_matching` hands a rejected event back in `Err`; events are big, that is fine here.
#![allow(clippy::result_large_err)]

/// External client (`ClientHub`) helpers: hub inbox, Node.js `ws` peer, raw servers.
pub mod client;
/// A real `redis-server` per test, and server nodes joined through it.
pub mod redis;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use psws::{Connection, DisconnectEvent, EndpointConfig, Event, Protocol, RequestHandle, Server, ServerConfig, Upgrade};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Message, http};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The longest any single wait in a test may take.
pub const LIMIT: Duration = Duration::from_secs(10);

/// How long a "nothing (else) arrives" check waits. Such a check can only pass wrongly
/// on a slow machine, never fail wrongly.
pub const QUIET: Duration = Duration::from_millis(200);

/// A second loopback address, for clients that must come from another IP.
pub const OTHER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// The usual loopback address.
pub const LOCAL_IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A WebSocket client.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The 101 response a client received.
pub type Handshake = http::Response<Option<Vec<u8>>>;

/// Fails the test if `fut` takes longer than [`LIMIT`].
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// `Upgrade` options for a Name; add the rest with struct update syntax.
pub fn upgrade(name: &str) -> Upgrade {
    Upgrade { name: name.to_string(), ..Upgrade::default() }
}

/// `Upgrade` options for a member of a Name: its client id and optional Group.
pub fn member(name: &str, client_id: &str, group: Option<&str>) -> Upgrade {
    Upgrade { client_id: Some(client_id.to_string()), group: group.map(str::to_string), ..upgrade(name) }
}

/// Owned strings from literals, for the engine's `&[String]` filters.
pub fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// A port that was free a moment ago (for endpoints that must share a fixed port).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port").local_addr().expect("local address").port()
}

/// A running server and the events it emits.
pub struct TestServer {
    pub server: Arc<Server>,
    pub events: Inbox,
}

impl TestServer {
    /// Starts a server with these endpoints; every event goes to the inbox.
    pub fn start(config: ServerConfig, endpoints: Vec<EndpointConfig>) -> Self {
        Self::start_with(config, endpoints, |_| {})
    }

    /// Like [`Self::start`], with `prepare` called on the server just before it starts.
    pub fn start_with(config: ServerConfig, endpoints: Vec<EndpointConfig>, prepare: impl FnOnce(&Server)) -> Self {
        let server = Server::new(config).expect("valid config");
        for endpoint in endpoints {
            server.add_endpoint(endpoint).expect("valid endpoint");
        }
        prepare(&server);
        let (tx, rx) = mpsc::unbounded_channel();
        server.set_event_handler(move |event| {
            let _ = tx.send(event);
        });
        server.start().expect("server starts");
        Self { server: Arc::new(server), events: Inbox { rx, held: Default::default() } }
    }

    /// A server with one Ws endpoint (auto-upgrade on) and default settings.
    pub fn ws() -> Self {
        Self::ws_with(ServerConfig::default())
    }

    /// A server with one Ws endpoint named `ws` (auto-upgrade on).
    pub fn ws_with(config: ServerConfig) -> Self {
        Self::start(config, vec![EndpointConfig::new(Protocol::Ws, "127.0.0.1", 0).name("ws")])
    }

    /// A server with one Http endpoint named `web`: WebSockets only through routes.
    pub fn http(config: ServerConfig) -> Self {
        Self::start(config, vec![EndpointConfig::new(Protocol::Http, "127.0.0.1", 0).name("web")])
    }

    /// An Http server whose route `GET /ws` is for manual upgrades (see [`Self::join`]).
    pub fn with_upgrade_route(config: ServerConfig) -> Self {
        let t = Self::http(config);
        t.server.add_route("GET", "/ws", &[]).expect("route /ws");
        t
    }

    /// Address of the first endpoint.
    pub fn addr(&self) -> SocketAddr {
        self.server.endpoints()[0].address
    }

    /// `ws://addr/path`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr())
    }

    /// Connects a client to `/ws` and upgrades it there with `options`; the request
    /// handle is completed at once (so a Local connection closes again).
    pub async fn join(&mut self, options: Upgrade) -> (Ws, Arc<Connection>) {
        let url = self.url("/ws");
        let (ws, _, conn) = connect_via_route(self, &url, options).await;
        (ws, conn)
    }

    /// Like [`Self::join`], but the request handle is returned open (a Local
    /// connection lives while it does).
    pub async fn join_held(&mut self, options: Upgrade) -> (Ws, Arc<Connection>, RequestHandle) {
        let url = self.url("/ws");
        let (ws, _, request, conn) = upgrade_via_route(self, request(&url, &[]), options).await;
        (ws, conn, request)
    }

    /// Graceful stop. It runs on a plain thread (where `Server::stop` waits for the
    /// shutdown to finish) while this test's runtime keeps serving its clients.
    pub async fn stop(&self) {
        let server = self.server.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            server.stop();
            let _ = tx.send(());
        });
        within("the server to stop", rx).await.expect("the stop thread ends");
    }
}

/// Events from a server, in order. An event that a wait skips is held back for later
/// waits, so waiting for one kind of event never loses another.
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Event>,
    held: std::collections::VecDeque<Event>,
}

impl Inbox {
    /// The oldest event that `pick` accepts (it hands back the ones it rejects).
    pub async fn next_matching<T>(&mut self, what: &str, mut pick: impl FnMut(Event) -> Result<T, Event>) -> T {
        for i in 0..self.held.len() {
            let event = self.held.remove(i).expect("index in range");
            match pick(event) {
                Ok(found) => return found,
                Err(event) => self.held.insert(i, event),
            }
        }
        within(what, async {
            loop {
                let event = self.rx.recv().await.expect("server dropped its handler");
                match pick(event) {
                    Ok(found) => return found,
                    Err(event) => self.held.push_back(event),
                }
            }
        })
        .await
    }

    /// The next HTTP request handed to the host.
    pub async fn request(&mut self) -> RequestHandle {
        self.next_matching("a request event", |e| match e {
            Event::Request(r) => Ok(r),
            other => Err(other),
        })
        .await
    }

    /// The next Connect event.
    pub async fn connect(&mut self) -> Arc<Connection> {
        self.next_matching("a Connect event", |e| match e {
            Event::Connect(c) => Ok(c),
            other => Err(other),
        })
        .await
    }

    /// The next Disconnect event.
    pub async fn disconnect(&mut self) -> DisconnectEvent {
        self.next_matching("a Disconnect event", |e| match e {
            Event::Disconnect(d) => Ok(d),
            other => Err(other),
        })
        .await
    }

    /// The next `n` Disconnect events, in any order of connections.
    pub async fn disconnects(&mut self, n: usize) -> Vec<DisconnectEvent> {
        let mut out = Vec::new();
        while out.len() < n {
            out.push(self.disconnect().await);
        }
        out
    }

    /// The next Signal event.
    pub async fn signal(&mut self) -> psws::SignalMessage {
        self.next_matching("a Signal event", |e| match e {
            Event::Signal(s) => Ok(s),
            other => Err(other),
        })
        .await
    }

    /// The next MessageError event: (connection, error, text).
    pub async fn message_error(&mut self) -> (Arc<Connection>, String, String) {
        self.next_matching("a MessageError event", |e| match e {
            Event::MessageError { connection, error, text } => Ok((connection, error, text.to_string())),
            other => Err(other),
        })
        .await
    }

    /// The next Binary event: (connection, data).
    pub async fn binary(&mut self) -> (Arc<Connection>, bytes::Bytes) {
        self.next_matching("a Binary event", |e| match e {
            Event::Binary { connection, data } => Ok((connection, data)),
            other => Err(other),
        })
        .await
    }

    /// The next Log event whose line contains `part`: (level, line).
    pub async fn log(&mut self, part: &str) -> (psws::LogLevel, String) {
        self.next_matching(&format!("a Log event with '{part}'"), |e| match e {
            Event::Log { level, message } if message.contains(part) => Ok((level, message)),
            other => Err(other),
        })
        .await
    }

    /// The held events and every event that arrives within `wait` (for checking that
    /// something did not happen).
    pub async fn drain_for(&mut self, wait: Duration) -> Vec<Event> {
        let mut out: Vec<Event> = self.held.drain(..).collect();
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(e)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            out.push(e);
        }
        out
    }
}

/// A client request for `url` with extra headers.
pub fn request(url: &str, headers: &[(&'static str, &str)]) -> http::Request<()> {
    let mut request = url.into_client_request().expect("valid url");
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().expect("valid header value"));
    }
    request
}

/// Connects a client to `url`.
pub async fn connect(url: &str) -> Ws {
    connect_request(request(url, &[])).await.0
}

/// Connects a client to `url`; returns it with the client id the server assigned
/// (from the `X-Pode-Signal-Client-Id` response header).
pub async fn connect_with_id(url: &str) -> (Ws, String) {
    let (ws, response) = connect_request(request(url, &[])).await;
    (ws, header(&response, "x-pode-signal-client-id").expect("a client id header").to_string())
}

/// A response header as text.
pub fn header<'a, B>(response: &'a http::Response<B>, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().expect("ASCII header"))
}

/// Connects with a prepared request; returns the client and the 101 response.
pub async fn connect_request(request: http::Request<()>) -> (Ws, Handshake) {
    try_connect(request).await.expect("handshake succeeds")
}

/// Connects with a prepared request; the error when the handshake fails.
pub async fn try_connect(request: http::Request<()>) -> Result<(Ws, Handshake), tokio_tungstenite::tungstenite::Error> {
    within("the WebSocket handshake", tokio_tungstenite::connect_async(request)).await
}

/// A TCP socket bound to the source address `ip` (any port).
pub fn socket_from(ip: IpAddr) -> TcpSocket {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.bind(SocketAddr::new(ip, 0)).expect("bind the source address");
    socket
}

/// Connects a client from the source address `ip` (e.g. [`OTHER_IP`]); the error when
/// the handshake fails.
pub async fn try_connect_from(ip: IpAddr, request: http::Request<()>) -> Result<(Ws, Handshake), tokio_tungstenite::tungstenite::Error> {
    let addr: SocketAddr = request.uri().authority().expect("a host").as_str().parse().expect("an IP:port URL");
    within("the WebSocket handshake", async {
        let stream = socket_from(ip).connect(addr).await.expect("connect");
        tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await
    })
    .await
}

/// Connects through a route that upgrades it: waits for the request, upgrades it with
/// `options`, and returns the client, the 101 response and the connection. The
/// request handle is completed at once.
pub async fn connect_via_route(server: &mut TestServer, url: &str, options: Upgrade) -> (Ws, Handshake, Arc<Connection>) {
    let (ws, response, _, conn) = upgrade_via_route(server, request(url, &[]), options).await;
    (ws, response, conn)
}

/// Sends `request` to a route, upgrades it with `options` and returns the client, its
/// 101 response, the still open request handle and the connection.
pub async fn upgrade_via_route(server: &mut TestServer, request: http::Request<()>, options: Upgrade) -> (Ws, Handshake, RequestHandle, Arc<Connection>) {
    let client = tokio::spawn(connect_request(request));
    let mut handle = server.events.request().await;
    let conn = handle.upgrade(options).expect("upgrade succeeds");
    let (ws, response) = client.await.expect("client task");
    (ws, response, handle, conn)
}

/// Sends a text message.
pub async fn send(ws: &mut Ws, text: &str) {
    within("a send", ws.send(Message::text(text))).await.expect("send succeeds");
}

/// The next data or Close message (pings and pongs skipped).
pub async fn recv(ws: &mut Ws) -> Message {
    within("a message", async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(message)) => return message,
                other => panic!("expected a message, got {other:?}"),
            }
        }
    })
    .await
}

/// The next text message (pings and pongs skipped).
pub async fn recv_text(ws: &mut Ws) -> String {
    match recv(ws).await {
        Message::Text(t) => t.to_string(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

/// The next texts, which must be `expected` in this order.
pub async fn expect_texts(ws: &mut Ws, expected: &[&str]) {
    for want in expected {
        assert_eq!(recv_text(ws).await, *want);
    }
}

/// Waits for the server's Close frame (skipping data) and then for the end of the
/// stream, which sends the client's Close reply; returns the server's frame.
pub async fn recv_close(ws: &mut Ws) -> Option<CloseFrame> {
    within("a Close frame", async {
        let frame = loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a Close frame, got {other:?}"),
            }
        };
        while let Some(Ok(_)) = ws.next().await {}
        frame
    })
    .await
}

/// The code of the server's next Close frame.
pub async fn recv_close_code(ws: &mut Ws) -> u16 {
    recv_close(ws).await.expect("a Close frame with a status").code.into()
}

/// True if no data message arrives within `wait`.
pub async fn quiet_for(ws: &mut Ws, wait: Duration) -> bool {
    match tokio::time::timeout(wait, ws.next()).await {
        Err(_) => true,
        Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => true,
        Ok(_) => false,
    }
}

/// One HTTP/1.1 exchange on an open stream (`Connection: close` is added); returns
/// status, head and body.
pub async fn http_exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, request: &str) -> (u16, String, Vec<u8>) {
    within("an HTTP response", async {
        let request = request.replacen("\r\n", "\r\nConnection: close\r\n", 1);
        stream.write_all(request.as_bytes()).await.expect("write request");
        let mut raw = Vec::new();
        // A TLS peer may end without close_notify; what was read still counts.
        let _ = stream.read_to_end(&mut raw).await;
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
        (status, head, raw[split + 4..].to_vec())
    })
    .await
}

/// A raw HTTP/1.1 exchange with `addr`; returns status, head and body.
pub async fn http_raw(addr: SocketAddr, request: &str) -> (u16, String, Vec<u8>) {
    http_raw_from(LOCAL_IP, addr, request).await
}

/// A raw HTTP/1.1 exchange from the source address `ip`.
pub async fn http_raw_from(ip: IpAddr, addr: SocketAddr, request: &str) -> (u16, String, Vec<u8>) {
    let stream = within("a TCP connection", socket_from(ip).connect(addr)).await.expect("connect");
    http_exchange(stream, request).await
}

/// Starts a raw HTTP/1.1 exchange in the background (for requests the host answers).
pub fn spawn_http(addr: SocketAddr, request: String) -> tokio::task::JoinHandle<(u16, String, Vec<u8>)> {
    tokio::spawn(async move { http_raw(addr, &request).await })
}

/// `GET path` with optional extra header lines (each ending in `\r\n`).
pub async fn http_get(addr: SocketAddr, path: &str, extra_headers: &str) -> (u16, String, Vec<u8>) {
    http_raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra_headers}\r\n")).await
}

/// A header of a raw response head, by case-insensitive name.
pub fn head_header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The handshake request of a raw WebSocket client for `path` (extra header lines end in `\r\n`).
pub fn handshake_request(addr: SocketAddr, method: &str, path: &str, extra_headers: &str) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{extra_headers}\r\n")
}

/// The standard key and version header lines of a handshake.
pub const KEY_AND_VERSION: &str = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

/// A raw TCP peer that completes the WebSocket handshake on `path` through `socket`
/// and then does whatever the test wants with the bare stream (typically nothing).
pub async fn raw_websocket(socket: TcpSocket, addr: SocketAddr, path: &str) -> TcpStream {
    within("a raw WebSocket handshake", async {
        let mut stream = socket.connect(addr).await.expect("connect");
        stream.write_all(handshake_request(addr, "GET", path, KEY_AND_VERSION).as_bytes()).await.expect("write handshake");
        // Read byte by byte so that no frame byte after the head is consumed.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.expect("read the 101 response"));
        }
        let head = String::from_utf8_lossy(&head).to_string();
        assert!(head.starts_with("HTTP/1.1 101"), "expected 101, got {head}");
        stream
    })
    .await
}

/// Waits until the server has closed `stream` (EOF or reset), discarding what it reads.
pub async fn expect_hangup(stream: &mut TcpStream, why: &str) {
    within(&format!("the server to hang up ({why})"), async {
        let mut buf = [0u8; 4096];
        while let Ok(1..) = stream.read(&mut buf).await {}
    })
    .await
}
