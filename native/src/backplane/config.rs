//! Settings of the Redis backplane, with their defaults and the reasons for them.

use std::fmt;
use std::time::Duration;

use crate::{Error, Result};

/// Settings of a server's backplane ([`crate::Server::set_backplane`]). Build it with
/// [`BackplaneConfig::new`] and the chainable setters.
#[derive(Clone)]
#[non_exhaustive]
pub struct BackplaneConfig {
    /// `redis://[:password@]host[:port][/db]` (also `redis://user:password@...`).
    pub url: String,
    /// Prefix of every Redis key, so several apps can share one Redis. Default `psws`.
    pub channel_prefix: String,
    /// Broadcasts held while Redis is unreachable. Default 10,000; past it (or past
    /// [`Self::outbox_bytes`]) the oldest are dropped and counted.
    pub outbox_messages: usize,
    /// Bytes held while Redis is unreachable. Default 64 MiB.
    pub outbox_bytes: usize,
    /// Approximate length the stream is trimmed to (`XADD MAXLEN ~`). Default 100,000:
    /// a node that was cut off resumes from its last entry if fewer than this many
    /// broadcasts were made meanwhile.
    pub stream_length: usize,
    /// How long a node's presence outlives its last refresh. Default 15 s; nodes
    /// refresh every third of it, so a crashed node's connections leave the lists of
    /// the other nodes within `presence_ttl` plus a third of it.
    pub presence_ttl: Duration,
    /// First delay before reconnecting; doubled per failure up to [`Self::reconnect_max`].
    /// Default 100 ms.
    pub reconnect_min: Duration,
    /// Longest delay between reconnection attempts. Default 5 s.
    pub reconnect_max: Duration,
}

impl BackplaneConfig {
    /// A backplane on the Redis at `url`, with default settings.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            channel_prefix: "psws".to_string(),
            outbox_messages: 10_000,
            outbox_bytes: 64 << 20,
            stream_length: 100_000,
            presence_ttl: Duration::from_secs(15),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
        }
    }

    /// Checks every value; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        self.client()?;
        if self.channel_prefix.is_empty() || self.channel_prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::InvalidArgument("channel_prefix must be non-empty, without spaces or control characters".into()));
        }
        let positive = [("outbox_messages", self.outbox_messages), ("outbox_bytes", self.outbox_bytes), ("stream_length", self.stream_length)];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(Error::InvalidArgument(format!("{name} must be greater than 0")));
        }
        if self.presence_ttl < Duration::from_millis(300) {
            return Err(Error::InvalidArgument("presence_ttl must be at least 300 ms".into()));
        }
        if self.reconnect_min.is_zero() || self.reconnect_min > self.reconnect_max {
            return Err(Error::InvalidArgument("reconnect_min must be greater than 0 and at most reconnect_max".into()));
        }
        Ok(())
    }

    /// The Redis client for the URL (it does not connect yet).
    pub(crate) fn client(&self) -> Result<redis::Client> {
        if self.url.starts_with("rediss://") {
            return Err(Error::InvalidArgument("rediss:// (Redis over TLS) is not supported by this build: use redis://, or a TLS tunnel to Redis".into()));
        }
        if !self.url.starts_with("redis://") {
            return Err(Error::InvalidArgument(format!("'{}' is not a redis:// URL", self.redacted_url())));
        }
        redis::Client::open(self.url.as_str()).map_err(|e| Error::InvalidArgument(format!("backplane URL '{}': {e}", self.redacted_url())))
    }

    /// The URL with its password hidden, for messages and `Debug`.
    pub fn redacted_url(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            Ok(url) => url.to_string(),
            Err(_) => "<malformed URL>".to_string(),
        }
    }
}

crate::config::setters!(BackplaneConfig {
    channel_prefix: String,
    outbox_messages: usize,
    outbox_bytes: usize,
    stream_length: usize,
    presence_ttl: Duration,
    reconnect_min: Duration,
    reconnect_max: Duration,
});

impl fmt::Debug for BackplaneConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackplaneConfig")
            .field("url", &self.redacted_url())
            .field("channel_prefix", &self.channel_prefix)
            .field("outbox_messages", &self.outbox_messages)
            .field("outbox_bytes", &self.outbox_bytes)
            .field("stream_length", &self.stream_length)
            .field("presence_ttl", &self.presence_ttl)
            .field("reconnect_min", &self.reconnect_min)
            .field("reconnect_max", &self.reconnect_max)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        BackplaneConfig::new("redis://127.0.0.1:6379/0").validate().unwrap();
        BackplaneConfig::new("redis://:pw@127.0.0.1:6380/3").validate().unwrap();
        let bad = |c: BackplaneConfig| c.validate().unwrap_err().to_string();
        assert!(bad(BackplaneConfig::new("rediss://h:6379")).contains("TLS"));
        assert!(bad(BackplaneConfig::new("http://h")).contains("not a redis:// URL"));
        assert!(bad(BackplaneConfig::new("redis://h").channel_prefix(String::new())).contains("channel_prefix"));
        assert!(bad(BackplaneConfig::new("redis://h").outbox_messages(0)).contains("outbox_messages"));
        assert!(bad(BackplaneConfig::new("redis://h").presence_ttl(Duration::from_millis(10))).contains("presence_ttl"));
    }

    #[test]
    fn the_password_never_shows() {
        let c = BackplaneConfig::new("redis://user:secret@127.0.0.1:6379/1");
        assert!(!format!("{c:?}").contains("secret"));
        assert!(!BackplaneConfig::new("http://u:secret@h").validate().unwrap_err().to_string().contains("secret"));
    }
}
