//! Endpoints: several listeners per server, Http and Ws on one address and port sharing
//! a listener, port 0 reported as the real port, auto-upgrade only where a Ws endpoint
//! allows it, and endpoint settings or lifecycle calls that are refused with an error.

mod common;

use common::*;
use psws::{EndpointConfig, Error, Protocol, Server, ServerConfig, TlsIdentity};

fn endpoint(protocol: Protocol, port: u16, name: &str) -> EndpointConfig {
    EndpointConfig::new(protocol, "127.0.0.1", port).name(name)
}

#[tokio::test]
async fn port_zero_binds_an_ephemeral_port_per_listener_and_reports_it() {
    let mut t = TestServer::start(
        ServerConfig::default(),
        vec![endpoint(Protocol::Ws, 0, "ws-a"), endpoint(Protocol::Http, 0, "web"), endpoint(Protocol::Ws, 0, "ws-b")],
    );
    let bound = t.server.endpoints();
    assert_eq!(bound.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), ["ws-a", "web", "ws-b"], "the caller's order");
    let ports: Vec<u16> = bound.iter().map(|b| b.address.port()).collect();
    assert!(ports.iter().all(|p| *p != 0), "real ports are reported: {ports:?}");
    assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2], "port 0 never shares: {ports:?}");

    // Every reported address serves, each as its own endpoint.
    for b in [&bound[0], &bound[2]] {
        let _ws = connect(&format!("ws://{}/chat", b.address)).await;
        assert_eq!(t.events.connect().await.endpoint_name(), b.name);
    }
    let (status, _, _) = http_get(bound[1].address, "/", "").await;
    assert_eq!(status, 404, "the Http endpoint answers HTTP");
}

#[tokio::test]
async fn http_and_ws_on_one_port_share_a_listener() {
    let port = free_port();
    let mut t = TestServer::start(ServerConfig::default(), vec![endpoint(Protocol::Http, port, "web"), endpoint(Protocol::Ws, port, "ws")]);
    let bound = t.server.endpoints();
    assert_eq!(bound[0].address, bound[1].address);
    assert_eq!(bound[0].address.port(), port);
    t.server.add_route("GET", "/hello", &[]).unwrap();

    // A plain request is the Http endpoint's...
    let client = tokio::spawn(http_get(t.addr(), "/hello", ""));
    let mut request = t.events.request().await;
    assert_eq!(request.endpoint().name, "web");
    assert_eq!(request.endpoint().protocol, Protocol::Http);
    request.respond(200, &[], "hi".into()).unwrap();
    let (status, _, body) = client.await.unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"hi"[..]));

    // ...and a WebSocket request on the same port auto-upgrades on the Ws endpoint.
    let _ws = connect(&t.url("/chat")).await;
    let conn = t.events.connect().await;
    assert_eq!(conn.endpoint_name(), "ws");
    assert_eq!(conn.protocol(), Protocol::Ws);
}

#[tokio::test]
async fn an_http_only_endpoint_never_auto_upgrades() {
    // Pode auto-upgrades on Http-only sockets too (a bug); here only routes upgrade there.
    let t = TestServer::http(ServerConfig::default());
    let err = try_connect(request(&t.url("/chat"), &[])).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    assert_eq!(t.server.signal_count(None), 0);
}

#[tokio::test]
async fn no_auto_upgrade_on_any_merged_endpoint_disables_it_for_the_listener() {
    let port = free_port();
    let mut t =
        TestServer::start(ServerConfig::default(), vec![endpoint(Protocol::Http, port, "web").no_auto_upgrade(true), endpoint(Protocol::Ws, port, "ws")]);
    // No route: a WebSocket request is an ordinary unknown path.
    let err = try_connect(request(&t.url("/chat"), &[])).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");

    // With a route, the host decides; the request belongs to the Ws endpoint.
    t.server.add_route("GET", "/chat", &[]).unwrap();
    let client = tokio::spawn(connect_request(request(&t.url("/chat"), &[])));
    let mut handle = t.events.request().await;
    assert_eq!(handle.endpoint().name, "ws");
    let conn = handle.upgrade(upgrade("Chat")).unwrap();
    drop(handle);
    let (_ws, response) = client.await.unwrap();
    assert_eq!(header(&response, "x-pode-signal-name"), Some("Chat"));
    assert_eq!(conn.name(), "Chat", "the Name is the host's, not the URL path");
}

