//! Settings of external connections: hub-wide ([`ClientConfig`]) and per connection
//! ([`ConnectOptions`], [`ReconnectPolicy`]).

use std::path::PathBuf;
use std::time::Duration;

use crate::config::setters;
use crate::{Error, Result};

/// Settings shared by every connection of a [`crate::ClientHub`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Largest inbound message after reassembly. Default 64 MiB (tungstenite's own
    /// default): servers are trusted more than clients, but not without bound.
    pub max_message_size: usize,
    /// Time allowed for DNS, TCP, TLS and the HTTP upgrade together. Default 10 s.
    pub connect_timeout: Duration,
    /// Ping a server that has sent nothing for this long. Default 30 s.
    pub ping_interval: Duration,
    /// A pinged server silent for this long is dead: the connection drops (and
    /// reconnects when enabled). Default 30 s.
    pub pong_timeout: Duration,
    /// Time a close waits for the server's Close reply. Default 5 s.
    pub close_timeout: Duration,
    /// Bytes queued for sending before the connection is closed with 1008 as stuck.
    /// Default 64 MiB.
    pub send_queue_bytes: usize,
    /// Extra CA certificates (PEM) trusted for wss besides the system roots.
    pub extra_ca_file: Option<PathBuf>,
    /// Accept any server certificate. For tests against self-signed servers only.
    pub accept_invalid_certs: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            max_message_size: 64 << 20,
            connect_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(5),
            send_queue_bytes: 64 << 20,
            extra_ca_file: None,
            accept_invalid_certs: false,
        }
    }
}

setters!(ClientConfig {
    max_message_size: usize,
    connect_timeout: Duration,
    ping_interval: Duration,
    pong_timeout: Duration,
    close_timeout: Duration,
    send_queue_bytes: usize,
    accept_invalid_certs: bool,
});

impl ClientConfig {
    /// Set [`Self::extra_ca_file`].
    pub fn extra_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.extra_ca_file = Some(path.into());
        self
    }

    /// Checks that every value is usable; the error names the first bad field.
    pub fn validate(&self) -> Result<()> {
        if self.max_message_size == 0 || self.send_queue_bytes == 0 {
            return Err(Error::InvalidArgument("max_message_size and send_queue_bytes must be greater than 0".into()));
        }
        let durations = [
            ("connect_timeout", self.connect_timeout),
            ("ping_interval", self.ping_interval),
            ("pong_timeout", self.pong_timeout),
            ("close_timeout", self.close_timeout),
        ];
        match durations.iter().find(|(_, d)| d.is_zero()) {
            Some((name, _)) => Err(Error::InvalidArgument(format!("{name} must be greater than 0"))),
            None => Ok(()),
        }
    }
}

/// Per-connection options beyond Pode's (which can send neither headers nor
/// sub-protocols and never reconnects by itself).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// Extra request headers (e.g. `Authorization`).
    pub headers: Vec<(String, String)>,
    /// Sub-protocols to offer (`Sec-WebSocket-Protocol`).
    pub protocols: Vec<String>,
    /// Reconnect automatically when the connection drops; off when None.
    pub reconnect: Option<ReconnectPolicy>,
}

impl ConnectOptions {
    /// Adds a request header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Offers a sub-protocol.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }
    /// Enables automatic reconnects.
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = Some(policy);
        self
    }
}

/// Exponential backoff with jitter for automatic reconnects.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ReconnectPolicy {
    /// Delay before the first attempt. Default 500 ms.
    pub initial_delay: Duration,
    /// Upper bound of the delay. Default 30 s.
    pub max_delay: Duration,
    /// Attempts before giving up; None tries forever. Default None.
    pub max_attempts: Option<u32>,
    /// Each delay is varied randomly by up to this fraction (0.0 to 1.0), so that many
    /// clients of one server do not reconnect in step. Default 0.2.
    pub jitter: f64,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self { initial_delay: Duration::from_millis(500), max_delay: Duration::from_secs(30), max_attempts: None, jitter: 0.2 }
    }
}

setters!(ReconnectPolicy {
    initial_delay: Duration,
    max_delay: Duration,
    max_attempts: Option<u32>,
    jitter: f64,
});

impl ReconnectPolicy {
    /// Checks the values: a positive initial delay no larger than the maximum, jitter
    /// within 0..=1, at least one attempt.
    pub fn validate(&self) -> Result<()> {
        if self.initial_delay.is_zero() || self.initial_delay > self.max_delay {
            return Err(Error::InvalidArgument("the reconnect delay must be positive and at most max_delay".into()));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(Error::InvalidArgument("jitter must be between 0 and 1".into()));
        }
        if self.max_attempts == Some(0) {
            return Err(Error::InvalidArgument("max_attempts must be at least 1 (or None for no limit)".into()));
        }
        Ok(())
    }

    /// The delay before attempt `attempt` (1-based): doubling from the initial delay,
    /// capped, then varied by the jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let base = self.initial_delay.saturating_mul(1 << doublings).min(self.max_delay);
        let spread = if self.jitter > 0.0 { rand::random_range(-self.jitter..=self.jitter) } else { 0.0 };
        base.mul_f64(1.0 + spread).min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = ReconnectPolicy::default().jitter(0.0).initial_delay(Duration::from_millis(100)).max_delay(Duration::from_secs(1));
        let delays: Vec<u128> = (1..=6).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.delay(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_within_its_fraction() {
        let p = ReconnectPolicy::default().jitter(0.5).initial_delay(Duration::from_millis(1000)).max_delay(Duration::from_secs(10));
        for _ in 0..100 {
            let d = p.delay(1).as_millis();
            assert!((500..=1500).contains(&d), "{d}");
        }
    }

    #[test]
    fn bad_policies_are_refused() {
        assert!(ReconnectPolicy::default().jitter(1.5).validate().is_err());
        assert!(ReconnectPolicy::default().max_attempts(Some(0)).validate().is_err());
        assert!(ReconnectPolicy::default().initial_delay(Duration::from_secs(60)).validate().is_err());
        ReconnectPolicy::default().validate().unwrap();
        assert!(ClientConfig::default().connect_timeout(Duration::ZERO).validate().is_err());
    }
}
