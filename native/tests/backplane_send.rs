//! Broadcasts across nodes through a real Redis: every send mode crosses (Names, groups,
//! client ids, every Name, the native re-broadcast), with the receiving node's rules
//! (broadcast levels, signed ids); direct sends and Local scope stay on their node;
//! one publisher's order holds and nothing arrives twice.

mod common;

use std::time::Duration;

use common::redis::{RedisServer, acknowledged, auto_url, linked, node, status};
use common::*;
use psws::{BackplaneConfig, BroadcastLevel, Scope, Upgrade};

/// Two linked nodes on one Redis.
async fn pair(redis: &RedisServer) -> (TestServer, TestServer) {
    let a = node(BackplaneConfig::new(redis.url()));
    let b = node(BackplaneConfig::new(redis.url()));
    linked(&[&a, &b]).await;
    (a, b)
}

/// Ends a step: a send to every Name from `from`; each client must have received
/// exactly `expected[i]`, then "end".
async fn expect_each(from: &TestServer, clients: &mut [&mut Ws], expected: &[&[&str]]) {
    from.server.send(&[], &[], &[], "end").unwrap();
    for (ws, texts) in clients.iter_mut().zip(expected) {
        expect_texts(ws, texts).await;
        assert_eq!(recv_text(ws).await, "end", "nothing else arrived");
    }
}

#[tokio::test]
async fn names_groups_client_ids_and_every_name_cross_nodes() {
    let redis = RedisServer::start();
    let (mut a, mut b) = pair(&redis).await;
    let mut a1 = a.join(member("Chat", "a1", Some("Admins"))).await.0;
    let mut b1 = b.join(member("Chat", "b1", Some("Users"))).await.0;
    let mut b2 = b.join(member("News", "b2", None)).await.0;
    let send = |names: &[&str], groups: &[&str], ids: &[&str], text: &str| a.server.send(&strings(names), &strings(groups), &strings(ids), text.to_string()).unwrap();

    assert_eq!(send(&["Chat"], &[], &[], "1"), 1, "the count is this node's recipients");
    assert_eq!(send(&["Chat"], &["USERS"], &[], "2"), 0);
    assert_eq!(send(&[], &[], &["b2"], "3"), 0);
    assert_eq!(send(&["Chat", "News"], &[], &[], "4"), 1);
    assert_eq!(send(&["Chat"], &["admins"], &["b1"], "5"), 0, "b1 is not an Admin");
    assert_eq!(send(&["chat"], &[], &[], "6"), 0, "Names are case-sensitive on every node");
    expect_each(&a, &mut [&mut a1, &mut b1, &mut b2], &[&["1", "4"], &["1", "2", "4"], &["3", "4"]]).await;

    // And back: B's sends reach A.
    b.server.send(&strings(&["Chat"]), &[], &strings(&["a1"]), "from b".to_string()).unwrap();
    assert_eq!(recv_text(&mut a1).await, "from b");
    assert!(quiet_for(&mut b1, QUIET).await);

    acknowledged(&a).await;
    let (sa, sb) = (status(&a), status(&b));
    assert!(sa.published >= 7 && sb.received >= 7, "{sa:?} {sb:?}");
    assert_ne!(sa.node_id, sb.node_id);
}

