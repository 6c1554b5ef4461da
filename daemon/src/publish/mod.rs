//! Publishing to the central office's MQTT broker.
//!
//! # Topics
//!
//! Everything lives under `proctord/<site>/<kiosk_id>/`:
//!
//! | suffix     | QoS | retained | what                                                     |
//! |------------|-----|----------|----------------------------------------------------------|
//! | `status`   | 1   | yes      | `{"status":"online",…}` on connect; `{"status":"offline",…}` as last will and on shutdown |
//! | `events`   | 1   | no       | each stored [`ProctorEvent`](crate::event::ProctorEvent), as JSON |
//! | `sessions` | 1   | no       | each session start and end ([`Session`](crate::session::Session) JSON) |
//! | `reports`  | 1   | no       | session reports; one above `max_message_bytes` in parts (see [`crate::store::report_parts`]) |
//! | `cmd/result` | 1 | no       | one [`CommandResult`] per command received               |
//! | `health`   | 0   | no       | the latest health snapshot, every `health_interval_s`    |
//! | `cmd/#`    | 1   | —        | subscribed when `accept_commands`: see [`ReceivedCommand`] |
//!
//! # Delivery guarantee
//!
//! `events`, `sessions` and `reports` come from the store's durable outbox. An item is
//! removed only after the broker's PUBACK for it, so it survives broker outages,
//! network loss and proctord restarts. Items go out in sequence order with at most
//! [`MAX_IN_FLIGHT`] unacknowledged at a time; after a reconnect everything still in the
//! outbox is sent again from the oldest, so consumers may see duplicates and must
//! de-duplicate by event id (and phase) or session id.
//!
//! The MQTT session is persistent (`clean_session = false`), so the broker keeps the
//! command subscription and queues commands while the kiosk is offline.
//!
//! # Incoming messages
//!
//! Nothing received can stop publishing. A message on a topic proctord does not take is
//! acknowledged and dropped; a command that is malformed, stale, replayed or retained
//! is refused with an answer on `cmd/result`; a packet that cannot even be decoded
//! (over 64 KiB, malformed) makes the connection task reset the broker session so that
//! it is not redelivered (see `connection`). All are logged once per kind and counted
//! in [`PublisherStatus::incoming_dropped`] or `commands_rejected`.
//!
//! # Running
//!
//! [`Publisher::spawn`] starts two tokio tasks: one owns the rumqttc event loop and
//! reconnects with back-off (1 s doubling to 30 s, every failure logged as a full
//! sentence and shown in [`PublisherStatus`]); the other drains the outbox and matches
//! PUBACKs to outbox items (see `correlator`). Neither ever gives up or panics on
//! broker trouble. [`Publisher::shutdown`] publishes `offline` and disconnects cleanly;
//! dropping the [`Publisher`] stops both tasks at once, and the broker then publishes
//! the last will.
//!
//! ```ignore
//! let mut publisher = Publisher::spawn(&config.mqtt, &config.kiosk, store.clone(), health_rx)?;
//! if let Some(mut commands) = publisher.take_commands() {
//!     // Start or end sessions through the same path as the web API, then answer.
//!     tokio::spawn(async move { while let Some(command) = commands.recv().await { /* … Publisher::answer(&store, &result) */ } });
//! }
//! // … on SIGTERM:
//! publisher.shutdown().await;
//! ```
//!
//! Store calls (acknowledgements, which are not flushed, and the odd command answer,
//! which is) run on the drain task itself: they are short, and the daemon runs a
//! multi-threaded runtime.

mod backoff;
mod command;
mod connection;
mod correlator;
mod drain;
mod error;
mod options;
mod replay;
mod status_payload;
mod topics;

pub use command::{Command, CommandError, CommandResult, MAX_TEXT_CHARS, ReceivedCommand};
pub use error::PublishError;
pub use topics::Topics;

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::{KioskConfig, MqttConfig};
use crate::store::Store;

/// Outbox items sent and not yet acknowledged, at most.
pub const MAX_IN_FLIGHT: usize = 32;

/// Commands waiting for the daemon to take them, at most; more are dropped with a warning.
const COMMAND_QUEUE: usize = 16;

