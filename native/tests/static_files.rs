//! Static folders served by the engine: content types, index.html, HEAD, the longest
//! prefix winning, routes before files, and 404 for missing files and for every path
//! that tries to leave the folder.

mod common;

use common::*;
use psws::ServerConfig;
use tempfile::TempDir;

const SECRET: &str = "top secret, outside the folder";

/// `<tmp>/public/...` served at `/public`, and `<tmp>/secret.txt` next to it.
fn site() -> (TestServer, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let public = dir.path().join("public");
    std::fs::create_dir_all(public.join("sub")).unwrap();
    std::fs::create_dir_all(dir.path().join("other")).unwrap();
    for (file, content) in [
        ("index.html", "<h1>home</h1>"),
        ("style.css", "body{}"),
        ("app.js", "let a=1;"),
        ("data.json", "{\"a\":1}"),
        ("sub/page.html", "<p>sub</p>"),
        ("sub/index.html", "<p>sub index</p>"),
    ] {
        std::fs::write(public.join(file), content).unwrap();
    }
    std::fs::write(public.join("pixel.png"), [0x89, b'P', b'N', b'G']).unwrap();
    std::fs::write(dir.path().join("secret.txt"), SECRET).unwrap();
    std::fs::write(dir.path().join("other/page.html"), "<p>other</p>").unwrap();
    let t = TestServer::http(ServerConfig::default());
    t.server.add_static_folder("/public", &public).unwrap();
    (t, dir)
}

#[tokio::test]
async fn files_are_served_with_their_content_type() {
    let (t, _dir) = site();
    for (path, mime, body) in [
        ("/public/style.css", "text/css", &b"body{}"[..]),
        ("/public/app.js", "javascript", b"let a=1;"),
        ("/public/data.json", "application/json", b"{\"a\":1}"),
        ("/public/pixel.png", "image/png", &[0x89, b'P', b'N', b'G']),
        ("/public/sub/page.html", "text/html", b"<p>sub</p>"),
        ("/public/", "text/html", b"<h1>home</h1>"),
        ("/public/sub/", "text/html", b"<p>sub index</p>"),
    ] {
        let (status, head, got) = http_get(t.addr(), path, "").await;
        assert_eq!(status, 200, "{path}: {head}");
        let content_type = head_header(&head, "content-type").unwrap_or_default();
        assert!(content_type.contains(mime), "{path}: {content_type}");
        assert_eq!(got, body, "{path}");
    }
    let (status, head, body) = http_raw(t.addr(), "HEAD /public/style.css HTTP/1.1\r\nHost: h\r\n\r\n").await;
    assert_eq!((status, head_header(&head, "content-length"), body.len()), (200, Some("6"), 0));
}

#[tokio::test]
async fn missing_files_and_other_methods_are_404() {
    let (t, _dir) = site();
    assert_eq!(http_get(t.addr(), "/public/nope.css", "").await.0, 404);
    assert_eq!(http_get(t.addr(), "/publicx/style.css", "").await.0, 404, "a prefix is a whole segment");
    let post = "POST /public/style.css HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(http_raw(t.addr(), post).await.0, 404);
}

#[tokio::test]
async fn paths_that_leave_the_folder_are_refused() {
    let (t, _dir) = site();
    for path in [
        "/public/../secret.txt",
        "/public/sub/../../secret.txt",
        "/public/%2e%2e/secret.txt",
        "/public/%2E%2E/secret.txt",
        "/public/..%2fsecret.txt",
        "/public/..%2Fsecret.txt",
        "/public/sub/..%2f..%2fsecret.txt",
        "/public%2f..%2fsecret.txt",
        "/public/%252e%252e/secret.txt",
        "/public/..\\secret.txt",
        "/public//../secret.txt",
    ] {
        let (status, head, body) = http_get(t.addr(), path, "").await;
        assert_eq!(status, 404, "{path}: {head}");
        assert!(!String::from_utf8_lossy(&body).contains(SECRET), "{path} leaked the file");
    }
}

#[tokio::test]
async fn routes_win_and_the_longest_prefix_is_used() {
    let (mut t, dir) = site();
    t.server.add_static_folder("/public/sub", dir.path().join("other")).unwrap();
    let (status, _, body) = http_get(t.addr(), "/public/sub/page.html", "").await;
    assert_eq!((status, body.as_slice()), (200, &b"<p>other</p>"[..]));

    t.server.add_route("GET", "/public/app.js", &[]).unwrap();
    let client = tokio::spawn(http_get(t.addr(), "/public/app.js", ""));
    t.events.request().await.respond(200, &[], "from the route".into()).unwrap();
    assert_eq!(client.await.unwrap().2, b"from the route");

    assert!(t.server.remove_static_folder("/public/"));
    assert!(!t.server.remove_static_folder("/public"));
    assert_eq!(http_get(t.addr(), "/public/style.css", "").await.0, 404);
    assert!(t.server.add_static_folder("/nope", dir.path().join("missing")).is_err());
    assert!(t.server.add_static_folder("/file", dir.path().join("secret.txt")).is_err());
}
