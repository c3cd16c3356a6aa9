//! Graceful shutdown: Close 1001 to every connection of both scopes (one Disconnect
//! each), pending requests answered 503, the ports released so that the same port can
//! be bound again at once, and every later call refused.

mod common;

use common::*;
use psws::{CloseInitiator, EndpointConfig, Error, Protocol, Scope, ServerConfig, Upgrade};

/// A Ws endpoint on `port` (auto-upgrade) and an Http endpoint on an ephemeral port
/// with the routes `/local` and `/slow`.
fn server_on(port: u16) -> TestServer {
    let t = TestServer::start(
        ServerConfig::default(),
        vec![EndpointConfig::new(Protocol::Ws, "127.0.0.1", port).name("ws"), EndpointConfig::new(Protocol::Http, "127.0.0.1", 0).name("web")],
    );
    t.server.add_route("GET", "/local", &[]).unwrap();
    t.server.add_route("GET", "/slow", &[]).unwrap();
    t
}

#[tokio::test]
async fn stop_closes_connections_answers_pending_requests_and_releases_the_port() {
    let port = free_port();
    let mut t = server_on(port);
    let web = t.server.endpoints()[1].address;
    let mut global = connect(&t.url("/chat")).await;
    let local_request = request(&format!("ws://{web}/local"), &[]);
    let (mut local, _, local_handle, local_conn) = upgrade_via_route(&mut t, local_request, Upgrade { scope: Some(Scope::Local), ..upgrade("L") }).await;
    let pending = tokio::spawn(http_get(web, "/slow", ""));
    let mut pending_handle = t.events.request().await;

    let ((), global_code, local_code, pending) = tokio::join!(t.stop(), recv_close_code(&mut global), recv_close_code(&mut local), pending);
    assert_eq!((global_code, local_code), (1001, 1001));
    assert_eq!(pending.unwrap().0, 503);
    assert!(matches!(pending_handle.respond(200, &[], Default::default()), Err(Error::RequestCompleted)));
    drop(local_handle);

    let gone = t.events.disconnects(2).await;
    assert!(gone.iter().all(|d| d.code == 1001 && d.initiator == CloseInitiator::Server), "{gone:?}");
    assert!(gone.iter().any(|d| d.connection.id() == local_conn.id()));
    assert!(!t.server.is_running());
    assert_eq!(t.server.metrics().connections, 0);

    // The port is free again: a new server takes it over at once.
    let mut next = server_on(port);
    assert_eq!(next.addr().port(), port);
    let _ws = connect(&next.url("/chat")).await;
    next.events.connect().await;
}

#[tokio::test]
async fn stop_from_an_async_caller_waits_until_the_port_is_free() {
    let t = TestServer::ws();
    let addr = t.addr();
    t.server.stop();
    drop(std::net::TcpListener::bind(addr).expect("the port is released when stop returns"));
    assert!(try_connect(request(&format!("ws://{addr}/chat"), &[])).await.is_err());
}

#[tokio::test]
async fn stop_is_idempotent_and_later_calls_are_refused() {
    let t = TestServer::ws();
    t.stop().await;
    t.stop().await;
    assert!(t.server.endpoints().is_empty());
    assert!(matches!(t.server.start(), Err(Error::Stopped)));
    assert!(matches!(t.server.send(&[], &[], &[], "x"), Err(Error::Stopped)));
    assert!(matches!(t.server.send_direct(1, "x"), Err(Error::Stopped)));
    assert!(matches!(t.server.close_signals("x", &[], &[]), Err(Error::Stopped)));
    assert!(matches!(t.server.close_connection(1, 1000, ""), Err(Error::Stopped)));
}