/// The publisher's view of the connection, for health reports and tests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PublisherStatus {
    pub connected: bool,
    /// The broker confirmed the `…/cmd/#` subscription on the current connection.
    pub subscribed_to_commands: bool,
    /// The last connection problem, as logged; cleared when a connection succeeds.
    pub last_error: Option<String>,
    pub connections: u64,
    pub connection_failures: u64,
    /// Outbox items handed to the broker, re-sends included.
    pub published: u64,
    /// Outbox items the broker acknowledged (and that were then removed).
    pub acknowledged: u64,
    pub commands_accepted: u64,
    pub commands_rejected: u64,
    /// Incoming messages dropped (acknowledged, never redelivered): on a topic proctord
    /// does not take, or unreadable (too large, malformed).
    pub incoming_dropped: u64,
    /// What the last dropped message was, as a sentence.
    pub last_dropped: Option<String>,
}

/// A running publisher. Dropping it stops publishing at once (without an orderly
/// disconnect); call [`Publisher::shutdown`] to leave cleanly.
pub struct Publisher {
    status: watch::Receiver<PublisherStatus>,
    commands: Option<mpsc::Receiver<ReceivedCommand>>,
    shutdown: watch::Sender<bool>,
    drain: Option<JoinHandle<()>>,
    connection: Option<JoinHandle<()>>,
}

impl Publisher {
    /// Starts publishing `store`'s outbox to the broker in `cfg`; `health` is sampled
    /// every `health_interval_s`. Fails only on configuration problems found up front
    /// (unreadable TLS files); must be called inside a tokio runtime. Whether to publish
    /// at all (`[mqtt] enabled`) is the caller's decision.
    pub fn spawn(
        cfg: &MqttConfig,
        kiosk: &KioskConfig,
        store: Store,
        health: watch::Receiver<Value>,
    ) -> Result<Publisher, PublishError> {
        let topics = Topics::new(kiosk);
        let options = options::mqtt_options(cfg, kiosk, &topics, MAX_IN_FLIGHT as u16 + 4)?;
        let (status_tx, status) = watch::channel(PublisherStatus::default());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (commands_tx, commands) = if cfg.accept_commands {
            let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let (events_tx, events_rx) = mpsc::channel(4 * MAX_IN_FLIGHT);
        let drain = drain::Drain {
            store,
            kiosk: kiosk.clone(),
            topics,
            broker: format!("{}:{}", cfg.host, cfg.port),
            max_in_flight: MAX_IN_FLIGHT,
            health,
            health_interval: Duration::from_secs(cfg.health_interval_s.max(1)),
            status: status_tx,
            commands: commands_tx,
            command_expiry_s: cfg.command_expiry_s,
        };
        Ok(Publisher {
            status,
            commands,
            shutdown,
            drain: Some(tokio::spawn(drain.run(events_rx, shutdown_rx))),
            connection: Some(tokio::spawn(connection::run(
                options,
                MAX_IN_FLIGHT,
                events_tx,
            ))),
        })
    }

    /// Follows the connection state and counters.
    pub fn status(&self) -> watch::Receiver<PublisherStatus> {
        self.status.clone()
    }

    /// Validated commands from `…/cmd/#`; `Some` once, when `accept_commands` is on.
    /// Whoever takes them answers each one with [`Publisher::answer`].
    pub fn take_commands(&mut self) -> Option<mpsc::Receiver<ReceivedCommand>> {
        self.commands.take()
    }

    /// Queues the outcome of a command taken from [`Publisher::take_commands`] for
    /// `…/cmd/result`.
    pub fn answer(store: &Store, result: &CommandResult) {
        drain::answer(store, result)
    }

    /// Publishes the retained `offline` status, waits briefly for outstanding
    /// acknowledgements and disconnects. Unacknowledged items stay in the outbox.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(drain) = self.drain.take() {
            let _ = drain.await;
        }
        if let Some(connection) = self.connection.take() {
            connection.abort();
            let _ = connection.await;
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        for task in [self.drain.take(), self.connection.take()]
            .into_iter()
            .flatten()
        {
            task.abort();
        }
    }
}
