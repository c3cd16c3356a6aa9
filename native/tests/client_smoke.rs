//! An external connection to the engine's own server: connect, both message types,
//! send, disconnect, reset.

mod common;

use std::sync::mpsc;

use common::*;
use psws::{ClientConfig, ClientEvent, ClientHub, ClientState, ConnectOptions};

#[tokio::test(flavor = "multi_thread")]
async fn connect_send_receive_disconnect_reset() {
    let mut t = TestServer::ws();
    let hub = ClientHub::new(ClientConfig::default()).unwrap();
    let (tx, rx) = mpsc::channel();
    hub.set_event_handler(move |e| {
        let _ = tx.send(e);
    });
    let url = t.url("/feed");
    tokio::task::block_in_place(|| hub.connect("feed", &url, ConnectOptions::default())).unwrap();
    let conn = t.events.connect().await;
    assert_eq!(hub.state("feed"), Some(ClientState::Connected));

    hub.send_text("feed", r#"{"message":"hi"}"#).unwrap();
    let got = rx.recv_timeout(LIMIT).unwrap();
    assert!(matches!(&got, ClientEvent::Message { name, data, binary: false } if &**name == "feed" && &data[..] == b"hi"), "{got:?}");

    t.server.send_direct_binary(conn.id(), vec![1u8, 2, 3]).unwrap();
    let got = rx.recv_timeout(LIMIT).unwrap();
    assert!(matches!(&got, ClientEvent::Message { data, binary: true, .. } if &data[..] == [1, 2, 3]), "{got:?}");

    tokio::task::block_in_place(|| hub.disconnect("feed")).unwrap();
    assert_eq!(hub.state("feed"), Some(ClientState::Disconnected));
    let d = t.events.disconnect().await;
    assert_eq!(d.code, 1000);
    assert!(matches!(hub.send_text("feed", "x"), Err(psws::Error::NotConnected(_))));

    tokio::task::block_in_place(|| hub.reset("feed", None)).unwrap();
    assert_eq!(hub.state("feed"), Some(ClientState::Connected));
    t.events.connect().await;
}
