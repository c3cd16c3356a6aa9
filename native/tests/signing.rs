//! Signed client ids, `s:<id>.<base64 HMAC-SHA256(secret, id)>`, on auto and manual
//! upgrades; strict mode keying the HMAC with `secret;User-Agent;IP` as recorded at
//! upgrade; ids that arrive signed are verified (forged, tampered and foreign ones are
//! refused), and the signing calls' own rules.

mod common;

use base64::Engine as _;
use common::*;
use hmac::{Hmac, KeyInit, Mac};
use psws::{Error, ServerConfig, SigningContext, Upgrade};

const SECRET: &str = "s3cret";

/// Pode's signature of `id` with `key`, computed independently of the engine.
fn signed(key: &str, id: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(id.as_bytes());
    format!("s:{id}.{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// The plain id inside a signed one.
fn plain(signed: &str) -> &str {
    signed.strip_prefix("s:").and_then(|s| s.rsplit_once('.')).expect("signed form").0
}

fn with_id(id: &str) -> Upgrade {
    member("Chat", id, None)
}

/// Sends an upgrade request from `ip` with `agent` and upgrades it with `options`:
/// the connection, or the error with the request answered 400 by the "host".
async fn try_upgrade(t: &mut TestServer, ip: std::net::IpAddr, agent: &str, options: Upgrade) -> Result<(Ws, std::sync::Arc<psws::Connection>), Error> {
    let req = request(&t.url("/ws"), &[("user-agent", agent)]);
    let client = tokio::spawn(try_connect_from(ip, req));
    let mut handle = t.events.request().await;
    match handle.upgrade(options) {
        Ok(conn) => Ok((client.await.unwrap().expect("handshake").0, conn)),
        Err(e) => {
            assert!(handle.is_pending(), "a refused id leaves the request to the host");
            handle.respond(400, &[], "bad client id".into()).unwrap();
            let refused = client.await.unwrap().unwrap_err();
            assert!(refused.to_string().contains("400"), "{refused}");
            Err(e)
        }
    }
}

#[tokio::test]
async fn auto_upgrades_get_signed_ids_strict_or_not() {
    let t = TestServer::ws();
    t.server.enable_signing(SECRET, false).unwrap();
    let (_ws, id) = connect_with_id(&t.url("/chat")).await;
    assert!(uuid::Uuid::parse_str(plain(&id)).is_ok(), "{id}");
    assert_eq!(id, signed(SECRET, plain(&id)));
    let ctx = SigningContext::default();
    assert!(t.server.client_id_signed(&id, &ctx) && t.server.client_id_valid(&id, &ctx));

    t.server.enable_signing(SECRET, true).unwrap();
    let (_strict, response) = connect_request(request(&t.url("/chat"), &[("user-agent", "agent/1")])).await;
    let id = header(&response, "x-pode-signal-client-id").unwrap();
    assert_eq!(id, signed(&format!("{SECRET};agent/1;127.0.0.1"), plain(id)), "strict: bound to User-Agent and IP");
}

#[tokio::test]
async fn manual_upgrades_sign_given_and_generated_ids() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    t.server.enable_signing(SECRET, false).unwrap();
    let (_a, conn) = try_upgrade(&mut t, LOCAL_IP, "ua", with_id("abc")).await.unwrap();
    assert_eq!(conn.client_id(), signed(SECRET, "abc"));
    assert!(t.server.find_connection("Chat", &signed(SECRET, "abc")).is_some());
    let (_b, conn) = try_upgrade(&mut t, LOCAL_IP, "ua", upgrade("Chat")).await.unwrap();
    assert_eq!(conn.client_id(), signed(SECRET, plain(conn.client_id())));
}

#[tokio::test]
async fn an_id_that_arrives_signed_is_verified_not_trusted() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    t.server.enable_signing(SECRET, false).unwrap();
    let good = signed(SECRET, "abc");
    let (_ws, conn) = try_upgrade(&mut t, LOCAL_IP, "ua", with_id(&good)).await.unwrap();
    assert_eq!(conn.client_id(), good, "kept as it is, not signed twice");

    let forged = signed("another secret", "abc");
    let tampered_id = good.replace("s:abc.", "s:abd.");
    // Change one character inside the signature (not the padding).
    let at = good.len() - 3;
    let mut tampered_sig = good.clone();
    tampered_sig.replace_range(at..at + 1, if &good[at..at + 1] == "A" { "B" } else { "A" });
    for bad in [forged, tampered_id, tampered_sig, "s:abc".to_string(), "s:abc.not base64!".to_string(), "s:.".to_string()] {
        let err = try_upgrade(&mut t, LOCAL_IP, "ua", with_id(&bad)).await.unwrap_err();
        assert!(matches!(err, Error::InvalidClientId(_)), "{bad}: {err}");
    }
    assert_eq!(t.server.signal_client_ids("Chat", &[]).unwrap(), [good.clone()], "no forged id got in");

    // Without a secret a signed form cannot be checked, so it is refused, not trusted.
    t.server.disable_signing();
    let err = try_upgrade(&mut t, LOCAL_IP, "ua", with_id(&signed(SECRET, "other"))).await.unwrap_err();
    assert!(matches!(err, Error::InvalidClientId(_)), "{err}");
}

