//! Server events as C sees them, and their delivery to the host's callback.

use std::ffi::c_void;
use std::sync::Arc;

use psws::Event;

use crate::callback::CallbackSlot;
use crate::handles;
use crate::request::{RequestObject, psws_request};
use crate::strings::{psws_bytes, psws_str};
use crate::types::{psws_close_initiator, psws_connection_info, psws_log_level, unix_ms};

/// Kinds of server event.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum psws_event_kind {
    /// An HTTP request matched a route: `request` is yours to complete and free.
    Request = 0,
    /// A client message on a path with a signal route.
    Signal = 1,
    /// A signal connection opened.
    Connect = 2,
    /// A signal connection closed.
    Disconnect = 3,
    /// A client's text message was not a valid envelope (the connection stays open).
    MessageError = 4,
    /// A client sent a binary message.
    Binary = 5,
    /// A log line.
    Log = 6,
}

/// One server event. Every pointer in it is valid only during the callback, except
/// `request`, which the host owns from then on.
#[repr(C)]
#[derive(Debug)]
pub struct psws_event {
    /// What happened; says which fields are set.
    pub kind: psws_event_kind,
    /// REQUEST: the request. Complete it (psws_request_respond or psws_request_upgrade)
    /// and release it with psws_request_free, on any thread, later.
    pub request: *mut psws_request,
    /// SIGNAL, CONNECT, DISCONNECT, MESSAGE_ERROR, BINARY: the connection; NULL otherwise.
    pub connection: *const psws_connection_info,
    /// SIGNAL: path of the matched signal route.
    pub route: psws_str,
    /// SIGNAL: the envelope's `message` as compact JSON. MESSAGE_ERROR: the text as
    /// received. DISCONNECT: the close reason. LOG: the line.
    pub text: psws_str,
    /// MESSAGE_ERROR: what is wrong with the message.
    pub error: psws_str,
    /// BINARY: the data.
    pub data: psws_bytes,
    /// SIGNAL: the envelope's `path` (the Name to send to), empty when absent.
    pub signal_path: psws_str,
    /// SIGNAL: the envelope's client ids.
    pub client_ids: *const psws_str,
    /// Number of `client_ids`.
    pub client_ids_len: usize,
    /// SIGNAL: the envelope's groups.
    pub groups: *const psws_str,
    /// Number of `groups`.
    pub groups_len: usize,
    /// SIGNAL: the envelope's `direct` (true only for JSON true).
    pub direct: bool,
    /// DISCONNECT: the close code (1006 when the connection just dropped).
    pub close_code: u16,
    /// DISCONNECT: which side closed.
    pub initiator: psws_close_initiator,
    /// LOG: severity.
    pub level: psws_log_level,
    /// SIGNAL: when the engine received the message (ms since 1970, UTC).
    pub timestamp_unix_ms: i64,
}

/// Receives a server's events on engine threads. It must return quickly (copy what it
/// needs, queue, return) and must not free the server.
pub type psws_event_callback = Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const psws_event)>;

/// The callback function of a slot (the non-null inner function).
pub(crate) type EventFn = unsafe extern "C" fn(*mut c_void, *const psws_event);

impl psws_event {
    fn new(kind: psws_event_kind) -> Self {
        Self {
            kind,
            request: std::ptr::null_mut(),
            connection: std::ptr::null(),
            route: psws_str::borrow(""),
            text: psws_str::borrow(""),
            error: psws_str::borrow(""),
            data: psws_bytes::borrow(&[]),
            signal_path: psws_str::borrow(""),
            client_ids: std::ptr::null(),
            client_ids_len: 0,
            groups: std::ptr::null(),
            groups_len: 0,
            direct: false,
            close_code: 0,
            initiator: psws_close_initiator::Client,
            level: psws_log_level::Info,
            timestamp_unix_ms: 0,
        }
    }
}

fn call(slot: &CallbackSlot<EventFn>, event: &psws_event) {
    // SAFETY: the host registered this function for exactly this call shape; the event
    // and everything it points to live until the call returns.
    slot.with(|callback, userdata| unsafe { callback(userdata, event) });
}

/// Hands an engine event to the host's callback.
pub(crate) fn deliver(slot: &CallbackSlot<EventFn>, event: Event) {
    match event {
        // Without a callback the request is dropped here, which answers 500.
        Event::Request(request) => slot.with(|callback, userdata| {
            let mut e = psws_event::new(psws_event_kind::Request);
            e.request = handles::insert::<psws_request>(Arc::new(RequestObject::new(request)));
            // SAFETY: as in `call`; the request handle now belongs to the host.
            unsafe { callback(userdata, &e) }
        }),
        Event::Signal(signal) => {
            let info = psws_connection_info::of(&signal.connection);
            let client_ids: Vec<psws_str> = signal.envelope.client_ids.iter().map(|s| psws_str::borrow(s)).collect();
            let groups: Vec<psws_str> = signal.envelope.groups.iter().map(|s| psws_str::borrow(s)).collect();
            let mut e = psws_event::new(psws_event_kind::Signal);
            e.connection = &info;
            e.route = psws_str::borrow(&signal.route);
            e.text = psws_str::borrow(&signal.envelope.message);
            e.signal_path = psws_str::borrow(&signal.envelope.path);
            e.client_ids = client_ids.as_ptr();
            e.client_ids_len = client_ids.len();
            e.groups = groups.as_ptr();
            e.groups_len = groups.len();
            e.direct = signal.envelope.direct;
            e.timestamp_unix_ms = unix_ms(signal.received);
            call(slot, &e);
        }
        Event::Connect(conn) => {
            let info = psws_connection_info::of(&conn);
            let mut e = psws_event::new(psws_event_kind::Connect);
            e.connection = &info;
            call(slot, &e);
        }
        Event::Disconnect(d) => {
            let info = psws_connection_info::of(&d.connection);
            let mut e = psws_event::new(psws_event_kind::Disconnect);
            e.connection = &info;
            e.text = psws_str::borrow(&d.reason);
            e.close_code = d.code;
            e.initiator = d.initiator.into();
            call(slot, &e);
        }
        Event::MessageError { connection, error, text } => {
            let info = psws_connection_info::of(&connection);
            let mut e = psws_event::new(psws_event_kind::MessageError);
            e.connection = &info;
            e.text = psws_str::borrow(&text);
            e.error = psws_str::borrow(&error);
            call(slot, &e);
        }
        Event::Binary { connection, data } => {
            let info = psws_connection_info::of(&connection);
            let mut e = psws_event::new(psws_event_kind::Binary);
            e.connection = &info;
            e.data = psws_bytes::borrow(&data);
            call(slot, &e);
        }
        Event::Log { level, message } => {
            let mut e = psws_event::new(psws_event_kind::Log);
            e.text = psws_str::borrow(&message);
            e.level = level.into();
            call(slot, &e);
        }
        _ => {}
    }
}
