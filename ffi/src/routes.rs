//! HTTP routes, static folders and signal routes of a `psws_server`.

use crate::boundary::boundary;
use crate::handles;
use crate::server::psws_server;
use crate::status::psws_status;
use crate::strings::{psws_str, read_list, write_optional};

/// Registers an HTTP route: `method` (`GET`, ..., `*` for any) and `path` with `:name`
/// placeholders and `*` wildcards, optionally limited to some endpoint names. Matching
/// requests arrive as REQUEST events. Writes the route id.
///
/// # Safety
/// `endpoints` must point to `endpoints_len` strings (or be NULL with 0); `out_id`
/// must be NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_add_route(
    server: *const psws_server,
    method: psws_str,
    path: psws_str,
    endpoints: *const psws_str,
    endpoints_len: usize,
    out_id: *mut u64,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings.
        let (method, path, endpoints) = unsafe { (method.read("method")?, path.read("path")?, read_list(endpoints, endpoints_len, "endpoints")?) };
        let id = server.server.add_route(method, path, &endpoints)?;
        // SAFETY: NULL or valid per the caller.
        unsafe { write_optional(out_id, id) }
    })
}

/// Removes the HTTP routes for `method` and `path` that list `endpoint`, or that list
/// no endpoint when `endpoint` is empty; writes how many went.
///
/// # Safety
/// `out_removed` must be NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_remove_route(
    server: *const psws_server,
    method: psws_str,
    path: psws_str,
    endpoint: psws_str,
    out_removed: *mut usize,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings.
        let (method, path, endpoint) = unsafe { (method.read("method")?, path.read("path")?, endpoint.read_opt("endpoint")?) };
        let removed = server.server.remove_route(method, path, endpoint);
        // SAFETY: NULL or valid per the caller.
        unsafe { write_optional(out_removed, removed) }
    })
}

/// Serves the files of `folder` under URL prefix `prefix` (content types, index.html,
/// no traversal out of the folder).
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_add_static(server: *const psws_server, prefix: psws_str, folder: psws_str) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings.
        let (prefix, folder) = unsafe { (prefix.read("prefix")?, folder.read("folder")?) };
        server.server.add_static_folder(prefix, folder)?;
        Ok(())
    })
}

/// Stops serving a static prefix; writes whether it was served.
///
/// # Safety
/// `out_removed` must be NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_remove_static(server: *const psws_server, prefix: psws_str, out_removed: *mut bool) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller string.
        let removed = server.server.remove_static_folder(unsafe { prefix.read("prefix")? });
        // SAFETY: NULL or valid per the caller.
        unsafe { write_optional(out_removed, removed) }
    })
}

/// Makes the engine answer `GET path` itself, on the endpoint named `endpoint` (or on
/// every endpoint when it is empty), with the server's counters in Prometheus' text
/// format (psws_server_metrics_text); no REQUEST event is raised for it. A second
/// metrics route for the same path and endpoint is ROUTE.
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_add_metrics_route(server: *const psws_server, path: psws_str, endpoint: psws_str) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings.
        let (path, endpoint) = unsafe { (path.read("path")?, endpoint.read_opt("endpoint")?) };
        server.server.add_metrics_route(path, endpoint)?;
        Ok(())
    })
}

/// Registers a signal route: messages from connections whose URL path matches (`*`
/// wildcards), optionally only via the named endpoints, arrive as SIGNAL events
/// instead of being re-broadcast. Writes the route id.
///
/// # Safety
/// As psws_server_add_route.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_add_signal_route(
    server: *const psws_server,
    path: psws_str,
    endpoints: *const psws_str,
    endpoints_len: usize,
    out_id: *mut u64,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings.
        let (path, endpoints) = unsafe { (path.read("path")?, read_list(endpoints, endpoints_len, "endpoints")?) };
        let id = server.server.add_signal_route(path, &endpoints)?;
        // SAFETY: NULL or valid per the caller.
        unsafe { write_optional(out_id, id) }
    })
}

/// Removes the signal routes for `path` that list `endpoint`, or that list none when
/// `endpoint` is empty (Pode's rule); writes how many went.
///
/// # Safety
/// `out_removed` must be NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_remove_signal_route(
    server: *const psws_server,
    path: psws_str,
    endpoint: psws_str,
    out_removed: *mut usize,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings.
        let (path, endpoint) = unsafe { (path.read("path")?, endpoint.read_opt("endpoint")?) };
        let removed = server.server.remove_signal_route(path, endpoint);
        // SAFETY: NULL or valid per the caller.
        unsafe { write_optional(out_removed, removed) }
    })
}

/// Removes every signal route.
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_clear_signal_routes(server: *const psws_server) -> psws_status {
    boundary(|| {
        handles::get(server)?.server.clear_signal_routes();
        Ok(())
    })
}
