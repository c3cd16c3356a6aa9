//! Status codes and the per-thread last error message.

use std::cell::RefCell;
use std::fmt;

use psws::Error;

use crate::strings::psws_str;

/// Result of every call. Numbers are fixed forever: new codes get new numbers, retired
/// ones are never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum psws_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL (or a NULL pointer came with a length).
    NullArgument = 1,
    /// The handle is not (or no longer) a live handle of the expected kind: freed,
    /// never created, or a handle of another type.
    InvalidHandle = 2,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 3,
    /// An argument is out of range or malformed; psws_last_error() says which.
    InvalidArgument = 4,
    /// The library hit an internal error (a Rust panic, caught at the boundary).
    Panic = 5,
    /// A caller-supplied buffer is too small; the required size was written to the
    /// length output.
    BufferTooSmall = 6,
    /// An endpoint could not bind its address.
    Bind = 10,
    /// A certificate or key could not be loaded.
    Tls = 11,
    /// The server is not running yet.
    NotRunning = 12,
    /// The server is already running (or the call is only allowed before start).
    AlreadyRunning = 13,
    /// The server was stopped.
    Stopped = 14,
    /// A route exists already or its path is malformed.
    Route = 15,
    /// The request was already answered, upgraded or finished.
    RequestCompleted = 16,
    /// The request is not a valid WebSocket handshake; it was answered with an error status.
    UpgradeRejected = 17,
    /// The send breaks a broadcast level.
    BroadcastLevel = 18,
    /// No Signal connection has this Name.
    UnknownName = 19,
    /// No open connection has this id.
    UnknownConnection = 20,
    /// A client id is forged, tampered with or malformed.
    InvalidClientId = 21,
    /// An external connection with this Name exists already.
    NameInUse = 22,
    /// No external connection has this Name.
    UnknownClient = 23,
    /// The external connection is not connected.
    NotConnected = 24,
    /// Connecting to an external WebSocket server failed.
    Connect = 25,
    /// A message exceeds the maximum message size.
    MessageTooLarge = 26,
    /// The call is not allowed inside the object's own callback (setting the callback,
    /// freeing the object); make it from another thread.
    InCallback = 27,
}

impl psws_status {
    /// Every status, for lookups by number.
    const ALL: [psws_status; 25] = {
        use psws_status::*;
        [
            Ok,
            NullArgument,
            InvalidHandle,
            InvalidUtf8,
            InvalidArgument,
            Panic,
            BufferTooSmall,
            Bind,
            Tls,
            NotRunning,
            AlreadyRunning,
            Stopped,
            Route,
            RequestCompleted,
            UpgradeRejected,
            BroadcastLevel,
            UnknownName,
            UnknownConnection,
            InvalidClientId,
            NameInUse,
            UnknownClient,
            NotConnected,
            Connect,
            MessageTooLarge,
            InCallback,
        ]
    };

    /// What the status means and what to do about it.
    fn text(self) -> &'static str {
        use psws_status::*;
        match self {
            Ok => "success",
            NullArgument => "a required pointer argument is NULL",
            InvalidHandle => "the handle is not a live handle of the expected kind (freed, or of another type)",
            InvalidUtf8 => "a string argument is not valid UTF-8",
            InvalidArgument => "an argument is out of range or malformed",
            Panic => "internal error in libpsws",
            BufferTooSmall => "the buffer is too small; the required length was returned",
            Bind => "an endpoint could not bind its address",
            Tls => "a certificate or key could not be loaded",
            NotRunning => "the server is not running; start it first",
            AlreadyRunning => "the server is already running",
            Stopped => "the server has been stopped",
            Route => "the route exists already or its path is malformed",
            RequestCompleted => "the request has already been completed",
            UpgradeRejected => "the request is not a valid WebSocket handshake",
            BroadcastLevel => "the send breaks the broadcast level of a Name",
            UnknownName => "no Signal connection has this Name",
            UnknownConnection => "no open connection has this id",
            InvalidClientId => "the client id is not valid",
            NameInUse => "an external connection with this Name exists already",
            UnknownClient => "no external connection has this Name",
            NotConnected => "the external connection is not connected",
            Connect => "connecting to the WebSocket server failed",
            MessageTooLarge => "the message exceeds the maximum message size",
            InCallback => "not allowed inside the object's own callback",
        }
    }
}

impl fmt::Display for psws_status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// The status for an engine error.
pub(crate) fn status_of(error: &Error) -> psws_status {
    use psws_status as S;
    match error {
        Error::InvalidArgument(_) => S::InvalidArgument,
        Error::Bind { .. } => S::Bind,
        Error::Tls(_) => S::Tls,
        Error::NotRunning => S::NotRunning,
        Error::AlreadyRunning => S::AlreadyRunning,
        Error::Stopped => S::Stopped,
        Error::Route(_) => S::Route,
        Error::RequestCompleted => S::RequestCompleted,
        Error::UpgradeRejected { .. } => S::UpgradeRejected,
        Error::BroadcastLevel { .. } => S::BroadcastLevel,
        Error::UnknownName(_) => S::UnknownName,
        Error::UnknownConnection(_) => S::UnknownConnection,
        Error::InvalidClientId(_) => S::InvalidClientId,
        Error::NameInUse(_) => S::NameInUse,
        Error::UnknownClient(_) => S::UnknownClient,
        Error::NotConnected(_) => S::NotConnected,
        Error::Connect { .. } => S::Connect,
        Error::MessageTooLarge { .. } => S::MessageTooLarge,
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A failure: a status and the message for psws_last_error().
#[derive(Debug)]
pub(crate) struct Failure(pub psws_status, pub String);

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure(status_of(&error), error.to_string())
    }
}

/// Records the outcome of a call: the message for a failure, nothing for success.
pub(crate) fn finish(result: Result<(), Failure>) -> psws_status {
    match result {
        Ok(()) => psws_status::Ok,
        Err(Failure(status, message)) => {
            LAST_ERROR.with(|e| *e.borrow_mut() = message);
            status
        }
    }
}

/// The message of the last failed call on the calling thread (empty if none failed).
/// Valid until the next failing call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn psws_last_error() -> psws_str {
    LAST_ERROR.with(|e| psws_str::borrow(&e.borrow()))
}

/// A short English description of a status code (static storage).
#[unsafe(no_mangle)]
pub extern "C" fn psws_status_text(status: u32) -> psws_str {
    let text = psws_status::ALL.iter().find(|s| **s as u32 == status).map_or("unknown status", |s| s.text());
    psws_str::borrow(text)
}
