//! External WebSocket connections (Pode's `Connect-PodeWebSocket` family): named
//! outgoing connections owned by a [`ClientHub`], whose messages reach the host as
//! [`ClientEvent`]s.

mod connect;
mod options;
mod supervisor;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::events::{Emitter, LogLine};
use crate::queue::{Pushed, SendQueue};
use crate::{CloseInitiator, Error, LogLevel, Result, SlowReaderPolicy, runtime, tls};
pub use options::{ClientConfig, ConnectOptions, ReconnectPolicy};

/// Where an external connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// Open: sends go out.
    Connected,
    /// Dropped; automatic reconnect attempts are under way.
    Reconnecting,
    /// Registered but closed (after Disconnect, a server close without reconnect, or
    /// reconnects that gave up); `reset` reconnects it.
    Disconnected,
}

/// What external connections tell the host.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A complete message (fragments reassembled).
    Message {
        /// Connection name.
        name: Arc<str>,
        /// The payload (UTF-8 for text).
        data: Bytes,
        /// True for a binary message, false for text.
        binary: bool,
    },
    /// The connection closed.
    Disconnected {
        /// Connection name.
        name: Arc<str>,
        /// Close code (1006 when it just dropped).
        code: u16,
        /// Close reason.
        reason: String,
        /// Server: the remote server closed or vanished; Client: this side closed.
        initiator: CloseInitiator,
        /// True if automatic reconnects follow.
        reconnecting: bool,
    },
    /// An automatic reconnect attempt is about to be made after `delay`.
    Reconnecting {
        /// Connection name.
        name: Arc<str>,
        /// 1-based attempt number.
        attempt: u32,
        /// Wait before the attempt.
        delay: Duration,
        /// Why the previous attempt failed (None before the first).
        last_error: Option<String>,
    },
    /// An automatic reconnect succeeded.
    Reconnected {
        /// Connection name.
        name: Arc<str>,
        /// The URL it is connected to.
        url: String,
    },
    /// Automatic reconnects gave up (maximum attempts reached); state is Disconnected.
    ReconnectFailed {
        /// Connection name.
        name: Arc<str>,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        error: String,
    },
    /// Something worth a line in the host's log.
    Log {
        /// Severity.
        level: LogLevel,
        /// The line.
        message: String,
    },
}

impl From<LogLine> for ClientEvent {
    fn from(LogLine(level, message): LogLine) -> Self {
        ClientEvent::Log { level, message }
    }
}

/// Receives a hub's events on engine threads; must not block.
pub trait ClientHandler: Send + Sync + 'static {
    /// Called for every event.
    fn on_event(&self, event: ClientEvent);
}

impl<F: Fn(ClientEvent) + Send + Sync + 'static> ClientHandler for F {
    fn on_event(&self, event: ClientEvent) {
        self(event)
    }
}

/// One registered connection.
struct Entry {
    name: Arc<str>,
    url: Mutex<Url>,
    options: ConnectOptions,
    link: Mutex<Link>,
}

/// The live part of an entry, replaced on every (re)connect.
struct Link {
    state: ClientState,
    queue: Option<Arc<SendQueue>>,
    /// Cancelled when the host disconnects, removes or resets: no reconnects then.
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

/// State shared by a hub and its connection tasks.
struct Hub {
    config: ClientConfig,
    tls: Arc<rustls::ClientConfig>,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
    events: Emitter<ClientEvent>,
}

impl Hub {
    fn new_queue(&self) -> Arc<SendQueue> {
        Arc::new(SendQueue::new(self.config.send_queue_bytes, SlowReaderPolicy::Close))
    }
}

/// A set of named outgoing WebSocket connections (Pode's WebSocket "consumer").
///
/// The blocking calls (`connect`, `disconnect`, `reset`, `remove`) wait for the
/// network and must not be made from the event handler.
pub struct ClientHub {
    hub: Arc<Hub>,
}

fn refuse_engine_thread() -> Result<()> {
    if runtime::on_engine_thread() {
        return Err(Error::InvalidArgument("this call waits for the network and cannot be made from an event handler".into()));
    }
    Ok(())
}

impl ClientHub {
    /// A hub with these settings (loads the system's root certificates once).
    pub fn new(config: ClientConfig) -> Result<Self> {
        config.validate()?;
        let trust = tls::ClientTrust { extra_ca: config.extra_ca_file.as_deref(), accept_invalid: config.accept_invalid_certs };
        let tls = tls::client_config(&trust)?;
        Ok(Self { hub: Arc::new(Hub { config, tls, entries: Mutex::default(), events: Emitter::default() }) })
    }

    /// Sets the event handler (replacing any earlier one).
    pub fn set_event_handler(&self, handler: impl ClientHandler) {
        self.hub.events.set(Some(Arc::new(move |event| handler.on_event(event))));
    }

    fn entry(&self, name: &str) -> Result<Arc<Entry>> {
        self.hub.entries.lock().get(name).cloned().ok_or_else(|| Error::UnknownClient(name.to_string()))
    }

