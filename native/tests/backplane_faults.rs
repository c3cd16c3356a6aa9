//! Redis faults: killed and restarted mid-stream (the outbox is delivered in order,
//! nothing twice); a node started while Redis is down serves its own clients, keeps
//! the newest broadcasts within the outbox bound and publishes them when Redis appears.

mod common;

use std::time::Duration;

use common::redis::{RedisServer, acknowledged, eventually, linked, node, status};
use common::*;
use psws::BackplaneConfig;

/// Reconnects quickly, so the tests do not wait on the default backoff.
fn config(redis_url: String) -> BackplaneConfig {
    BackplaneConfig::new(redis_url).reconnect_min(Duration::from_millis(50)).reconnect_max(Duration::from_millis(200))
}

#[tokio::test]
async fn redis_killed_and_restarted_mid_stream_loses_nothing_and_repeats_nothing() {
    let mut redis = RedisServer::start();
    let mut a = node(config(redis.url()));
    let mut b = node(config(redis.url()));
    linked(&[&a, &b]).await;
    let mut a1 = a.join(member("Feed", "a1", None)).await.0;
    let mut b1 = b.join(member("Feed", "b1", None)).await.0;
    let send = |i: usize| a.server.send(&strings(&["Feed"]), &[], &[], i.to_string()).unwrap();

    for i in 0..50 {
        send(i);
    }
    for i in 0..50 {
        assert_eq!(recv_text(&mut b1).await, i.to_string());
    }

    redis.kill();
    eventually("both nodes to notice that Redis is gone", || !status(&a).connected && !status(&b).connected).await;
    for i in 50..100 {
        send(i);
    }
    for i in 0..100 {
        assert_eq!(recv_text(&mut a1).await, i.to_string(), "local clients are served while Redis is down");
    }
    assert_eq!(status(&a).outbox_depth, 50);
    assert!(quiet_for(&mut b1, QUIET).await);

    redis.restart();
    for i in 50..100 {
        assert_eq!(recv_text(&mut b1).await, i.to_string(), "the outbox arrives in order");
    }
    send(100);
    assert_eq!(recv_text(&mut b1).await, "100", "and nothing twice");
    acknowledged(&a).await;
    let (sa, sb) = (status(&a), status(&b));
    assert!(sa.connected && sa.outbox_depth == 0 && sa.dropped == 0, "{sa:?}");
    assert_eq!(sb.received, 101);
}

#[tokio::test]
async fn a_node_started_without_redis_serves_locally_and_publishes_the_newest_when_redis_appears() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let mut a = node(config(url.clone()).outbox_messages(5));
    let mut b = node(config(url));
    let mut a1 = a.join(member("Feed", "a1", None)).await.0;
    let mut b1 = b.join(member("Feed", "b1", None)).await.0;

    for i in 0..12 {
        assert_eq!(a.server.send(&strings(&["Feed"]), &[], &[], i.to_string()).unwrap(), 1);
        assert_eq!(recv_text(&mut a1).await, i.to_string());
    }
    let s = status(&a);
    assert!(!s.connected);
    assert_eq!((s.outbox_depth, s.dropped, s.published), (5, 7, 0), "the oldest went past the bound");

    let _redis = RedisServer::start_on(port);
    linked(&[&a, &b]).await;
    for i in 7..12 {
        assert_eq!(recv_text(&mut b1).await, i.to_string(), "the newest five, in order");
    }
    b.server.send(&strings(&["Feed"]), &[], &[], "back".to_string()).unwrap();
    assert_eq!(recv_text(&mut b1).await, "back", "nothing else arrived");
    assert_eq!(recv_text(&mut a1).await, "back");
    let published = acknowledged(&a).await;
    assert_eq!((status(&a).dropped, published), (7, 5));
}
