//! Counters of a backplane.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// A copy of a backplane's state and counters (Pode's `Get-PodeSignalBackplane`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackplaneStatus {
    /// Redis is reachable now.
    pub connected: bool,
    /// Broadcasts written to Redis by this node.
    pub published: u64,
    /// Broadcasts of other nodes delivered on this node (each once).
    pub received: u64,
    /// Broadcasts dropped from a full outbox (never published).
    pub dropped: u64,
    /// Broadcasts waiting in the outbox now.
    pub outbox_depth: u64,
    /// Milliseconds between the send on another node and the delivery here, for the
    /// last broadcast received (wall clocks of both machines: skew shows up here).
    pub lag_ms: u64,
    /// This node's id in Redis (fresh per server).
    pub node_id: String,
}

/// Live counters.
#[derive(Default)]
pub(super) struct Counters {
    pub connected: AtomicBool,
    pub published: AtomicU64,
    pub received: AtomicU64,
    pub dropped: AtomicU64,
    pub outbox_depth: AtomicU64,
    pub lag_ms: AtomicU64,
}

impl Counters {
    pub(super) fn snapshot(&self, node_id: &str) -> BackplaneStatus {
        BackplaneStatus {
            connected: self.connected.load(Relaxed),
            published: self.published.load(Relaxed),
            received: self.received.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            outbox_depth: self.outbox_depth.load(Relaxed),
            lag_ms: self.lag_ms.load(Relaxed),
            node_id: node_id.to_string(),
        }
    }
}
