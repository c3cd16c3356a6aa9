//! Listeners: endpoints grouped by address and port, the accept loop, TLS, hyper's
//! HTTP/1.1 connection, and the hand-over of upgraded sockets to signal connections.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::OwnedSemaphorePermit;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use crate::http::EndpointInfo;
use crate::server::Shared;
use crate::{Connection, EndpointConfig, Error, Result, connection, tls};

/// A listener's endpoints and settings.
pub(crate) struct ListenerInfo {
    /// The bound address (with the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// Auto-upgrade is on: a Ws/Wss endpoint is here and none opted out.
    pub auto_upgrade: bool,
    /// The endpoints sharing this listener.
    pub endpoints: Vec<EndpointConfig>,
    tls: Option<TlsAcceptor>,
}

impl ListenerInfo {
    /// The endpoint a request belongs to: the WebSocket endpoint for WebSocket
    /// requests when there is one, else the HTTP one.
    pub(crate) fn endpoint_for(&self, websocket: bool, host: &str) -> EndpointInfo {
        let pick = |ws: bool| self.endpoints.iter().find(|e| e.protocol.is_websocket() == ws);
        let endpoint = pick(websocket).or_else(|| pick(!websocket)).unwrap_or(&self.endpoints[0]);
        EndpointInfo { name: endpoint.name.clone(), protocol: endpoint.protocol, host: host.to_string() }
    }
}

/// The IP an endpoint address means: `localhost` is 127.0.0.1, `*` every IPv4 address.
fn resolve(address: &str, port: u16) -> Result<SocketAddr> {
    let ip = match address {
        "" | "*" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        other => match other.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => {
                return (other, port)
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut addrs| addrs.next())
                    .ok_or_else(|| Error::InvalidArgument(format!("cannot resolve endpoint address '{other}'")));
            }
        },
    };
    Ok(SocketAddr::new(ip, port))
}

/// Checks an endpoint on its own (before the server starts).
pub(crate) fn check(endpoint: &EndpointConfig) -> Result<()> {
    resolve(&endpoint.address, endpoint.port)?;
    if endpoint.protocol.is_tls() && endpoint.tls.is_none() {
        return Err(Error::InvalidArgument(format!("the {} endpoint '{}' needs a certificate", endpoint.protocol.as_str(), endpoint.name)));
    }
    if !endpoint.protocol.is_tls() && endpoint.tls.is_some() {
        return Err(Error::InvalidArgument(format!("a certificate is only allowed for https and wss endpoints, not {}", endpoint.protocol.as_str())));
    }
    Ok(())
}

/// Groups endpoints by address and port (port 0 never shares) and binds each group.
/// On any failure nothing stays bound.
pub(crate) fn bind_all(endpoints: &[EndpointConfig]) -> Result<Vec<(TcpListener, ListenerInfo)>> {
    let mut groups: Vec<(SocketAddr, Vec<EndpointConfig>)> = Vec::new();
    for endpoint in endpoints {
        let addr = resolve(&endpoint.address, endpoint.port)?;
        match groups.iter_mut().find(|(a, _)| addr.port() != 0 && *a == addr) {
            Some((_, group)) => group.push(endpoint.clone()),
            None => groups.push((addr, vec![endpoint.clone()])),
        }
    }
    let _runtime = crate::runtime::handle().enter();
    groups.into_iter().map(|(addr, endpoints)| bind(addr, endpoints)).collect()
}

fn bind(addr: SocketAddr, endpoints: Vec<EndpointConfig>) -> Result<(TcpListener, ListenerInfo)> {
    let tls_count = endpoints.iter().filter(|e| e.protocol.is_tls()).count();
    if tls_count != 0 && tls_count != endpoints.len() {
        return Err(Error::InvalidArgument(format!("{addr}: TLS and plain endpoints cannot share one address and port")));
    }
    let tls = match endpoints.iter().find_map(|e| e.tls.as_ref()) {
        Some(identity) => Some(TlsAcceptor::from(tls::server_config(identity)?)),
        None => None,
    };
    let bind_error = |source| Error::Bind { address: addr.to_string(), source };
    let socket = if addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }.map_err(bind_error)?;
    socket.set_reuseaddr(true).map_err(bind_error)?;
    socket.bind(addr).map_err(bind_error)?;
    let listener = socket.listen(1024).map_err(bind_error)?;
    let bound = listener.local_addr().map_err(bind_error)?;
    let auto_upgrade = endpoints.iter().any(|e| e.protocol.is_websocket()) && !endpoints.iter().any(|e| e.no_auto_upgrade);
    Ok((listener, ListenerInfo { addr: bound, auto_upgrade, endpoints, tls }))
}

