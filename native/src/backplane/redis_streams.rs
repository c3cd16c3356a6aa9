//! The Redis backplane: broadcasts go through one Redis Stream, presence through
//! expiring keys.
//!
//! Why a stream and not pub/sub: pub/sub delivers only to the nodes subscribed at
//! that instant, so what a node publishes from its outbox after an outage is lost
//! for every node that has not re-subscribed yet. A stream keeps the entries (trimmed
//! to about `stream_length`); each node reads with `XREAD BLOCK` from the last id it
//! saw, so a node cut off from Redis resumes where it stopped.
//!
//! Per session (one connection for writes and presence, one for the blocking reads):
//! the publisher drains the outbox in order with pipelined `XADD`s and forgets an
//! entry only once Redis has it; the reader delivers other nodes' entries, each
//! sequence number once (see [`super::wire`]); presence is rewritten on change and
//! refreshed. Any Redis error ends the session; it starts again after a backoff.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamReadReply};
use redis::{AsyncConnectionConfig, RedisResult};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::outbox::{Outbox, Pending};
use super::status::Counters;
use super::wire::{self, Seen, Verdict};
use super::{Backplane, BackplaneConfig, BackplaneStatus, Broadcast, Member, Node, presence};

/// Entries per pipelined write and per read.
const BATCH: usize = 512;
/// How long one `XREAD` waits for entries.
const READ_BLOCK: Duration = Duration::from_secs(2);
/// Time limit of a connection attempt and of an ordinary command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest interval between two reads of the other nodes' presence.
const PRESENCE_READ: Duration = Duration::from_secs(1);
/// Pause after a presence change, so a burst of connections is written once.
const PRESENCE_DEBOUNCE: Duration = Duration::from_millis(50);
/// Time given to the last flush and the presence removal at shutdown.
const FAREWELL: Duration = Duration::from_secs(2);

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Redis key names under the channel prefix.
struct Keys {
    stream: String,
    nodes: String,
    presence_prefix: String,
}

impl Keys {
    fn new(prefix: &str) -> Self {
        Self { stream: format!("{prefix}:signals"), nodes: format!("{prefix}:nodes"), presence_prefix: format!("{prefix}:presence:") }
    }
    fn presence(&self, node: &str) -> String {
        format!("{}{node}", self.presence_prefix)
    }
}

/// Where the reader is; kept across sessions so a reconnect resumes.
struct Cursor {
    /// The last stream id read. It starts at the node's start time (stream ids are
    /// Redis's clock in ms), so broadcasts made after the node started reach it even
    /// if they enter Redis before this node connects; history is not replayed.
    last_id: String,
    seen: Seen,
}

pub(super) struct RedisBackplane {
    config: BackplaneConfig,
    node_id: String,
    keys: Keys,
    node: Weak<dyn Node>,
    outbox: Mutex<Outbox>,
    /// Woken when the outbox gets an entry.
    outbox_ready: Notify,
    /// True while the outbox drops entries (logged once per episode).
    dropping: AtomicBool,
    /// Set when this node's members changed; `members_changed` wakes the presence loop.
    members_dirty: AtomicBool,
    members_wake: Notify,
    /// Other nodes' members and when they were read.
    remote: RwLock<(Arc<[Member]>, Instant)>,
    counters: Counters,
}

impl RedisBackplane {
    pub(super) fn start(config: BackplaneConfig, node: Weak<dyn Node>, shutdown: CancellationToken, tracker: &TaskTracker) -> Arc<dyn Backplane> {
        let client = config.client().expect("the config was validated when it was set");
        let backplane = Arc::new(Self {
            node_id: uuid::Uuid::new_v4().to_string(),
            keys: Keys::new(&config.channel_prefix),
            outbox: Mutex::new(Outbox::new(config.outbox_messages, config.outbox_bytes)),
            config,
            node,
            outbox_ready: Notify::new(),
            dropping: AtomicBool::new(false),
            members_dirty: AtomicBool::new(true),
            members_wake: Notify::new(),
            remote: RwLock::new((Arc::from(Vec::new()), Instant::now())),
            counters: Counters::default(),
        });
        tracker.spawn_on(backplane.clone().run(client, shutdown), crate::runtime::handle());
        backplane
    }

