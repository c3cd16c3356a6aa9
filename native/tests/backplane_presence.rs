//! Cluster-wide lists: Names, groups and client ids of every node; a client that leaves
//! and a node that stops leave the lists; a node that crashes (its presence is never
//! removed) leaves them once its presence expires; the channel prefix separates apps.

mod common;

use std::time::Duration;

use common::redis::{RedisServer, eventually, linked, node};
use common::*;
use psws::{BackplaneConfig, Error};

/// Short presence expiry, so expiry is quick to see.
const TTL: Duration = Duration::from_millis(1500);

fn config(redis: &RedisServer) -> BackplaneConfig {
    BackplaneConfig::new(redis.url()).presence_ttl(TTL)
}

#[tokio::test]
async fn lists_cover_every_node_and_follow_clients_and_nodes() {
    let redis = RedisServer::start();
    let mut a = node(config(&redis));
    let mut b = node(config(&redis));
    linked(&[&a, &b]).await;
    let _a1 = a.join(member("Chat", "a1", Some("Admins"))).await.0;
    let _b1 = b.join(member("Chat", "b1", Some("users"))).await.0;
    let mut b2 = b.join(member("Chat", "b2", Some("Users"))).await.0;
    let _b3 = b.join(member("News", "b3", None)).await.0;

    // B may write its presence between two of its connections: wait for the last one.
    eventually("A to list B's clients", || a.server.signal_exists("News", &[], &strings(&["b3"]))).await;
    assert_eq!(a.server.signal_client_ids("Chat", &[]).unwrap(), ["a1", "b1", "b2"]);
    assert_eq!(a.server.signal_names(), ["Chat", "News"]);
    assert_eq!(a.server.signal_groups("Chat").unwrap(), ["Admins", "Users"]);
    assert_eq!(a.server.signal_client_ids("Chat", &strings(&["USERS"])).unwrap(), ["b1", "b2"]);
    assert_eq!(a.server.signal_client_ids("News", &[]).unwrap(), ["b3"], "a Name only B has");
    assert!(a.server.signal_exists("News", &[], &strings(&["b3"])));
    assert!(!a.server.signal_exists("News", &[], &strings(&["b1"])));
    assert_eq!(a.server.signal_count(None), 1, "counts stay per node");
    assert!(matches!(a.server.signal_groups("Nope"), Err(Error::UnknownName(_))));

    b2.close(None).await.unwrap();
    eventually("A to drop b2", || a.server.signal_client_ids("Chat", &[]).is_ok_and(|ids| ids == ["a1", "b1"])).await;

    b.stop().await;
    eventually("A to drop the stopped node's clients", || a.server.signal_names() == ["Chat"]).await;
    assert_eq!(a.server.signal_client_ids("Chat", &[]).unwrap(), ["a1"]);
}

#[tokio::test]
async fn a_crashed_nodes_presence_expires_and_prefixes_keep_apps_apart() {
    let redis = RedisServer::start();
    let a = node(config(&redis));
    let other_app = node(config(&redis).channel_prefix("other".into()));
    linked(&[&a, &other_app]).await;

    // A node that crashed: its presence was written once and is never refreshed or removed.
    let mut conn = redis.connection();
    let ttl = TTL.as_millis() as u64;
    let expiry = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64 + ttl;
    let _: () = ::redis::pipe()
        .cmd("SET")
        .arg("psws:presence:ghost")
        .arg(r#"[{"n":"Ghosts","g":"","c":"g1"}]"#)
        .arg("PX")
        .arg(ttl)
        .cmd("ZADD")
        .arg("psws:nodes")
        .arg(expiry)
        .arg("ghost")
        .query(&mut conn)
        .unwrap();
    eventually("A to list the crashed node's client", || a.server.signal_exists("Ghosts", &[], &[])).await;
    assert!(!other_app.server.signal_exists("Ghosts", &[], &[]), "another prefix is another app");
    // The documented bound: presence_ttl plus one read (at most a second).
    eventually("the crashed node's presence to expire", || !a.server.signal_exists("Ghosts", &[], &[])).await;
}
