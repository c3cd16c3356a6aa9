//! Opening an outgoing WebSocket, step by step (URL, DNS, TCP, TLS, upgrade), so that
//! a failure says which step failed.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite};
use url::{Host, Url};

use super::{ClientConfig, ConnectOptions};
use crate::{ConnectError, Error, Result};

/// An open client connection.
pub(crate) type ClientStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn failed(url: &Url, reason: ConnectError) -> Error {
    Error::Connect { url: url.to_string(), reason }
}

/// Parses a `ws://` or `wss://` URL; anything else is a clear error.
pub(crate) fn parse_url(url: &str) -> Result<Url> {
    let bad = |reason: String| Error::Connect { url: url.to_string(), reason: ConnectError::Url(reason) };
    let parsed = Url::parse(url).map_err(|e| bad(e.to_string()))?;
    if !matches!(parsed.scheme(), "ws" | "wss") {
        return Err(bad(format!("the URL must begin with ws:// or wss://, not {}://", parsed.scheme())));
    }
    if parsed.host().is_none() {
        return Err(bad("the URL has no host".into()));
    }
    Ok(parsed)
}

/// The upgrade request with the caller's headers and sub-protocols.
fn request(url: &Url, options: &ConnectOptions) -> Result<Request> {
    let mut request = url.as_str().into_client_request().map_err(|e| failed(url, ConnectError::Url(e.to_string())))?;
    let headers = request.headers_mut();
    for (name, value) in &options.headers {
        let name = HeaderName::try_from(name.as_str()).map_err(|_| Error::InvalidArgument(format!("'{name}' is not a valid header name")))?;
        let value = HeaderValue::try_from(value.as_str()).map_err(|_| Error::InvalidArgument(format!("the value of header '{name}' is not valid")))?;
        headers.append(name, value);
    }
    if !options.protocols.is_empty() {
        let offer = options.protocols.join(", ");
        let value = HeaderValue::try_from(offer).map_err(|_| Error::InvalidArgument("a sub-protocol name is not valid".into()))?;
        headers.insert("sec-websocket-protocol", value);
    }
    Ok(request)
}

/// Opens the connection, within the config's connect timeout.
pub(crate) async fn establish(url: &Url, options: &ConnectOptions, config: &ClientConfig, tls: Arc<rustls::ClientConfig>) -> Result<ClientStream> {
    let request = request(url, options)?;
    let limit = config.connect_timeout;
    let ws_config = WebSocketConfig::default().max_message_size(Some(config.max_message_size)).max_frame_size(Some(config.max_message_size));
    tokio::time::timeout(limit, async {
        let stream = tcp(url).await?;
        let stream = match url.scheme() {
            "wss" => {
                let host = url.host_str().unwrap_or_default().trim_matches(|c| c == '[' || c == ']');
                let server_name = rustls_pki_types::ServerName::try_from(host.to_string()).map_err(|e| failed(url, ConnectError::Tls(e.to_string())))?;
                let tls = TlsConnector::from(tls).connect(server_name, stream).await.map_err(|e| failed(url, ConnectError::Tls(e.to_string())))?;
                MaybeTlsStream::Rustls(tls)
            }
            _ => MaybeTlsStream::Plain(stream),
        };
        let (ws, _response) = tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config)).await.map_err(|e| failed(url, classify(e)))?;
        Ok(ws)
    })
    .await
    .map_err(|_| failed(url, ConnectError::Timeout(limit)))?
}

/// Resolves the host and connects to the first address that answers.
async fn tcp(url: &Url) -> Result<TcpStream> {
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(Host::Domain(name)) => tokio::net::lookup_host((name, port)).await.map_err(|e| failed(url, ConnectError::Dns(format!("{name}: {e}"))))?.collect(),
        None => Vec::new(),
    };
    let mut last = ConnectError::Dns(format!("{} has no address", url.host_str().unwrap_or_default()));
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => last = ConnectError::Refused(addr.to_string()),
            Err(e) => last = ConnectError::Other(format!("{addr}: {e}")),
        }
    }
    Err(failed(url, last))
}

fn classify(error: tungstenite::Error) -> ConnectError {
    match error {
        tungstenite::Error::Http(response) => ConnectError::HttpStatus(response.status().as_u16()),
        tungstenite::Error::Tls(e) => ConnectError::Tls(e.to_string()),
        other => ConnectError::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ws_urls_are_accepted() {
        assert!(parse_url("ws://localhost:8091/msg").is_ok());
        assert!(parse_url("wss://example.com").is_ok());
        for bad in ["http://localhost", "localhost:80", "ws://", "wss//x", ""] {
            let err = parse_url(bad).unwrap_err();
            assert!(matches!(err, Error::Connect { reason: ConnectError::Url(_), .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn bad_headers_are_refused() {
        let url = parse_url("ws://localhost").unwrap();
        let options = ConnectOptions::default().header("bad name", "x");
        assert!(matches!(request(&url, &options), Err(Error::InvalidArgument(_))));
        let options = ConnectOptions::default().header("Authorization", "Bearer x").protocol("chat").protocol("v2");
        let req = request(&url, &options).unwrap();
        assert_eq!(req.headers()["authorization"], "Bearer x");
        assert_eq!(req.headers()["sec-websocket-protocol"], "chat, v2");
    }
}
