//! The WebSocket handshake on the server side: checks (RFC 6455 section 4.2.1, with
//! Pode's status codes) and the 101 response with Pode's `X-Pode-Signal-*` headers.

use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::{Body, status_response};
use crate::Connection;

/// Why a request cannot be upgraded.
#[derive(Debug)]
pub(crate) struct Rejection {
    pub status: StatusCode,
    pub reason: &'static str,
}

impl Rejection {
    /// The response that tells the client.
    pub(crate) fn into_response(self) -> Response<Body> {
        let mut response = status_response(self.status, self.reason);
        if self.status == StatusCode::UPGRADE_REQUIRED {
            response.headers_mut().insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        }
        response
    }
}

/// True if the request asks for a WebSocket (carries `Sec-WebSocket-Key`).
pub(crate) fn is_websocket_request(headers: &HeaderMap) -> bool {
    headers.contains_key(header::SEC_WEBSOCKET_KEY)
}

/// Checks a handshake request; returns the `Sec-WebSocket-Accept` value.
/// 405 for a method other than GET, 412 without a key (as Pode), 400 without a
/// version, 426 for a version other than 13.
pub(crate) fn validate(method: &Method, headers: &HeaderMap) -> Result<String, Rejection> {
    if method != Method::GET {
        return Err(Rejection { status: StatusCode::METHOD_NOT_ALLOWED, reason: "a WebSocket upgrade must be a GET request" });
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(Rejection { status: StatusCode::PRECONDITION_FAILED, reason: "the Sec-WebSocket-Key header is missing" });
    };
    match headers.get(header::SEC_WEBSOCKET_VERSION).map(|v| v.as_bytes()) {
        None => return Err(Rejection { status: StatusCode::BAD_REQUEST, reason: "the Sec-WebSocket-Version header is missing" }),
        Some(b"13") => {}
        Some(_) => return Err(Rejection { status: StatusCode::UPGRADE_REQUIRED, reason: "only WebSocket version 13 is supported" }),
    }
    Ok(derive_accept_key(key.as_bytes().trim_ascii()))
}

/// `101 Switching Protocols` for a registered connection.
pub(crate) fn switching_protocols(accept: &str, conn: &Connection) -> Response<Body> {
    let mut response = Response::new(super::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    put("sec-websocket-accept", accept);
    put("x-pode-signal-client-id", conn.client_id());
    put("x-pode-signal-name", conn.name());
    if !conn.group().is_empty() {
        put("x-pode-signal-group", conn.group());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn rfc_example_key() {
        let h = headers(&[("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="), ("sec-websocket-version", "13")]);
        assert_eq!(validate(&Method::GET, &h).unwrap(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn statuses_follow_pode_and_rfc() {
        let ok = headers(&[("sec-websocket-key", "x"), ("sec-websocket-version", "13")]);
        assert_eq!(validate(&Method::POST, &ok).unwrap_err().status, 405);
        assert_eq!(validate(&Method::GET, &headers(&[("sec-websocket-version", "13")])).unwrap_err().status, 412);
        assert_eq!(validate(&Method::GET, &headers(&[("sec-websocket-key", "x")])).unwrap_err().status, 400);
        let old = headers(&[("sec-websocket-key", "x"), ("sec-websocket-version", "8")]);
        let rejection = validate(&Method::GET, &old).unwrap_err();
        assert_eq!(rejection.status, 426);
        assert_eq!(rejection.into_response().headers()["sec-websocket-version"], "13");
    }
}
