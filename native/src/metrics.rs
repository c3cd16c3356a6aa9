//! Counters of a server.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A copy of a server's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Signal connections open now (both scopes).
    pub connections: u64,
    /// Signal connections opened since start.
    pub connections_total: u64,
    /// Text and binary messages received from clients.
    pub messages_in: u64,
    /// Messages queued to clients (one per recipient).
    pub messages_out: u64,
    /// Payload bytes received.
    pub bytes_in: u64,
    /// Payload bytes queued to clients (per recipient).
    pub bytes_out: u64,
    /// Messages dropped by the drop-oldest policy plus connections closed as slow readers.
    pub queue_drops: u64,
    /// HTTP requests received (upgrades included).
    pub http_requests: u64,
}

/// Live counters.
#[derive(Default)]
pub(crate) struct Metrics {
    pub connections: AtomicU64,
    pub connections_total: AtomicU64,
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub queue_drops: AtomicU64,
    pub http_requests: AtomicU64,
}

impl Metrics {
    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            connections: self.connections.load(Relaxed),
            connections_total: self.connections_total.load(Relaxed),
            messages_in: self.messages_in.load(Relaxed),
            messages_out: self.messages_out.load(Relaxed),
            bytes_in: self.bytes_in.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            queue_drops: self.queue_drops.load(Relaxed),
            http_requests: self.http_requests.load(Relaxed),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }
}
