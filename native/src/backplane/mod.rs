//! Scale-out: broadcasts and presence shared by several server nodes through a
//! backplane. The only implementation is Redis Streams ([`redis_streams`]); the rest
//! of the engine sees the [`Backplane`] trait, and the backplane sees its node through
//! the [`Node`] trait.
//!
//! A node delivers a broadcast to its own clients first, then hands it to the
//! backplane once, whatever the number of recipients. Direct sends and Local-scope
//! connections never reach the backplane.

mod config;
mod outbox;
mod presence;
mod redis_streams;
mod status;
mod wire;

use std::sync::{Arc, Weak};

use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::BackplaneConfig;
pub(crate) use presence::Member;
pub use status::BackplaneStatus;

/// One broadcast as it crosses nodes: the arguments of a send.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Broadcast {
    /// Target Names; empty: every Name (of the receiving node).
    pub names: Vec<String>,
    /// Group filter; empty: any group.
    pub groups: Vec<String>,
    /// Client id filter; empty: every client.
    pub client_ids: Vec<String>,
    /// The text sent.
    pub payload: Utf8Bytes,
}

/// What a backplane needs from the node it serves.
pub(crate) trait Node: Send + Sync + 'static {
    /// Delivers a broadcast from another node to this node's clients, with the same
    /// rules as a local send.
    fn deliver(&self, broadcast: Broadcast);
    /// This node's Global connections, for the cluster-wide lists.
    fn members(&self) -> Vec<Member>;
}

/// A way for broadcasts and presence to reach the other nodes.
pub(crate) trait Backplane: Send + Sync {
    /// Queues a broadcast for the other nodes; never blocks.
    fn publish(&self, broadcast: Broadcast);
    /// This node's Global connections changed (presence is rewritten soon).
    fn members_changed(&self);
    /// The Global connections of the other nodes, as last read (empty when that read
    /// is older than the presence expiry).
    fn remote_members(&self) -> Arc<[Member]>;
    /// Counters and state.
    fn status(&self) -> BackplaneStatus;
}

/// Starts the Redis backplane for `node`; its tasks stop when `shutdown` is cancelled.
/// It connects in the background: the node serves its own clients meanwhile.
pub(crate) fn start(config: BackplaneConfig, node: Weak<dyn Node>, shutdown: CancellationToken, tracker: &TaskTracker) -> Arc<dyn Backplane> {
    redis_streams::RedisBackplane::start(config, node, shutdown, tracker)
}
