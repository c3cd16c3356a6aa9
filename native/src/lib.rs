//! `psws`: the PsWebSocket engine.
//!
//! An HTTP/1.1 + WebSocket server with Pode's signal model (connections addressed by
//! Name / Group / ClientId, Local and Global scopes, broadcast levels, signed client ids,
//! signal routes, Connect/Disconnect events) and outgoing "external" WebSocket
//! connections, all on one shared tokio runtime. The engine knows nothing of PowerShell
//! or C: hosts drive it through [`Server`] and [`ClientHub`] and receive [`Event`]s and
//! [`ClientEvent`]s through a callback that must not block.
//!
//! The behaviour follows Pode v2.14 (see `pode-reference.md`); where Pode has a bug the
//! engine does what Pode's documentation promises.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod backplane;
mod broadcast;
pub mod client;
mod config;
mod connection;
mod envelope;
mod error;
mod events;
mod http;
mod listener;
mod metrics;
#[cfg(test)]
mod property_tests;
mod pump;
mod queue;
mod registry;
mod routes;
mod runtime;
mod server;
mod signals;
mod signing;
mod tls;

pub use backplane::{BackplaneConfig, BackplaneStatus};
pub use broadcast::BroadcastLevel;
pub use client::{ClientConfig, ClientEvent, ClientHandler, ClientHub, ClientState, ConnectOptions, ReconnectPolicy};
pub use config::{EndpointConfig, Protocol, Scope, ServerConfig, SlowReaderPolicy, TlsIdentity};
pub use connection::{CloseInitiator, Connection};
pub use envelope::Envelope;
pub use error::{ConnectError, Error, Result};
pub use events::{DisconnectEvent, Event, EventHandler, LogLevel, SignalMessage};
pub use http::EndpointInfo;
pub use http::request::{RequestHandle, Upgrade};
pub use metrics::MetricsSnapshot;
pub use routes::RouteMatch;
pub use server::{BoundEndpoint, Server};
pub use signing::SigningContext;

/// Version of this crate, as in `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
