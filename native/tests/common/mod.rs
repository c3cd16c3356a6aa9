//! Shared test harness: servers on 127.0.0.1 port 0, an event inbox, tokio-tungstenite
//! clients, a raw HTTP/1.1 client, and time limits so that a hang fails instead of
//! blocking the run.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use psws::{EndpointConfig, Event, Protocol, Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Message, http};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The longest any single wait in a test may take.
pub const LIMIT: Duration = Duration::from_secs(10);

/// A WebSocket client.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Fails the test if `fut` takes longer than [`LIMIT`].
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// A running server and the events it emits.
pub struct TestServer {
    pub server: Server,
    pub events: Inbox,
}

impl TestServer {
    /// Starts a server with these endpoints; every event goes to the inbox.
    pub fn start(config: ServerConfig, endpoints: Vec<EndpointConfig>) -> Self {
        let server = Server::new(config).expect("valid config");
        for endpoint in endpoints {
            server.add_endpoint(endpoint).expect("valid endpoint");
        }
        let (tx, rx) = mpsc::unbounded_channel();
        server.set_event_handler(move |event| {
            let _ = tx.send(event);
        });
        server.start().expect("server starts");
        Self { server, events: Inbox(rx) }
    }

    /// A server with one Ws endpoint (auto-upgrade on) and default settings.
    pub fn ws() -> Self {
        Self::start(ServerConfig::default(), vec![EndpointConfig::new(Protocol::Ws, "127.0.0.1", 0).name("ws")])
    }

    /// A server with one Http endpoint: WebSockets only through routes.
    pub fn http(config: ServerConfig) -> Self {
        Self::start(config, vec![EndpointConfig::new(Protocol::Http, "127.0.0.1", 0).name("web")])
    }

    /// Address of the first endpoint.
    pub fn addr(&self) -> SocketAddr {
        self.server.endpoints()[0].address
    }

    /// `ws://addr/path`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr())
    }
}

/// Events from a server, in order.
pub struct Inbox(pub mpsc::UnboundedReceiver<Event>);

impl Inbox {
    /// The next event that `pick` accepts, skipping Log events and others it rejects.
    pub async fn next_matching<T>(&mut self, what: &str, mut pick: impl FnMut(Event) -> Option<T>) -> T {
        within(what, async {
            loop {
                let event = self.0.recv().await.expect("server dropped its handler");
                if let Some(found) = pick(event) {
                    return found;
                }
            }
        })
        .await
    }

    /// The next HTTP request handed to the host.
    pub async fn request(&mut self) -> psws::RequestHandle {
        self.next_matching("a request event", |e| match e {
            Event::Request(r) => Some(r),
            _ => None,
        })
        .await
    }

    /// The next Connect event.
    pub async fn connect(&mut self) -> std::sync::Arc<psws::Connection> {
        self.next_matching("a Connect event", |e| match e {
            Event::Connect(c) => Some(c),
            _ => None,
        })
        .await
    }

    /// The next Disconnect event.
    pub async fn disconnect(&mut self) -> psws::DisconnectEvent {
        self.next_matching("a Disconnect event", |e| match e {
            Event::Disconnect(d) => Some(d),
            _ => None,
        })
        .await
    }

    /// Every event that arrives within `wait` (for checking that something did not happen).
    pub async fn drain_for(&mut self, wait: Duration) -> Vec<Event> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(e)) = tokio::time::timeout_at(deadline, self.0.recv()).await {
            out.push(e);
        }
        out
    }
}

/// Connects a client to `url`.
pub async fn connect(url: &str) -> Ws {
    connect_request(url.into_client_request().expect("valid url")).await.0
}

/// Connects a client to `url`; returns it with the client id the server assigned
/// (from the `X-Pode-Signal-Client-Id` response header).
pub async fn connect_with_id(url: &str) -> (Ws, String) {
    let (ws, response) = connect_request(url.into_client_request().expect("valid url")).await;
    let id = response.headers()["x-pode-signal-client-id"].to_str().expect("ASCII client id").to_string();
    (ws, id)
}

/// Connects with a prepared request; returns the client and the 101 response.
pub async fn connect_request(request: http::Request<()>) -> (Ws, http::Response<Option<Vec<u8>>>) {
    within("the WebSocket handshake", tokio_tungstenite::connect_async(request)).await.expect("handshake succeeds")
}

/// Connects through a route that upgrades it: waits for the request, upgrades it with
/// `upgrade`, and returns the client, the 101 response and the connection.
pub async fn connect_via_route(
    server: &mut TestServer,
    url: &str,
    upgrade: psws::Upgrade,
) -> (Ws, http::Response<Option<Vec<u8>>>, std::sync::Arc<psws::Connection>) {
    let client = tokio::spawn(connect_request(url.into_client_request().expect("valid url")));
    let mut request = server.events.request().await;
    let conn = request.upgrade(upgrade).expect("upgrade succeeds");
    drop(request);
    let (ws, response) = client.await.expect("client task");
    (ws, response, conn)
}

/// Sends a text message.
pub async fn send(ws: &mut Ws, text: &str) {
    within("a send", ws.send(Message::text(text))).await.expect("send succeeds");
}

/// The next text message (pings and pongs skipped).
pub async fn recv_text(ws: &mut Ws) -> String {
    within("a text message", async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => return t.to_string(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text message, got {other:?}"),
            }
        }
    })
    .await
}

/// Waits for the server's Close frame (and the end of the stream); returns it.
pub async fn recv_close(ws: &mut Ws) -> Option<CloseFrame> {
    within("a Close frame", async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(Message::Text(_) | Message::Binary(_) | Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a Close frame, got {other:?}"),
            }
        }
    })
    .await
}

/// True if no data message arrives within `wait`.
pub async fn quiet_for(ws: &mut Ws, wait: Duration) -> bool {
    match tokio::time::timeout(wait, ws.next()).await {
        Err(_) => true,
        Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => true,
        Ok(_) => false,
    }
}

/// A raw HTTP/1.1 exchange (`Connection: close` is added); returns status, head and body.
pub async fn http_raw(addr: SocketAddr, request: &str) -> (u16, String, Vec<u8>) {
    within("an HTTP response", async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let request = request.replacen("\r\n", "\r\nConnection: close\r\n", 1);
        stream.write_all(request.as_bytes()).await.expect("write request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read response");
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
        (status, head, raw[split + 4..].to_vec())
    })
    .await
}

/// `GET path` with optional extra header lines (each ending in `\r\n`).
pub async fn http_get(addr: SocketAddr, path: &str, extra_headers: &str) -> (u16, String, Vec<u8>) {
    http_raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra_headers}\r\n")).await
}
