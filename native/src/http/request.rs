//! The request handle the host completes exactly once: respond, upgrade, or drop
//! (which answers 500, so no client ever hangs).

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode, request::Parts};
use tokio::sync::oneshot;

use super::upgrade;
use super::{Body, EndpointInfo, full};
use crate::connection::Identity;
use crate::routes::RouteMatch;
use crate::signals::Signals;
use crate::{Connection, Error, Result, Scope, SigningContext};

/// How the host completed a request.
pub(crate) enum Reply {
    /// An HTTP response.
    Respond(Response<Body>),
    /// A 101 response; the connection starts once hyper hands over the socket.
    Upgrade(Arc<Connection>, Response<Body>),
}

/// What a manual upgrade (Pode's `ConvertTo-PodeSignalConnection`) asks for.
#[derive(Debug, Clone, Default)]
pub struct Upgrade {
    /// The Name to register the connection under (required).
    pub name: String,
    /// Optional Group.
    pub group: Option<String>,
    /// Optional client id; a fresh GUID when None. Signed when signing is on.
    pub client_id: Option<String>,
    /// Scope; the server's default scope when None.
    pub scope: Option<Scope>,
}

/// An HTTP request waiting for the host (a `$WebEvent`).
pub struct RequestHandle {
    head: Parts,
    path: String,
    body: Bytes,
    remote: SocketAddr,
    remote_ip: String,
    route: RouteMatch,
    endpoint: EndpointInfo,
    signal: Option<Arc<Connection>>,
    reply: Option<oneshot::Sender<Reply>>,
    /// A Local connection made by this request: closed when the request completes.
    local: Option<Arc<Connection>>,
    signals: Arc<Signals>,
}

impl std::fmt::Debug for RequestHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestHandle").field("method", &self.head.method).field("path", &self.path).finish_non_exhaustive()
    }
}

/// Everything a handle is made of.
pub(crate) struct Pending {
    pub head: Parts,
    pub body: Bytes,
    pub remote: SocketAddr,
    pub route: RouteMatch,
    pub endpoint: EndpointInfo,
    pub signal: Option<Arc<Connection>>,
    pub signals: Arc<Signals>,
}

impl RequestHandle {
    pub(crate) fn new(p: Pending, reply: oneshot::Sender<Reply>) -> Self {
        Self {
            path: super::decoded_path(&p.head.uri),
            remote_ip: p.remote.ip().to_string(),
            head: p.head,
            body: p.body,
            remote: p.remote,
            route: p.route,
            endpoint: p.endpoint,
            signal: p.signal,
            reply: Some(reply),
            local: None,
            signals: p.signals,
        }
    }

