//! `psws_request`: an HTTP request handed to the host, completed exactly once.

use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use psws::{Connection, RequestHandle, Upgrade};

use crate::boundary::boundary;
use crate::handles::{self, opaque_handle};
use crate::status::{Failure, psws_status};
use crate::strings::{psws_bytes, psws_header, psws_str, read_bytes, require_out, write};
use crate::types::{psws_connection_info, psws_protocol, scope_arg};

/// A request and the views handed out of it (kept until the request is freed).
pub(crate) struct RequestObject {
    state: Mutex<RequestState>,
}

struct RequestState {
    handle: RequestHandle,
    /// Built on the first psws_request_get_info call.
    info: Option<Box<InfoStore>>,
    /// The connection the request was upgraded to (its strings back the upgrade's output).
    upgraded: Option<Arc<Connection>>,
}

/// Owned copies behind a psws_request_get_info answer.
struct InfoStore {
    headers: Vec<(String, String)>,
    header_views: Vec<psws_header>,
    param_views: Vec<psws_header>,
    remote_ip: String,
    signal: Option<(Arc<Connection>, Box<psws_connection_info>)>,
    info: psws_request_info,
}

// SAFETY: the raw pointers in the views point into this store's own heap data and into
// the RequestHandle kept beside it in the same RequestState; neither is mutated or
// moved after the store is built, and both are dropped together.
unsafe impl Send for InfoStore {}
// SAFETY: as above; the views are only read.
unsafe impl Sync for InfoStore {}

impl RequestObject {
    pub(crate) fn new(handle: RequestHandle) -> Self {
        Self { state: Mutex::new(RequestState { handle, info: None, upgraded: None }) }
    }
}

/// An HTTP request from a REQUEST event. Complete it once (respond or upgrade) and
/// free it with psws_request_free; a request freed unanswered gets a 500.
pub struct psws_request {
    _private: [u8; 0],
}

opaque_handle!(psws_request => Request(RequestObject));

/// Everything about a request. Strings and arrays are valid until psws_request_free.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_request_info {
    /// HTTP method.
    pub method: psws_str,
    /// URL path, percent-decoded.
    pub path: psws_str,
    /// Query string without `?`, still percent-encoded.
    pub query: psws_str,
    /// Body.
    pub body: psws_bytes,
    /// Request headers (values that are not UTF-8 are decoded lossily).
    pub headers: *const psws_header,
    /// Number of headers.
    pub headers_len: usize,
    /// Route parameters (`:name` values), in path order.
    pub params: *const psws_header,
    /// Number of parameters.
    pub params_len: usize,
    /// Client IP.
    pub remote_ip: psws_str,
    /// Client port.
    pub remote_port: u16,
    /// Endpoint name.
    pub endpoint_name: psws_str,
    /// Endpoint protocol.
    pub endpoint_protocol: psws_protocol,
    /// Host header.
    pub host: psws_str,
    /// Id of the matched route (from psws_server_add_route).
    pub route_id: u64,
    /// Path of the matched route as registered.
    pub route_path: psws_str,
    /// The live connection named by X-Pode-Signal-* headers; NULL when none.
    pub signal: *const psws_connection_info,
}

impl InfoStore {
    fn build(handle: &RequestHandle) -> Box<Self> {
        let headers: Vec<(String, String)> =
            handle.headers().iter().map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned())).collect();
        let signal = handle.signal().map(|conn| (conn.clone(), Box::new(psws_connection_info::of(conn))));
        let mut store = Box::new(Self {
            header_views: Vec::new(),
            param_views: Vec::new(),
            remote_ip: handle.remote_addr().ip().to_string(),
            headers,
            signal,
            info: psws_request_info {
                method: psws_str::borrow(handle.method()),
                path: psws_str::borrow(handle.path()),
                query: psws_str::borrow(handle.query()),
                body: psws_bytes::borrow(handle.body()),
                headers: std::ptr::null(),
                headers_len: 0,
                params: std::ptr::null(),
                params_len: 0,
                remote_ip: psws_str::borrow(""),
                remote_port: handle.remote_addr().port(),
                endpoint_name: psws_str::borrow(&handle.endpoint().name),
                endpoint_protocol: handle.endpoint().protocol.into(),
                host: psws_str::borrow(&handle.endpoint().host),
                route_id: handle.route().id,
                route_path: psws_str::borrow(&handle.route().path),
                signal: std::ptr::null(),
            },
        });
        // The views point into the store's own heap data, which never moves again.
        let header_views: Vec<psws_header> = store.headers.iter().map(|(n, v)| psws_header { name: psws_str::borrow(n), value: psws_str::borrow(v) }).collect();
        let param_views: Vec<psws_header> =
            handle.route().params.iter().map(|(n, v)| psws_header { name: psws_str::borrow(n), value: psws_str::borrow(v) }).collect();
        store.header_views = header_views;
        store.param_views = param_views;
        store.info.headers = store.header_views.as_ptr();
        store.info.headers_len = store.header_views.len();
        store.info.params = store.param_views.as_ptr();
        store.info.params_len = store.param_views.len();
        store.info.remote_ip = psws_str::borrow(&store.remote_ip);
        store.info.signal = store.signal.as_ref().map_or(std::ptr::null(), |(_, info)| &**info as *const psws_connection_info);
        store
    }
}

