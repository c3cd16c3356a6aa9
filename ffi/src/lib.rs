//! libpsws: the C ABI over the PsWebSocket engine.
//!
//! Conventions (see ffi/README.md): every function returns a `psws_status` (0 = OK)
//! and psws_last_error() explains a failure on the calling thread; the handle comes
//! first, then inputs, then outputs, which are written only on success. Strings are
//! UTF-8 `psws_str` (pointer + length); what the library hands out lives as long as
//! its documentation says and is freed with the library's own `_free`. Handles are
//! checked against a table, so NULL, freed and wrong-kind handles are errors, never
//! undefined behaviour. No panic crosses the boundary.
#![allow(non_camel_case_types)]
#![deny(missing_docs, unsafe_op_in_unsafe_fn)]

mod backplane;
mod boundary;
mod callback;
mod client;
mod events;
mod handles;
mod list;
mod request;
mod routes;
mod server;
mod signals;
mod signing;
mod status;
mod strings;
mod types;

pub use backplane::{psws_backplane_config, psws_backplane_status};
pub use client::{psws_client, psws_client_callback, psws_client_config, psws_client_event, psws_client_event_kind, psws_client_state, psws_connect_options};
pub use events::{psws_event, psws_event_callback, psws_event_kind};
pub use list::psws_list;
pub use request::{psws_request, psws_request_info, psws_upgrade};
pub use server::{psws_bound_endpoint, psws_endpoint, psws_metrics, psws_server, psws_server_config, psws_slow_reader};
pub use signals::psws_broadcast_level;
pub use status::psws_status;
pub use strings::{psws_bytes, psws_header, psws_str};
pub use types::{psws_close_initiator, psws_connection_info, psws_log_level, psws_protocol, psws_scope};

/// Version of the ABI described by psws.h; bumped on every incompatible change.
pub const PSWS_ABI_VERSION: u32 = 1;

/// The ABI version this library implements (compare with PSWS_ABI_VERSION from the header).
#[unsafe(no_mangle)]
pub extern "C" fn psws_abi_version() -> u32 {
    PSWS_ABI_VERSION
}

/// The library version, e.g. "0.1.0" (static storage).
#[unsafe(no_mangle)]
pub extern "C" fn psws_version() -> psws_str {
    psws_str::borrow(concat!(env!("CARGO_PKG_VERSION"), "\0").trim_end_matches('\0'))
}
