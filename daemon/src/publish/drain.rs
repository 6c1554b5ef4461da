//! The drain task: sends outbox items in sequence order, at most `max_in_flight` at a
//! time, removes each one when its PUBACK arrives, and re-sends from the oldest
//! unacknowledged item after every reconnect. It also publishes status and health, and
//! hands received commands on.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, Outgoing, Packet, Publish, QoS, SubscribeReasonCode};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::PublisherStatus;
use super::command::{CommandError, CommandResult, ReceivedCommand};
use super::connection::ConnectionEvent;
use super::correlator::AckCorrelator;
use super::replay::ReplayGuard;
use super::status_payload;
use super::topics::Topics;
use crate::config::KioskConfig;
use crate::store::{OutboxTopic, Store};

/// How long an orderly shutdown waits for the broker to acknowledge what is in flight
/// and the `offline` status.
const SHUTDOWN_ACK_WAIT: Duration = Duration::from_secs(2);

pub(crate) struct Drain {
    pub(crate) store: Store,
    pub(crate) kiosk: KioskConfig,
    pub(crate) topics: Topics,
    pub(crate) broker: String,
    pub(crate) max_in_flight: usize,
    pub(crate) health: watch::Receiver<Value>,
    pub(crate) health_interval: Duration,
    pub(crate) status: watch::Sender<PublisherStatus>,
    /// `Some` when `[mqtt] accept_commands` is on.
    pub(crate) commands: Option<mpsc::Sender<ReceivedCommand>>,
    /// `[mqtt] command_expiry_s`: how long a command without `expires_in_s` is valid.
    pub(crate) command_expiry_s: u32,
}

/// One live connection: its client and its packet-id bookkeeping.
struct Live {
    client: AsyncClient,
    acks: AckCorrelator,
    /// The first outbox sequence not yet sent on this connection.
    next_seq: u64,
}

struct Running {
    drain: Drain,
    live: Option<Live>,
    health_tick: Interval,
    replays: ReplayGuard,
    /// Kinds of dropped incoming messages already logged at warning level: one bad
    /// sender must not flood the journal.
    logged_drops: Vec<&'static str>,
}

impl Drain {
    pub(crate) async fn run(
        self,
        mut events: mpsc::Receiver<ConnectionEvent>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let outbox = self.store.outbox().clone();
        let mut health_tick = tokio::time::interval(self.health_interval);
        health_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut running = Running {
            drain: self,
            live: None,
            health_tick,
            replays: ReplayGuard::default(),
            logged_drops: Vec::new(),
        };
        loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => break,
                event = events.recv() => match event {
                    Some(event) => running.handle(event),
                    None => return,
                },
                _ = outbox.enqueued(), if running.live.is_some() => {}
                _ = running.health_tick.tick(), if running.live.is_some() => running.publish_health(),
            }
            running.fill_window();
        }
        running.shut_down(&mut events).await;
    }
}

impl Running {
    fn handle(&mut self, event: ConnectionEvent) {
        match event {
            ConnectionEvent::Connected { client } => self.on_connected(client),
            ConnectionEvent::Mqtt(event) => self.on_mqtt(event),
            ConnectionEvent::Lost {
                message,
                credentials_refused,
            } => self.on_lost(message, credentials_refused),
            ConnectionEvent::Discarded { message } => {
                log::warn!("{message}");
                self.drain.status.send_modify(|s| {
                    s.incoming_dropped += 1;
                    s.last_dropped = Some(message);
                });
            }
        }
    }

    fn on_connected(&mut self, client: AsyncClient) {
        let d = &self.drain;
        log::info!(
            "Connected to the MQTT broker at {}; {} item(s) wait in the outbox.",
            d.broker,
            d.store.outbox().len()
        );
        let mut live = Live {
            client,
            acks: AckCorrelator::default(),
            next_seq: 0,
        };
        publish_untracked(
            &mut live,
            d.topics.status(),
            QoS::AtLeastOnce,
            true,
            status_payload::online(&d.kiosk),
        );
        if d.commands.is_some()
            && let Err(e) = live
                .client
                .try_subscribe(d.topics.command_filter(), QoS::AtLeastOnce)
        {
            log::warn!(
                "Could not subscribe to MQTT commands ({e}); will try again on the next connection."
            );
        }
        self.live = Some(live);
        // Health goes out right after connecting, then every interval.
        self.health_tick.reset_immediately();
        d.status.send_modify(|s| {
            s.connected = true;
            s.last_error = None;
            s.connections += 1;
        });
    }

