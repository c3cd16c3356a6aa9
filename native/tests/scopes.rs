//! Scopes: a Local connection lives while its request handle is open, stays out of the
//! registry, is reached by direct sends only and gets a Close frame when the handle
//! completes; a Global one outlives its request; the server-wide default scope.

mod common;

use common::*;
use psws::{CloseInitiator, Error, Scope, ServerConfig, Upgrade};

fn local(name: &str) -> Upgrade {
    Upgrade { scope: Some(Scope::Local), ..upgrade(name) }
}

#[tokio::test]
async fn a_local_connection_is_reached_only_directly_while_its_handle_is_open() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    let (mut ws, conn, handle) = t.join_held(local("Loc")).await;
    assert_eq!(conn.scope(), Scope::Local);
    assert_eq!(handle.upgraded().map(|c| c.id()), Some(conn.id()));
    assert!(!handle.is_pending());

    assert!(t.server.signal_names().is_empty(), "Local connections are not in the registry");
    assert!(t.server.find_connection("Loc", conn.client_id()).is_none());
    assert_eq!(t.server.send(&strings(&["Loc"]), &[], &[], "by name").unwrap(), 0);
    assert_eq!(t.server.send(&[], &[], &[], "to everyone").unwrap(), 0);
    assert!(t.server.connection(conn.id()).is_some());
    t.server.send_direct(conn.id(), "direct").unwrap();
    assert_eq!(recv_text(&mut ws).await, "direct", "the first message it gets is the direct one");

    // Completing the request closes the connection with a Close frame.
    drop(handle);
    assert_eq!(recv_close_code(&mut ws).await, 1000);
    t.events.connect().await;
    let gone = t.events.disconnect().await;
    assert_eq!((gone.connection.id(), gone.code, gone.initiator), (conn.id(), 1000, CloseInitiator::Server));
    assert!(matches!(t.server.send_direct(conn.id(), "late"), Err(Error::UnknownConnection(_))));
    assert!(t.server.connection(conn.id()).is_none());
}

#[tokio::test]
async fn finishing_the_handle_also_closes_a_local_connection() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    let (mut ws, conn, handle) = t.join_held(local("Loc")).await;
    handle.finish();
    assert_eq!(recv_close_code(&mut ws).await, 1000);
    assert_eq!(t.events.disconnect().await.connection.id(), conn.id());
}

#[tokio::test]
async fn a_global_connection_outlives_its_request() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    let (mut ws, conn, handle) = t.join_held(Upgrade { scope: Some(Scope::Global), ..upgrade("Glob") }).await;
    assert!(handle.upgraded().is_none(), "only a Local connection belongs to its request");
    drop(handle);
    assert_eq!(t.server.send(&strings(&["Glob"]), &[], &[], "still open").unwrap(), 1);
    assert_eq!(recv_text(&mut ws).await, "still open");
    assert!(!conn.is_closed());
}

#[tokio::test]
async fn the_default_scope_is_global_and_can_be_changed() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    assert_eq!(t.server.default_scope(), Scope::Global);
    let (_global, conn) = t.join(upgrade("A")).await;
    assert_eq!(conn.scope(), Scope::Global);
    assert_eq!(t.server.signal_names(), ["A"]);

    t.server.set_default_scope(Scope::Local);
    assert_eq!(t.server.default_scope(), Scope::Local);
    let (mut ws, conn, handle) = t.join_held(upgrade("B")).await;
    assert_eq!(conn.scope(), Scope::Local);
    assert_eq!(t.server.signal_names(), ["A"]);
    drop(handle);
    assert_eq!(recv_close_code(&mut ws).await, 1000);

    // An explicit scope wins over the default.
    let (_explicit, conn) = t.join(Upgrade { scope: Some(Scope::Global), ..upgrade("C") }).await;
    assert_eq!(conn.scope(), Scope::Global);

    let configured = TestServer::http(ServerConfig::default().default_scope(Scope::Local));
    assert_eq!(configured.server.default_scope(), Scope::Local);
}
