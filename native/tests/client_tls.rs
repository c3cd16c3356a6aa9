//! wss: certificates are verified (system roots), a self-signed server is refused
//! unless its certificate is added with `extra_ca_file` or `accept_invalid_certs` is
//! set, the host name must match, and a plain server is a TLS error. Against the
//! engine's own Wss endpoint and against Node's `ws` over https.

mod common;

use common::client::*;
use common::*;
use psws::{ClientConfig, ConnectError, EndpointConfig, Error, Protocol, ServerConfig};

fn wss_server(cert: &SelfSigned) -> TestServer {
    TestServer::start(ServerConfig::default(), vec![EndpointConfig::new(Protocol::Wss, "127.0.0.1", 0).name("wss").tls(cert.identity())])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_self_signed_engine_server_needs_its_ca_file_or_accept_invalid_certs() {
    let cert = SelfSigned::new();
    let mut server = wss_server(&cert);
    let url = format!("wss://localhost:{}/feed", server.addr().port());

    let untrusting = TestHub::default_config();
    let reason = connect_error(untrusting.connect("feed", &url));
    assert!(matches!(&reason, ConnectError::Tls(text) if text.contains("certificate")), "{reason}");
    assert!(untrusting.hub.names().is_empty());

    let mut with_ca = TestHub::new(ClientConfig::default().extra_ca_file(cert.cert_path()));
    with_ca.connect("feed", &url).unwrap();
    server.events.connect().await;
    with_ca.hub.send_text("feed", r#"{"message":"over tls"}"#).unwrap();
    assert_eq!(with_ca.events.text("feed").await, "over tls");

    let mut accepting = TestHub::new(ClientConfig::default().accept_invalid_certs(true));
    accepting.connect("any", &url).unwrap();
    let conn = server.events.connect().await;
    server.server.send_direct_binary(conn.id(), vec![7u8; 3]).unwrap();
    assert_eq!(&accepting.events.binary("any").await[..], [7, 7, 7]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trusted_certificate_for_another_host_name_is_refused() {
    let cert = SelfSigned::for_names(&["localhost"]);
    let server = wss_server(&cert);
    let t = TestHub::new(ClientConfig::default().extra_ca_file(cert.cert_path()));
    let reason = connect_error(t.connect("feed", &format!("wss://127.0.0.1:{}/feed", server.addr().port())));
    assert!(matches!(reason, ConnectError::Tls(_)), "{reason}");
    t.connect("feed", &format!("wss://localhost:{}/feed", server.addr().port())).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn wss_to_a_plain_server_is_a_tls_error() {
    let server = TestServer::ws();
    let t = TestHub::new(ClientConfig::default().accept_invalid_certs(true));
    let reason = connect_error(t.connect("feed", &format!("wss://{}/feed", server.addr())));
    assert!(matches!(reason, ConnectError::Tls(_)), "{reason}");
    assert!(t.hub.names().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_self_signed_node_server_is_trusted_through_the_ca_file() {
    let cert = SelfSigned::new();
    let node = NodePeer::start_with(cert.node_args());
    let url = format!("wss://localhost:{}/echo", node.port());

    let reason = connect_error(TestHub::default_config().connect("feed", &url));
    assert!(matches!(reason, ConnectError::Tls(_)), "{reason}");

    let mut t = TestHub::new(ClientConfig::default().extra_ca_file(cert.cert_path()));
    t.connect("feed", &url).unwrap();
    t.hub.send_text("feed", "hello over tls").unwrap();
    assert_eq!(t.events.text("feed").await, "hello over tls");
    t.hub.send_binary("feed", vec![1u8, 2, 3]).unwrap();
    assert_eq!(&t.events.binary("feed").await[..], [1, 2, 3]);
}

#[test]
fn a_ca_file_that_cannot_be_read_is_refused_when_the_hub_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    assert!(matches!(psws::ClientHub::new(ClientConfig::default().extra_ca_file(&missing)), Err(Error::Tls(_))));
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    assert!(matches!(psws::ClientHub::new(ClientConfig::default().extra_ca_file(&not_pem)), Err(Error::Tls(_))));
}
