//! Sends, closes and queries on a `psws_server`'s signal connections.

use psws::BroadcastLevel;

use crate::boundary::boundary;
use crate::handles;
use crate::list::{hand_out, psws_list};
use crate::server::psws_server;
use crate::status::{Failure, psws_status};
use crate::strings::{psws_str, read_bytes, read_list, write, write_optional};
use crate::types::{invalid_enum, psws_scope, scope_arg};

/// How specific a send to a Name must be.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum psws_broadcast_level {
    /// A Name is enough.
    Name = 0,
    /// A Group or a ClientId is required.
    Group = 1,
    /// A ClientId is required.
    ClientId = 2,
}

/// Sends UTF-8 text to the Global connections of `names` (every Name when none),
/// filtered by `groups` and `client_ids`; the payload is copied once and shared by all
/// recipients. Writes how many connections it reached. A broadcast-level violation is
/// BROADCAST_LEVEL and sends nothing.
///
/// # Safety
/// Each array must point to its count of strings (or be NULL with 0); `payload` to
/// `payload_len` bytes; `out_reached` NULL or valid for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn psws_server_send(
    server: *const psws_server,
    names: *const psws_str,
    names_len: usize,
    groups: *const psws_str,
    groups_len: usize,
    client_ids: *const psws_str,
    client_ids_len: usize,
    payload: *const u8,
    payload_len: usize,
    out_reached: *mut usize,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller arrays and bytes.
        let (names, groups, client_ids, payload) = unsafe {
            (
                read_list(names, names_len, "names")?,
                read_list(groups, groups_len, "groups")?,
                read_list(client_ids, client_ids_len, "client_ids")?,
                read_text(payload, payload_len)?,
            )
        };
        let reached = server.server.send(&names, &groups, &client_ids, payload)?;
        // SAFETY: NULL or valid per the caller.
        unsafe { write_optional(out_reached, reached) }
    })
}

/// # Safety
/// `payload` must point to `len` bytes (or be NULL with 0).
unsafe fn read_text(payload: *const u8, len: usize) -> Result<String, Failure> {
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { read_bytes(payload, len, "payload")? };
    String::from_utf8(bytes.to_vec()).map_err(|_| Failure(psws_status::InvalidUtf8, "payload is not valid UTF-8 text".into()))
}

/// Sends to one open connection (either scope) by id, as text (UTF-8) or binary,
/// ignoring broadcast levels.
///
/// # Safety
/// `payload` must point to `payload_len` bytes (or be NULL with 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_send_direct(
    server: *const psws_server,
    connection_id: u64,
    payload: *const u8,
    payload_len: usize,
    binary: bool,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        if binary {
            // SAFETY: caller bytes.
            let bytes = unsafe { read_bytes(payload, payload_len, "payload")? };
            server.server.send_direct_binary(connection_id, bytes.to_vec())?;
        } else {
            // SAFETY: caller bytes.
            server.server.send_direct(connection_id, unsafe { read_text(payload, payload_len)? })?;
        }
        Ok(())
    })
}

/// Closes (Close 1000) the Global connections of a Name that pass the filters; writes
/// how many.
///
/// # Safety
/// Arrays as in psws_server_send; `out_closed` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_close_signals(
    server: *const psws_server,
    name: psws_str,
    groups: *const psws_str,
    groups_len: usize,
    client_ids: *const psws_str,
    client_ids_len: usize,
    out_closed: *mut usize,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings and arrays.
        let (name, groups, client_ids) =
            unsafe { (name.read("name")?, read_list(groups, groups_len, "groups")?, read_list(client_ids, client_ids_len, "client_ids")?) };
        let closed = server.server.close_signals(name, &groups, &client_ids)?;
        // SAFETY: NULL or valid per the caller.
        unsafe { write_optional(out_closed, closed) }
    })
}

/// Closes one open connection with a code and reason; INVALID_ARGUMENT for a code a
/// server may not send (RFC 6455 section 7.4: below 1000, 1004-1006, 1015, 1016-2999, above 4999).
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_close_connection(server: *const psws_server, connection_id: u64, code: u16, reason: psws_str) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller string.
        server.server.close_connection(connection_id, code, unsafe { reason.read("reason")? })?;
        Ok(())
    })
}

/// Writes whether a connection id is open.
///
/// # Safety
/// `out_open` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_connection_open(server: *const psws_server, connection_id: u64, out_open: *mut bool) -> psws_status {
    boundary(|| {
        let open = handles::get(server)?.server.connection(connection_id).is_some_and(|c| !c.is_closed());
        // SAFETY: valid per the caller.
        unsafe { write(out_open, open, "out_open") }
    })
}

