//! The HTTP side of a listener: auto-upgrade, routes handed to the host, static
//! folders, and the small response helpers they share.

pub(crate) mod request;
mod signal_headers;
mod static_files;
pub(crate) mod upgrade;

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, Uri, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::oneshot;

use crate::connection::Identity;
use crate::listener::Peer;
use crate::metrics::Metrics;
use crate::routes::RouteTable;
use crate::{Event, Protocol, RequestHandle, Scope};
use request::{Pending, Reply};
pub(crate) use static_files::StaticFolders;

/// Body of every response the engine writes.
pub(crate) type Body = UnsyncBoxBody<Bytes, io::Error>;

/// A body holding `bytes`.
pub(crate) fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed_unsync()
}

/// An empty body.
pub(crate) fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// A plain-text response explaining a status.
pub(crate) fn status_response(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = Response::new(full(Bytes::from(format!("{text}\n"))));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// `200` with the Prometheus text of the counters.
fn metrics_response(text: String) -> Response<Body> {
    let mut response = Response::new(full(Bytes::from(text)));
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(crate::metrics::CONTENT_TYPE));
    response
}

/// A header as text, empty when absent or not ASCII.
pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The URL path, percent-decoded.
pub(crate) fn decoded_path(uri: &Uri) -> String {
    percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy().into_owned()
}

/// The endpoint a request came in on (`$WebEvent.Endpoint`).
#[derive(Debug, Clone)]
pub struct EndpointInfo {
    /// Endpoint name.
    pub name: String,
    /// Endpoint protocol.
    pub protocol: Protocol,
    /// The request's `Host` header.
    pub host: String,
}

impl EndpointInfo {
    /// The protocol of a WebSocket on this endpoint: Wss over TLS, else Ws.
    pub(crate) fn websocket_protocol(&self) -> Protocol {
        if self.protocol.is_tls() { Protocol::Wss } else { Protocol::Ws }
    }
}

/// HTTP routes and static folders of a server.
#[derive(Default)]
pub(crate) struct HttpState {
    pub routes: RouteTable,
    pub statics: StaticFolders,
    /// GET routes the engine answers itself with the Prometheus text of the counters.
    pub metrics: RouteTable,
}

/// Serves one request.
pub(crate) async fn handle<S>(req: Request<Incoming>, peer: Arc<Peer>) -> Response<Body>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let signals = &peer.shared.signals;
    Metrics::add(&signals.metrics.http_requests, 1);
    let websocket = upgrade::is_websocket_request(req.headers());
    let endpoint = peer.listener.endpoint_for(websocket, header_str(req.headers(), "host"));
    if websocket && peer.listener.auto_upgrade {
        return auto_upgrade::<S>(req, endpoint, &peer);
    }
    let path = decoded_path(req.uri());
    if req.method() == http::Method::GET && peer.shared.http.metrics.find("GET", &path, &endpoint.name).is_some() {
        return metrics_response(signals.metrics_text());
    }
    if let Some(route) = peer.shared.http.routes.find(req.method().as_str(), &path, &endpoint.name) {
        return dispatch::<S>(req, route, endpoint, peer.clone()).await;
    }
    if let Some(response) = peer.shared.http.statics.serve(&req, &path).await {
        return response;
    }
    if peer.shared.http.routes.serves_other_method(req.method().as_str(), &path, &endpoint.name) {
        return status_response(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    }
    status_response(StatusCode::NOT_FOUND, "not found")
}

/// Pode's legacy upgrade: Name = URL path, Global scope, a fresh client id (signed
/// when signing is on, as Pode's documentation promises), no route involved.
fn auto_upgrade<S>(mut req: Request<Incoming>, endpoint: EndpointInfo, peer: &Arc<Peer>) -> Response<Body>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let accept = match upgrade::validate(req.method(), req.headers()) {
        Ok(accept) => accept,
        Err(rejection) => return rejection.into_response(),
    };
    let signals = &peer.shared.signals;
    let user_agent = header_str(req.headers(), "user-agent").to_string();
    let remote_ip = peer.remote.ip().to_string();
    let ctx = crate::SigningContext { user_agent: &user_agent, remote_ip: &remote_ip };
    let client_id = match signals.new_client_id(None, &ctx) {
        Ok(id) => id,
        Err(e) => return status_response(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let identity = Identity {
        name: req.uri().path().to_string(),
        group: String::new(),
        client_id,
        scope: Scope::Global,
        path: decoded_path(req.uri()),
        query: req.uri().query().unwrap_or("").to_string(),
        protocol: endpoint.websocket_protocol(),
        endpoint: endpoint.name,
        host: endpoint.host,
        remote: peer.remote,
        user_agent,
    };
    let conn = signals.register(identity);
    let on_upgrade = hyper::upgrade::on(&mut req);
    peer.spawn_websocket::<S>(on_upgrade, conn.clone());
    upgrade::switching_protocols(&accept, &conn)
}

/// Hands a routed request to the host and waits for its answer.
async fn dispatch<S>(req: Request<Incoming>, route: crate::routes::RouteMatch, endpoint: EndpointInfo, peer: Arc<Peer>) -> Response<Body>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let signals = peer.shared.signals.clone();
    let (mut head, body) = req.into_parts();
    let on_upgrade = head.extensions.remove::<OnUpgrade>();
    let body = match read_body(&head.headers, body, signals.config().max_body_size).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let remote_ip = peer.remote.ip().to_string();
    let ctx = crate::SigningContext { user_agent: header_str(&head.headers, "user-agent"), remote_ip: &remote_ip };
    let signal = match signal_headers::resolve(&head.headers, &signals, &ctx) {
        Ok(signal) => signal,
        Err(response) => return response,
    };
    let (tx, rx) = oneshot::channel();
    let pending = Pending { head, body, remote: peer.remote, route, endpoint, signal, signals: signals.clone() };
    signals.events.emit(Event::Request(RequestHandle::new(pending, tx)));
    let reply = tokio::select! {
        reply = rx => reply,
        () = peer.shared.shutdown.cancelled() => {
            return status_response(StatusCode::SERVICE_UNAVAILABLE, "the server is shutting down");
        }
    };
    match reply {
        Ok(Reply::Respond(response)) => response,
        Ok(Reply::Upgrade(conn, response)) => {
            match on_upgrade {
                Some(on_upgrade) => peer.spawn_websocket::<S>(on_upgrade, conn),
                None => signals.abandon(&conn),
            }
            response
        }
        // No handler took the event: answer rather than hang.
        Err(_) => status_response(StatusCode::INTERNAL_SERVER_ERROR, "the request was not answered"),
    }
}

/// Reads a whole body, refusing more than `max` bytes with 413.
async fn read_body(headers: &HeaderMap, body: Incoming, max: usize) -> Result<Bytes, Response<Body>> {
    let too_large = || status_response(StatusCode::PAYLOAD_TOO_LARGE, &format!("the request body is larger than {max} bytes"));
    let declared = header_str(headers, "content-length").parse::<u64>().ok();
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    match Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(status_response(StatusCode::BAD_REQUEST, &format!("cannot read the request body: {e}"))),
    }
}
