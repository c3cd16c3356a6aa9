//! Static folders (Pode's `Add-PodeStaticRoute`), served by tower-http's `ServeDir`:
//! content types, ranges, index.html, and no path traversal out of the folder.

use std::path::PathBuf;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use parking_lot::RwLock;
use tower::ServiceExt;
use tower_http::services::ServeDir;

use super::Body;
use crate::routes::normalise;
use crate::{Error, Result};

/// URL prefix -> folder.
#[derive(Default)]
pub(crate) struct StaticFolders {
    folders: RwLock<Vec<(String, ServeDir)>>,
}

impl StaticFolders {
    /// Serves `folder` under `prefix`; a second call for a prefix replaces the first.
    pub(crate) fn add(&self, prefix: &str, folder: PathBuf) -> Result<()> {
        if !folder.is_dir() {
            return Err(Error::Route(format!("static folder {} does not exist", folder.display())));
        }
        let prefix = normalise(prefix).trim_end_matches('/').to_string();
        let mut folders = self.folders.write();
        folders.retain(|(p, _)| *p != prefix);
        folders.push((prefix, ServeDir::new(folder).append_index_html_on_directories(true)));
        // Longest prefix first, so /assets/img wins over /assets.
        folders.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        Ok(())
    }

    /// Stops serving `prefix`; returns whether it was served.
    pub(crate) fn remove(&self, prefix: &str) -> bool {
        let prefix = normalise(prefix).trim_end_matches('/').to_string();
        let mut folders = self.folders.write();
        let before = folders.len();
        folders.retain(|(p, _)| *p != prefix);
        before != folders.len()
    }

    /// The response for a GET or HEAD under a static prefix; None when no prefix applies.
    pub(crate) async fn serve(&self, req: &Request<Incoming>, decoded_path: &str) -> Option<Response<Body>> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return None;
        }
        let raw_path = req.uri().path();
        let (rest, service) = {
            let folders = self.folders.read();
            folders.iter().find_map(|(prefix, service)| {
                let rest = raw_path.strip_prefix(prefix.as_str())?;
                (rest.is_empty() || rest.starts_with('/')).then(|| (rest.to_string(), service.clone()))
            })?
        };
        // An encoded slash or dot-dot segment is refused before the file system sees it.
        if decoded_path.split('/').any(|segment| segment == "..") || rest.contains("%2f") || rest.contains("%2F") {
            return Some(super::status_response(http::StatusCode::NOT_FOUND, "not found"));
        }
        let uri = if rest.is_empty() { "/".to_string() } else { rest };
        let mut inner = Request::builder().method(req.method()).uri(uri);
        for (name, value) in req.headers() {
            inner = inner.header(name, value);
        }
        let inner = inner.body(Empty::<Bytes>::new()).ok()?;
        let mut response = service.oneshot(inner).await.unwrap_or_else(|never| match never {});
        with_charset(response.headers_mut());
        Some(response.map(|body| body.boxed_unsync()))
    }
}

/// Pode names the charset of every static file it serves (`image/png; charset=utf-8`).
fn with_charset(headers: &mut http::HeaderMap) {
    let Some(value) = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return;
    };
    if !value.to_ascii_lowercase().contains("charset=") {
        if let Ok(value) = http::HeaderValue::from_str(&format!("{value}; charset=utf-8")) {
            headers.insert(http::header::CONTENT_TYPE, value);
        }
    }
}
