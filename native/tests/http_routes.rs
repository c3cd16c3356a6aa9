//! HTTP routes handed to the host: method + path matching with `:name` placeholders,
//! the request handle completed exactly once (respond, or 500 when it is dropped or no
//! handler takes it, never a hang), 404 without a route, and the body limit (413).

mod common;

use common::*;
use psws::{Error, ServerConfig};

#[tokio::test]
async fn a_route_gets_the_whole_request_and_the_hosts_answer_goes_back() {
    let mut t = TestServer::http(ServerConfig::default());
    let id = t.server.add_route("post", "/users/:id/files/:name", &[]).unwrap();
    let client = spawn_http(t.addr(), "POST /users/42/files/a%20b?x=1&y=2 HTTP/1.1\r\nHost: h\r\nX-Test: yes\r\nContent-Length: 7\r\n\r\npayload".into());
    let mut request = t.events.request().await;
    assert_eq!(request.method(), "POST");
    assert_eq!(request.path(), "/users/42/files/a b");
    assert_eq!(request.query(), "x=1&y=2");
    assert_eq!(request.headers()["x-test"], "yes");
    assert_eq!(request.body().as_ref(), b"payload");
    assert_eq!(request.remote_addr().ip(), LOCAL_IP);
    assert_eq!((request.endpoint().name.as_str(), request.endpoint().host.as_str()), ("web", "h"));
    let route = request.route();
    assert_eq!((route.id, route.path.as_str()), (id, "/users/:id/files/:name"));
    assert_eq!(route.params, [("id".to_string(), "42".to_string()), ("name".to_string(), "a b".to_string())]);
    assert!(request.signal().is_none() && request.upgraded().is_none());

    request.respond(201, &[("x-reply", "ok"), ("content-type", "text/plain")], "done".into()).unwrap();
    assert!(!request.is_pending());
    let (status, head, body) = client.await.unwrap();
    assert_eq!((status, body.as_slice()), (201, &b"done"[..]));
    assert_eq!(head_header(&head, "x-reply"), Some("ok"));
}

#[tokio::test]
async fn a_handle_that_is_not_answered_becomes_a_500() {
    let mut t = TestServer::http(ServerConfig::default());
    t.server.add_route("GET", "/x", &[]).unwrap();

    let client = tokio::spawn(http_get(t.addr(), "/x", ""));
    drop(t.events.request().await);
    assert_eq!(client.await.unwrap().0, 500, "dropped");

    let client = tokio::spawn(http_get(t.addr(), "/x", ""));
    t.events.request().await.finish();
    assert_eq!(client.await.unwrap().0, 500, "finished without an answer");

    t.server.clear_event_handler();
    assert_eq!(http_get(t.addr(), "/x", "").await.0, 500, "no handler to take it");
}

#[tokio::test]
async fn a_handle_completes_exactly_once_and_bad_answers_leave_it_pending() {
    let mut t = TestServer::http(ServerConfig::default());
    t.server.add_route("GET", "/x", &[]).unwrap();
    let client = tokio::spawn(http_get(t.addr(), "/x", ""));
    let mut request = t.events.request().await;

    assert!(matches!(request.respond(99, &[], Default::default()), Err(Error::InvalidArgument(_))));
    assert!(matches!(request.respond(200, &[("bad header", "v")], Default::default()), Err(Error::InvalidArgument(_))));
    assert!(matches!(request.respond(200, &[("x-ok", "line\nbreak")], Default::default()), Err(Error::InvalidArgument(_))));
    assert!(request.is_pending());
    request.respond(200, &[], "first".into()).unwrap();
    assert!(matches!(request.respond(200, &[], "second".into()), Err(Error::RequestCompleted)));
    let (status, _, body) = client.await.unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"first"[..]));
}

#[tokio::test]
async fn pending_requests_are_independent() {
    let mut t = TestServer::http(ServerConfig::default());
    t.server.add_route("GET", "/n/:n", &[]).unwrap();
    let first = tokio::spawn(http_get(t.addr(), "/n/1", ""));
    let mut one = t.events.request().await;
    let second = tokio::spawn(http_get(t.addr(), "/n/2", ""));
    let mut two = t.events.request().await;
    two.respond(200, &[], "two".into()).unwrap();
    assert_eq!(second.await.unwrap().2, b"two", "answered while the first is still pending");
    one.respond(200, &[], "one".into()).unwrap();
    assert_eq!(first.await.unwrap().2, b"one");
}

#[tokio::test]
async fn without_a_matching_route_the_answer_is_404_or_405_for_another_method() {
    let mut t = TestServer::http(ServerConfig::default());
    t.server.add_route("GET", "/only-get", &[]).unwrap();
    t.server.add_route("GET", "/elsewhere", &["api".to_string()]).unwrap();
    t.server.add_route("*", "/any", &[]).unwrap();

    assert_eq!(http_get(t.addr(), "/nope", "").await.0, 404);
    // Pode's answer for a path that a route serves with other methods.
    assert_eq!(http_raw(t.addr(), "POST /only-get HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").await.0, 405, "wrong method");
    assert_eq!(http_get(t.addr(), "/elsewhere", "").await.0, 404, "route of another endpoint");
    assert_eq!(http_get(t.addr(), "/only-get/more", "").await.0, 404, "no prefix matching");

    let client = spawn_http(t.addr(), "DELETE /ANY HTTP/1.1\r\nHost: h\r\n\r\n".into());
    let mut request = t.events.request().await;
    assert_eq!((request.method(), request.route().path.as_str()), ("DELETE", "/any"), "method * and case-insensitive paths");
    request.respond(204, &[], Default::default()).unwrap();
    assert_eq!(client.await.unwrap().0, 204);

    assert_eq!(t.server.remove_route("GET", "/only-get", None), 1);
    assert_eq!(http_get(t.addr(), "/only-get", "").await.0, 404, "removed");
}

#[test]
fn bad_routes_are_refused() {
    let server = psws::Server::new(ServerConfig::default()).unwrap();
    server.add_route("GET", "/a/:id", &[]).unwrap();
    for (method, path) in [("G T", "/x"), ("", "/x"), ("GET", ""), ("GET", "/bad/:"), ("GET", "/bad/:a-b"), ("get", "a/:id")] {
        assert!(server.add_route(method, path, &[]).is_err(), "{method:?} {path:?}");
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let mut t = TestServer::http(ServerConfig::default().max_body_size(1024));
    t.server.add_route("POST", "/upload", &[]).unwrap();
    let post = |headers: &str, body: &str| format!("POST /upload HTTP/1.1\r\nHost: h\r\n{headers}\r\n{body}");

    let big = "x".repeat(2000);
    let (status, _, _) = http_raw(t.addr(), &post("Content-Length: 2000\r\n", &big)).await;
    assert_eq!(status, 413, "declared too large");
    let chunked = format!("7d0\r\n{big}\r\n0\r\n\r\n");
    let (status, _, _) = http_raw(t.addr(), &post("Transfer-Encoding: chunked\r\n", &chunked)).await;
    assert_eq!(status, 413, "streamed too large");

    // Exactly the limit is fine, and it is the first request the host sees.
    let exact = "y".repeat(1024);
    let client = spawn_http(t.addr(), post("Content-Length: 1024\r\n", &exact));
    let mut request = t.events.request().await;
    assert_eq!(request.body().len(), 1024);
    request.respond(200, &[], Default::default()).unwrap();
    assert_eq!(client.await.unwrap().0, 200);
}
