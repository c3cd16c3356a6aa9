//! Sends: to Names filtered by Groups and/or ClientIds or to every Name, with the count
//! of connections reached; broadcast levels (per Name and `*`) refused with Pode's error
//! and nothing sent; direct text and binary sends to one connection; one payload shared
//! intact by every recipient, in order.

mod common;

use common::*;
use psws::{BroadcastLevel, Error, ServerConfig};
use tokio_tungstenite::tungstenite::Message;

/// Chat: a (Admins), b (Users), c (no group); News: d.
async fn populated() -> (TestServer, [Ws; 4]) {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    let a = t.join(member("Chat", "a", Some("Admins"))).await.0;
    let b = t.join(member("Chat", "b", Some("Users"))).await.0;
    let c = t.join(member("Chat", "c", None)).await.0;
    let d = t.join(member("News", "d", None)).await.0;
    (t, [a, b, c, d])
}

/// Ends a test step: every client must have received exactly `expected[i]`, then "end".
async fn expect_each(t: &TestServer, clients: &mut [Ws; 4], expected: [&[&str]; 4]) {
    assert_eq!(t.server.send(&[], &[], &[], "end").unwrap(), 4);
    for (ws, texts) in clients.iter_mut().zip(expected) {
        expect_texts(ws, texts).await;
        assert_eq!(recv_text(ws).await, "end", "nothing else arrived");
    }
}

#[tokio::test]
async fn sends_reach_names_groups_and_client_ids_and_report_the_count() {
    let (t, mut clients) = populated().await;
    let send =
        |names: &[&str], groups: &[&str], ids: &[&str], text: &str| t.server.send(&strings(names), &strings(groups), &strings(ids), text.to_string()).unwrap();

    assert_eq!(send(&["Chat"], &[], &[], "1"), 3);
    assert_eq!(send(&["Chat"], &["ADMINS"], &[], "2"), 1);
    assert_eq!(send(&["Chat"], &["admins", "users"], &[], "3"), 2);
    assert_eq!(send(&["Chat"], &[], &["b", "zz", "B"], "4"), 1);
    assert_eq!(send(&["Chat"], &["admins"], &["b"], "5"), 0, "b is not an Admin");
    assert_eq!(send(&["Chat", "News"], &[], &[], "6"), 4);
    assert_eq!(send(&[], &[], &["d", "a"], "7"), 2, "every Name, filtered by id");
    assert_eq!(send(&["Nope"], &[], &[], "8"), 0);
    assert_eq!(send(&["chat"], &[], &[], "9"), 0, "Names are case-sensitive");
    expect_each(&t, &mut clients, [&["1", "2", "3", "6", "7"], &["1", "3", "4", "6"], &["1", "6"], &["6", "7"]]).await;
}

#[tokio::test]
async fn broadcast_levels_refuse_unspecific_sends_and_send_nothing() {
    let (t, mut clients) = populated().await;
    let send = |names: &[&str], groups: &[&str], ids: &[&str], text: &str| t.server.send(&strings(names), &strings(groups), &strings(ids), text.to_string());
    assert_eq!(t.server.broadcast_level("Chat"), BroadcastLevel::Name);

    t.server.set_broadcast_level("CHAT", BroadcastLevel::Group).unwrap();
    assert_eq!(t.server.broadcast_level("Chat"), BroadcastLevel::Group, "level Names ignore case");
    let err = send(&["Chat"], &[], &[], "x").unwrap_err();
    assert!(matches!(&err, Error::BroadcastLevel { name, level: BroadcastLevel::Group } if name == "Chat"));
    assert_eq!(err.to_string(), "Signal failed to broadcast due to defined Signal broadcast level for Chat: group");
    assert_eq!(send(&["Chat"], &["users"], &[], "g").unwrap(), 1);
    assert_eq!(send(&["Chat"], &[], &["c"], "i").unwrap(), 1);

    t.server.set_broadcast_level("*", BroadcastLevel::ClientId).unwrap();
    assert_eq!(t.server.broadcast_level("News"), BroadcastLevel::ClientId);
    assert_eq!(t.server.broadcast_level("Chat"), BroadcastLevel::Group, "a Name's own level wins over *");
    assert!(matches!(send(&["News"], &["g"], &[], "x"), Err(Error::BroadcastLevel { level: BroadcastLevel::ClientId, .. })));
    assert!(send(&[], &[], &[], "x").is_err(), "every Name is checked");
    // One refused Name stops the whole send, also for the Names that would pass.
    assert!(send(&["Chat", "News"], &["admins"], &[], "x").is_err());
    assert_eq!(send(&["Chat", "News"], &[], &["a", "d"], "both").unwrap(), 2);
    assert!(matches!(t.server.set_broadcast_level("", BroadcastLevel::Name), Err(Error::InvalidArgument(_))));

    t.server.set_broadcast_level("*", BroadcastLevel::Name).unwrap();
    t.server.set_broadcast_level("Chat", BroadcastLevel::Name).unwrap();
    expect_each(&t, &mut clients, [&["both"], &["g"], &["i"], &["both"]]).await;
}

#[tokio::test]
async fn direct_sends_reach_one_connection_and_ignore_broadcast_levels() {
    let (t, mut clients) = populated().await;
    t.server.set_broadcast_level("*", BroadcastLevel::ClientId).unwrap();
    let b = t.server.find_connection("Chat", "b").unwrap();
    t.server.send_direct(b.id(), "text").unwrap();
    t.server.send_direct_binary(b.id(), vec![0u8, 1, 255]).unwrap();
    assert_eq!(recv_text(&mut clients[1]).await, "text");
    assert_eq!(recv(&mut clients[1]).await, Message::binary(vec![0u8, 1, 255]));
    assert!(matches!(t.server.send_direct(u64::MAX, "x"), Err(Error::UnknownConnection(u64::MAX))));
    assert!(matches!(t.server.send_direct_binary(u64::MAX, vec![1]), Err(Error::UnknownConnection(_))));
    t.server.set_broadcast_level("*", BroadcastLevel::Name).unwrap();
    expect_each(&t, &mut clients, [&[], &[], &[], &[]]).await;
}

#[tokio::test]
async fn one_large_payload_reaches_every_recipient_intact() {
    let (t, mut clients) = populated().await;
    let before = t.server.metrics();
    let payload: String = (0..(1 << 20)).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    assert_eq!(t.server.send(&strings(&["Chat"]), &[], &[], payload.clone()).unwrap(), 3);
    for ws in &mut clients[..3] {
        assert!(recv_text(ws).await == payload, "the payload arrived intact");
    }
    let after = t.server.metrics();
    assert_eq!(after.messages_out - before.messages_out, 3);
    assert_eq!(after.bytes_out - before.bytes_out, 3 * payload.len() as u64);
}

#[tokio::test]
async fn messages_to_one_connection_keep_their_order() {
    let (t, mut clients) = populated().await;
    for i in 0..500 {
        t.server.send(&strings(&["News"]), &[], &[], i.to_string()).unwrap();
    }
    let mut received = Vec::new();
    while received.len() < 500 {
        received.push(recv_text(&mut clients[3]).await);
    }
    assert_eq!(received, (0..500).map(|i| i.to_string()).collect::<Vec<_>>());
}
