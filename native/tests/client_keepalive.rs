//! Ping/Pong and keep-alive: the server's pings are answered with their payload and
//! never reach the host as messages; a server that completes the handshake and then
//! never answers (written by hand) is detected as dead and dropped, and reconnected
//! when that is on; a live server (Node's `ws`, which answers pings) receives the pings
//! and stays connected.

mod common;

use std::time::Duration;

use common::client::*;
use common::*;
use psws::{ClientConfig, ClientState, CloseInitiator, ConnectOptions, ReconnectPolicy};

/// Pings after 100 ms of silence, gives up 200 ms after the ping.
fn impatient() -> ClientConfig {
    ClientConfig::default().ping_interval(Duration::from_millis(100)).pong_timeout(Duration::from_millis(200)).close_timeout(Duration::from_millis(200))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_pings_is_dropped() {
    let (addr, mut handshakes) = unresponsive_server().await;
    let mut t = TestHub::new(impatient());
    t.connect("dead", &format!("ws://{addr}/feed")).unwrap();
    within("the handshake", handshakes.recv()).await.unwrap();

    let closed = t.events.disconnected("dead").await;
    assert_eq!(closed.code, 1006, "{closed:?}");
    assert!(closed.reason.contains("keep-alive"), "{closed:?}");
    assert_eq!(closed.initiator, CloseInitiator::Client, "this side gave up on it");
    assert!(!closed.reconnecting);
    assert_eq!(t.hub.state("dead"), Some(ClientState::Disconnected));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_server_is_reconnected_when_reconnect_is_on() {
    let (addr, mut handshakes) = unresponsive_server().await;
    let mut t = TestHub::new(impatient());
    let policy = ReconnectPolicy::default().initial_delay(Duration::from_millis(20)).max_delay(Duration::from_millis(100));
    t.connect_with("dead", &format!("ws://{addr}/feed"), ConnectOptions::default().reconnect(policy)).unwrap();

    let closed = t.events.disconnected("dead").await;
    assert!(closed.reason.contains("keep-alive") && closed.reconnecting, "{closed:?}");
    t.events.reconnected("dead").await;
    for _ in 0..2 {
        within("a handshake", handshakes.recv()).await.unwrap();
    }
    // ... and dropped again, since it still does not answer.
    assert!(t.events.disconnected("dead").await.reason.contains("keep-alive"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_answers_pings_stays_connected() {
    let node = NodePeer::start();
    // The pong timeout is generous: only the pings are under test here.
    let mut t = TestHub::new(ClientConfig::default().ping_interval(Duration::from_millis(50)).pong_timeout(LIMIT));
    t.connect("live", &node.url("/echo")).unwrap();
    t.hub.send_text("live", "cmd:pings 3").unwrap();
    assert_eq!(t.events.text("live").await, "pinged 3");
    assert_eq!(t.hub.state("live"), Some(ClientState::Connected));
    t.hub.send_text("live", "still here").unwrap();
    assert_eq!(t.events.text("live").await, "still here");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_servers_pings_are_answered_and_not_delivered() {
    let node = NodePeer::start();
    let mut t = TestHub::default_config();
    t.connect("live", &node.url("/echo")).unwrap();
    t.hub.send_text("live", "cmd:ping-me 3").unwrap();
    // The next message is the server's verdict: no ping or pong came through as one.
    assert_eq!(t.events.text("live").await, "ponged 3");
}
