//! Without a signal route the engine re-broadcasts client messages natively, as Pode's
//! default `Send-PodeSignal` does: to the message's `path` (or every Name), filtered by
//! `group` and `clientId`, or back to the sender alone with `direct: true`.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test]
async fn a_message_reaches_every_name_including_the_sender() {
    let mut t = TestServer::ws();
    let mut a = connect(&t.url("/msg")).await;
    let mut b = connect(&t.url("/other")).await;
    t.events.connect().await;
    t.events.connect().await;
    send(&mut a, r#"{"message":"hello"}"#).await;
    assert_eq!(recv_text(&mut a).await, "hello");
    assert_eq!(recv_text(&mut b).await, "hello");
}

#[tokio::test]
async fn path_group_client_id_and_direct_narrow_the_targets() {
    let mut t = TestServer::ws();
    let mut a = connect(&t.url("/room")).await;
    let (mut b, b_id) = connect_with_id(&t.url("/room")).await;
    let mut c = connect(&t.url("/lobby")).await;
    for _ in 0..3 {
        t.events.connect().await;
    }
    assert_eq!(t.server.signal_client_ids("/room", &[]).unwrap().len(), 2);

    send(&mut c, r#"{"message":{"n":1},"path":"/room"}"#).await;
    assert_eq!(recv_text(&mut a).await, r#"{"n":1}"#);
    assert_eq!(recv_text(&mut b).await, r#"{"n":1}"#);
    assert!(quiet_for(&mut c, Duration::from_millis(200)).await, "/lobby is not a target");

    send(&mut c, &format!(r#"{{"message":"only b","path":"/room","clientId":"{b_id}"}}"#)).await;
    assert_eq!(recv_text(&mut b).await, "only b");
    assert!(quiet_for(&mut a, Duration::from_millis(200)).await);

    send(&mut a, r#"{"message":"me","direct":true}"#).await;
    assert_eq!(recv_text(&mut a).await, "me");
    assert!(quiet_for(&mut b, Duration::from_millis(200)).await);
    assert!(quiet_for(&mut c, Duration::from_millis(200)).await);
}
