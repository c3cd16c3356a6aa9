//! Limits: the maximum message size (close 1009 past it, also for a fragmented
//! message; other connections unaffected), the handshake timeout for a silent or slow
//! HTTP client, the maximum number of connections, and settings refused as invalid.

mod common;

use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use psws::{CloseInitiator, Error, Server, ServerConfig};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// An envelope of exactly `size` bytes for the path `/other`.
fn envelope_of(size: usize) -> String {
    let shell = r#"{"message":"","path":"/other"}"#;
    format!(r#"{{"message":"{}","path":"/other"}}"#, "m".repeat(size - shell.len()))
}

#[tokio::test]
async fn a_message_over_the_limit_closes_with_1009() {
    let mut t = TestServer::ws_with(ServerConfig::default().max_message_size(1024));
    let mut big = connect(&t.url("/big")).await;
    let big_conn = t.events.connect().await;
    let mut other = connect(&t.url("/other")).await;

    send(&mut big, &envelope_of(1024)).await;
    assert_eq!(recv_text(&mut other).await.len(), 1024 - r#"{"message":"","path":"/other"}"#.len(), "exactly the limit is fine");

    send(&mut big, &envelope_of(1025)).await;
    assert_eq!(recv_close_code(&mut big).await, 1009);
    let gone = t.events.disconnect().await;
    assert_eq!(gone.connection.id(), big_conn.id());
    assert_eq!((gone.code, gone.initiator), (1009, CloseInitiator::Server));
    assert!(gone.reason.contains("1024"), "{}", gone.reason);

    send(&mut other, r#"{"message":"unaffected"}"#).await;
    assert_eq!(recv_text(&mut other).await, "unaffected");
}

#[tokio::test]
async fn a_fragmented_message_over_the_limit_closes_with_1009() {
    let mut t = TestServer::ws_with(ServerConfig::default().max_message_size(1024));
    let mut ws = connect(&t.url("/big")).await;
    let part = "p".repeat(600);
    for frame in [Frame::message(part.clone(), OpCode::Data(Data::Text), false), Frame::message(part, OpCode::Data(Data::Continue), true)] {
        // The server may hang up before the second fragment is written.
        let _ = within("a frame", ws.send(Message::Frame(frame))).await;
    }
    assert_eq!(recv_close_code(&mut ws).await, 1009);
    assert_eq!(t.events.disconnect().await.code, 1009);
}

#[tokio::test]
async fn a_silent_or_slow_http_client_is_cut_off() {
    let t = TestServer::ws_with(ServerConfig::default().handshake_timeout(Duration::from_millis(300)));
    let mut silent = socket_from(LOCAL_IP).connect(t.addr()).await.unwrap();
    expect_hangup(&mut silent, "nothing sent").await;
    let mut partial = socket_from(LOCAL_IP).connect(t.addr()).await.unwrap();
    partial.write_all(b"GET /chat HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    expect_hangup(&mut partial, "an unfinished request head").await;
    // A prompt client is served as usual, and its WebSocket outlives the timeout.
    let mut ws = connect(&t.url("/chat")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    send(&mut ws, r#"{"message":"later"}"#).await;
    assert_eq!(recv_text(&mut ws).await, "later");
}

#[tokio::test]
async fn connections_beyond_the_maximum_are_refused_until_one_leaves() {
    let mut t = TestServer::ws_with(ServerConfig::default().max_connections(2));
    let first = connect(&t.url("/chat")).await;
    let _second = connect(&t.url("/chat")).await;
    assert!(try_connect(request(&t.url("/chat"), &[])).await.is_err(), "a third connection is refused");
    assert_eq!(t.events.log("maximum of 2 connections").await.0, psws::LogLevel::Warn);
    assert_eq!(t.server.signal_count(None), 2);

    drop(first);
    t.events.disconnect().await;
    // Its slot is released when its task has ended, just after the event.
    let _third = within("a free slot", async {
        loop {
            if let Ok((ws, _)) = tokio_tungstenite::connect_async(t.url("/chat")).await {
                return ws;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[test]
fn zero_limits_are_refused() {
    for (config, field) in [
        (ServerConfig::default().max_message_size(0), "max_message_size"),
        (ServerConfig::default().max_body_size(0), "max_body_size"),
        (ServerConfig::default().max_connections(0), "max_connections"),
        (ServerConfig::default().send_queue_bytes(0), "send_queue_bytes"),
        (ServerConfig::default().read_buffer_size(0), "read_buffer_size"),
        (ServerConfig::default().ping_interval(Duration::ZERO), "ping_interval"),
        (ServerConfig::default().pong_timeout(Duration::ZERO), "pong_timeout"),
        (ServerConfig::default().handshake_timeout(Duration::ZERO), "handshake_timeout"),
        (ServerConfig::default().close_timeout(Duration::ZERO), "close_timeout"),
    ] {
        let err = Server::new(config).err().expect("refused");
        assert!(matches!(&err, Error::InvalidArgument(m) if m.contains(field)), "{field}: {err}");
    }
}
