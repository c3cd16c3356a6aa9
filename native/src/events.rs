//! What the engine tells its host, and how: one handler per server, called on engine
//! threads. A handler must return quickly (copy, queue, return); it must never block.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use parking_lot::RwLock;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::{CloseInitiator, Connection, Envelope, RequestHandle};

/// An event for the host.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// An HTTP request matched a route. The host must complete the handle once
    /// (respond, upgrade or drop); a dropped handle answers 500.
    Request(RequestHandle),
    /// A client message on a connection whose path has a signal route.
    Signal(SignalMessage),
    /// A connection opened (both scopes), once per connection.
    Connect(Arc<Connection>),
    /// A connection closed, once per connection that had a Connect event.
    Disconnect(DisconnectEvent),
    /// A client's text message was not a valid envelope; the connection stays open.
    MessageError {
        /// The sender.
        connection: Arc<Connection>,
        /// What is wrong with it.
        error: String,
        /// The message as received.
        text: Utf8Bytes,
    },
    /// A client sent a binary message.
    Binary {
        /// The sender.
        connection: Arc<Connection>,
        /// The message.
        data: Bytes,
    },
    /// Something worth a line in the host's log.
    Log {
        /// Severity.
        level: LogLevel,
        /// The line.
        message: String,
    },
}

/// A client message for a signal route (the host runs the route with `$SignalEvent`).
#[derive(Debug)]
pub struct SignalMessage {
    /// The sender.
    pub connection: Arc<Connection>,
    /// Path of the signal route that matched.
    pub route: String,
    /// The parsed message.
    pub envelope: Envelope,
    /// When the engine received it.
    pub received: SystemTime,
}

/// How a connection ended.
#[derive(Debug)]
pub struct DisconnectEvent {
    /// The connection (now closed).
    pub connection: Arc<Connection>,
    /// Close code: the peer's, the server's, or 1006 when the connection just dropped.
    pub code: u16,
    /// Close reason.
    pub reason: String,
    /// Which side closed.
    pub initiator: CloseInitiator,
}

/// Severity of a [`Event::Log`] line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Diagnostic detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something was refused or dropped; the server carries on.
    Warn,
    /// Something failed.
    Error,
}

/// Receives a server's events.
pub trait EventHandler: Send + Sync + 'static {
    /// Called on an engine thread; must not block.
    fn on_event(&self, event: Event);
}

impl<F: Fn(Event) + Send + Sync + 'static> EventHandler for F {
    fn on_event(&self, event: Event) {
        self(event)
    }
}

/// A log line, for the host's event stream.
pub(crate) struct LogLine(pub LogLevel, pub String);

impl From<LogLine> for Event {
    fn from(LogLine(level, message): LogLine) -> Self {
        Event::Log { level, message }
    }
}

/// The handler slot of a server or client hub.
pub(crate) struct Emitter<E> {
    handler: RwLock<Option<Arc<dyn Fn(E) + Send + Sync>>>,
}

impl<E> Default for Emitter<E> {
    fn default() -> Self {
        Self { handler: RwLock::new(None) }
    }
}

impl<E> Emitter<E> {
    pub(crate) fn set(&self, handler: Option<Arc<dyn Fn(E) + Send + Sync>>) {
        *self.handler.write() = handler;
    }

    /// Delivers an event; without a handler it is dropped (a request handle then
    /// answers 500).
    pub(crate) fn emit(&self, event: E) {
        let handler = self.handler.read().clone();
        if let Some(handler) = handler {
            handler(event);
        }
    }
}

impl<E: From<LogLine>> Emitter<E> {
    /// Logs through `tracing` and hands the line to the host.
    pub(crate) fn log(&self, level: LogLevel, message: String) {
        match level {
            LogLevel::Debug => tracing::debug!("{message}"),
            LogLevel::Info => tracing::info!("{message}"),
            LogLevel::Warn => tracing::warn!("{message}"),
            LogLevel::Error => tracing::error!("{message}"),
        }
        self.emit(LogLine(level, message).into());
    }
}
