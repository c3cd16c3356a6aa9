//! The backplane of a server: joining other nodes through Redis, and its status.

use std::time::Duration;

use psws::BackplaneConfig;

use crate::boundary::boundary;
use crate::handles;
use crate::server::psws_server;
use crate::status::{Failure, psws_status};
use crate::strings::{psws_str, write};

/// Backplane settings. Get the defaults from psws_backplane_config_default, then set
/// `url` and change what you need.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_backplane_config {
    /// `redis://[[user]:password@]host[:port][/db]` (required; `rediss://` is not supported).
    pub url: psws_str,
    /// Prefix of every Redis key, so several apps can share one Redis (default `psws`).
    pub channel_prefix: psws_str,
    /// Broadcasts held while Redis is unreachable (default 10000); past it the oldest are dropped.
    pub outbox_messages: u64,
    /// Bytes held while Redis is unreachable (default 64 MiB).
    pub outbox_bytes: u64,
    /// Approximate length the stream is trimmed to (default 100000).
    pub stream_length: u64,
    /// A node's presence outlives its last refresh by this much (default 15000 ms).
    pub presence_ttl_ms: u64,
    /// First reconnection delay, doubled per failure (default 100 ms).
    pub reconnect_min_ms: u64,
    /// Longest reconnection delay (default 5000 ms).
    pub reconnect_max_ms: u64,
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

fn size(value: u64, what: &str) -> Result<usize, Failure> {
    usize::try_from(value).map_err(|_| Failure(psws_status::InvalidArgument, format!("{what} is too large")))
}

/// Writes the default settings (with an empty `url`) to `out`. The strings it writes
/// are static.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_backplane_config_default(out: *mut psws_backplane_config) -> psws_status {
    boundary(|| {
        let d = BackplaneConfig::new("");
        let view = psws_backplane_config {
            url: psws_str::borrow(""),
            channel_prefix: psws_str::borrow("psws"),
            outbox_messages: d.outbox_messages as u64,
            outbox_bytes: d.outbox_bytes as u64,
            stream_length: d.stream_length as u64,
            presence_ttl_ms: ms(d.presence_ttl),
            reconnect_min_ms: ms(d.reconnect_min),
            reconnect_max_ms: ms(d.reconnect_max),
        };
        // SAFETY: valid per the caller.
        unsafe { write(out, view, "out") }
    })
}

/// Joins the server to other nodes through Redis (before start; replaces an earlier
/// setting). Broadcasts then reach every node's Global connections and the Name,
/// group and client id lists cover the cluster. The server starts and serves its own
/// clients even while Redis is unreachable. A bad setting is INVALID_ARGUMENT with the
/// field named in psws_last_error(); after start it is ALREADY_RUNNING.
///
/// # Safety
/// `config` must point to a valid psws_backplane_config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_set_backplane(server: *const psws_server, config: *const psws_backplane_config) -> psws_status {
    boundary(|| {
        let server = handles::get(server)?;
        if config.is_null() {
            return Err(Failure(psws_status::NullArgument, "config is NULL".into()));
        }
        // SAFETY: non-null and valid per the caller.
        let c = unsafe { &*config };
        // SAFETY: caller strings.
        let (url, prefix) = unsafe { (c.url.read("url")?, c.channel_prefix.read_opt("channel_prefix")?) };
        let config = BackplaneConfig::new(url)
            .channel_prefix(prefix.unwrap_or("psws").to_string())
            .outbox_messages(size(c.outbox_messages, "outbox_messages")?)
            .outbox_bytes(size(c.outbox_bytes, "outbox_bytes")?)
            .stream_length(size(c.stream_length, "stream_length")?)
            .presence_ttl(Duration::from_millis(c.presence_ttl_ms))
            .reconnect_min(Duration::from_millis(c.reconnect_min_ms))
            .reconnect_max(Duration::from_millis(c.reconnect_max_ms));
        server.server.set_backplane(config)?;
        Ok(())
    })
}

/// State and counters of a server's backplane (Get-PodeSignalBackplane).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct psws_backplane_status {
    /// False without a backplane or before start (every other field is then 0).
    pub enabled: bool,
    /// Redis is reachable now.
    pub connected: bool,
    /// Broadcasts written to Redis by this node.
    pub published: u64,
    /// Broadcasts of other nodes delivered here.
    pub received: u64,
    /// Broadcasts dropped from a full outbox.
    pub dropped: u64,
    /// Broadcasts waiting in the outbox now.
    pub outbox_depth: u64,
    /// Send-to-delivery time of the last broadcast received from another node, in ms.
    pub lag_ms: u64,
}

/// Writes the backplane's state and counters.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_server_backplane_status(server: *const psws_server, out: *mut psws_backplane_status) -> psws_status {
    boundary(|| {
        let view = match handles::get(server)?.server.backplane_status() {
            None => psws_backplane_status::default(),
            Some(s) => psws_backplane_status {
                enabled: true,
                connected: s.connected,
                published: s.published,
                received: s.received,
                dropped: s.dropped,
                outbox_depth: s.outbox_depth,
                lag_ms: s.lag_ms,
            },
        };
        // SAFETY: valid per the caller.
        unsafe { write(out, view, "out") }
    })
}
