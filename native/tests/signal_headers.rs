//! X-Pode-Signal-Client-Id / -Name / -Group request headers resolve an HTTP request to
//! the caller's live Global connection (Pode's documented feature; broken in Pode
//! 2.14): 404 for a connection that does not exist, 400 for a missing Name or an
//! invalid, spoofed or forged id, strict signing checked against User-Agent and IP.

mod common;

use std::net::IpAddr;

use common::*;
use psws::{Scope, ServerConfig, Upgrade};

const SECRET: &str = "s3cret";

/// A server with the upgrade route `/ws` and the API route `/api`.
fn server() -> TestServer {
    let t = TestServer::with_upgrade_route(ServerConfig::default());
    t.server.add_route("GET", "/api", &[]).unwrap();
    t
}

/// `GET /api` from `ip` with these header lines.
fn api_request(t: &TestServer, headers: &str) -> String {
    format!("GET /api HTTP/1.1\r\nHost: {}\r\n{headers}\r\n", t.addr())
}

/// Sends `GET /api` from `ip`. If it reaches the route, the route answers 200. Returns
/// the status and the id of the connection the route saw (None if it saw none or the
/// request never reached it).
async fn call_api(t: &mut TestServer, ip: IpAddr, headers: &str) -> (u16, Option<u64>) {
    let (addr, request) = (t.addr(), api_request(t, headers));
    let mut client = tokio::spawn(async move { http_raw_from(ip, addr, &request).await });
    // Only the route's answer can complete a request that reached it.
    tokio::select! {
        answered = &mut client => (answered.unwrap().0, None),
        mut request = t.events.request() => {
            let seen = request.signal().map(|c| c.id());
            request.respond(200, &[], Default::default()).unwrap();
            (client.await.unwrap().0, seen)
        }
    }
}

#[tokio::test]
async fn the_headers_resolve_to_the_live_connection() {
    let mut t = server();
    let (mut ws, conn) = t.join(member("Chat", "a", Some("Admins"))).await;

    // The route gets the connection and can talk to it.
    let client = spawn_http(t.addr(), api_request(&t, "X-Pode-Signal-Client-Id: a\r\nx-pode-signal-name: Chat\r\n"));
    let mut request = t.events.request().await;
    let signal = request.signal().expect("the connection is resolved").clone();
    assert_eq!(signal.id(), conn.id());
    t.server.send_direct(signal.id(), "hello from the route").unwrap();
    request.respond(200, &[], Default::default()).unwrap();
    assert_eq!(client.await.unwrap().0, 200);
    assert_eq!(recv_text(&mut ws).await, "hello from the route");

    for groups in ["Admins", "users, ADMINS", ",admins,"] {
        let headers = format!("X-Pode-Signal-Client-Id: a\r\nX-Pode-Signal-Name: Chat\r\nX-Pode-Signal-Group: {groups}\r\n");
        assert_eq!(call_api(&mut t, LOCAL_IP, &headers).await, (200, Some(conn.id())), "{groups}");
    }
    assert_eq!(call_api(&mut t, LOCAL_IP, "").await, (200, None), "no headers, no connection");
    assert_eq!(call_api(&mut t, LOCAL_IP, "X-Pode-Signal-Name: Chat\r\n").await, (200, None), "no client id, no lookup");
}

#[tokio::test]
async fn a_connection_that_does_not_exist_is_404() {
    let mut t = server();
    let (_a, _) = t.join(member("Chat", "a", Some("Admins"))).await;
    let (_local, _, _handle) = t.join_held(Upgrade { scope: Some(Scope::Local), ..member("Loc", "l", None) }).await;
    for headers in [
        "X-Pode-Signal-Client-Id: zz\r\nX-Pode-Signal-Name: Chat\r\n",
        "X-Pode-Signal-Client-Id: A\r\nX-Pode-Signal-Name: Chat\r\n",
        "X-Pode-Signal-Client-Id: a\r\nX-Pode-Signal-Name: chat\r\n",
        "X-Pode-Signal-Client-Id: a\r\nX-Pode-Signal-Name: News\r\n",
        "X-Pode-Signal-Client-Id: a\r\nX-Pode-Signal-Name: Chat\r\nX-Pode-Signal-Group: Users\r\n",
        "X-Pode-Signal-Client-Id: l\r\nX-Pode-Signal-Name: Loc\r\n",
    ] {
        assert_eq!(call_api(&mut t, LOCAL_IP, headers).await, (404, None), "{headers:?}");
    }
}

#[tokio::test]
async fn a_missing_name_is_400() {
    let mut t = server();
    let (_a, _) = t.join(member("Chat", "a", None)).await;
    for headers in ["X-Pode-Signal-Client-Id: a\r\n", "X-Pode-Signal-Client-Id: a\r\nX-Pode-Signal-Name:  \r\n"] {
        assert_eq!(call_api(&mut t, LOCAL_IP, headers).await, (400, None), "{headers:?}");
    }
}

#[tokio::test]
async fn spoofed_and_forged_ids_are_400() {
    let mut t = server();
    t.server.enable_signing(SECRET, false).unwrap();
    let (_a, conn) = t.join(member("Chat", "a", None)).await;
    let good = conn.client_id().to_string();
    let forged = {
        let other = psws::Server::new(ServerConfig::default()).unwrap();
        other.enable_signing("not the secret", false).unwrap();
        other.sign_client_id("a", &Default::default()).unwrap()
    };
    let tampered = good.replacen("s:a.", "s:b.", 1);
    let header = |id: &str| format!("X-Pode-Signal-Client-Id: {id}\r\nX-Pode-Signal-Name: Chat\r\n");
    for spoof in ["a", forged.as_str(), tampered.as_str(), "s:a"] {
        assert_eq!(call_api(&mut t, LOCAL_IP, &header(spoof)).await, (400, None), "{spoof}");
    }
    assert_eq!(call_api(&mut t, LOCAL_IP, &header(&good)).await, (200, Some(conn.id())));

    // With signing off, an id in signed form is not valid either.
    t.server.disable_signing();
    assert_eq!(call_api(&mut t, LOCAL_IP, &header(&good)).await, (400, None));
}

#[tokio::test]
async fn strict_signing_checks_the_user_agent_and_ip_of_the_request() {
    let mut t = server();
    t.server.enable_signing(SECRET, true).unwrap();
    let from_ua1 = request(&t.url("/ws"), &[("user-agent", "ua/1")]);
    let (_a, _response, _, conn) = upgrade_via_route(&mut t, from_ua1, upgrade("Chat")).await;
    let id = conn.client_id().to_string();
    let headers = |agent: &str| format!("User-Agent: {agent}\r\nX-Pode-Signal-Client-Id: {id}\r\nX-Pode-Signal-Name: Chat\r\n");

    assert_eq!(call_api(&mut t, LOCAL_IP, &headers("ua/1")).await, (200, Some(conn.id())));
    assert_eq!(call_api(&mut t, OTHER_IP, &headers("ua/1")).await, (400, None), "another IP");
    assert_eq!(call_api(&mut t, LOCAL_IP, &headers("ua/2")).await, (400, None), "another User-Agent");
}