#[tokio::test]
async fn the_native_rebroadcast_crosses_and_direct_replies_stay() {
    let redis = RedisServer::start();
    let (mut a, mut b) = pair(&redis).await;
    let mut sender = connect(&auto_url(&a, "/room")).await;
    let mut there = connect(&auto_url(&b, "/room")).await;
    let mut elsewhere = connect(&auto_url(&b, "/lobby")).await;
    a.events.connect().await;
    b.events.connect().await;
    b.events.connect().await;

    send(&mut sender, r#"{"message":{"n":1},"path":"/room"}"#).await;
    assert_eq!(recv_text(&mut sender).await, r#"{"n":1}"#);
    assert_eq!(recv_text(&mut there).await, r#"{"n":1}"#);
    assert!(quiet_for(&mut elsewhere, QUIET).await, "/lobby is not a target");

    send(&mut sender, r#"{"message":"everyone"}"#).await;
    for ws in [&mut sender, &mut there, &mut elsewhere] {
        assert_eq!(recv_text(ws).await, "everyone");
    }

    send(&mut sender, r#"{"message":"me","direct":true}"#).await;
    assert_eq!(recv_text(&mut sender).await, "me");
    let published = acknowledged(&a).await;
    // The direct reply was never published; a later broadcast shows B would have had it.
    a.server.send(&strings(&["/room"]), &[], &[], "after".to_string()).unwrap();
    assert_eq!(recv_text(&mut there).await, "after", "the direct reply did not cross");
    assert_eq!(acknowledged(&a).await, published + 1);
}

#[tokio::test]
async fn direct_sends_and_local_scope_stay_on_their_node() {
    let redis = RedisServer::start();
    let (mut a, mut b) = pair(&redis).await;
    let (mut mine, conn) = a.join(member("Chat", "mine", None)).await;
    let mut global_b = b.join(member("Chat", "gb", None)).await.0;
    let (mut local_b, _local_conn, _held) = b.join_held(Upgrade { scope: Some(Scope::Local), ..member("Chat", "lb", None) }).await;

    a.server.send_direct(conn.id(), "direct").unwrap();
    assert_eq!(recv_text(&mut mine).await, "direct");
    a.server.send(&strings(&["Chat"]), &[], &[], "broadcast".to_string()).unwrap();
    assert_eq!(recv_text(&mut global_b).await, "broadcast", "the direct send did not cross before it");
    assert!(quiet_for(&mut local_b, QUIET).await, "a Local connection gets no broadcast from any node");
    assert!(!a.server.signal_exists("Chat", &[], &strings(&["lb"])), "Local connections are in no list");
}

#[tokio::test]
async fn broadcast_levels_and_signed_ids_hold_on_the_receiving_node() {
    let redis = RedisServer::start();
    let (mut a, mut b) = pair(&redis).await;
    for n in [&a, &b] {
        n.server.enable_signing("shared-secret", false).unwrap();
    }
    let mut b1 = b.join(member("Chat", "b1", Some("Users"))).await.0;
    let b1_id = b.server.signal_client_ids("Chat", &[]).unwrap().remove(0);
    assert!(b1_id.starts_with("s:b1."), "{b1_id}");
    let mut a1 = a.join(member("Chat", "a1", None)).await.0;

    // B requires a group for Chat; A does not, so A's own clients get it, B's do not.
    b.server.set_broadcast_level("Chat", BroadcastLevel::Group).unwrap();
    a.server.send(&strings(&["Chat"]), &[], &[], "unspecific".to_string()).unwrap();
    assert_eq!(recv_text(&mut a1).await, "unspecific");
    a.server.send(&strings(&["Chat"]), &strings(&["users"]), &[], "to users".to_string()).unwrap();
    assert_eq!(recv_text(&mut b1).await, "to users", "the unspecific send was refused on B");

    // A's own level refuses the send there: nothing is published.
    a.server.set_broadcast_level("*", BroadcastLevel::ClientId).unwrap();
    let published = acknowledged(&a).await;
    assert!(a.server.send(&strings(&["Chat"]), &strings(&["users"]), &[], "refused".to_string()).is_err());
    // The signed id, as B issued it, addresses b1 from A.
    a.server.send(&strings(&["Chat"]), &[], std::slice::from_ref(&b1_id), "signed".to_string()).unwrap();
    assert_eq!(recv_text(&mut b1).await, "signed");
    assert_eq!(acknowledged(&a).await, published + 1);
    assert!(quiet_for(&mut a1, QUIET).await);
}

#[tokio::test]
async fn one_publishers_order_holds_and_nothing_arrives_twice() {
    let redis = RedisServer::start();
    let (a, mut b) = pair(&redis).await;
    let mut b1 = b.join(member("Seq", "b1", None)).await.0;
    const N: usize = 2_000;
    let sender = a.server.clone();
    // From a plain thread, as a host would call.
    std::thread::spawn(move || {
        for i in 0..N {
            sender.send(&strings(&["Seq"]), &[], &[], i.to_string()).unwrap();
        }
    });
    for i in 0..N {
        assert_eq!(recv_text(&mut b1).await, i.to_string());
    }
    assert!(quiet_for(&mut b1, Duration::from_millis(300)).await, "no duplicate");
    assert_eq!(status(&b).received, N as u64);
}
