//! Client-id signing on a `psws_server` (Pode's Enable-PodeSignalSigning and the
//! client-id helpers).

use std::ffi::c_char;

use psws::SigningContext;

use crate::boundary::boundary;
use crate::handles;
use crate::server::psws_server;
use crate::status::psws_status;
use crate::strings::{copy_out, psws_str, write};

/// Signs every client id from now on with `secret`; `strict` binds ids to the
/// client's User-Agent and IP.
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_enable_signing(server: *const psws_server, secret: psws_str, strict: bool) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller string.
        server.server.enable_signing(unsafe { secret.read("secret")? }, strict)?;
        Ok(())
    })
}

/// Stops signing client ids.
#[unsafe(no_mangle)]
pub extern "C" fn psws_server_disable_signing(server: *const psws_server) -> psws_status {
    boundary(|| {
        handles::get(server)?.server.disable_signing();
        Ok(())
    })
}

/// Writes whether signing is on.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_signing_enabled(server: *const psws_server, out: *mut bool) -> psws_status {
    boundary(|| {
        let enabled = handles::get(server)?.server.signing_enabled();
        // SAFETY: valid per the caller.
        unsafe { write(out, enabled, "out") }
    })
}

/// Pode's New-PodeSignalClientId: `requested` (empty: a fresh GUID), signed when signing
/// is on for the client with `user_agent` and `remote_ip` (used by strict signing).
/// An id already in signed form must verify (else INVALID_CLIENT_ID). The id is copied
/// into `buffer` (`capacity` bytes), followed by a NUL only when `capacity` exceeds its
/// length; `out_len` always gets its length (without NUL). A buffer shorter than the id
/// is BUFFER_TOO_SMALL and receives nothing: call again with `out_len` bytes.
///
/// # Safety
/// `buffer` must be valid for `capacity` bytes; `out_len` valid for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn psws_server_new_client_id(
    server: *const psws_server,
    requested: psws_str,
    user_agent: psws_str,
    remote_ip: psws_str,
    buffer: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings.
        let (requested, user_agent, remote_ip) = unsafe { (requested.read_opt("requested")?, user_agent.read("user_agent")?, remote_ip.read("remote_ip")?) };
        let id = server.server.new_client_id(requested, &SigningContext { user_agent, remote_ip })?;
        // SAFETY: forwarded from the caller.
        unsafe { copy_out(&id, buffer, capacity, out_len) }
    })
}

/// Signs `id` with the current secret (INVALID_ARGUMENT when signing is off), copied
/// into `buffer` as psws_server_new_client_id does.
///
/// # Safety
/// As psws_server_new_client_id.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn psws_server_sign_client_id(
    server: *const psws_server,
    id: psws_str,
    user_agent: psws_str,
    remote_ip: psws_str,
    buffer: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings.
        let (id, user_agent, remote_ip) = unsafe { (id.read("id")?, user_agent.read("user_agent")?, remote_ip.read("remote_ip")?) };
        let signed = server.server.sign_client_id(id, &SigningContext { user_agent, remote_ip })?;
        // SAFETY: forwarded from the caller.
        unsafe { copy_out(&signed, buffer, capacity, out_len) }
    })
}

/// Tests a client id for the client with `user_agent` and `remote_ip`: `out_signed`
/// (Test-PodeSignalClientIdSigned: it verifies) and `out_valid`
/// (Test-PodeSignalClientIdValid: signing off, not in signed form; on, it verifies).
///
/// # Safety
/// `out_signed` and `out_valid` must be valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_test_client_id(
    server: *const psws_server,
    id: psws_str,
    user_agent: psws_str,
    remote_ip: psws_str,
    out_signed: *mut bool,
    out_valid: *mut bool,
) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        // SAFETY: caller strings.
        let (id, user_agent, remote_ip) = unsafe { (id.read("id")?, user_agent.read("user_agent")?, remote_ip.read("remote_ip")?) };
        let ctx = SigningContext { user_agent, remote_ip };
        let (signed, valid) = (server.server.client_id_signed(id, &ctx), server.server.client_id_valid(id, &ctx));
        crate::strings::require_out(out_valid, "out_valid")?;
        // SAFETY: valid per the caller.
        unsafe {
            write(out_signed, signed, "out_signed")?;
            write(out_valid, valid, "out_valid")
        }
    })
}
