//! The life of a Name (Pode's Disconnect / Remove / Reset / Test-PodeWebSocket):
//! Disconnect closes cleanly and keeps the registration, Remove forgets it, Reset
//! reconnects to the same or a new URL, `state` tells registered from connected,
//! `names` lists them, unknown and disconnected Names are clear errors, and the
//! blocking calls are refused inside the event handler while sends are allowed.

mod common;

use std::sync::{Arc, Weak, mpsc};

use common::client::*;
use common::*;
use psws::{ClientEvent, ClientHub, ClientState, CloseInitiator, ConnectError, ConnectOptions, Error};

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_closes_cleanly_and_keeps_the_name() {
    let mut server = TestServer::ws();
    let mut t = TestHub::default_config();
    t.connect("feed", &server.url("/feed")).unwrap();
    server.events.connect().await;
    assert_eq!(t.hub.state("feed"), Some(ClientState::Connected));

    t.disconnect("feed").unwrap();
    let seen = server.events.disconnect().await;
    assert_eq!(seen.code, 1000, "the server sees a clean Close");
    let closed = t.events.disconnected("feed").await;
    assert_eq!((closed.code, closed.initiator, closed.reconnecting), (1000, CloseInitiator::Client, false));

    assert_eq!(t.hub.state("feed"), Some(ClientState::Disconnected), "registered but not connected");
    assert_eq!(t.hub.names(), ["feed"]);
    assert_eq!(t.hub.url("feed").unwrap(), server.url("/feed"));
    let err = t.hub.send_text("feed", "x").unwrap_err();
    assert!(matches!(&err, Error::NotConnected(name) if name == "feed"), "{err}");
    assert!(matches!(t.hub.send_binary("feed", vec![1u8]), Err(Error::NotConnected(_))));
    t.disconnect("feed").expect("disconnecting twice is harmless");
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_closes_and_forgets_the_name() {
    let mut server = TestServer::ws();
    let t = TestHub::default_config();
    t.connect("feed", &server.url("/feed")).unwrap();
    server.events.connect().await;

    t.remove("feed").unwrap();
    assert_eq!(server.events.disconnect().await.code, 1000);
    assert_eq!(t.hub.state("feed"), None);
    assert!(t.hub.names().is_empty());
    assert!(matches!(t.hub.send_text("feed", "x"), Err(Error::UnknownClient(_))));
    assert!(matches!(t.remove("feed"), Err(Error::UnknownClient(_))));

    t.connect("feed", &server.url("/feed")).expect("a removed Name can be used again");
    server.events.connect().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_during_a_connect_leaves_no_connection_behind() {
    let (addr, mut handshakes) = gated_server().await;
    let t = TestHub::default_config();
    let hub = t.hub.clone();
    let url = format!("ws://{addr}/feed");
    let connecting = tokio::task::spawn_blocking(move || hub.connect("feed", &url, Default::default()));
    let held = within("the upgrade request", handshakes.recv()).await.unwrap();
    assert_eq!(t.hub.state("feed"), Some(ClientState::Disconnected), "registered, not yet connected");

    t.remove("feed").unwrap();
    let (result, ()) = tokio::join!(within("the connect to return", connecting), held.release_and_wait_for_close());
    let err = result.unwrap().unwrap_err();
    assert!(matches!(err, Error::UnknownClient(_)), "{err}");
    assert!(t.hub.names().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_the_hub_during_a_connect_leaves_no_connection_behind() {
    let (addr, mut handshakes) = gated_server().await;
    let t = TestHub::default_config();
    let hub = t.hub.clone();
    let url = format!("ws://{addr}/feed");
    let connecting = tokio::task::spawn_blocking(move || hub.connect("feed", &url, Default::default()));
    let held = within("the upgrade request", handshakes.recv()).await.unwrap();

    t.close_all();
    let (result, ()) = tokio::join!(within("the connect to return", connecting), held.release_and_wait_for_close());
    assert!(result.unwrap().is_err());
    assert!(t.hub.names().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_reconnects_to_the_same_url_or_a_new_one() {
    let mut a = TestServer::ws();
    let mut b = TestServer::ws();
    let mut t = TestHub::default_config();
    t.connect("feed", &a.url("/feed")).unwrap();
    let first = a.events.connect().await;

    t.reset("feed", None).unwrap();
    assert_eq!(a.events.disconnect().await.connection.id(), first.id());
    let second = a.events.connect().await;
    assert_ne!(second.id(), first.id());
    assert_eq!(t.hub.state("feed"), Some(ClientState::Connected));

    // Slack RTM style: the same Name moves to a new URL.
    t.reset("feed", Some(&b.url("/moved"))).unwrap();
    assert_eq!(a.events.disconnect().await.connection.id(), second.id());
    assert_eq!(b.events.connect().await.path(), "/moved");
    assert_eq!(t.hub.url("feed").unwrap(), b.url("/moved"));
    t.hub.send_text("feed", r#"{"message":"from b"}"#).unwrap();
    assert_eq!(t.events.text("feed").await, "from b");

    // After a Disconnect, Reset is how a Name comes back.
    t.disconnect("feed").unwrap();
    t.reset("feed", None).unwrap();
    assert_eq!(t.hub.state("feed"), Some(ClientState::Connected));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_reset_keeps_the_name_disconnected_with_the_new_url() {
    let mut server = TestServer::ws();
    let t = TestHub::default_config();
    t.connect("feed", &server.url("/feed")).unwrap();
    server.events.connect().await;

    let dead = format!("ws://127.0.0.1:{}/gone", closed_port());
    let reason = connect_error(t.reset("feed", Some(&dead)));
    assert!(matches!(reason, ConnectError::Refused(_)), "{reason}");
    assert_eq!(server.events.disconnect().await.code, 1000, "the old connection was closed first");
    assert_eq!(t.hub.state("feed"), Some(ClientState::Disconnected));
    assert_eq!(t.hub.url("feed").unwrap(), dead);
    assert!(matches!(t.hub.send_text("feed", "x"), Err(Error::NotConnected(_))));

    assert!(matches!(t.reset("feed", Some("http://example.com/")), Err(Error::Connect { reason: ConnectError::Url(_), .. })));
    assert_eq!(t.hub.url("feed").unwrap(), dead, "a malformed URL changes nothing");

    t.reset("feed", Some(&server.url("/feed"))).unwrap();
    server.events.connect().await;
    assert_eq!(t.hub.state("feed"), Some(ClientState::Connected));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_close_keeps_the_name_for_reset() {
    let mut server = TestServer::ws();
    let mut t = TestHub::default_config();
    t.connect("feed", &server.url("/feed")).unwrap();
    let conn = server.events.connect().await;

    server.server.close_connection(conn.id(), 4000, "maintenance").unwrap();
    let closed = t.events.disconnected("feed").await;
    assert_eq!((closed.code, closed.reason.as_str(), closed.initiator), (4000, "maintenance", CloseInitiator::Server));
    assert!(!closed.reconnecting, "reconnect is off by default");
    assert_eq!(t.hub.state("feed"), Some(ClientState::Disconnected));
    assert!(matches!(t.hub.send_text("feed", "x"), Err(Error::NotConnected(_))));

    t.reset("feed", None).unwrap();
    server.events.connect().await;
    t.hub.send_text("feed", r#"{"message":"back"}"#).unwrap();
    assert_eq!(t.events.text("feed").await, "back");
}

#[tokio::test(flavor = "multi_thread")]
async fn names_and_state_tell_registered_from_connected() {
    let server = TestServer::ws();
    let t = TestHub::default_config();
    for name in ["charlie", "alpha", "bravo"] {
        t.connect(name, &server.url(&format!("/{name}"))).unwrap();
    }
    assert_eq!(t.hub.names(), ["alpha", "bravo", "charlie"]);
    t.disconnect("bravo").unwrap();
    assert_eq!(t.hub.state("alpha"), Some(ClientState::Connected));
    assert_eq!(t.hub.state("bravo"), Some(ClientState::Disconnected));
    assert_eq!(t.hub.state("delta"), None);
    t.remove("charlie").unwrap();
    assert_eq!(t.hub.names(), ["alpha", "bravo"]);

    t.close_all();
    assert!(t.hub.names().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_names_are_clear_errors() {
    let t = TestHub::default_config();
    let unknown = |r: psws::Result<()>| matches!(r, Err(Error::UnknownClient(ref n)) if n == "nope");
    assert!(unknown(t.hub.send_text("nope", "x")));
    assert!(unknown(t.hub.send_binary("nope", vec![1u8])));
    assert!(unknown(t.disconnect("nope")));
    assert!(unknown(t.remove("nope")));
    assert!(unknown(t.reset("nope", None)));
    assert_eq!(t.hub.state("nope"), None);
    assert_eq!(t.hub.url("nope"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_handler_may_send_but_not_wait_for_the_network() {
    let node = NodePeer::start();
    let hub = Arc::new(ClientHub::new(Default::default()).unwrap());
    let (tx, rx) = mpsc::channel();
    let weak: Weak<ClientHub> = Arc::downgrade(&hub);
    hub.set_event_handler(move |event| {
        let ClientEvent::Message { name, data, .. } = event else { return };
        let Some(hub) = weak.upgrade() else { return };
        if &data[..] == b"ping" {
            // Pode's Send-PodeWebSocket inside the Connect-PodeWebSocket scriptblock.
            hub.send_text(&name, "pong").unwrap();
            return;
        }
        let refused = [hub.disconnect(&name), hub.reset(&name, None), hub.remove(&name), hub.connect("other", "ws://127.0.0.1:1/", ConnectOptions::default())];
        let _ = tx.send((data, refused.map(|r| matches!(r, Err(Error::InvalidArgument(_))))));
    });
    tokio::task::block_in_place(|| hub.connect("echo", &node.url("/echo"), ConnectOptions::default())).unwrap();
    hub.send_text("echo", "ping").unwrap();

    let (data, refused) = tokio::task::block_in_place(|| rx.recv_timeout(LIMIT)).expect("the echo of the handler's reply");
    assert_eq!(&data[..], b"pong");
    assert_eq!(refused, [true; 4], "disconnect, reset, remove and connect must be refused in the handler");
    assert_eq!(hub.state("echo"), Some(ClientState::Connected));
    assert_eq!(hub.names(), ["echo"]);
    tokio::task::block_in_place(|| hub.close_all());
}
