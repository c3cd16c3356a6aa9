//! Automatic reconnects (opt-in): a server that stops or vanishes and comes back on the
//! same port is reconnected (Disconnected -> Reconnecting... -> Reconnected) and sends
//! work again; without the option the Name just ends Disconnected; the delays back off
//! exponentially up to the maximum; after `max_attempts` it gives up (ReconnectFailed);
//! a Disconnect while reconnecting stops the attempts.

mod common;

use std::time::Duration;

use common::client::*;
use common::*;
use psws::{ClientEvent, ClientState, CloseInitiator, ConnectOptions, Error, ReconnectPolicy, ServerConfig};

fn fast() -> ReconnectPolicy {
    ReconnectPolicy::default().initial_delay(Duration::from_millis(20)).max_delay(Duration::from_millis(200))
}

fn reconnecting(policy: ReconnectPolicy) -> ConnectOptions {
    ConnectOptions::default().reconnect(policy)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_engine_server_stopped_and_restarted_on_the_same_port_is_reconnected() {
    let server = TestServer::ws();
    let port = server.addr().port();
    let url = server.url("/feed");
    let mut t = TestHub::default_config();
    t.connect_with("feed", &url, reconnecting(fast())).unwrap();

    tokio::task::block_in_place(|| server.server.stop());
    let closed = t.events.disconnected("feed").await;
    assert_eq!((closed.code, closed.initiator, closed.reconnecting), (1001, CloseInitiator::Server, true), "{closed:?}");
    let first = t.events.reconnecting("feed").await;
    assert_eq!((first.attempt, first.last_error), (1, None));
    // The port is closed now: attempts are refused until the server is back.
    while !t.events.reconnecting("feed").await.last_error.is_some_and(|e| e.contains("refused")) {}
    assert_eq!(t.hub.state("feed"), Some(ClientState::Reconnecting));
    assert!(matches!(t.hub.send_text("feed", "x"), Err(Error::NotConnected(_))));
    t.events.received(); // whatever happened while the server was shutting down

    let mut restarted = ws_server_on(port, ServerConfig::default());
    assert_eq!(t.events.reconnected("feed").await, url);
    restarted.events.connect().await;
    assert_eq!(t.hub.state("feed"), Some(ClientState::Connected));
    t.hub.send_text("feed", r#"{"message":"again"}"#).unwrap();
    assert_eq!(t.events.text("feed").await, "again");
}

#[tokio::test(flavor = "multi_thread")]
async fn node_killed_and_restarted_on_the_same_port_is_reconnected() {
    let mut node = NodePeer::start();
    let mut t = TestHub::default_config();
    t.connect_with("echo", &node.url("/echo"), reconnecting(fast())).unwrap();
    t.hub.send_text("echo", "before").unwrap();
    assert_eq!(t.events.text("echo").await, "before");

    node.kill();
    let closed = t.events.disconnected("echo").await;
    assert_eq!((closed.code, closed.initiator, closed.reconnecting), (1006, CloseInitiator::Server, true), "{closed:?}");
    // Let at least one attempt fail while the server is gone.
    while t.events.reconnecting("echo").await.last_error.is_none() {}

    node.restart();
    assert_eq!(t.events.reconnected("echo").await, node.url("/echo"));
    assert_eq!(t.hub.state("echo"), Some(ClientState::Connected));
    t.hub.send_text("echo", "after").unwrap();
    assert_eq!(t.events.text("echo").await, "after");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_reconnect_a_vanished_server_leaves_the_name_disconnected() {
    let mut node = NodePeer::start();
    let mut t = TestHub::default_config();
    t.connect("echo", &node.url("/echo")).unwrap();

    node.kill();
    let closed = t.events.disconnected("echo").await;
    assert_eq!((closed.code, closed.initiator, closed.reconnecting), (1006, CloseInitiator::Server, false), "{closed:?}");
    assert_eq!(t.hub.state("echo"), Some(ClientState::Disconnected));
    assert!(matches!(t.hub.send_text("echo", "x"), Err(Error::NotConnected(_))));
    let later = t.events.received();
    assert!(!later.iter().any(|e| matches!(e, ClientEvent::Reconnecting { .. })), "{later:?}");

    node.restart();
    t.reset("echo", None).unwrap();
    t.hub.send_text("echo", "by hand").unwrap();
    assert_eq!(t.events.text("echo").await, "by hand");
}

#[tokio::test(flavor = "multi_thread")]
async fn reconnects_back_off_and_give_up_after_max_attempts() {
    let mut node = NodePeer::start();
    let policy = ReconnectPolicy::default().initial_delay(Duration::from_millis(20)).max_delay(Duration::from_millis(50)).max_attempts(Some(3)).jitter(0.0);
    let mut t = TestHub::default_config();
    t.connect_with("echo", &node.url("/echo"), reconnecting(policy)).unwrap();
    // From now on the server refuses upgrades with 503; then it drops the connection.
    t.hub.send_text("echo", "cmd:reject 503").unwrap();
    assert_eq!(t.events.text("echo").await, "ok");
    t.hub.send_text("echo", "cmd:terminate").unwrap();

    assert!(t.events.disconnected("echo").await.reconnecting);
    let mut attempts = Vec::new();
    for _ in 0..3 {
        attempts.push(t.events.reconnecting("echo").await);
    }
    let numbers: Vec<(u32, u128)> = attempts.iter().map(|a| (a.attempt, a.delay.as_millis())).collect();
    assert_eq!(numbers, [(1, 20), (2, 40), (3, 50)], "doubling, capped at max_delay");
    assert!(attempts[0].last_error.is_none());
    assert!(attempts[1..].iter().all(|a| a.last_error.as_deref().is_some_and(|e| e.contains("503"))), "{attempts:?}");

    let (count, error) = t.events.reconnect_failed("echo").await;
    assert_eq!(count, 3);
    assert!(error.contains("503"), "{error}");
    assert_eq!(t.hub.state("echo"), Some(ClientState::Disconnected));
    assert_eq!(t.hub.names(), ["echo"], "the Name stays for Reset");

    node.restart();
    t.reset("echo", None).unwrap();
    assert_eq!(t.hub.state("echo"), Some(ClientState::Connected));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_close_is_reconnected_too() {
    let mut server = TestServer::ws();
    let mut t = TestHub::default_config();
    t.connect_with("feed", &server.url("/feed"), reconnecting(fast())).unwrap();
    let conn = server.events.connect().await;

    server.server.close_connection(conn.id(), 4000, "come back later").unwrap();
    let closed = t.events.disconnected("feed").await;
    assert_eq!((closed.code, closed.reason.as_str(), closed.reconnecting), (4000, "come back later", true));
    t.events.reconnected("feed").await;
    assert_ne!(server.events.connect().await.id(), conn.id());
    t.hub.send_text("feed", r#"{"message":"hello again"}"#).unwrap();
    assert_eq!(t.events.text("feed").await, "hello again");
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_while_reconnecting_stops_the_attempts() {
    let mut node = NodePeer::start();
    let mut t = TestHub::default_config();
    t.connect_with("echo", &node.url("/echo"), reconnecting(fast())).unwrap();
    node.kill();
    assert!(t.events.disconnected("echo").await.reconnecting);
    while t.events.reconnecting("echo").await.attempt < 2 {}
    assert_eq!(t.hub.state("echo"), Some(ClientState::Reconnecting));

    t.disconnect("echo").unwrap();
    assert_eq!(t.hub.state("echo"), Some(ClientState::Disconnected));
    node.restart();
    t.reset("echo", None).unwrap();
    t.hub.send_text("echo", "one connection").unwrap();
    assert_eq!(t.events.text("echo").await, "one connection");
    let events = t.events.received();
    assert!(!events.iter().any(|e| matches!(e, ClientEvent::Reconnected { .. })), "{events:?}");
}