    fn on_lost(&mut self, message: String, credentials_refused: bool) {
        if credentials_refused {
            log::error!("{message}");
        } else {
            log::warn!("{message}");
        }
        // What was in flight stays in the outbox and is sent again after reconnecting.
        self.live = None;
        self.drain.status.send_modify(|s| {
            s.connected = false;
            s.subscribed_to_commands = false;
            s.last_error = Some(message);
            s.connection_failures += 1;
        });
    }

    fn on_mqtt(&mut self, event: Event) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        match event {
            Event::Outgoing(Outgoing::Publish(pkid)) => live.acks.on_outgoing_publish(pkid),
            Event::Outgoing(Outgoing::AwaitAck(pkid)) => live.acks.on_await_ack(pkid),
            Event::Incoming(Packet::PubAck(ack)) => {
                if let Some(seq) = live.acks.on_puback(ack.pkid) {
                    self.acknowledge(seq);
                }
            }
            Event::Incoming(Packet::Publish(message)) => self.on_message(message),
            Event::Incoming(Packet::SubAck(ack)) => {
                if ack.return_codes.contains(&SubscribeReasonCode::Failure) {
                    log::warn!(
                        "The MQTT broker at {} refused the subscription to {}: commands will not arrive (check the broker's ACL).",
                        self.drain.broker,
                        self.drain.topics.command_filter()
                    );
                } else {
                    self.drain
                        .status
                        .send_modify(|s| s.subscribed_to_commands = true);
                }
            }
            _ => {}
        }
    }

    fn acknowledge(&mut self, seq: u64) {
        match self.drain.store.outbox().ack(seq) {
            Ok(_) => self.drain.status.send_modify(|s| s.acknowledged += 1),
            Err(e) => log::error!(
                "The broker acknowledged outbox item {seq}, but it could not be removed ({e}); it will be published again."
            ),
        }
    }

    /// Every incoming message ends here and is acknowledged by rumqttc (QoS 1), whatever
    /// is wrong with it: nothing is ever redelivered in a loop.
    fn on_message(&mut self, message: Publish) {
        let topics = &self.drain.topics;
        if topics.is_command_result(&message.topic) {
            return; // Our own answer, echoed back by the `cmd/#` subscription.
        }
        if self.drain.commands.is_none() || !topics.is_command(&message.topic) {
            let why = format!(
                "a message on {}, which proctord does not take",
                message.topic
            );
            self.drop_incoming("unknown topic", why);
            return;
        }
        let now = chrono::Utc::now();
        let received = if message.retain {
            // A retained command would be replayed on every reconnect.
            Err(CommandError::Retained)
        } else {
            ReceivedCommand::parse(&message.payload, now, self.drain.command_expiry_s)
                .and_then(|command| self.replays.admit(&command, now).map(|()| command))
                .and_then(|command| {
                    // Also across restarts: the id is on disk before the command runs.
                    let store = &self.drain.store;
                    match store.admit_command_id(&command.command_id, command.expires_at, now) {
                        Ok(true) => Ok(command),
                        Ok(false) => Err(CommandError::Replayed(command.command_id.clone())),
                        Err(e) => Err(CommandError::NotRecorded(e.to_string())),
                    }
                })
        };
        let command_id = match &received {
            Ok(command) => Some(command.command_id.clone()),
            Err(_) => ReceivedCommand::id_of(&message.payload),
        };
        let handed_on = received.and_then(|command| {
            let commands = self.drain.commands.as_ref().expect("checked above");
            commands.try_send(command).map_err(|_| CommandError::Busy)
        });
        match handed_on {
            // The daemon answers on `cmd/result` once it has carried the command out.
            Ok(()) => self.drain.status.send_modify(|s| s.commands_accepted += 1),
            Err(e) => {
                log::warn!("Refused a command on {}: {e}.", message.topic);
                self.drain.status.send_modify(|s| s.commands_rejected += 1);
                answer(&self.drain.store, &CommandResult::refused(command_id, &e));
            }
        }
    }

    /// Counts (and logs, once per kind at warning level) a message that was dropped.
    fn drop_incoming(&mut self, kind: &'static str, why: String) {
        if self.logged_drops.contains(&kind) {
            log::debug!("Dropped {why}.");
        } else {
            self.logged_drops.push(kind);
            log::warn!(
                "Dropped {why}; further ones are counted in health (mqtt.incoming_dropped)."
            );
        }
        self.drain.status.send_modify(|s| {
            s.incoming_dropped += 1;
            s.last_dropped = Some(format!("dropped {why}"));
        });
    }

    fn publish_health(&mut self) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let snapshot = self.drain.health.borrow().to_string();
        publish_untracked(
            live,
            self.drain.topics.health(),
            QoS::AtMostOnce,
            false,
            snapshot.into_bytes(),
        );
    }

    /// Sends outbox items that follow those already sent, up to the in-flight limit.
    fn fill_window(&mut self) {
        let d = &self.drain;
        let Some(live) = self.live.as_mut() else {
            return;
        };
        loop {
            let room = d.max_in_flight.saturating_sub(live.acks.outbox_in_flight());
            if room == 0 {
                return;
            }
            let items = match d.store.outbox().peek_from(live.next_seq, room) {
                Ok(items) if items.is_empty() => return,
                Ok(items) => items,
                Err(e) => {
                    log::error!(
                        "Could not read the outbox ({e}); publishing resumes with the next broker event."
                    );
                    return;
                }
            };
            for item in items {
                let topic = d.topics.outbox(item.topic);
                if let Err(e) =
                    live.client
                        .try_publish(topic, QoS::AtLeastOnce, false, item.payload)
                {
                    // The connection is going away or rumqttc is busy: the next event retries.
                    log::debug!(
                        "rumqttc did not take outbox item {} ({e}); will retry.",
                        item.seq
                    );
                    return;
                }
                live.acks.sent(Some(item.seq));
                live.next_seq = item.seq + 1;
                d.status.send_modify(|s| s.published += 1);
            }
        }
    }

    /// Publishes `offline`, waits a little for outstanding acknowledgements, then
    /// disconnects cleanly (so the broker discards the last will).
    async fn shut_down(&mut self, events: &mut mpsc::Receiver<ConnectionEvent>) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let offline = status_payload::offline_shutdown(&self.drain.kiosk);
        publish_untracked(
            live,
            self.drain.topics.status(),
            QoS::AtLeastOnce,
            true,
            offline,
        );
        let deadline = Instant::now() + SHUTDOWN_ACK_WAIT;
        while self.live.as_ref().is_some_and(|live| !live.acks.is_idle()) {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(event)) => self.handle(event),
                _ => break,
            }
        }
        let Some(live) = self.live.as_ref() else {
            return;
        };
        if live.client.try_disconnect().is_err() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
            match event {
                ConnectionEvent::Mqtt(Event::Outgoing(Outgoing::Disconnect))
                | ConnectionEvent::Lost { .. } => break,
                event => self.handle(event),
            }
        }
        log::info!(
            "Disconnected from the MQTT broker at {}.",
            self.drain.broker
        );
    }
}

/// Publishes something the outbox does not track; it still takes its place in the
/// correlator's queue so that later packet ids line up.
fn publish_untracked(live: &mut Live, topic: String, qos: QoS, retain: bool, payload: Vec<u8>) {
    match live.client.try_publish(&topic, qos, retain, payload) {
        Ok(()) => live.acks.sent(None),
        Err(e) => log::warn!(
            "Could not publish to {topic} ({e}); it will be sent again on the next occasion."
        ),
    }
}

/// Queues a command's answer for `…/cmd/result` (durable, like events).
pub(crate) fn answer(store: &Store, result: &CommandResult) {
    if let Err(e) = store
        .outbox()
        .enqueue(OutboxTopic::CommandResults, &result.to_json())
    {
        log::error!(
            "Could not queue the answer to command {:?} ({e}); its sender gets no result.",
            result.command_id
        );
    }
}

#[cfg(test)]
#[path = "drain_tests.rs"]
mod tests;
