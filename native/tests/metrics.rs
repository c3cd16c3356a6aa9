//! Prometheus metrics: a `/metrics` route the engine answers itself, scraped while
//! clients send, every scrape parsed by the Prometheus project's own Python parser
//! (`prometheus_client.parser`, Debian's `python3-prometheus-client`); open connections
//! by Name and scope (names that need escaping included), message and byte counters,
//! and connections closed by reason.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use psws::{EndpointConfig, Protocol, Scope, ServerConfig, Upgrade};
use tokio_tungstenite::tungstenite::Message;

/// The Python with Debian's `python3-prometheus-client` (the system one, not a pyenv shim).
const PYTHON: &str = "/usr/bin/python3";

/// Prints every sample as JSON: [family, type, sample name, labels, value].
const PARSER: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
print(json.dumps([[f.name, f.type, s.name, s.labels, s.value]
                  for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]))
"#;

/// A sample as the parser prints it: family, type, sample name, labels, value.
type Row = (String, String, String, HashMap<String, String>, f64);

/// One parsed sample.
#[derive(Debug, Clone)]
struct Sample {
    family_type: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// Parsed samples by sample name.
struct Scrape(HashMap<String, Vec<Sample>>);

impl Scrape {
    /// Parses exposition text with `prometheus_client`; a text it rejects fails the test.
    fn parse(text: &str) -> Self {
        let mut child = Command::new(PYTHON)
            .args(["-c", PARSER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{PYTHON} is needed to parse the metrics (apt-get install python3-prometheus-client): {e}"));
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), text.as_bytes()).expect("write to the parser");
        let out = child.wait_with_output().expect("the parser runs");
        assert!(out.status.success(), "prometheus_client rejected the text:\n{}\n---\n{text}", String::from_utf8_lossy(&out.stderr));
        let rows: Vec<Row> = serde_json::from_slice(&out.stdout).expect("the parser's JSON");
        let mut samples: HashMap<String, Vec<Sample>> = HashMap::new();
        for (_family, family_type, name, labels, value) in rows {
            samples.entry(name).or_default().push(Sample { family_type, labels, value });
        }
        Self(samples)
    }

    /// The value of the sample with this name and exactly these labels.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.find(name, labels).unwrap_or_else(|| panic!("no sample {name} {labels:?} in {:?}", self.0.get(name))).value
    }

