//! Connects that fail, each with a clear reason and nothing left registered: a URL that
//! is malformed or not ws/wss, a Name in use, a refused port, an unknown host, a server
//! that never answers, and an HTTP status instead of 101 (from the engine's own server
//! and from Node's `ws`).

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::client::*;
use common::*;
use psws::{ClientConfig, ConnectError, Error, ServerConfig};

fn assert_nothing_registered(t: &TestHub, name: &str) {
    assert_eq!(t.hub.state(name), None);
    assert_eq!(t.hub.url(name), None);
    assert!(t.hub.names().is_empty(), "left registered: {:?}", t.hub.names());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_url_that_is_not_ws_or_wss_is_refused() {
    let t = TestHub::default_config();
    for url in ["http://127.0.0.1:1/", "https://example.com/", "ftp://example.com/", "127.0.0.1:8080", "not a url", "ws://", "wss://:443/", ""] {
        let reason = connect_error(t.connect("feed", url));
        assert!(matches!(reason, ConnectError::Url(_)), "{url:?}: {reason}");
    }
    let reason = connect_error(t.connect("feed", "http://127.0.0.1:1/"));
    assert!(reason.to_string().contains("ws:// or wss://"), "{reason}");
    assert!(matches!(t.connect("", "ws://127.0.0.1:1/"), Err(Error::InvalidArgument(_))));
    assert_nothing_registered(&t, "feed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_in_use_is_refused_and_the_first_connection_carries_on() {
    let mut server = TestServer::ws();
    let other = TestServer::ws();
    let mut t = TestHub::default_config();
    t.connect("feed", &server.url("/feed")).unwrap();
    server.events.connect().await;

    for url in [server.url("/feed"), other.url("/elsewhere")] {
        let err = t.connect("feed", &url).unwrap_err();
        assert!(matches!(&err, Error::NameInUse(name) if name == "feed"), "{err}");
        assert!(err.to_string().contains("'feed'"), "{err}");
    }
    assert_eq!(t.hub.names(), ["feed"]);
    assert_eq!(t.hub.url("feed").unwrap(), server.url("/feed"));
    assert_eq!(other.server.signal_count(None), 0, "the refused connect must not reach the network");

    t.hub.send_text("feed", r#"{"message":"still here"}"#).unwrap();
    assert_eq!(t.events.text("feed").await, "still here");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_port_fails_and_the_name_can_be_used_again() {
    let t = TestHub::default_config();
    let port = closed_port();
    let reason = connect_error(t.connect("feed", &format!("ws://127.0.0.1:{port}/feed")));
    assert!(matches!(&reason, ConnectError::Refused(addr) if addr.contains(&port.to_string())), "{reason}");
    assert_nothing_registered(&t, "feed");

    let mut server = TestServer::ws();
    t.connect("feed", &server.url("/feed")).unwrap();
    server.events.connect().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_host_is_a_dns_error() {
    let t = TestHub::default_config();
    let reason = connect_error(t.connect("feed", "ws://psws-client-test.invalid/feed"));
    assert!(matches!(&reason, ConnectError::Dns(text) if text.contains("psws-client-test.invalid")), "{reason}");
    assert_nothing_registered(&t, "feed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_times_out() {
    let limit = Duration::from_millis(300);
    let t = TestHub::new(ClientConfig::default().connect_timeout(limit));
    let addr = silent_server().await;
    for url in [format!("ws://{addr}/feed"), format!("wss://{addr}/feed")] {
        let reason = connect_error(t.connect("feed", &url));
        assert!(matches!(reason, ConnectError::Timeout(d) if d == limit), "{url}: {reason}");
        assert_nothing_registered(&t, "feed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_status_instead_of_101_is_reported_from_the_engine_server() {
    let mut server = TestServer::http(ServerConfig::default());
    server.server.add_route("GET", "/denied", &[]).unwrap();
    let t = TestHub::default_config();

    // No route: the engine's server answers 404.
    let reason = connect_error(t.connect("feed", &server.url("/nowhere")));
    assert!(matches!(reason, ConnectError::HttpStatus(404)), "{reason}");
    assert_nothing_registered(&t, "feed");

    // A route whose host answers 403 instead of upgrading.
    let hub = t.hub.clone();
    let url = server.url("/denied");
    let connecting = tokio::task::spawn_blocking(move || hub.connect("feed", &url, Default::default()));
    let mut request = server.events.request().await;
    request.respond(403, &[], Bytes::from_static(b"go away")).unwrap();
    drop(request);
    let reason = connect_error(within("the connect to fail", connecting).await.unwrap());
    assert!(matches!(reason, ConnectError::HttpStatus(403)), "{reason}");
    assert!(reason.to_string().contains("403"), "{reason}");
    assert_nothing_registered(&t, "feed");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_status_instead_of_101_is_reported_from_node_ws() {
    let node = NodePeer::start();
    let t = TestHub::default_config();
    for status in [403, 404, 503] {
        let reason = connect_error(t.connect("feed", &node.url(&format!("/status/{status}"))));
        assert!(matches!(reason, ConnectError::HttpStatus(s) if s == status), "{status}: {reason}");
        assert_nothing_registered(&t, "feed");
    }
    t.connect("feed", &node.url("/echo")).unwrap();
    assert_eq!(t.hub.names(), ["feed"]);
}
