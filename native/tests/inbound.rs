//! Client messages: the JSON envelope (case-insensitive keys, `direct` only for JSON
//! true), signal routes chosen by the connection's URL path (`*` wildcards, endpoint
//! filter) as Signal events instead of a re-broadcast, non-JSON text and envelopes
//! without `message` as error events that leave the connection open and touch nothing
//! else, binary messages as Binary events, and pipelined or fragmented messages.

mod common;

use common::*;
use futures_util::SinkExt;
use psws::{BroadcastLevel, Event, LogLevel};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// A server with clients on `/chat/room` and `/lobby` (both connected).
async fn two_clients() -> (TestServer, Ws, Ws) {
    let mut t = TestServer::ws();
    let chat = connect(&t.url("/chat/room")).await;
    let lobby = connect(&t.url("/lobby")).await;
    t.events.connect().await;
    t.events.connect().await;
    (t, chat, lobby)
}

#[tokio::test]
async fn a_signal_route_turns_messages_into_signal_events() {
    let (mut t, mut chat, mut lobby) = two_clients().await;
    t.server.add_signal_route("/chat/*", &[]).unwrap();
    send(&mut chat, r#"{"MESSAGE":{"a": [1, 2]},"Path":"/lobby%201","ClientID":["i1","i2"],"GROUP":"g","Direct":true,"extra":5}"#).await;

    let signal = t.events.signal().await;
    assert_eq!(signal.route, "/chat/*");
    assert_eq!(signal.connection.path(), "/chat/room");
    let e = &signal.envelope;
    assert_eq!(e.message, r#"{"a":[1,2]}"#);
    assert_eq!(e.path, "/lobby 1");
    assert_eq!((e.client_ids.as_slice(), e.groups.as_slice(), e.direct), (&strings(&["i1", "i2"])[..], &strings(&["g"])[..], true));

    // The host owns routed messages: nothing was re-broadcast.
    assert_eq!(t.server.send(&[], &[], &[], "marker").unwrap(), 2);
    assert_eq!(recv_text(&mut chat).await, "marker");
    assert_eq!(recv_text(&mut lobby).await, "marker");
    // Connections on other paths still re-broadcast.
    send(&mut lobby, r#"{"message":"from the lobby"}"#).await;
    assert_eq!(recv_text(&mut chat).await, "from the lobby");
}

#[tokio::test]
async fn signal_routes_follow_their_endpoint_filter_and_can_be_removed() {
    let (mut t, mut chat, _lobby) = two_clients().await;
    t.server.add_signal_route("/chat/room", &strings(&["other-endpoint"])).unwrap();
    send(&mut chat, r#"{"message":"1"}"#).await;
    assert_eq!(recv_text(&mut chat).await, "1", "the route is for another endpoint: re-broadcast");

    t.server.add_signal_route("/CHAT/ROOM", &strings(&["WS"])).unwrap();
    assert_eq!(t.server.signal_routes().len(), 2);
    send(&mut chat, r#"{"message":"2"}"#).await;
    assert_eq!(t.events.signal().await.envelope.message, r#""2""#);

    assert_eq!(t.server.remove_signal_route("/chat/room", Some("ws")), 1);
    send(&mut chat, r#"{"message":"3"}"#).await;
    assert_eq!(recv_text(&mut chat).await, "3", "removed: re-broadcast again");

    t.server.clear_signal_routes();
    assert!(t.server.signal_routes().is_empty());
}

#[tokio::test]
async fn bad_text_is_an_error_event_and_the_connection_stays_open() {
    let (mut t, mut chat, mut lobby) = two_clients().await;
    for (text, why) in [
        ("hello", "not a valid signal envelope"),
        ("[1,2]", "not a valid signal envelope"),
        (r#"{"message":"unterminated"#, "not a valid signal envelope"),
        (r#"{"message":1,"clientId":{"id":5}}"#, "not a valid signal envelope"),
        (r#"{"path":"/lobby"}"#, "no 'message'"),
        ("", "not a valid signal envelope"),
    ] {
        send(&mut chat, text).await;
        let (conn, error, got) = t.events.message_error().await;
        assert_eq!(conn.path(), "/chat/room");
        assert!(error.contains(why), "{text:?}: {error}");
        assert_eq!(got, text);
    }
    // The sender is still connected and heard; nobody got anything from the bad ones.
    send(&mut chat, r#"{"message":"fine"}"#).await;
    assert_eq!(recv_text(&mut lobby).await, "fine");
    assert_eq!(recv_text(&mut chat).await, "fine");
    assert!(!t.events.drain_for(QUIET).await.iter().any(|e| matches!(e, Event::Disconnect(_))));
}

#[tokio::test]
async fn direct_is_only_the_json_value_true() {
    let (_t, mut chat, mut lobby) = two_clients().await;
    // Pode casts the string "false" to true; here only JSON true is direct.
    send(&mut chat, r#"{"message":"everyone","direct":"true"}"#).await;
    assert_eq!(recv_text(&mut lobby).await, "everyone");
    send(&mut chat, r#"{"message":"just me","DIRECT":true}"#).await;
    send(&mut chat, r#"{"message":"marker"}"#).await;
    expect_texts(&mut chat, &["everyone", "just me", "marker"]).await;
    assert_eq!(recv_text(&mut lobby).await, "marker", "the direct message stayed with its sender");
}

#[tokio::test]
async fn a_message_for_an_unknown_name_goes_nowhere() {
    let (mut t, mut chat, mut lobby) = two_clients().await;
    send(&mut chat, r#"{"message":"lost","path":"/nobody"}"#).await;
    send(&mut chat, r#"{"message":"marker"}"#).await;
    assert_eq!(recv_text(&mut lobby).await, "marker");
    assert_eq!(recv_text(&mut chat).await, "marker");
    assert!(!t.events.drain_for(QUIET).await.iter().any(|e| matches!(e, Event::MessageError { .. } | Event::Log { .. })), "not an error");
}

#[tokio::test]
async fn binary_messages_are_binary_events() {
    let (mut t, mut chat, mut lobby) = two_clients().await;
    within("a binary send", chat.send(Message::binary(vec![0u8, 159, 255]))).await.unwrap();
    let (conn, data) = t.events.binary().await;
    assert_eq!((conn.path(), data.as_ref()), ("/chat/room", &[0u8, 159, 255][..]));
    send(&mut chat, r#"{"message":"after binary"}"#).await;
    assert_eq!(recv_text(&mut lobby).await, "after binary", "binary is not re-broadcast");
}

#[tokio::test]
async fn a_refused_rebroadcast_is_logged_and_sends_nothing() {
    let (mut t, mut chat, mut lobby) = two_clients().await;
    t.server.set_broadcast_level("/lobby", BroadcastLevel::Group).unwrap();
    send(&mut chat, r#"{"message":"x","path":"/lobby"}"#).await;
    let (level, _) = t.events.log("broadcast level for /lobby: group").await;
    assert_eq!(level, LogLevel::Warn);
    send(&mut chat, r#"{"message":"allowed, to nobody","path":"/lobby","group":"nobody"}"#).await;
    t.server.set_broadcast_level("/lobby", BroadcastLevel::Name).unwrap();
    send(&mut chat, r#"{"message":"marker","path":"/lobby"}"#).await;
    assert_eq!(recv_text(&mut lobby).await, "marker");
}

#[tokio::test]
async fn pipelined_and_fragmented_messages_are_all_processed() {
    let (_t, mut chat, mut lobby) = two_clients().await;
    // Many messages written back to back and flushed once arrive coalesced.
    for i in 0..100 {
        within("feed", chat.feed(Message::text(format!(r#"{{"message":"{i}","path":"/lobby"}}"#)))).await.unwrap();
    }
    within("flush", chat.flush()).await.unwrap();
    for i in 0..100 {
        assert_eq!(recv_text(&mut lobby).await, i.to_string());
    }
    // A message in three fragments, with a Ping between two of them.
    for frame in [
        Frame::message(&br#"{"message":"#[..], OpCode::Data(Data::Text), false),
        Frame::message(&br#""frag"#[..], OpCode::Data(Data::Continue), false),
        Frame::ping(&b"p"[..]),
        Frame::message(&br#"mented","path":"/lobby"}"#[..], OpCode::Data(Data::Continue), true),
    ] {
        within("a frame", chat.send(Message::Frame(frame))).await.unwrap();
    }
    assert_eq!(recv_text(&mut lobby).await, "fragmented");
}