/// Accepts connections until the server shuts down.
pub(crate) async fn accept_loop(listener: TcpListener, info: Arc<ListenerInfo>, shared: Arc<Shared>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shared.shutdown.cancelled() => return,
        };
        let (stream, remote) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                shared.signals.log_warn(&format!("accept on {} failed: {e}", info.addr));
                // Out of descriptors: give the process a moment instead of spinning.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = shared.permits.clone().try_acquire_owned() else {
            shared
                .signals
                .log_warn(&format!("refused {remote}: the server has reached its maximum of {} connections", shared.signals.config().max_connections));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let peer = Arc::new(Peer { shared: shared.clone(), listener: info.clone(), remote, permit: Arc::new(permit) });
        shared.tracker.spawn(async move {
            match &peer.listener.tls {
                None => serve(stream, peer).await,
                Some(acceptor) => {
                    let timeout = peer.shared.signals.config().handshake_timeout;
                    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => serve(stream, peer).await,
                        Ok(Err(e)) => tracing::debug!("TLS handshake with {} failed: {e}", peer.remote),
                        Err(_) => tracing::debug!("TLS handshake with {} timed out", peer.remote),
                    }
                }
            }
        });
    }
}

/// One accepted TCP (or TLS) connection.
pub(crate) struct Peer {
    pub shared: Arc<Shared>,
    pub listener: Arc<ListenerInfo>,
    pub remote: SocketAddr,
    /// The connection's slot under `max_connections`, held until its last task ends.
    permit: Arc<OwnedSemaphorePermit>,
}

/// Runs HTTP/1.1 on a connection until it closes, upgrades, or the server stops.
async fn serve<S>(stream: S, peer: Arc<Peer>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let config = peer.shared.signals.config().clone();
    let service_peer = peer.clone();
    let service = service_fn(move |req| {
        let peer = service_peer.clone();
        async move { Ok::<_, Infallible>(crate::http::handle::<S>(req, peer).await) }
    });
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(config.handshake_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = peer.shared.shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(config.close_timeout, conn).await;
        }
    }
}

/// The tungstenite settings of a server's connections.
fn websocket_config(config: &crate::ServerConfig) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(config.read_buffer_size)
        .max_message_size(Some(config.max_message_size))
        .max_frame_size(Some(config.max_message_size))
}

impl Peer {
    /// Starts the signal connection once hyper has written the 101 and hands over the
    /// socket (unwrapped from hyper's `Upgraded`, so frames go straight to the stream).
    pub(crate) fn spawn_websocket<S>(&self, on_upgrade: OnUpgrade, conn: Arc<Connection>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let shared = self.shared.clone();
        let permit = self.permit.clone();
        self.shared.tracker.spawn(async move {
            let _permit = permit;
            let signals = shared.signals.clone();
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(e) => {
                    tracing::debug!("upgrade of connection {} failed: {e}", conn.id());
                    signals.abandon(&conn);
                    return;
                }
            };
            if shared.shutdown.is_cancelled() {
                conn.close(1001, "the server is shutting down");
            }
            let config = Some(websocket_config(signals.config()));
            match upgraded.downcast::<TokioIo<S>>() {
                Ok(parts) => {
                    // What hyper read past the request shares hyper's whole read buffer
                    // (8 KiB): copy it and let the buffer go now, or every connection
                    // keeps it for its life.
                    let leftover = parts.read_buf.to_vec();
                    drop(parts.read_buf);
                    let mut ws = WebSocketStream::from_partially_read(parts.io.into_inner(), leftover, Role::Server, config).await;
                    connection::run(conn, &mut ws, signals).await
                }
                // Through hyper's wrapper, boxed: the task of every connection is as
                // large as its largest branch.
                Err(upgraded) => {
                    Box::pin(async move {
                        let mut ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, config).await;
                        connection::run(conn, &mut ws, signals).await
                    })
                    .await
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Protocol;

    #[test]
    fn addresses_resolve_like_pode() {
        assert_eq!(resolve("localhost", 80).unwrap(), "127.0.0.1:80".parse().unwrap());
        assert_eq!(resolve("*", 1).unwrap(), "0.0.0.0:1".parse().unwrap());
        assert_eq!(resolve("[::1]", 2).unwrap(), "[::1]:2".parse().unwrap());
        assert!(resolve("no such host.invalid", 1).is_err());
    }

    #[test]
    fn tls_endpoints_need_a_certificate() {
        assert!(check(&EndpointConfig::new(Protocol::Wss, "127.0.0.1", 0)).is_err());
        let http_with_cert = EndpointConfig::new(Protocol::Http, "127.0.0.1", 0).tls(crate::TlsIdentity::Pem { cert: "c".into(), key: "k".into() });
        assert!(check(&http_with_cert).is_err());
        check(&EndpointConfig::new(Protocol::Ws, "127.0.0.1", 0)).unwrap();
    }
}