/// Describes the request; everything in `out` stays valid until psws_request_free.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_request_get_info(request: *const psws_request, out: *mut psws_request_info) -> psws_status {
    boundary(|| {
        let request = handles::get(request)?;
        let mut state = request.state.lock();
        let RequestState { handle, info, .. } = &mut *state;
        let store = info.get_or_insert_with(|| InfoStore::build(handle));
        // SAFETY: valid per the caller.
        unsafe { write(out, store.info, "out") }
    })
}

/// Answers the request with a status, headers and a body (copied).
///
/// # Safety
/// `headers` must point to `headers_len` headers, `body` to `body_len` bytes (either
/// may be NULL with a length of 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_request_respond(
    request: *const psws_request,
    status: u16,
    headers: *const psws_header,
    headers_len: usize,
    body: *const u8,
    body_len: usize,
) -> psws_status {
    boundary(|| {
        let request = handles::get(request)?;
        // SAFETY: forwarded from the caller.
        let pairs = unsafe { read_headers(headers, headers_len)? };
        // SAFETY: forwarded from the caller.
        let body = Bytes::copy_from_slice(unsafe { read_bytes(body, body_len, "body")? });
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        request.state.lock().handle.respond(status, &refs, body)?;
        Ok(())
    })
}

/// # Safety
/// `headers` must point to `len` headers (or be NULL with 0).
pub(crate) unsafe fn read_headers(headers: *const psws_header, len: usize) -> Result<Vec<(String, String)>, Failure> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if headers.is_null() {
        return Err(Failure(psws_status::NullArgument, format!("headers is NULL but its count is {len}")));
    }
    // SAFETY: non-null and `len` items per the caller.
    let headers = unsafe { std::slice::from_raw_parts(headers, len) };
    headers
        .iter()
        // SAFETY: each is a caller string.
        .map(|h| unsafe { Ok((h.name.read("header name")?.to_string(), h.value.read("header value")?.to_string())) })
        .collect()
}

/// What psws_request_upgrade asks for (Pode's ConvertTo-PodeSignalConnection).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_upgrade {
    /// Name to register the connection under (required).
    pub name: psws_str,
    /// Group; empty for none.
    pub group: psws_str,
    /// Client id; empty to generate one. Signed when signing is on; an id already in
    /// signed form must verify.
    pub client_id: psws_str,
    /// A psws_scope value: DEFAULT, LOCAL or GLOBAL.
    pub scope: u32,
}

/// Upgrades the request to a signal connection and describes it in `out` (valid until
/// psws_request_free; `out->client_id` is final). A request that is not a WebSocket
/// handshake is answered (405, 412, 426 or 400) and UPGRADE_REJECTED returned. A Local
/// connection closes when the request is freed.
///
/// # Safety
/// `options` must point to a valid psws_upgrade; `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_request_upgrade(request: *const psws_request, options: *const psws_upgrade, out: *mut psws_connection_info) -> psws_status {
    boundary(|| {
        let request = handles::get(request)?;
        if options.is_null() {
            return Err(Failure(psws_status::NullArgument, "options is NULL".into()));
        }
        require_out(out, "out")?;
        // SAFETY: non-null and valid per the caller.
        let o = unsafe { &*options };
        // SAFETY: caller strings.
        let upgrade = unsafe {
            Upgrade {
                name: o.name.read("name")?.to_string(),
                group: o.group.read_opt("group")?.map(str::to_string),
                client_id: o.client_id.read_opt("client_id")?.map(str::to_string),
                scope: scope_arg(o.scope)?,
            }
        };
        let mut state = request.state.lock();
        let conn = state.handle.upgrade(upgrade)?;
        let view = psws_connection_info::of(&conn);
        state.upgraded = Some(conn);
        // SAFETY: checked non-null; valid per the caller.
        unsafe { write(out, view, "out") }
    })
}

/// Completes and releases the request: a 500 if it was never answered, a Close for a
/// Local connection it was upgraded to. NULL is a no-op; a second free is INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn psws_request_free(request: *mut psws_request) -> psws_status {
    boundary(|| handles::remove(request).map(drop))
}