#[tokio::test]
async fn strict_mode_binds_ids_to_user_agent_and_ip() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    t.server.enable_signing(SECRET, true).unwrap();
    let (_ws, conn) = try_upgrade(&mut t, LOCAL_IP, "agent/1", upgrade("Chat")).await.unwrap();
    let id = conn.client_id().to_string();
    assert_eq!(id, signed(&format!("{SECRET};agent/1;127.0.0.1"), plain(&id)));
    assert_eq!((conn.user_agent(), conn.remote_addr().ip()), ("agent/1", LOCAL_IP));
    let at_upgrade = conn.signing_context();
    assert!(t.server.client_id_valid(&id, &at_upgrade));
    assert!(!t.server.client_id_valid(&id, &SigningContext { user_agent: "agent/1", remote_ip: "127.0.0.2" }));

    // The same id presented from another IP or by another User-Agent is refused...
    for (ip, agent) in [(OTHER_IP, "agent/1"), (LOCAL_IP, "agent/2")] {
        let err = try_upgrade(&mut t, ip, agent, with_id(&id)).await.unwrap_err();
        assert!(matches!(err, Error::InvalidClientId(_)), "{ip} {agent}: {err}");
    }
    // ...and accepted from the client it was issued to (replacing its old connection).
    let (_again, replacement) = try_upgrade(&mut t, LOCAL_IP, "agent/1", with_id(&id)).await.unwrap();
    assert_eq!(replacement.client_id(), id);

    // A client from the other IP gets an id bound to that IP.
    let (_other, conn) = try_upgrade(&mut t, OTHER_IP, "agent/1", upgrade("Chat")).await.unwrap();
    assert_eq!(conn.client_id(), signed(&format!("{SECRET};agent/1;127.0.0.2"), plain(conn.client_id())));
}

#[test]
fn the_signing_calls_follow_pode() {
    let server = psws::Server::new(ServerConfig::default()).unwrap();
    let ctx = SigningContext::default();
    assert!(!server.signing_enabled());
    let fresh = server.new_client_id(None, &ctx).unwrap();
    assert!(uuid::Uuid::parse_str(&fresh).is_ok(), "unsigned GUID: {fresh}");
    assert_eq!(server.new_client_id(Some("mine"), &ctx).unwrap(), "mine");
    assert!(matches!(server.sign_client_id("x", &ctx), Err(Error::InvalidArgument(_))));
    assert!(server.client_id_valid("abc", &ctx), "signing off: plain ids are valid");
    assert!(!server.client_id_valid(&signed(SECRET, "abc"), &ctx), "signing off: signed ids are not");
    assert!(!server.client_id_valid("", &ctx));
    assert!(!server.client_id_signed(&signed(SECRET, "abc"), &ctx));

    assert!(matches!(server.enable_signing("", false), Err(Error::InvalidArgument(_))));
    server.enable_signing(SECRET, false).unwrap();
    assert!(server.signing_enabled());
    assert_eq!(server.sign_client_id("x", &ctx).unwrap(), signed(SECRET, "x"));
    assert_eq!(server.new_client_id(Some("mine"), &ctx).unwrap(), signed(SECRET, "mine"));
    assert!(!server.client_id_valid("abc", &ctx), "signing on: only ids that verify");
    assert!(server.client_id_signed(&signed(SECRET, "id.with.dots"), &ctx));

    server.disable_signing();
    assert!(!server.signing_enabled());
    assert_eq!(server.new_client_id(Some("mine"), &ctx).unwrap(), "mine");
}
