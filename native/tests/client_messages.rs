//! Messages on an external connection: text and binary both ways with the engine's own
//! server and with Node's `ws`, in order, fragmented messages reassembled, 10 MiB both
//! ways, and `max_message_size` for what comes in (close 1009) and what goes out (an
//! error, the connection stays).

mod common;

use bytes::Bytes;
use common::client::*;
use common::*;
use psws::{ClientConfig, ClientState, CloseInitiator, Error};

/// `len` bytes that differ from their neighbours (so a shifted or truncated copy fails).
fn pattern(len: usize) -> Bytes {
    (0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into()
}

#[tokio::test(flavor = "multi_thread")]
async fn text_and_binary_both_ways_with_the_engine_server() {
    let mut server = TestServer::ws();
    let mut t = TestHub::default_config();
    t.connect("feed", &server.url("/feed")).unwrap();
    let conn = server.events.connect().await;

    server.server.send_direct(conn.id(), "héllo ✓").unwrap();
    assert_eq!(t.events.text("feed").await, "héllo ✓");
    server.server.send_direct_binary(conn.id(), vec![0u8, 1, 254, 255]).unwrap();
    assert_eq!(&t.events.binary("feed").await[..], [0, 1, 254, 255]);

    t.hub.send_binary("feed", vec![9u8, 8, 7]).unwrap();
    assert_eq!(&server_binary(&mut server.events).await[..], [9, 8, 7]);
    // Text goes through the server's signal pipeline, which sends `message` back.
    t.hub.send_text("feed", r#"{"message":"round trip"}"#).unwrap();
    assert_eq!(t.events.text("feed").await, "round trip");

    for i in 0..200 {
        server.server.send_direct(conn.id(), format!("n{i}")).unwrap();
    }
    for i in 0..200 {
        assert_eq!(t.events.text("feed").await, format!("n{i}"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn text_and_binary_both_ways_with_node_in_order() {
    let node = NodePeer::start();
    let mut t = TestHub::default_config();
    t.connect("echo", &node.url("/echo")).unwrap();
    for i in 0..100 {
        t.hub.send_text("echo", format!("text {i} ✓")).unwrap();
        t.hub.send_binary("echo", vec![i as u8; i + 1]).unwrap();
    }
    for i in 0..100 {
        assert_eq!(t.events.text("echo").await, format!("text {i} ✓"));
        assert_eq!(&t.events.binary("echo").await[..], vec![i as u8; i + 1]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fragmented_messages_from_node_arrive_whole() {
    let node = NodePeer::start();
    let mut t = TestHub::default_config();
    t.connect("echo", &node.url("/echo")).unwrap();
    let expected = |count: usize, size: usize| -> Vec<u8> { (0..count).flat_map(|i| vec![b'0' + (i % 10) as u8; size]).collect() };

    t.hub.send_text("echo", "cmd:fragments text 5 1000").unwrap();
    assert_eq!(t.events.text("echo").await.as_bytes(), expected(5, 1000));
    t.hub.send_text("echo", "cmd:fragments binary 3 7").unwrap();
    assert_eq!(&t.events.binary("echo").await[..], expected(3, 7));
    // Many fragments, larger than any read buffer.
    t.hub.send_text("echo", "cmd:fragments binary 40 65536").unwrap();
    assert_eq!(&t.events.binary("echo").await[..], expected(40, 65536));
    // A message after fragments is its own message.
    t.hub.send_text("echo", "after").unwrap();
    assert_eq!(t.events.text("echo").await, "after");
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_mib_both_ways() {
    const SIZE: usize = 10 << 20;
    let big = pattern(SIZE);

    let node = NodePeer::start();
    let mut server = TestServer::ws();
    let mut t = TestHub::default_config();
    t.connect("node", &node.url("/echo")).unwrap();
    t.connect("engine", &server.url("/feed")).unwrap();
    let conn = server.events.connect().await;

    // Node echoes: out and back in one go, both types.
    t.hub.send_binary("node", big.clone()).unwrap();
    assert!(t.events.binary("node").await == big, "the binary echo differs");
    let text = "é".repeat(SIZE / 2);
    t.hub.send_text("node", text.clone()).unwrap();
    assert!(t.events.text("node").await == text, "the text echo differs");

    t.hub.send_binary("engine", big.clone()).unwrap();
    assert!(server_binary(&mut server.events).await == big, "the engine server got other bytes");
    server.server.send_direct_binary(conn.id(), big.clone()).unwrap();
    assert!(t.events.binary("engine").await == big, "the client got other bytes");
}

#[tokio::test(flavor = "multi_thread")]
async fn inbound_messages_over_max_message_size_close_with_1009() {
    const MAX: usize = 64 << 10;
    let node = NodePeer::start();
    let mut t = TestHub::new(ClientConfig::default().max_message_size(MAX));

    // Exactly the maximum is fine.
    t.connect("one", &node.url("/echo")).unwrap();
    t.hub.send_text("one", format!("cmd:big binary {MAX}")).unwrap();
    assert_eq!(t.events.binary("one").await.len(), MAX);

    // One byte more in a single frame, then in fragments that are each small enough.
    t.hub.send_text("one", format!("cmd:big binary {}", MAX + 1)).unwrap();
    t.connect("two", &node.url("/echo")).unwrap();
    t.hub.send_text("two", format!("cmd:fragments text 4 {}", MAX / 4 + 1)).unwrap();
    for name in ["one", "two"] {
        let closed = t.events.disconnected(name).await;
        assert_eq!(closed.code, 1009, "{name}: {closed:?}");
        assert_eq!(closed.initiator, CloseInitiator::Client, "{name}: {closed:?}");
        assert!(closed.reason.contains(&MAX.to_string()), "{name}: {closed:?}");
        assert_eq!(t.hub.state(name), Some(ClientState::Disconnected));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn outbound_messages_over_max_message_size_are_refused_and_the_connection_stays() {
    const MAX: usize = 64 << 10;
    let node = NodePeer::start();
    let mut t = TestHub::new(ClientConfig::default().max_message_size(MAX));
    t.connect("echo", &node.url("/echo")).unwrap();

    let err = t.hub.send_binary("echo", vec![0u8; MAX + 1]).unwrap_err();
    assert!(matches!(err, Error::MessageTooLarge { size, max } if size == MAX + 1 && max == MAX), "{err}");
    let err = t.hub.send_text("echo", "x".repeat(MAX + 1)).unwrap_err();
    assert!(matches!(err, Error::MessageTooLarge { .. }), "{err}");

    t.hub.send_text("echo", "x".repeat(MAX)).unwrap();
    assert_eq!(t.events.text("echo").await.len(), MAX);
    assert_eq!(t.hub.state("echo"), Some(ClientState::Connected));
}