    /// HTTP method (`GET`, `POST`, ...).
    pub fn method(&self) -> &str {
        self.head.method.as_str()
    }
    /// URL path, percent-decoded.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// Query string without the `?` (still percent-encoded), empty if none.
    pub fn query(&self) -> &str {
        self.head.uri.query().unwrap_or("")
    }
    /// Request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }
    /// Request body (complete; bounded by the body size limit).
    pub fn body(&self) -> &Bytes {
        &self.body
    }
    /// The client's socket address.
    pub fn remote_addr(&self) -> SocketAddr {
        self.remote
    }
    /// The route that matched.
    pub fn route(&self) -> &RouteMatch {
        &self.route
    }
    /// The endpoint the request came in on.
    pub fn endpoint(&self) -> &EndpointInfo {
        &self.endpoint
    }
    /// The live Global connection named by the request's `X-Pode-Signal-*` headers.
    pub fn signal(&self) -> Option<&Arc<Connection>> {
        self.signal.as_ref()
    }
    /// The connection this request was upgraded to, while the request is open.
    pub fn upgraded(&self) -> Option<&Arc<Connection>> {
        self.local.as_ref()
    }
    /// True until the request has been answered or upgraded.
    pub fn is_pending(&self) -> bool {
        self.reply.is_some()
    }
    /// The strict-signing context of this client (User-Agent and IP).
    pub fn signing_context(&self) -> SigningContext<'_> {
        SigningContext { user_agent: super::header_str(&self.head.headers, "user-agent"), remote_ip: &self.remote_ip }
    }

    fn complete(&mut self, reply: Reply) -> Result<()> {
        let sender = self.reply.take().ok_or(Error::RequestCompleted)?;
        // The receiver is gone when the client left or the server is stopping.
        sender.send(reply).map_err(|_| Error::RequestCompleted)
    }

    /// Answers with a status, headers and a body.
    pub fn respond(&mut self, status: u16, headers: &[(&str, &str)], body: Bytes) -> Result<()> {
        if self.reply.is_none() {
            return Err(Error::RequestCompleted);
        }
        let status = StatusCode::from_u16(status).map_err(|_| Error::InvalidArgument(format!("{status} is not an HTTP status")))?;
        let mut response = Response::new(full(body));
        *response.status_mut() = status;
        for (name, value) in headers {
            let name = HeaderName::try_from(*name).map_err(|_| Error::InvalidArgument(format!("'{name}' is not a valid header name")))?;
            let value = HeaderValue::try_from(*value).map_err(|_| Error::InvalidArgument(format!("the value of '{name}' is not a valid header value")))?;
            response.headers_mut().append(name, value);
        }
        self.complete(Reply::Respond(response))
    }

    /// Upgrades the request to a signal connection and returns it (its client id is
    /// final: generated and/or signed). A request that is not a valid WebSocket
    /// handshake is answered with 405, 412, 426 or 400 and the error says why; a bad
    /// argument is an error that leaves the request pending.
    pub fn upgrade(&mut self, options: Upgrade) -> Result<Arc<Connection>> {
        if self.reply.is_none() {
            return Err(Error::RequestCompleted);
        }
        if options.name.is_empty() {
            return Err(Error::InvalidArgument("a signal connection needs a Name".into()));
        }
        let accept = match upgrade::validate(&self.head.method, &self.head.headers) {
            Ok(accept) => accept,
            Err(rejection) => {
                let (status, reason) = (rejection.status, rejection.reason.to_string());
                self.complete(Reply::Respond(rejection.into_response()))?;
                return Err(Error::UpgradeRejected { status: status.as_u16(), reason });
            }
        };
        let client_id = self.signals.new_client_id(options.client_id.as_deref(), &self.signing_context())?;
        let scope = options.scope.unwrap_or_else(|| self.signals.default_scope());
        let identity = Identity {
            name: options.name,
            group: options.group.unwrap_or_default(),
            client_id,
            scope,
            path: self.path.clone(),
            query: self.query().to_string(),
            endpoint: self.endpoint.name.clone(),
            protocol: self.endpoint.websocket_protocol(),
            host: self.endpoint.host.clone(),
            remote: self.remote,
            user_agent: super::header_str(&self.head.headers, "user-agent").to_string(),
        };
        let conn = self.signals.register(identity);
        let response = upgrade::switching_protocols(&accept, &conn);
        if let Err(e) = self.complete(Reply::Upgrade(conn.clone(), response)) {
            self.signals.abandon(&conn);
            return Err(e);
        }
        if scope == Scope::Local {
            self.local = Some(conn.clone());
        }
        Ok(conn)
    }

    /// Completes the request: a 500 if it was never answered, and a Close for the
    /// Local connection it was upgraded to. Dropping the handle does the same.
    pub fn finish(self) {}
}

impl Drop for RequestHandle {
    fn drop(&mut self) {
        if self.reply.is_some() {
            let response = super::status_response(StatusCode::INTERNAL_SERVER_ERROR, "the request was not answered");
            let _ = self.complete(Reply::Respond(response));
        }
        if let Some(conn) = self.local.take() {
            conn.close(1000, "");
        }
    }
}