    /// Connects `name` to a `ws://` or `wss://` URL and returns once the handshake
    /// succeeded. A bad URL, a Name in use, or a failed connect (DNS, refused,
    /// timeout, TLS, HTTP status) is an error that leaves nothing registered.
    pub fn connect(&self, name: &str, url: &str, options: ConnectOptions) -> Result<()> {
        refuse_engine_thread()?;
        if name.is_empty() {
            return Err(Error::InvalidArgument("a WebSocket connection needs a Name".into()));
        }
        let url = connect::parse_url(url)?;
        if let Some(policy) = &options.reconnect {
            policy.validate()?;
        }
        let entry = Arc::new(Entry {
            name: Arc::from(name),
            url: Mutex::new(url),
            options,
            link: Mutex::new(Link { state: ClientState::Disconnected, queue: None, stop: CancellationToken::new(), task: None }),
        });
        {
            let mut entries = self.hub.entries.lock();
            if entries.contains_key(name) {
                return Err(Error::NameInUse(name.to_string()));
            }
            entries.insert(name.to_string(), entry.clone());
        }
        if let Err(e) = self.open(&entry) {
            // Only this entry: the Name may have been removed and taken again meanwhile.
            let mut entries = self.hub.entries.lock();
            if entries.get(name).is_some_and(|e| Arc::ptr_eq(e, &entry)) {
                entries.remove(name);
            }
            return Err(e);
        }
        Ok(())
    }

    /// Connects an entry to its URL and starts its task.
    fn open(&self, entry: &Arc<Entry>) -> Result<()> {
        let url = entry.url.lock().clone();
        let hub = self.hub.clone();
        let options = entry.options.clone();
        let ws = runtime::block_on(async move { connect::establish(&url, &options, &hub.config, hub.tls.clone()).await })?;
        // Removed (or the hub closed) while the handshake ran: close the new socket
        // rather than start a connection nobody can reach. Checked and started under
        // the lock, so that a remove cannot slip in between.
        let entries = self.hub.entries.lock();
        if !entries.get(&*entry.name).is_some_and(|e| Arc::ptr_eq(e, entry)) {
            drop(entries);
            let limit = self.hub.config.close_timeout;
            runtime::handle().spawn(async move {
                let mut ws = ws;
                let _ = tokio::time::timeout(limit, ws.close(None)).await;
            });
            return Err(Error::UnknownClient(entry.name.to_string()));
        }
        supervisor::start(&self.hub, entry, ws);
        Ok(())
    }

    /// Sends text to a connected Name.
    pub fn send_text(&self, name: &str, text: impl Into<Utf8Bytes>) -> Result<()> {
        self.send(name, Message::Text(text.into()))
    }

    /// Sends binary data to a connected Name.
    pub fn send_binary(&self, name: &str, data: impl Into<Bytes>) -> Result<()> {
        self.send(name, Message::Binary(data.into()))
    }

    fn send(&self, name: &str, message: Message) -> Result<()> {
        let max = self.hub.config.max_message_size;
        if message.len() > max {
            return Err(Error::MessageTooLarge { size: message.len(), max });
        }
        let entry = self.entry(name)?;
        let queue = entry.link.lock().queue.clone().ok_or_else(|| Error::NotConnected(name.to_string()))?;
        match queue.push_message(message) {
            Pushed::Queued | Pushed::DroppedOldest(_) => Ok(()),
            Pushed::Overflow(_) | Pushed::Closed => Err(Error::NotConnected(name.to_string())),
        }
    }

    /// Closes a connection cleanly (Close 1000) and stops any reconnects; the Name
    /// stays registered so that `reset` can reconnect it.
    pub fn disconnect(&self, name: &str) -> Result<()> {
        refuse_engine_thread()?;
        let entry = self.entry(name)?;
        supervisor::stop(&self.hub, &entry);
        Ok(())
    }

    /// Closes a connection and forgets its Name.
    pub fn remove(&self, name: &str) -> Result<()> {
        self.disconnect(name)?;
        self.hub.entries.lock().remove(name);
        Ok(())
    }

    /// Reconnects a registered Name, to a new URL when one is given (Slack RTM style).
    /// On failure the Name stays registered, disconnected, with the new URL.
    pub fn reset(&self, name: &str, url: Option<&str>) -> Result<()> {
        refuse_engine_thread()?;
        let entry = self.entry(name)?;
        let url = url.map(connect::parse_url).transpose()?;
        supervisor::stop(&self.hub, &entry);
        if let Some(url) = url {
            *entry.url.lock() = url;
        }
        self.open(&entry)
    }

    /// The state of a Name; None when it is not registered (Pode's `Test-PodeWebSocket`
    /// is `state(name).is_some()`; connected is `== Some(Connected)`).
    pub fn state(&self, name: &str) -> Option<ClientState> {
        Some(self.entry(name).ok()?.link.lock().state)
    }

    /// The URL a Name connects to.
    pub fn url(&self, name: &str) -> Option<String> {
        Some(self.entry(name).ok()?.url.lock().to_string())
    }

    /// Registered Names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.hub.entries.lock().keys().cloned().collect();
        names.sort();
        names
    }

    /// Closes and forgets every connection.
    pub fn close_all(&self) {
        let entries: Vec<Arc<Entry>> = self.hub.entries.lock().drain().map(|(_, e)| e).collect();
        if runtime::on_engine_thread() {
            entries.iter().for_each(|e| supervisor::signal_stop(e));
        } else {
            entries.iter().for_each(|e| supervisor::stop(&self.hub, e));
        }
    }
}

impl Drop for ClientHub {
    fn drop(&mut self) {
        self.close_all();
    }
}
