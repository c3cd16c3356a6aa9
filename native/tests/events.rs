//! Connect and Disconnect events: exactly one of each per connection, for both scopes,
//! the Connect carrying the connection's identity and the Disconnect the close code,
//! the reason and which side closed (client Close, server close, a vanished client).

mod common;

use std::collections::HashMap;

use common::*;
use futures_util::SinkExt;
use psws::{CloseInitiator, Error, Event, Protocol, Scope, ServerConfig, Upgrade};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn connect_carries_the_connection_identity() {
    let mut t = TestServer::ws();
    let before = std::time::SystemTime::now();
    let (_ws, id) = connect_with_id(&t.url("/chat?room=1")).await;
    let conn = t.events.connect().await;
    assert_eq!((conn.name(), conn.client_id(), conn.group(), conn.scope()), ("/chat", id.as_str(), "", Scope::Global));
    assert_eq!((conn.path(), conn.query(), conn.endpoint_name(), conn.protocol()), ("/chat", "room=1", "ws", Protocol::Ws));
    assert_eq!(conn.remote_addr().ip(), LOCAL_IP);
    assert!(conn.opened_at() >= before && conn.last_activity() >= conn.opened_at());
    assert!(!conn.is_closed());
    assert_eq!(t.server.connection(conn.id()).map(|c| c.id()), Some(conn.id()));
    assert_eq!(t.server.metrics().connections, 1);
}

#[tokio::test]
async fn a_client_close_reports_its_code_and_reason() {
    let mut t = TestServer::ws();
    let mut ws = connect(&t.url("/chat")).await;
    let conn = t.events.connect().await;
    let frame = CloseFrame { code: CloseCode::from(4000), reason: "bye".into() };
    within("the client's close", ws.close(Some(frame))).await.unwrap();
    let echo = recv_close(&mut ws).await.expect("the server echoes the status");
    assert_eq!(u16::from(echo.code), 4000);

    let gone = t.events.disconnect().await;
    assert_eq!(gone.connection.id(), conn.id());
    assert_eq!((gone.code, gone.reason.as_str(), gone.initiator), (4000, "bye", CloseInitiator::Client));
    assert!(gone.connection.is_closed());
    assert_eq!(t.server.metrics().connections, 0);
    assert!(t.server.signal_names().is_empty(), "removed from the registry before the event");
}

#[tokio::test]
async fn a_close_without_a_status_is_1005() {
    let mut t = TestServer::ws();
    let mut ws = connect(&t.url("/chat")).await;
    within("the client's close", ws.close(None)).await.unwrap();
    let gone = t.events.disconnect().await;
    assert_eq!((gone.code, gone.initiator), (1005, CloseInitiator::Client));
}

#[tokio::test]
async fn a_server_close_reports_the_servers_code_and_reason() {
    let mut t = TestServer::ws();
    let mut ws = connect(&t.url("/chat")).await;
    let conn = t.events.connect().await;
    t.server.close_connection(conn.id(), 4001, "go away").unwrap();
    let frame = recv_close(&mut ws).await.expect("a status");
    assert_eq!((u16::from(frame.code), frame.reason.as_str()), (4001, "go away"));
    let gone = t.events.disconnect().await;
    assert_eq!((gone.code, gone.reason.as_str(), gone.initiator), (4001, "go away", CloseInitiator::Server));
    assert!(matches!(t.server.close_connection(conn.id(), 1000, ""), Err(Error::UnknownConnection(_))));
}

#[tokio::test]
async fn the_engine_refuses_close_codes_a_server_may_not_send() {
    let mut t = TestServer::ws();
    let mut ws = connect(&t.url("/chat")).await;
    let conn = t.events.connect().await;
    for code in [0, 999, 1004, 1005, 1006, 1015, 2999, 5000] {
        let refused = t.server.close_connection(conn.id(), code, "");
        assert!(matches!(refused, Err(Error::InvalidArgument(_))), "{code}: {refused:?}");
    }
    // The connection is untouched: a valid code still closes it.
    t.server.close_connection(conn.id(), 1001, "going away").unwrap();
    assert_eq!(u16::from(recv_close(&mut ws).await.expect("a status").code), 1001);
}

#[tokio::test]
async fn a_client_that_vanishes_without_a_close_is_1006() {
    let mut t = TestServer::ws();
    let ws = connect(&t.url("/chat")).await;
    t.events.connect().await;
    drop(ws); // the TCP connection ends without a Close frame
    let gone = t.events.disconnect().await;
    assert_eq!((gone.code, gone.initiator), (1006, CloseInitiator::Client));
    assert!(t.server.signal_names().is_empty());
}

#[tokio::test]
async fn each_connection_of_either_scope_has_exactly_one_connect_and_one_disconnect() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    let (mut global, g) = t.join(upgrade("G")).await;
    let (mut local, l, handle) = t.join_held(Upgrade { scope: Some(Scope::Local), ..upgrade("L") }).await;
    let (replaced, r) = t.join(member("G", "same", None)).await;
    let (vanishing, v) = t.join(member("G", "same", None)).await; // replaces `r`
    drop(replaced);
    drop(vanishing);
    drop(handle); // closes the Local connection
    assert_eq!(recv_close_code(&mut local).await, 1000);
    within("the client's close", global.send(Message::Close(None))).await.unwrap();
    recv_close(&mut global).await;

    let mut connects: HashMap<u64, usize> = HashMap::new();
    let mut disconnects: HashMap<u64, usize> = HashMap::new();
    for _ in 0..4 {
        *disconnects.entry(t.events.disconnect().await.connection.id()).or_default() += 1;
    }
    // Whatever else arrives now must not be another Connect or Disconnect.
    for event in t.events.drain_for(QUIET).await {
        match event {
            Event::Connect(c) => *connects.entry(c.id()).or_default() += 1,
            Event::Disconnect(d) => *disconnects.entry(d.connection.id()).or_default() += 1,
            _ => {}
        }
    }
    let all: HashMap<u64, usize> = [g.id(), l.id(), r.id(), v.id()].into_iter().map(|id| (id, 1)).collect();
    assert_eq!(connects, all);
    assert_eq!(disconnects, all);
    assert_eq!(t.server.metrics().connections, 0);
    assert_eq!(t.server.metrics().connections_total, 4);
}
