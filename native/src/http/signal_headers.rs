//! `X-Pode-Signal-Client-Id` / `-Name` / `-Group` request headers: an HTTP request that
//! names the caller's own WebSocket connection (Pode's "Request Headers").

use std::sync::Arc;

use http::{HeaderMap, Response, StatusCode};

use super::{Body, header_str, status_response};
use crate::signals::Signals;
use crate::{Connection, SigningContext};

/// The live Global connection the headers name; None without a client id header.
/// A missing Name or an invalid (forged, tampered, wrongly signed) id is 400; a
/// connection that does not exist (or is not in the given groups) is 404.
pub(crate) fn resolve(headers: &HeaderMap, signals: &Signals, ctx: &SigningContext<'_>) -> Result<Option<Arc<Connection>>, Response<Body>> {
    let client_id = header_str(headers, "x-pode-signal-client-id").trim();
    if client_id.is_empty() {
        return Ok(None);
    }
    let name = header_str(headers, "x-pode-signal-name").trim();
    if name.is_empty() {
        return Err(status_response(StatusCode::BAD_REQUEST, "the request is missing the required X-Pode-Signal-Name header"));
    }
    if !signals.client_id_valid(client_id, ctx) {
        return Err(status_response(StatusCode::BAD_REQUEST, "The X-PODE-SIGNAL-CLIENT-ID value is not valid"));
    }
    let groups: Vec<String> = header_str(headers, "x-pode-signal-group").split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_lowercase).collect();
    match signals.find(name, client_id) {
        Some(conn) if conn.in_groups(&groups) => Ok(Some(conn)),
        _ => Err(status_response(StatusCode::NOT_FOUND, "no Signal connection matches the X-Pode-Signal headers")),
    }
}