/// Hands out the Names that have Global connections (sorted).
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_signal_names(server: *const psws_server, out: *mut *mut psws_list) -> psws_status {
    boundary(|| {
        let names = handles::get(server)?.server.signal_names();
        // SAFETY: valid per the caller.
        unsafe { hand_out(names, out) }
    })
}

/// Hands out the distinct groups of a Name; UNKNOWN_NAME when it has no connection.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_signal_groups(server: *const psws_server, name: psws_str, out: *mut *mut psws_list) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller string.
        let groups = server.server.signal_groups(unsafe { name.read("name")? })?;
        // SAFETY: valid per the caller.
        unsafe { hand_out(groups, out) }
    })
}

/// Hands out the client ids of a Name, optionally of some groups only; UNKNOWN_NAME
/// when the Name has no connection.
///
/// # Safety
/// `groups` must point to `groups_len` strings (or be NULL with 0); `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_signal_client_ids(
    server: *const psws_server,
    name: psws_str,
    groups: *const psws_str,
    groups_len: usize,
    out: *mut *mut psws_list,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings.
        let (name, groups) = unsafe { (name.read("name")?, read_list(groups, groups_len, "groups")?) };
        let ids = server.server.signal_client_ids(name, &groups)?;
        // SAFETY: valid per the caller.
        unsafe { hand_out(ids, out) }
    })
}

/// Writes whether a Global connection of the Name passes the filters (no filters: the
/// Name has a connection).
///
/// # Safety
/// Arrays as in psws_server_send; `out_exists` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_signal_exists(
    server: *const psws_server,
    name: psws_str,
    groups: *const psws_str,
    groups_len: usize,
    client_ids: *const psws_str,
    client_ids_len: usize,
    out_exists: *mut bool,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings and arrays.
        let (name, groups, client_ids) =
            unsafe { (name.read("name")?, read_list(groups, groups_len, "groups")?, read_list(client_ids, client_ids_len, "client_ids")?) };
        let exists = server.server.signal_exists(name, &groups, &client_ids);
        // SAFETY: valid per the caller.
        unsafe { write(out_exists, exists, "out_exists") }
    })
}

/// Writes the number of Global connections of `name`, or of all Names when empty.
///
/// # Safety
/// `out_count` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_signal_count(server: *const psws_server, name: psws_str, out_count: *mut usize) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller string.
        let count = server.server.signal_count(unsafe { name.read_opt("name")? });
        // SAFETY: valid per the caller.
        unsafe { write(out_count, count, "out_count") }
    })
}

/// Sets the broadcast level (a psws_broadcast_level value) of a Name, `*` for all.
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_set_broadcast_level(server: *const psws_server, name: psws_str, level: u32) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        let level = match level {
            0 => BroadcastLevel::Name,
            1 => BroadcastLevel::Group,
            2 => BroadcastLevel::ClientId,
            other => return Err(invalid_enum("broadcast level", other)),
        };
        // SAFETY: caller string.
        server.server.set_broadcast_level(unsafe { name.read("name")? }, level)?;
        Ok(())
    })
}

/// Writes the broadcast level in force for a Name (its own, else `*`'s, else NAME).
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_broadcast_level(server: *const psws_server, name: psws_str, out: *mut psws_broadcast_level) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller string.
        let level = match server.server.broadcast_level(unsafe { name.read("name")? }) {
            BroadcastLevel::Name => psws_broadcast_level::Name,
            BroadcastLevel::Group => psws_broadcast_level::Group,
            BroadcastLevel::ClientId => psws_broadcast_level::ClientId,
        };
        // SAFETY: valid per the caller.
        unsafe { write(out, level, "out") }
    })
}

/// Sets the scope (LOCAL or GLOBAL) of upgrades that do not name one.
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_set_default_scope(server: *const psws_server, scope: u32) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        let scope = scope_arg(scope)?.ok_or_else(|| Failure(psws_status::InvalidArgument, "the default scope must be LOCAL or GLOBAL".into()))?;
        server.server.set_default_scope(scope);
        Ok(())
    })
}

/// Writes the default scope.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_default_scope(server: *const psws_server, out: *mut psws_scope) -> psws_status {
    boundary(|| {
        let scope = match handles::get(server)?.server.default_scope() {
            psws::Scope::Local => psws_scope::Local,
            psws::Scope::Global => psws_scope::Global,
        };
        // SAFETY: valid per the caller.
        unsafe { write(out, scope, "out") }
    })
}