    fn find(&self, name: &str, labels: &[(&str, &str)]) -> Option<&Sample> {
        self.0.get(name)?.iter().find(|s| s.labels.len() == labels.len() && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
    }

    /// The type of the family a sample belongs to.
    fn family_type(&self, name: &str) -> &str {
        &self.0[name][0].family_type
    }

    /// The connections closed for `reason`.
    fn closed(&self, reason: &str) -> f64 {
        self.value("psws_connections_closed_total", &[("reason", reason)])
    }
}

/// GETs `/metrics` and parses it (off the test's thread, so the clients keep going).
async fn scrape(addr: SocketAddr) -> Scrape {
    let (status, head, body) = http_get(addr, "/metrics", "").await;
    assert_eq!(status, 200, "{head}");
    assert_eq!(head_header(&head, "content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = String::from_utf8(body).expect("UTF-8 text");
    tokio::task::spawn_blocking(move || Scrape::parse(&text)).await.expect("parse task")
}

/// A Ws endpoint (auto-upgrade) first, an Http endpoint (manual upgrades on `GET /ws`)
/// second, and `/metrics` on both.
fn server(config: ServerConfig) -> (TestServer, String) {
    let t = TestServer::start(
        config,
        vec![EndpointConfig::new(Protocol::Ws, "127.0.0.1", 0).name("ws"), EndpointConfig::new(Protocol::Http, "127.0.0.1", 0).name("web")],
    );
    t.server.add_route("GET", "/ws", &[]).unwrap();
    t.server.add_metrics_route("/metrics", None).unwrap();
    let manual = format!("ws://{}/ws", t.server.endpoints()[1].address);
    (t, manual)
}

const MESSAGES: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_parse_while_clients_send() {
    let (mut t, manual) = server(ServerConfig::default());
    let mut sender = connect(&t.url("/chat")).await;
    let mut reader = connect(&t.url("/chat")).await;
    let odd_global = "line\nbreak";
    let odd_local = r#"a"b\c"#;
    let (mut global, _, _) = connect_via_route(&mut t, &manual, upgrade(odd_global)).await;
    let local_upgrade = Upgrade { scope: Some(Scope::Local), ..upgrade(odd_local) };
    let (_local, _, _held, _) = upgrade_via_route(&mut t, request(&manual, &[]), local_upgrade).await;
    for _ in 0..4 {
        t.events.connect().await;
    }
    assert!(t.server.add_metrics_route("/METRICS", None).is_err(), "a second metrics route for a path is refused");

    // One client sends to /chat while the test scrapes; both /chat clients get each message.
    let bodies: Vec<String> = (0..MESSAGES).map(|i| format!(r#"{{"message":"m{i}","path":"/chat"}}"#)).collect();
    let bytes_in: usize = bodies.iter().map(String::len).sum();
    let sending = tokio::spawn(async move {
        for body in bodies {
            sender.send(Message::text(body)).await.expect("send");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        sender
    });
    let mut last = 0.0;
    let mut scrapes = 0;
    while !sending.is_finished() || scrapes < 3 {
        let s = scrape(t.addr()).await;
        let received = s.value("psws_messages_received_total", &[]);
        assert!(received >= last, "a counter went down: {last} -> {received}");
        last = received;
        assert_eq!(s.value("psws_connections", &[("name", "/chat"), ("scope", "Global")]), 2.0);
        assert_eq!(s.value("psws_connections", &[("name", odd_global), ("scope", "Global")]), 1.0);
        assert_eq!(s.value("psws_connections", &[("name", odd_local), ("scope", "Local")]), 1.0);
        scrapes += 1;
    }
    let mut sender = sending.await.expect("sender task");
    for i in 0..MESSAGES {
        assert_eq!(recv_text(&mut reader).await, format!("m{i}"));
    }

    // Quiet now: the scrape, the engine API and the counters agree.
    let s = scrape(t.server.endpoints()[1].address).await;
    assert_eq!(s.value("psws_messages_received_total", &[]), MESSAGES as f64);
    assert_eq!(s.value("psws_received_bytes_total", &[]), bytes_in as f64);
    let m = t.server.metrics();
    assert!(m.messages_out >= 2 * MESSAGES as u64);
    assert_eq!(s.value("psws_messages_sent_total", &[]), m.messages_out as f64);
    assert_eq!(s.value("psws_sent_bytes_total", &[]), m.bytes_out as f64);
    assert_eq!(s.value("psws_connections_opened_total", &[]), 4.0);
    assert_eq!(s.value("psws_sends_dropped_total", &[]), 0.0);
    assert!(s.value("psws_http_requests_total", &[]) >= scrapes as f64);
    assert_eq!(s.closed("peer_closed") + s.closed("peer_gone") + s.closed("server"), 0.0);
    assert_eq!(s.family_type("psws_connections"), "gauge");
    assert_eq!(s.family_type("psws_messages_received_total"), "counter");
    assert_eq!(s.family_type("psws_send_queue_messages"), "gauge");
    let direct = Scrape::parse(&t.server.metrics_text());
    assert_eq!(direct.value("psws_messages_received_total", &[]), MESSAGES as f64);

    sender.close(None).await.unwrap();
    global.close(None).await.unwrap();
    t.events.disconnects(2).await;
    let s = scrape(t.addr()).await;
    assert!(s.find("psws_connections", &[("name", odd_global), ("scope", "Global")]).is_none(), "a closed Name has no sample");
    assert_eq!(s.value("psws_connections", &[("name", "/chat"), ("scope", "Global")]), 1.0);
    assert_eq!(s.closed("peer_closed"), 2.0);
}

#[tokio::test]
async fn closed_connections_are_counted_by_reason() {
    let config = ServerConfig::default().max_message_size(1024).send_queue_bytes(256 << 10).close_timeout(Duration::from_millis(300));
    let (mut t, _) = server(config);

    // too_big: a message over the limit (1009).
    let mut big = connect(&t.url("/a")).await;
    t.events.connect().await;
    big.send(Message::text("x".repeat(2000))).await.unwrap();
    assert_eq!(t.events.disconnect().await.code, 1009);

    // peer_closed: a Close frame.
    let mut polite = connect(&t.url("/a")).await;
    t.events.connect().await;
    polite.close(None).await.unwrap();
    assert_eq!(t.events.disconnect().await.code, 1005);

    // peer_gone: the socket goes away without a Close frame.
    let rude = raw_websocket(socket_from(LOCAL_IP), t.addr(), "/a").await;
    t.events.connect().await;
    drop(rude);
    assert_eq!(t.events.disconnect().await.code, 1006);

    // server: closed by a call.
    let _closed = connect(&t.url("/a")).await;
    let conn = t.events.connect().await;
    t.server.close_connection(conn.id(), 1000, "bye").unwrap();
    assert_eq!(t.events.disconnect().await.code, 1000);

    // slow_reader: a peer that never reads overflows its send queue (1008).
    let socket = socket_from(LOCAL_IP);
    socket.set_recv_buffer_size(4096).unwrap();
    let _stalled = raw_websocket(socket, t.addr(), "/feed").await;
    let conn = t.events.connect().await;
    let chunk = "z".repeat(64 << 10);
    for _ in 0..2000 {
        if conn.is_closed() {
            break;
        }
        t.server.send(&strings(&["/feed"]), &[], &[], chunk.clone()).unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(t.events.disconnect().await.code, 1008);

    let s = scrape(t.addr()).await;
    for reason in ["too_big", "peer_closed", "peer_gone", "server", "slow_reader"] {
        assert_eq!(s.closed(reason), 1.0, "{reason}");
    }
    assert_eq!(s.closed("pong_timeout") + s.closed("protocol_error"), 0.0);
    assert!(s.value("psws_sends_dropped_total", &[]) >= 1.0);
    assert_eq!(s.value("psws_connections_opened_total", &[]), 5.0);
    assert!(s.find("psws_connections", &[("name", "/a"), ("scope", "Global")]).is_none());
}

#[tokio::test]
async fn a_peer_that_never_answers_pings_counts_as_pong_timeout() {
    let config = ServerConfig::default().ping_interval(Duration::from_millis(200)).pong_timeout(Duration::from_millis(200));
    let (mut t, _) = server(config);
    let _silent = raw_websocket(socket_from(LOCAL_IP), t.addr(), "/quiet").await;
    t.events.connect().await;
    assert_eq!(t.events.disconnect().await.code, 1006);
    let s = Scrape::parse(&t.server.metrics_text());
    assert_eq!(s.closed("pong_timeout"), 1.0);
    assert_eq!(s.closed("peer_gone"), 0.0);
}
