//! Https and Wss endpoints with a PEM certificate + key and with a password-protected
//! PKCS#12 file (rustls, ring), and what a wrong password, a key that does not fit, a
//! missing file, an untrusted client, a plain-text client or a silent one leads to.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::client::SelfSigned;
use common::*;
use psws::{EndpointConfig, Error, Protocol, Server, ServerConfig, TlsIdentity};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::Connector;

const P12_PASSWORD: &str = "dummy";

/// A self-signed certificate for 127.0.0.1 as PEM files, plus the same certificate and
/// key as a password-protected PKCS#12 file next to them.
struct Identity {
    pem: SelfSigned,
    cert: CertificateDer<'static>,
}

impl Identity {
    fn new() -> Self {
        let pem = SelfSigned::for_names(&["127.0.0.1"]);
        let cert_pem = std::fs::read(pem.cert_path()).unwrap();
        let cert = rustls_pemfile::certs(&mut cert_pem.as_slice()).next().unwrap().unwrap();
        let key_pem = std::fs::read(pem.key_path()).unwrap();
        let key = rustls_pemfile::private_key(&mut key_pem.as_slice()).unwrap().unwrap();

        let key = p12_keystore::PrivateKey::from_der(key.secret_der()).unwrap();
        let certificate = p12_keystore::Certificate::from_der(&cert).unwrap();
        let chain = p12_keystore::PrivateKeyChain::new(b"key-1".to_vec(), key, [certificate]);
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry("server", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
        let identity = Self { pem, cert };
        // Few key-derivation rounds: this file protects nothing, and tests run unoptimised.
        let pfx = store.writer(P12_PASSWORD).encryption_iterations(100).mac_iterations(100).write().unwrap();
        std::fs::write(identity.path("server.pfx"), pfx).unwrap();
        identity
    }

    /// A file in the identity's temporary folder.
    fn path(&self, file: &str) -> PathBuf {
        self.pem.cert_path().with_file_name(file)
    }

    fn pem(&self) -> TlsIdentity {
        self.pem.identity()
    }

    fn pkcs12(&self, password: &str) -> TlsIdentity {
        TlsIdentity::Pkcs12 { path: self.path("server.pfx"), password: password.to_string() }
    }

    /// A client configuration that trusts only this certificate.
    fn client(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions().unwrap();
        Arc::new(builder.with_root_certificates(roots).with_no_client_auth())
    }
}

fn tls_endpoint(protocol: Protocol, port: u16, name: &str, identity: TlsIdentity) -> EndpointConfig {
    EndpointConfig::new(protocol, "127.0.0.1", port).name(name).tls(identity)
}

async fn connect_wss(url: &str, client: Arc<rustls::ClientConfig>) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let request = request(url, &[]);
    within("a wss handshake", tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(Connector::Rustls(client)))).await.map(|(ws, _)| ws)
}

/// Connects over TLS, sends a message and expects the native re-broadcast back.
async fn echo_over_wss(t: &mut TestServer, url: &str, client: Arc<rustls::ClientConfig>) {
    let mut ws = connect_wss(url, client).await.expect("the wss handshake succeeds");
    let conn = t.events.connect().await;
    assert_eq!(conn.protocol(), Protocol::Wss);
    send(&mut ws, r#"{"message":"over tls"}"#).await;
    assert_eq!(recv_text(&mut ws).await, "over tls");
}

/// A raw HTTP/1.1 exchange over TLS.
async fn https_get(addr: std::net::SocketAddr, path: &str, client: Arc<rustls::ClientConfig>) -> (u16, String, Vec<u8>) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from(addr.ip().to_string()).unwrap();
    let tls = within("a TLS handshake", tokio_rustls::TlsConnector::from(client).connect(name, tcp)).await.expect("TLS handshake");
    http_exchange(tls, &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n")).await
}

#[tokio::test]
async fn wss_with_a_pem_certificate_and_key() {
    let id = Identity::new();
    let mut t = TestServer::start(ServerConfig::default(), vec![tls_endpoint(Protocol::Wss, 0, "wss", id.pem())]);
    let url = format!("wss://{}/chat", t.addr());
    echo_over_wss(&mut t, &url, id.client()).await;
}

#[tokio::test]
async fn wss_with_a_pkcs12_file_and_password() {
    let id = Identity::new();
    let mut t = TestServer::start(ServerConfig::default(), vec![tls_endpoint(Protocol::Wss, 0, "wss", id.pkcs12(P12_PASSWORD))]);
    let url = format!("wss://{}/chat", t.addr());
    echo_over_wss(&mut t, &url, id.client()).await;
}

#[tokio::test]
async fn https_and_wss_share_a_port_for_routes_and_upgrades() {
    let id = Identity::new();
    let port = free_port();
    let mut t = TestServer::start(
        ServerConfig::default(),
        vec![tls_endpoint(Protocol::Https, port, "web", id.pkcs12(P12_PASSWORD)), tls_endpoint(Protocol::Wss, port, "wss", id.pem())],
    );
    t.server.add_route("GET", "/hello", &[]).unwrap();
    let client = tokio::spawn(https_get(t.addr(), "/hello", id.client()));
    let mut request = t.events.request().await;
    assert_eq!(request.endpoint().protocol, Protocol::Https);
    request.respond(200, &[("content-type", "text/plain")], "secure".into()).unwrap();
    let (status, _, body) = client.await.unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"secure"[..]));

    let url = format!("wss://{}/chat", t.addr());
    echo_over_wss(&mut t, &url, id.client()).await;
}

