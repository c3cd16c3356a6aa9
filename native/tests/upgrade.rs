//! The WebSocket handshake: legacy auto-upgrade (Name = URL path, Global scope, fresh
//! client id), manual upgrade of a routed request with Pode's X-Pode-Signal-* response
//! headers, and the refusals: 405 for a non-GET, 412 without a key, 400 without a
//! version and 426 for a wrong one.

mod common;

use common::*;
use psws::{Error, Scope, ServerConfig};

fn is_guid(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

#[tokio::test]
async fn auto_upgrade_names_the_connection_after_the_url_path() {
    let mut t = TestServer::ws();
    let (_a, response) = connect_request(request(&t.url("/chat/room%201?x=1"), &[("user-agent", "tester/1")])).await;
    let conn = t.events.connect().await;

    assert_eq!(response.status(), 101);
    assert!(header(&response, "sec-websocket-accept").is_some());
    // Pode's Name is the AbsolutePath as sent (not decoded); the path is decoded.
    assert_eq!(header(&response, "x-pode-signal-name"), Some("/chat/room%201"));
    assert_eq!(header(&response, "x-pode-signal-group"), None, "no Group header without a group");
    let id = header(&response, "x-pode-signal-client-id").unwrap();
    assert!(is_guid(id), "a fresh GUID: {id}");
    assert_eq!((conn.name(), conn.client_id(), conn.group()), ("/chat/room%201", id, ""));
    assert_eq!((conn.path(), conn.query()), ("/chat/room 1", "x=1"));
    assert_eq!(conn.scope(), Scope::Global);
    assert_eq!(conn.user_agent(), "tester/1");
    assert_eq!(conn.host(), t.addr().to_string());

    // A second client on the same path gets its own id under the same Name.
    let (_b, other) = connect_with_id(&t.url("/chat/room%201")).await;
    t.events.connect().await;
    assert_ne!(other, id);
    let mut ids = t.server.signal_client_ids("/chat/room%201", &[]).unwrap();
    ids.sort();
    let mut want = vec![id.to_string(), other];
    want.sort();
    assert_eq!(ids, want);
}

#[tokio::test]
async fn auto_upgrade_comes_before_routes() {
    let mut t = TestServer::ws();
    t.server.add_route("GET", "/chat", &[]).unwrap();
    let _ws = connect(&t.url("/chat")).await;
    assert_eq!(t.events.connect().await.name(), "/chat");
    // The route still serves plain requests.
    let client = tokio::spawn(http_get(t.addr(), "/chat", ""));
    t.events.request().await.respond(204, &[], Default::default()).unwrap();
    assert_eq!(client.await.unwrap().0, 204);
}

#[tokio::test]
async fn manual_upgrade_carries_name_group_and_client_id_in_its_response() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    let url = t.url("/ws?room=1");
    let options = psws::Upgrade { group: Some("Admins".into()), client_id: Some("my-id".into()), scope: Some(Scope::Global), ..upgrade("Chat") };
    let (_ws, response, conn) = connect_via_route(&mut t, &url, options).await;

    assert_eq!(header(&response, "x-pode-signal-client-id"), Some("my-id"));
    assert_eq!(header(&response, "x-pode-signal-name"), Some("Chat"));
    assert_eq!(header(&response, "x-pode-signal-group"), Some("Admins"));
    assert_eq!((conn.name(), conn.group(), conn.client_id(), conn.scope()), ("Chat", "Admins", "my-id", Scope::Global));
    assert_eq!((conn.path(), conn.query(), conn.endpoint_name()), ("/ws", "room=1", "web"));
    assert!(t.server.find_connection("Chat", "my-id").is_some_and(|c| c.id() == conn.id()));
    assert_eq!(t.events.connect().await.id(), conn.id());
}

#[tokio::test]
async fn manual_upgrade_without_a_client_id_generates_one() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    let url = t.url("/ws");
    let (_ws, response, conn) = connect_via_route(&mut t, &url, upgrade("Chat")).await;
    let id = header(&response, "x-pode-signal-client-id").unwrap();
    assert!(is_guid(id), "{id}");
    assert_eq!(conn.client_id(), id);
    assert_eq!(header(&response, "x-pode-signal-group"), None);
}

/// Raw handshakes that an auto-upgrading endpoint refuses: (method, headers, status).
const BAD_HANDSHAKES: [(&str, &str, u16); 3] = [
    ("POST", KEY_AND_VERSION, 405),
    ("GET", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n", 426),
    ("GET", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", 400),
];

#[tokio::test]
async fn auto_upgrade_refuses_bad_handshakes() {
    let t = TestServer::ws();
    for (method, headers, status) in BAD_HANDSHAKES {
        let (got, head, _) = http_raw(t.addr(), &handshake_request(t.addr(), method, "/chat", headers)).await;
        assert_eq!(got, status, "{method} {headers:?}: {head}");
        if status == 426 {
            assert_eq!(head_header(&head, "sec-websocket-version"), Some("13"));
        }
    }
    assert_eq!(t.server.signal_count(None), 0);
    assert_eq!(t.server.metrics().connections_total, 0);
}

#[tokio::test]
async fn manual_upgrade_refuses_bad_handshakes_and_answers_the_request() {
    let mut t = TestServer::http(ServerConfig::default());
    t.server.add_route("*", "/ws", &[]).unwrap();
    let no_key = ("GET", "Sec-WebSocket-Version: 13\r\n", 412);
    for (method, headers, status) in BAD_HANDSHAKES.into_iter().chain([no_key]) {
        let client = spawn_http(t.addr(), format!("{method} /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n{headers}\r\n"));
        let mut handle = t.events.request().await;
        let err = handle.upgrade(upgrade("Chat")).unwrap_err();
        assert!(matches!(&err, Error::UpgradeRejected { status: s, .. } if *s == status), "{method} {headers:?}: {err}");
        assert!(!handle.is_pending(), "the refusal answered the request");
        assert!(matches!(handle.respond(200, &[], Default::default()), Err(Error::RequestCompleted)));
        assert_eq!(client.await.unwrap().0, status, "{method} {headers:?}");
    }
    assert_eq!(t.server.metrics().connections_total, 0);
}

#[tokio::test]
async fn upgrade_misuse_is_an_error() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    let client = tokio::spawn(connect_request(request(&t.url("/ws"), &[])));
    let mut handle = t.events.request().await;

    // No Name: an error that leaves the request for the host to answer.
    assert!(matches!(handle.upgrade(upgrade("")), Err(Error::InvalidArgument(_))));
    assert!(handle.is_pending());
    let conn = handle.upgrade(upgrade("Chat")).unwrap();
    assert!(matches!(handle.upgrade(upgrade("Chat")), Err(Error::RequestCompleted)));
    assert!(matches!(handle.respond(200, &[], Default::default()), Err(Error::RequestCompleted)));
    drop(handle);
    let (_ws, _) = client.await.unwrap();
    assert_eq!(t.events.connect().await.id(), conn.id());
}
