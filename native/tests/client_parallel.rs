//! Many connections at once: connects made in parallel, a server that stopped reading
//! (its socket full) or never answers the handshake stalls nobody else, and a connection
//! whose send queue overflows is closed with 1008 on its own.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::client::*;
use common::*;
use psws::{ClientConfig, ClientState, CloseInitiator, Error};

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_reads_stalls_no_other_connection() {
    let (stuck_addr, mut handshakes) = unresponsive_server().await;
    let node = NodePeer::start();
    let mut server = TestServer::ws();
    let mut t = TestHub::new(ClientConfig::default().send_queue_bytes(16 << 20));
    t.connect("stuck", &format!("ws://{stuck_addr}/feed")).unwrap();
    within("the handshake", handshakes.recv()).await.unwrap();
    t.connect("node", &node.url("/echo")).unwrap();
    t.connect("engine", &server.url("/feed")).unwrap();
    server.events.connect().await;

    // Far more than the socket buffers of both ends hold (the server's receive buffer
    // is tiny; a send buffer grows to 4 MiB at most): the writer of "stuck" blocks, and
    // the rest waits in its queue, which holds 16 MiB.
    let chunk = Bytes::from(vec![0u8; 1 << 20]);
    for _ in 0..12 {
        t.hub.send_binary("stuck", chunk.clone()).unwrap();
    }
    for i in 0..20 {
        t.hub.send_text("node", format!("n{i}")).unwrap();
        assert_eq!(t.events.text("node").await, format!("n{i}"));
        t.hub.send_text("engine", format!(r#"{{"message":"e{i}"}}"#)).unwrap();
        assert_eq!(t.events.text("engine").await, format!("e{i}"));
    }
    assert_eq!(t.hub.state("stuck"), Some(ClientState::Connected));

    // The queue of "stuck" fills up: it is closed with 1008, the others carry on.
    let overflowed = (0..200).find(|_| matches!(t.hub.send_binary("stuck", chunk.clone()), Err(Error::NotConnected(_))));
    assert!(overflowed.is_some(), "the send queue of a server that never reads must overflow");
    let closed = t.events.disconnected("stuck").await;
    assert_eq!((closed.code, closed.initiator), (1008, CloseInitiator::Client), "{closed:?}");
    assert_eq!(t.hub.state("stuck"), Some(ClientState::Disconnected));
    t.hub.send_text("node", "still fine").unwrap();
    assert_eq!(t.events.text("node").await, "still fine");
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnecting_from_a_server_that_never_reads_drops_it_and_says_so() {
    let (stuck_addr, _handshakes) = unresponsive_server().await;
    // Disconnect waits up to twice the close timeout for the connection to end.
    let mut t = TestHub::new(ClientConfig::default().close_timeout(Duration::from_secs(1)));
    t.connect("stuck", &format!("ws://{stuck_addr}/feed")).unwrap();
    let chunk = Bytes::from(vec![0u8; 1 << 20]);
    for _ in 0..12 {
        t.hub.send_binary("stuck", chunk.clone()).unwrap();
    }

    // No clean Close is possible; the call still returns and the host hears of it.
    t.disconnect("stuck").unwrap();
    assert_eq!(t.hub.state("stuck"), Some(ClientState::Disconnected));
    let closed = t.events.disconnected("stuck").await;
    assert_eq!((closed.code, closed.initiator, closed.reconnecting), (1006, CloseInitiator::Client, false), "{closed:?}");
    assert!(matches!(t.hub.send_text("stuck", "x"), Err(Error::NotConnected(_))));
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_connects_are_not_held_up_by_a_server_that_never_answers() {
    let node = NodePeer::start();
    let server = TestServer::ws();
    let silent = silent_server().await;
    // Longer than every wait below: if the silent connect held the others up, they
    // would time out.
    let mut t = TestHub::new(ClientConfig::default().connect_timeout(LIMIT * 3));

    let hub = t.hub.clone();
    let _hanging = std::thread::spawn(move || hub.connect("silent", &format!("ws://{silent}/feed"), Default::default()));
    let urls: Vec<(String, String)> = (0..16)
        .map(|i| {
            let url = if i % 2 == 0 { node.url(&format!("/echo{i}")) } else { server.url(&format!("/feed{i}")) };
            (format!("c{i:02}"), url)
        })
        .collect();
    let (done, results) = std::sync::mpsc::channel();
    for (name, url) in urls.iter().cloned() {
        let (hub, done) = (t.hub.clone(), done.clone());
        std::thread::spawn(move || done.send((hub.connect(&name, &url, Default::default()), name)));
    }
    for _ in &urls {
        let (result, name) = tokio::task::block_in_place(|| results.recv_timeout(LIMIT)).expect("a connect held up");
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (name, _) in &urls {
        assert_eq!(t.hub.state(name), Some(ClientState::Connected), "{name}");
    }
    assert!(t.hub.names().len() >= 16);

    for (i, (name, _)) in urls.iter().enumerate() {
        let text = if i % 2 == 0 { format!("to {name}") } else { format!(r#"{{"message":"to {name}","path":"/feed{i}"}}"#) };
        t.hub.send_text(name, text).unwrap();
    }
    for (name, _) in &urls {
        assert_eq!(t.events.text(name).await, format!("to {name}"));
    }
    assert_ne!(t.hub.state("silent"), Some(ClientState::Connected));
}