    /// Sessions with backoff until shutdown, then a last flush and goodbye.
    async fn run(self: Arc<Self>, client: redis::Client, shutdown: CancellationToken) {
        let mut cursor = Cursor { last_id: format!("{}-0", now_ms()), seen: Seen::default() };
        let mut delay = self.config.reconnect_min;
        let mut failures = 0u32;
        loop {
            let attempt = tokio::select! {
                r = connect(&client) => r,
                () = shutdown.cancelled() => break,
            };
            match attempt {
                Ok((writer, reader)) => {
                    self.counters.connected.store(true, Relaxed);
                    tracing::info!(node = %self.node_id, url = %self.config.redacted_url(), "backplane connected to Redis");
                    delay = self.config.reconnect_min;
                    failures = 0;
                    let error = tokio::select! {
                        e = self.session(writer, reader, &mut cursor) => e,
                        () = shutdown.cancelled() => break,
                    };
                    self.counters.connected.store(false, Relaxed);
                    tracing::warn!(node = %self.node_id, "backplane lost Redis ({error}); broadcasts wait in the outbox until it is back");
                }
                Err(error) => {
                    failures += 1;
                    if failures == 1 {
                        tracing::warn!(node = %self.node_id, url = %self.config.redacted_url(), "backplane cannot reach Redis ({error}); retrying with backoff");
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = shutdown.cancelled() => break,
            }
            delay = (delay * 2).min(self.config.reconnect_max);
        }
        self.counters.connected.store(false, Relaxed);
        if tokio::time::timeout(FAREWELL, self.farewell(&client)).await.is_err() {
            tracing::warn!(node = %self.node_id, "backplane: Redis did not answer at shutdown; {} broadcasts not published", self.outbox.lock().len());
        }
    }

    /// Runs the publisher, the reader and presence until one of them fails.
    async fn session(&self, writer: MultiplexedConnection, reader: MultiplexedConnection, cursor: &mut Cursor) -> redis::RedisError {
        let result = tokio::try_join!(self.publish_loop(writer.clone()), self.read_loop(reader, cursor), self.presence_loop(writer));
        match result {
            Err(e) => e,
            Ok((never, ..)) => match never {},
        }
    }

    async fn publish_loop(&self, mut conn: MultiplexedConnection) -> RedisResult<Infallible> {
        loop {
            if !self.flush_batch(&mut conn).await? {
                self.outbox_ready.notified().await;
            }
        }
    }

    /// Writes the oldest batch of the outbox; false if it was empty.
    async fn flush_batch(&self, conn: &mut MultiplexedConnection) -> RedisResult<bool> {
        let batch = self.outbox.lock().peek(BATCH);
        let Some(last) = batch.last().map(|p| p.seq) else { return Ok(false) };
        let mut pipe = redis::pipe();
        for Pending { seq, body } in &batch {
            pipe.cmd("XADD")
                .arg(&self.keys.stream)
                .arg("MAXLEN")
                .arg("~")
                .arg(self.config.stream_length)
                .arg("*")
                .arg(wire::NODE)
                .arg(&self.node_id)
                .arg(wire::SEQ)
                .arg(seq)
                .arg(wire::BODY)
                .arg(body)
                .ignore();
        }
        pipe.query_async::<()>(conn).await?;
        let mut outbox = self.outbox.lock();
        outbox.confirm(last);
        self.counters.outbox_depth.store(outbox.len() as u64, Relaxed);
        self.counters.published.fetch_add(batch.len() as u64, Relaxed);
        if outbox.len() == 0 && self.dropping.swap(false, Relaxed) {
            tracing::info!(node = %self.node_id, dropped = self.counters.dropped.load(Relaxed), "backplane outbox drained");
        }
        Ok(true)
    }

    async fn read_loop(&self, mut conn: MultiplexedConnection, cursor: &mut Cursor) -> RedisResult<Infallible> {
        loop {
            let reply: Option<StreamReadReply> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(BATCH)
                .arg("BLOCK")
                .arg(READ_BLOCK.as_millis() as u64)
                .arg("STREAMS")
                .arg(&self.keys.stream)
                .arg(&cursor.last_id)
                .query_async(&mut conn)
                .await?;
            for entry in reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
                self.accept(&entry, &mut cursor.seen);
                cursor.last_id = entry.id;
            }
        }
    }

    /// Delivers another node's entry once.
    fn accept(&self, entry: &StreamId, seen: &mut Seen) {
        let (Some(from), Some(seq), Some(body)) = (entry.get::<String>(wire::NODE), entry.get::<u64>(wire::SEQ), entry.get::<String>(wire::BODY)) else {
            tracing::warn!(id = %entry.id, "backplane: skipping a stream entry without node, sequence or body");
            return;
        };
        if from == self.node_id {
            return;
        }
        match seen.check(&from, seq) {
            Verdict::Duplicate => return,
            Verdict::DeliverAfterGap { missed } => {
                tracing::warn!(from = %from, missed, "backplane: broadcasts of another node never reached this node (dropped from its full outbox, or trimmed from the stream before this node read them)")
            }
            Verdict::Deliver => {}
        }
        let Some((broadcast, sent_ms)) = wire::decode(&body) else {
            tracing::warn!(id = %entry.id, "backplane: skipping a malformed stream entry");
            return;
        };
        self.counters.lag_ms.store(now_ms().saturating_sub(sent_ms), Relaxed);
        self.counters.received.fetch_add(1, Relaxed);
        if let Some(node) = self.node.upgrade() {
            node.deliver(broadcast);
        }
    }

    async fn presence_loop(&self, mut conn: MultiplexedConnection) -> RedisResult<Infallible> {
        let refresh = self.config.presence_ttl / 3;
        let read_every = refresh.min(PRESENCE_READ);
        let mut written: Option<Instant> = None;
        loop {
            if self.members_dirty.swap(false, Relaxed) || written.is_none_or(|w| w.elapsed() >= refresh) {
                self.write_presence(&mut conn).await?;
                written = Some(Instant::now());
            }
            self.read_presence(&mut conn).await?;
            tokio::select! {
                () = tokio::time::sleep(read_every) => {}
                () = self.members_wake.notified() => tokio::time::sleep(PRESENCE_DEBOUNCE).await,
            }
        }
    }

    async fn write_presence(&self, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        let members = self.node.upgrade().map(|n| n.members()).unwrap_or_default();
        let ttl = self.config.presence_ttl.as_millis() as u64;
        let now = now_ms();
        redis::pipe()
            .cmd("SET")
            .arg(self.keys.presence(&self.node_id))
            .arg(presence::encode(&members))
            .arg("PX")
            .arg(ttl)
            .ignore()
            .cmd("ZADD")
            .arg(&self.keys.nodes)
            .arg(now + ttl)
            .arg(&self.node_id)
            .ignore()
            // Ids of nodes long gone (the score is their expiry; ten times it allows for clock skew).
            .cmd("ZREMRANGEBYSCORE")
            .arg(&self.keys.nodes)
            .arg("-inf")
            .arg(now.saturating_sub(10 * ttl))
            .ignore()
            .query_async(conn)
            .await
    }

    async fn read_presence(&self, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        let nodes: Vec<String> = redis::cmd("ZRANGE").arg(&self.keys.nodes).arg(0).arg(-1).query_async(conn).await?;
        let keys: Vec<String> = nodes.iter().filter(|n| **n != self.node_id).map(|n| self.keys.presence(n)).collect();
        let values: Vec<Option<String>> = if keys.is_empty() { Vec::new() } else { redis::cmd("MGET").arg(&keys).query_async(conn).await? };
        let members: Vec<Member> = values.iter().flatten().flat_map(|v| presence::decode(v)).collect();
        *self.remote.write() = (members.into(), Instant::now());
        Ok(())
    }

    /// At shutdown: publishes what is left and removes this node's presence.
    async fn farewell(&self, client: &redis::Client) {
        let Ok((mut conn, _)) = connect(client).await else {
            tracing::warn!(node = %self.node_id, "backplane: Redis unreachable at shutdown; {} broadcasts not published", self.outbox.lock().len());
            return;
        };
        while let Ok(true) = self.flush_batch(&mut conn).await {}
        let gone: RedisResult<()> =
            redis::pipe().cmd("DEL").arg(self.keys.presence(&self.node_id)).ignore().cmd("ZREM").arg(&self.keys.nodes).arg(&self.node_id).ignore().query_async(&mut conn).await;
        if let Err(e) = gone {
            tracing::warn!(node = %self.node_id, "backplane: could not remove this node's presence at shutdown ({e}); it expires by itself");
        }
    }
}

/// A connection for writes and one for the blocking reads (whose replies may take
/// up to [`READ_BLOCK`]).
async fn connect(client: &redis::Client) -> RedisResult<(MultiplexedConnection, MultiplexedConnection)> {
    let config = |response: Duration| AsyncConnectionConfig::new().set_connection_timeout(Some(COMMAND_TIMEOUT)).set_response_timeout(Some(response));
    let writer = client.get_multiplexed_async_connection_with_config(&config(COMMAND_TIMEOUT)).await?;
    let reader = client.get_multiplexed_async_connection_with_config(&config(READ_BLOCK + COMMAND_TIMEOUT)).await?;
    Ok((writer, reader))
}

impl Backplane for RedisBackplane {
    fn publish(&self, broadcast: Broadcast) {
        let body = wire::encode(&broadcast, now_ms());
        let (dropped, depth) = {
            let mut outbox = self.outbox.lock();
            let dropped = outbox.push(body);
            (dropped, outbox.len())
        };
        self.counters.outbox_depth.store(depth as u64, Relaxed);
        if dropped > 0 {
            self.counters.dropped.fetch_add(dropped as u64, Relaxed);
            if !self.dropping.swap(true, Relaxed) {
                tracing::warn!(
                    node = %self.node_id,
                    limit_messages = self.config.outbox_messages,
                    limit_bytes = self.config.outbox_bytes,
                    "backplane outbox full: dropping the oldest broadcasts until Redis takes them again"
                );
            }
        }
        self.outbox_ready.notify_one();
    }

    fn members_changed(&self) {
        self.members_dirty.store(true, Relaxed);
        self.members_wake.notify_one();
    }

    fn remote_members(&self) -> Arc<[Member]> {
        let remote = self.remote.read();
        if remote.1.elapsed() > self.config.presence_ttl { Arc::from(Vec::new()) } else { remote.0.clone() }
    }

    fn status(&self) -> BackplaneStatus {
        self.counters.snapshot(&self.node_id)
    }
}
