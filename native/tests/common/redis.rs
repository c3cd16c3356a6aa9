//! A real `redis-server` per test (stopped by its pid when dropped, also when the test
//! fails) and server nodes joined through it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use psws::{BackplaneConfig, BackplaneStatus, EndpointConfig, Protocol, ServerConfig};

use super::{LIMIT, TestServer};

/// A `redis-server` on 127.0.0.1 without persistence.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
}

impl RedisServer {
    /// Starts one on a free port and waits until it answers PING.
    pub fn start() -> Self {
        Self::start_on(super::free_port())
    }

    /// Starts one on `port` and waits until it answers PING.
    pub fn start_on(port: u16) -> Self {
        let mut redis = Self { child: None, port };
        redis.launch();
        redis
    }

    fn launch(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + LIMIT;
        while !self.answers_ping() {
            assert!(Instant::now() < deadline, "redis-server on port {} did not answer PING", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut tcp) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(1)));
        let mut reply = [0u8; 7];
        tcp.write_all(b"PING\r\n").is_ok() && tcp.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills it with SIGKILL (by its pid) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty: no persistence).
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// A synchronous connection for checks and for writing keys by hand.
    pub fn connection(&self) -> ::redis::Connection {
        ::redis::Client::open(self.url()).expect("valid URL").get_connection().expect("redis answers")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A node: an Http endpoint `web` whose `GET /ws` upgrades manually (see
/// [`TestServer::join`]) and a Ws endpoint `ws` for auto-upgrades, joined to the
/// others through the backplane.
pub fn node(backplane: BackplaneConfig) -> TestServer {
    let endpoints = vec![EndpointConfig::new(Protocol::Http, "127.0.0.1", 0).name("web"), EndpointConfig::new(Protocol::Ws, "127.0.0.1", 0).name("ws")];
    let t = TestServer::start_with(ServerConfig::default(), endpoints, |s| s.set_backplane(backplane).expect("valid backplane"));
    t.server.add_route("GET", "/ws", &[]).expect("route /ws");
    t
}

/// `ws://<the node's Ws endpoint>/path` (auto-upgrade: Name = path).
pub fn auto_url(node: &TestServer, path: &str) -> String {
    format!("ws://{}{path}", node.server.endpoints()[1].address)
}

/// The node's backplane status (it has one).
pub fn status(node: &TestServer) -> BackplaneStatus {
    node.server.backplane_status().expect("the node has a backplane")
}

/// Waits until the node's outbox is empty (Redis has acknowledged every broadcast: a peer node
/// can deliver an entry before its publisher reads the reply) and returns how many it published.
pub async fn acknowledged(node: &TestServer) -> u64 {
    eventually("the node's outbox to empty", || status(node).outbox_depth == 0).await;
    status(node).published
}

/// Waits (up to [`LIMIT`]) until `ready` holds.
pub async fn eventually(what: &str, mut ready: impl FnMut() -> bool) {
    super::within(what, async {
        while !ready() {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await
}

/// Waits until every node's backplane is connected to Redis.
pub async fn linked(nodes: &[&TestServer]) {
    eventually("every node to connect to Redis", || nodes.iter().all(|n| status(n).connected)).await;
}
