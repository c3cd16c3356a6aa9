//! Slow readers and the bounded send queue: a peer that completes the handshake and
//! never reads is closed with 1008 under the default policy while a fast reader of the
//! same Name gets every message; under DropOldest the slow reader keeps its connection
//! and loses its oldest messages, never the newest. Either way the queue stays bounded.

mod common;

use std::time::Duration;

use common::*;
use psws::{CloseInitiator, ServerConfig, SlowReaderPolicy};

const QUEUE: usize = 256 << 10;
const CHUNK: usize = 64 << 10;
/// Far more than loopback socket buffers hold: a reader that never reads must be found
/// out long before this many chunks.
const MAX_CHUNKS: usize = 2000;

/// Sends numbered chunks to `/feed`, each in lockstep with `fast` (which must get every
/// one, in order, so only the slow reader can fall behind), until `done(reached)` says
/// so. Returns how many were sent.
async fn feed(t: &TestServer, fast: &mut Ws, mut done: impl FnMut(usize) -> bool) -> usize {
    let payload = "z".repeat(CHUNK);
    for sent in 0..MAX_CHUNKS {
        let reached = t.server.send(&strings(&["/feed"]), &[], &[], format!("{sent:06}{payload}")).unwrap();
        assert_eq!(&recv_text(fast).await[..6], format!("{sent:06}"));
        if done(reached) {
            return sent + 1;
        }
    }
    panic!("the slow reader never fell behind");
}

#[tokio::test]
async fn a_reader_that_never_reads_is_closed_with_1008() {
    // The Close frame cannot reach a peer that does not read: do not wait long for it.
    let config = ServerConfig::default().send_queue_bytes(QUEUE).close_timeout(Duration::from_millis(300));
    let mut t = TestServer::ws_with(config);
    let socket = socket_from(LOCAL_IP);
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = raw_websocket(socket, t.addr(), "/feed").await;
    let stalled_conn = t.events.connect().await;
    let mut fast = connect(&t.url("/feed")).await;

    // Both are reached until the stalled reader's queue overflows.
    feed(&t, &mut fast, |reached| {
        assert!(reached == 1 || reached == 2);
        reached == 1
    })
    .await;

    let gone = t.events.disconnect().await;
    assert_eq!(gone.connection.id(), stalled_conn.id());
    assert_eq!((gone.code, gone.initiator), (1008, CloseInitiator::Server));
    assert!(gone.reason.contains("too slowly"), "{}", gone.reason);
    assert!(t.server.metrics().queue_drops >= 1);
    expect_hangup(&mut stalled, "closed as a slow reader").await;
    assert_eq!(t.server.signal_count(Some("/feed")), 1);
    assert_eq!(t.server.send(&strings(&["/feed"]), &[], &[], "after").unwrap(), 1);
    assert_eq!(recv_text(&mut fast).await, "after");
}

#[tokio::test]
async fn drop_oldest_keeps_the_connection_and_the_newest_messages() {
    let mut t = TestServer::ws_with(ServerConfig::default().send_queue_bytes(QUEUE).slow_reader(SlowReaderPolicy::DropOldest));
    let mut paused = connect(&t.url("/feed")).await; // not read until the end
    let paused_conn = t.events.connect().await;
    let mut fast = connect(&t.url("/feed")).await;

    let server = t.server.clone();
    let sent = feed(&t, &mut fast, |reached| {
        assert_eq!(reached, 2, "a full queue drops, it never refuses");
        server.metrics().queue_drops >= 10
    })
    .await;
    t.server.send(&strings(&["/feed"]), &[], &[], "last").unwrap();
    assert!(!paused_conn.is_closed());

    let mut received = Vec::new();
    loop {
        let text = recv_text(&mut paused).await;
        if text == "last" {
            break;
        }
        received.push(text[..6].parse::<usize>().unwrap());
    }
    assert!(received.windows(2).all(|w| w[0] < w[1]), "in order, gaps only");
    assert_eq!(received.last(), Some(&(sent - 1)), "the newest messages are kept");
    let drops = t.server.metrics().queue_drops as usize;
    assert_eq!(received.len() + drops, sent, "every message was either delivered or counted as dropped");
    assert!(received.len() * CHUNK > QUEUE, "more than the queue was delivered: the socket buffers were full first");
    send(&mut paused, r#"{"message":"still open"}"#).await;
    assert_eq!(recv_text(&mut paused).await, "still open");
    assert_eq!(recv_text(&mut fast).await, "last");
}
