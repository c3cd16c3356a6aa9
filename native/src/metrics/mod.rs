//! Counters and gauges of a server, and their Prometheus text. Every surface (Pode's
//! metric cmdlets through [`MetricsSnapshot`], the C ABI, the Prometheus text) reads
//! these same counters.

mod prometheus;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::pump::Cause;
pub(crate) use prometheus::CONTENT_TYPE;
use prometheus::{Exposition, Kind};

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
    /// Messages dropped from send queues: the oldest ones under the drop-oldest policy,
    /// and under the close policy those queued to a slow reader and the one it refused.
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
    /// Connections closed, one counter per [`Cause`] (in [`Cause::ALL`] order).
    closed: [AtomicU64; Cause::ALL.len()],
}

/// The gauges read from the live connections at scrape time.
#[derive(Default)]
pub(crate) struct Gauges {
    /// Open connections by (Name, `Local` or `Global`).
    pub connections: BTreeMap<(String, &'static str), u64>,
    /// Messages waiting in send queues.
    pub queued_messages: u64,
    /// Bytes of those messages.
    pub queued_bytes: u64,
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

    /// Counts a connection that ended.
    pub(crate) fn closed(&self, cause: Cause) {
        Self::add(&self.closed[cause as usize], 1);
    }

    /// The counters and `gauges` in Prometheus' text format 0.0.4.
    pub(crate) fn exposition(&self, gauges: &Gauges) -> String {
        let m = self.snapshot();
        let mut e = Exposition::default();
        let mut open = e.family("psws_connections", Kind::Gauge, "Signal connections open now, by Name and scope.");
        for ((name, scope), n) in &gauges.connections {
            open.sample(&[("name", name), ("scope", scope)], *n);
        }
        let counters = [
            ("psws_connections_opened_total", "Signal connections opened since the server started.", m.connections_total),
            ("psws_messages_received_total", "Text and binary messages received from clients.", m.messages_in),
            ("psws_received_bytes_total", "Payload bytes received from clients.", m.bytes_in),
            ("psws_messages_sent_total", "Messages queued to clients, one per recipient.", m.messages_out),
            ("psws_sent_bytes_total", "Payload bytes queued to clients, per recipient.", m.bytes_out),
            (
                "psws_sends_dropped_total",
                "Messages dropped from send queues (drop-oldest policy, or the queue of a slow reader closed with 1008).",
                m.queue_drops,
            ),
            ("psws_http_requests_total", "HTTP requests received, upgrades included.", m.http_requests),
        ];
        for (name, help, value) in counters {
            e.family(name, Kind::Counter, help).sample(&[], value);
        }
        let mut closed = e.family(
            "psws_connections_closed_total",
            Kind::Counter,
            "Signal connections closed, by reason: peer_closed (Close frame), peer_gone (no Close frame), pong_timeout, slow_reader (1008), too_big (1009), protocol_error, server.",
        );
        for cause in Cause::ALL {
            closed.sample(&[("reason", cause.label())], self.closed[cause as usize].load(Relaxed));
        }
        e.family("psws_send_queue_messages", Kind::Gauge, "Messages waiting in the send queues of all connections.").sample(&[], gauges.queued_messages);
        e.family("psws_send_queue_bytes", Kind::Gauge, "Bytes of the messages waiting in send queues.").sample(&[], gauges.queued_bytes);
        e.finish()
    }
}
