//! The handshake and the close as a server nobody here wrote (Node's `ws`) sees and
//! makes them: request headers and offered sub-protocols arrive, the chosen
//! sub-protocol is accepted (none chosen fails the connect, as in browsers), and a
//! server Close or a dropped connection reaches the host with its code and reason.

mod common;

use common::client::*;
use psws::{ClientState, CloseInitiator, ConnectError, ConnectOptions, Error};

/// The server's view of the handshake, from `cmd:info`.
async fn info(t: &mut TestHub, name: &str) -> serde_json::Value {
    t.hub.send_text(name, "cmd:info").unwrap();
    serde_json::from_str(&t.events.text(name).await).expect("JSON from the peer")
}

#[tokio::test(flavor = "multi_thread")]
async fn headers_and_sub_protocols_reach_the_server() {
    let node = NodePeer::start();
    let mut t = TestHub::default_config();
    let options = ConnectOptions::default().header("Authorization", "Bearer t0k3n").header("X-Trace-Id", "42").protocol("chat.v1").protocol("chat.v2");
    t.connect_with("chat", &node.url("/chat?select=chat.v2"), options).unwrap();

    let seen = info(&mut t, "chat").await;
    assert_eq!(seen["path"], "/chat?select=chat.v2");
    assert_eq!(seen["headers"]["authorization"], "Bearer t0k3n");
    assert_eq!(seen["headers"]["x-trace-id"], "42");
    assert_eq!(seen["headers"]["sec-websocket-protocol"], "chat.v1, chat.v2");
    assert_eq!(seen["protocol"], "chat.v2");

    // Without options: no sub-protocol offered, none chosen.
    t.connect("plain", &node.url("/plain")).unwrap();
    let seen = info(&mut t, "plain").await;
    assert!(seen["headers"].get("sec-websocket-protocol").is_none(), "{seen}");
    assert_eq!(seen["protocol"], "");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_accepts_none_of_the_offered_sub_protocols_fails_the_connect() {
    let node = NodePeer::start();
    let t = TestHub::default_config();
    let options = ConnectOptions::default().protocol("chat.v1");
    let reason = connect_error(t.connect_with("chat", &node.url("/chat?select=other"), options));
    assert!(matches!(&reason, ConnectError::Other(text) if text.to_lowercase().contains("subprotocol")), "{reason}");
    assert!(t.hub.names().is_empty());
}

#[test]
fn malformed_headers_and_sub_protocols_are_refused_before_connecting() {
    let hub = psws::ClientHub::new(Default::default()).unwrap();
    let bad = [
        ConnectOptions::default().header("Bad Name", "x"),
        ConnectOptions::default().header("X-Ok", "line\nbreak"),
        ConnectOptions::default().protocol("a\r\nb"),
    ];
    for options in bad {
        let err = hub.connect("feed", "ws://127.0.0.1:1/", options).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }
    assert!(hub.names().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_closing_reports_its_code_and_reason() {
    let node = NodePeer::start();
    let mut t = TestHub::default_config();
    t.connect("feed", &node.url("/feed")).unwrap();
    t.hub.send_text("feed", "cmd:close 4001 going away now").unwrap();

    let closed = t.events.disconnected("feed").await;
    assert_eq!((closed.code, closed.reason.as_str()), (4001, "going away now"));
    assert_eq!(closed.initiator, CloseInitiator::Server);
    assert!(!closed.reconnecting);
    assert_eq!(t.hub.state("feed"), Some(ClientState::Disconnected));
    assert!(matches!(t.hub.send_text("feed", "x"), Err(Error::NotConnected(_))));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_dropped_without_a_close_frame_is_1006_from_the_server() {
    let node = NodePeer::start();
    let mut t = TestHub::default_config();
    t.connect("feed", &node.url("/feed")).unwrap();
    t.hub.send_text("feed", "cmd:terminate").unwrap();

    let closed = t.events.disconnected("feed").await;
    assert_eq!(closed.code, 1006, "{closed:?}");
    assert_eq!(closed.initiator, CloseInitiator::Server, "{closed:?}");
    assert_eq!(t.hub.state("feed"), Some(ClientState::Disconnected));
}
