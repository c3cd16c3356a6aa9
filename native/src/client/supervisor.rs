//! The task behind one external connection: runs the socket, reports how it ended,
//! and reconnects with backoff when the connection asks for it.

use std::sync::Arc;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_util::sync::CancellationToken;

use super::connect::{self, ClientStream};
use super::{ClientEvent, ClientState, Entry, Hub, ReconnectPolicy};
use crate::pump::{self, Inbound, Side, Timings};
use crate::{CloseInitiator, LogLevel, runtime};

/// Inbound messages of a connection go to the host as events.
struct ToHost<'a> {
    hub: &'a Hub,
    entry: &'a Entry,
}

impl Inbound for ToHost<'_> {
    fn text(&self, text: Utf8Bytes) {
        self.hub.events.emit(ClientEvent::Message { name: self.entry.name.clone(), data: Bytes::from(text), binary: false });
    }
    fn binary(&self, data: Bytes) {
        self.hub.events.emit(ClientEvent::Message { name: self.entry.name.clone(), data, binary: true });
    }
    fn warn(&self, message: String) {
        self.hub.events.log(LogLevel::Warn, format!("WebSocket '{}': {message}", self.entry.name));
    }
}

/// Marks an entry connected with a fresh queue and spawns its task.
pub(super) fn start(hub: &Arc<Hub>, entry: &Arc<Entry>, ws: ClientStream) {
    let stop = CancellationToken::new();
    let mut link = entry.link.lock();
    link.state = ClientState::Connected;
    link.queue = Some(hub.new_queue());
    link.stop = stop.clone();
    // Spawned under the lock, so the task sees the queue set above.
    link.task = Some(runtime::handle().spawn(supervise(hub.clone(), entry.clone(), ws, stop)));
}

/// Asks the task to close without waiting for it.
pub(super) fn signal_stop(entry: &Entry) {
    let link = entry.link.lock();
    link.stop.cancel();
    if let Some(queue) = &link.queue {
        queue.close(1000, String::new());
    }
}

/// Closes the connection, stops reconnects, and waits (bounded) for the task to end.
pub(super) fn stop(hub: &Hub, entry: &Entry) {
    signal_stop(entry);
    let task = entry.link.lock().task.take();
    if let Some(task) = task {
        let limit = hub.config.close_timeout * 2;
        let abort = task.abort_handle();
        if runtime::block_on(async move { tokio::time::timeout(limit, task).await }).is_err() {
            abort.abort();
        }
    }
    let mut link = entry.link.lock();
    link.state = ClientState::Disconnected;
    link.queue = None;
}

fn timings(hub: &Hub) -> Timings {
    let c = &hub.config;
    Timings { ping_interval: c.ping_interval, pong_timeout: c.pong_timeout, close_timeout: c.close_timeout, max_message_size: c.max_message_size }
}

async fn supervise(hub: Arc<Hub>, entry: Arc<Entry>, mut ws: ClientStream, stop: CancellationToken) {
    loop {
        let Some(queue) = entry.link.lock().queue.clone() else { return };
        let ending = pump::run(&mut ws, &queue, &ToHost { hub: &hub, entry: &entry }, timings(&hub)).await;
        queue.shut();
        let policy = entry.options.reconnect.filter(|_| !stop.is_cancelled());
        {
            let mut link = entry.link.lock();
            link.queue = None;
            link.state = if policy.is_some() { ClientState::Reconnecting } else { ClientState::Disconnected };
        }
        hub.events.emit(ClientEvent::Disconnected {
            name: entry.name.clone(),
            code: ending.code,
            reason: ending.reason,
            initiator: match ending.cause.side() {
                Side::Local => CloseInitiator::Client,
                Side::Peer => CloseInitiator::Server,
            },
            reconnecting: policy.is_some(),
        });
        let Some(policy) = policy else { return };
        match reconnect(&hub, &entry, &policy, &stop).await {
            Some(new_ws) => {
                ws = new_ws;
                let mut link = entry.link.lock();
                link.queue = Some(hub.new_queue());
                link.state = ClientState::Connected;
                drop(link);
                let url = entry.url.lock().to_string();
                hub.events.emit(ClientEvent::Reconnected { name: entry.name.clone(), url });
            }
            None => {
                entry.link.lock().state = ClientState::Disconnected;
                return;
            }
        }
    }
}

/// Tries until connected, out of attempts, or stopped by the host.
async fn reconnect(hub: &Hub, entry: &Entry, policy: &ReconnectPolicy, stop: &CancellationToken) -> Option<ClientStream> {
    let mut last_error: Option<String> = None;
    for attempt in 1.. {
        if policy.max_attempts.is_some_and(|max| attempt > max) {
            // Before the event: a host that reacts to it must find the Name Disconnected.
            entry.link.lock().state = ClientState::Disconnected;
            hub.events.emit(ClientEvent::ReconnectFailed { name: entry.name.clone(), attempts: attempt - 1, error: last_error.unwrap_or_default() });
            return None;
        }
        let delay = policy.delay(attempt);
        hub.events.emit(ClientEvent::Reconnecting { name: entry.name.clone(), attempt, delay, last_error: last_error.clone() });
        let url = entry.url.lock().clone();
        let attempt = async {
            tokio::time::sleep(delay).await;
            connect::establish(&url, &entry.options, &hub.config, hub.tls.clone()).await
        };
        tokio::select! {
            result = attempt => match result {
                Ok(ws) => return Some(ws),
                Err(e) => last_error = Some(e.to_string()),
            },
            () = stop.cancelled() => return None,
        }
    }
    None
}
