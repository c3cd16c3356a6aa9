//! Keep-alive: an idle connection is pinged; a peer that answers stays connected; a
//! peer that never answers is dropped (1006, by the server), also when it stops
//! reading while the server has data in flight; a client Ping is answered with its
//! payload.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use psws::{CloseInitiator, ServerConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

#[tokio::test]
async fn an_answering_peer_is_pinged_and_stays_connected() {
    // A generous pong timeout: a live client must not be dropped on a busy machine.
    let mut t = TestServer::ws_with(ServerConfig::default().ping_interval(Duration::from_millis(100)).pong_timeout(Duration::from_secs(5)));
    let mut ws = connect(&t.url("/chat")).await;
    let conn = t.events.connect().await;
    // Reading answers the pings (tungstenite queues the Pong and sends it on the next read).
    let mut pings = 0;
    while pings < 3 {
        match within("a ping", ws.next()).await {
            Some(Ok(Message::Ping(payload))) => {
                assert!(payload.is_empty());
                pings += 1;
            }
            other => panic!("expected a Ping, got {other:?}"),
        }
    }
    send(&mut ws, r#"{"message":"still here"}"#).await;
    assert_eq!(recv_text(&mut ws).await, "still here");
    assert!(!conn.is_closed());
}

#[tokio::test]
async fn a_silent_peer_is_dropped() {
    let mut t = TestServer::ws_with(ServerConfig::default().ping_interval(Duration::from_millis(200)).pong_timeout(Duration::from_millis(300)));
    let mut peer = raw_websocket(socket_from(LOCAL_IP), t.addr(), "/chat").await;
    let conn = t.events.connect().await;
    let gone = t.events.disconnect().await;
    assert_eq!(gone.connection.id(), conn.id());
    assert_eq!((gone.code, gone.initiator), (1006, CloseInitiator::Server));
    assert!(gone.reason.contains("keep-alive"), "{}", gone.reason);
    expect_hangup(&mut peer, "dropped by the keep-alive").await;
    assert!(t.server.signal_names().is_empty());
}

#[tokio::test]
async fn a_peer_that_stops_reading_with_data_in_flight_is_dropped() {
    let config = ServerConfig::default().ping_interval(Duration::from_millis(200)).pong_timeout(Duration::from_millis(300)).send_queue_bytes(64 << 20);
    let mut t = TestServer::ws_with(config);
    let socket = socket_from(LOCAL_IP);
    socket.set_recv_buffer_size(4096).unwrap();
    let _peer = raw_websocket(socket, t.addr(), "/chat").await;
    let conn = t.events.connect().await;
    // Far more than the socket buffers hold, far less than the send queue: the write
    // blocks and stays blocked, and the queue never overflows.
    let chunk = Utf8Bytes::from("x".repeat(256 << 10));
    for _ in 0..64 {
        // 0 once the peer was dropped (possible early on a very slow machine).
        if t.server.send(&[], &[], &[], chunk.clone()).unwrap() == 0 {
            break;
        }
    }
    let gone = t.events.disconnect().await;
    assert_eq!(gone.connection.id(), conn.id());
    assert_eq!((gone.code, gone.initiator), (1006, CloseInitiator::Server));
    assert_eq!(t.server.metrics().queue_drops, 0, "dropped by the keep-alive, not as a slow reader");
}

#[tokio::test]
async fn a_reader_that_pauses_and_catches_up_stays_connected() {
    let config = ServerConfig::default().ping_interval(Duration::from_millis(100)).pong_timeout(Duration::from_secs(5)).send_queue_bytes(64 << 20);
    let mut t = TestServer::ws_with(config);
    let mut ws = connect(&t.url("/chat")).await;
    let conn = t.events.connect().await;
    let chunk = Utf8Bytes::from("y".repeat(256 << 10));
    for _ in 0..32 {
        t.server.send(&[], &[], &[], chunk.clone()).unwrap();
    }
    // Not reading for several ping intervals blocks the server's write meanwhile.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..32 {
        assert_eq!(recv_text(&mut ws).await.len(), chunk.len());
    }
    send(&mut ws, r#"{"message":"caught up"}"#).await;
    assert_eq!(recv_text(&mut ws).await, "caught up");
    assert!(!conn.is_closed());
}

#[tokio::test]
async fn a_client_ping_is_answered_with_its_payload() {
    let t = TestServer::ws();
    let mut ws = connect(&t.url("/chat")).await;
    within("a ping", ws.send(Message::Ping(b"are you there".to_vec().into()))).await.unwrap();
    match within("the pong", ws.next()).await {
        Some(Ok(Message::Pong(payload))) => assert_eq!(payload.as_ref(), b"are you there"),
        other => panic!("expected a Pong, got {other:?}"),
    }
}