#[test]
fn endpoint_settings_are_checked_when_added() {
    let server = Server::new(ServerConfig::default()).unwrap();
    let pem = TlsIdentity::Pem { cert: "cert.pem".into(), key: "key.pem".into() };
    for (bad, why) in [
        (endpoint(Protocol::Wss, 0, "a"), "needs a certificate"),
        (endpoint(Protocol::Https, 0, "a"), "needs a certificate"),
        (endpoint(Protocol::Ws, 0, "a").tls(pem.clone()), "only allowed for https and wss"),
        (endpoint(Protocol::Http, 0, "a").tls(pem), "only allowed for https and wss"),
        (EndpointConfig::new(Protocol::Ws, "no such host.invalid", 0), "cannot resolve"),
    ] {
        let err = server.add_endpoint(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)) && err.to_string().contains(why), "{err}");
    }
    assert!(server.endpoints().is_empty());
    assert!(matches!(server.start(), Err(Error::InvalidArgument(m)) if m.contains("no endpoints")));
}

#[test]
fn tls_and_plain_endpoints_cannot_share_a_port() {
    let port = free_port();
    let server = Server::new(ServerConfig::default()).unwrap();
    server.add_endpoint(endpoint(Protocol::Ws, port, "ws")).unwrap();
    let pem = TlsIdentity::Pem { cert: "cert.pem".into(), key: "key.pem".into() };
    server.add_endpoint(endpoint(Protocol::Wss, port, "wss").tls(pem)).unwrap();
    let err = server.start().unwrap_err();
    assert!(err.to_string().contains("cannot share"), "{err}");
    assert!(!server.is_running());
}

#[test]
fn a_failed_start_binds_nothing_and_can_be_retried() {
    let free = free_port();
    let occupied = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = occupied.local_addr().unwrap().port();
    let server = Server::new(ServerConfig::default()).unwrap();
    server.add_endpoint(endpoint(Protocol::Ws, free, "first")).unwrap();
    server.add_endpoint(endpoint(Protocol::Ws, busy, "second")).unwrap();

    let err = server.start().unwrap_err();
    assert!(matches!(&err, Error::Bind { address, .. } if address.ends_with(&format!(":{busy}"))), "{err}");
    assert!(!server.is_running());
    // The endpoint that did bind was released again.
    drop(std::net::TcpListener::bind(("127.0.0.1", free)).expect("the first port is free again"));

    drop(occupied);
    let bound = server.start().expect("starts once the port is free");
    assert_eq!(bound.iter().map(|b| b.address.port()).collect::<Vec<_>>(), [free, busy]);
    server.stop();
}

#[test]
fn lifecycle_calls_out_of_order_are_errors() {
    let server = Server::new(ServerConfig::default()).unwrap();
    assert!(matches!(server.send(&[], &[], &[], "x"), Err(Error::NotRunning)));
    assert!(matches!(server.close_signals("a", &[], &[]), Err(Error::NotRunning)));
    server.add_endpoint(endpoint(Protocol::Ws, 0, "ws")).unwrap();
    server.start().unwrap();
    assert!(server.is_running());
    assert!(matches!(server.start(), Err(Error::AlreadyRunning)));
    assert!(matches!(server.add_endpoint(endpoint(Protocol::Ws, 0, "late")), Err(Error::AlreadyRunning)));
    server.stop();
    assert!(!server.is_running());
    assert!(server.endpoints().is_empty());
    assert!(matches!(server.start(), Err(Error::Stopped)));
    assert!(matches!(server.send(&[], &[], &[], "x"), Err(Error::Stopped)));
    assert!(matches!(server.add_endpoint(endpoint(Protocol::Ws, 0, "late")), Err(Error::Stopped)));
}