#[tokio::test]
async fn a_manual_upgrade_over_https_is_a_wss_connection() {
    let id = Identity::new();
    let mut t = TestServer::start(ServerConfig::default(), vec![tls_endpoint(Protocol::Https, 0, "web", id.pem())]);
    t.server.add_route("GET", "/ws", &[]).unwrap();
    let url = format!("wss://{}/ws", t.addr());
    let client = tokio::spawn(async move { connect_wss(&url, id.client()).await.map_err(|e| e.to_string()) });
    let mut handle = t.events.request().await;
    let conn = handle.upgrade(upgrade("Secure")).unwrap();
    drop(handle);
    let _ws = client.await.unwrap().expect("the wss handshake succeeds");
    assert_eq!(conn.protocol(), Protocol::Wss);
    assert_eq!(t.server.signal_names(), ["Secure"]);
}

#[test]
fn bad_certificates_are_refused_at_start() {
    let id = Identity::new();
    let other = Identity::new();
    let missing = id.path("missing.pem");
    std::fs::write(id.path("not-pem.txt"), "hello").unwrap();
    let cases = [
        (id.pkcs12("wrong"), "wrong password"),
        (id.pkcs12(""), "wrong password"),
        (TlsIdentity::Pkcs12 { path: id.path("key.pem"), password: P12_PASSWORD.into() }, "cannot open PKCS#12"),
        (TlsIdentity::Pem { cert: id.path("cert.pem"), key: other.path("key.pem") }, "do not fit"),
        (TlsIdentity::Pem { cert: missing.clone(), key: id.path("key.pem") }, "cannot read"),
        (TlsIdentity::Pem { cert: id.path("cert.pem"), key: missing }, "cannot read"),
        (TlsIdentity::Pem { cert: id.path("not-pem.txt"), key: id.path("key.pem") }, "no PEM certificate"),
        (TlsIdentity::Pem { cert: id.path("cert.pem"), key: id.path("cert.pem") }, "no private key"),
    ];
    for (identity, why) in cases {
        let server = Server::new(ServerConfig::default()).unwrap();
        server.add_endpoint(tls_endpoint(Protocol::Wss, 0, "wss", identity.clone())).unwrap();
        let err = server.start().unwrap_err();
        assert!(matches!(err, Error::Tls(_)) && err.to_string().contains(why), "{identity:?}: {err}");
        assert!(!server.is_running());
    }
}

#[tokio::test]
async fn untrusted_plain_and_silent_clients_fail_without_harming_the_server() {
    let id = Identity::new();
    let config = ServerConfig::default().handshake_timeout(std::time::Duration::from_millis(300));
    let mut t = TestServer::start(config, vec![tls_endpoint(Protocol::Wss, 0, "wss", id.pem())]);
    let url = format!("wss://{}/chat", t.addr());

    // A client that trusts another certificate refuses the server's.
    let err = connect_wss(&url, Identity::new().client()).await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    // A plain WebSocket client on the TLS port gets no WebSocket.
    assert!(try_connect(request(&t.url("/chat"), &[])).await.is_err());
    // Garbage instead of a ClientHello: the server hangs up.
    let mut garbage = tokio::net::TcpStream::connect(t.addr()).await.unwrap();
    garbage.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    expect_hangup(&mut garbage, "not TLS").await;
    // A client that never starts the TLS handshake is cut off by the handshake timeout.
    let mut silent = tokio::net::TcpStream::connect(t.addr()).await.unwrap();
    expect_hangup(&mut silent, "no ClientHello").await;

    assert_eq!(t.server.signal_count(None), 0);
    echo_over_wss(&mut t, &url, id.client()).await;
}
