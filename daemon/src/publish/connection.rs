//! The connection task: owns rumqttc's event loop, polls it without ever cancelling a
//! poll (rumqttc's poll is not cancel-safe while it writes), reconnects with back-off
//! and forwards everything that happens to the drain task, in order.
//!
//! Each connection attempt gets a fresh `AsyncClient` and `EventLoop`. Requests made on
//! a dead connection therefore die with it instead of being replayed into the next one,
//! which keeps the drain task's packet-id bookkeeping exact; what was not acknowledged
//! is re-sent from the outbox.
//!
//! # A message that cannot be read
//!
//! An incoming packet rumqttc cannot decode (over the incoming size limit, or malformed)
//! ends the connection before rumqttc acknowledges it, and the broker redelivers it from
//! the persistent session on every reconnect: a loop that would stop all publishing.
//! After such an error the next attempt is a short clean-session connection, which makes
//! the broker discard that session with the message in it, then publishing resumes on a
//! fresh persistent session (the drain subscribes again on every connection). Commands
//! queued for the kiosk while it was offline are lost with it; they expire within a
//! minute anyway.

use std::time::Duration;

use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, MqttOptions, Outgoing, Packet,
    StateError,
};
use tokio::sync::mpsc;

use super::backoff::Backoff;

/// What the drain task learns about the connection, in the order it happened.
pub(crate) enum ConnectionEvent {
    /// The broker accepted us; `client` sends on this connection only.
    Connected { client: AsyncClient },
    /// Anything rumqttc reported on the live connection.
    Mqtt(Event),
    /// The connection failed or could not be made; `message` is a full sentence.
    Lost {
        message: String,
        credentials_refused: bool,
    },
    /// An unreadable incoming message was discarded by resetting the broker session.
    Discarded { message: String },
}

/// How long the clean-session connection that discards a poison message may take.
const DISCARD_TIMEOUT: Duration = Duration::from_secs(10);

/// rumqttc's request channel: large enough for the outbox window plus status, health,
/// subscription and disconnect, so `try_publish` never finds it full in practice.
pub(crate) fn request_capacity(max_in_flight: usize) -> usize {
    max_in_flight + 16
}

pub(crate) async fn run(
    options: MqttOptions,
    max_in_flight: usize,
    events: mpsc::Sender<ConnectionEvent>,
) {
    let broker = format!(
        "{}:{}",
        options.broker_address().0,
        options.broker_address().1
    );
    let mut backoff = Backoff::new();
    let mut unreadable: Option<String> = None;
    loop {
        if let Some(what) = unreadable.take() {
            let message = match discard_session(&options).await {
                Ok(()) => format!(
                    "An incoming MQTT message could not be read ({what}); the broker's session for this kiosk was reset so that it is not delivered again. Commands queued while the kiosk was offline were dropped with it."
                ),
                Err(e) => {
                    // Not worse than before: the next connection may get it again.
                    unreadable = Some(what.clone());
                    format!(
                        "An incoming MQTT message could not be read ({what}) and resetting the broker session failed ({e}); trying again."
                    )
                }
            };
            if events
                .send(ConnectionEvent::Discarded { message })
                .await
                .is_err()
            {
                return;
            }
        }
        let (client, mut eventloop) =
            AsyncClient::new(options.clone(), request_capacity(max_in_flight));
        let mut connected = false;
        let lost = loop {
            let forward = match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    connected = true;
                    backoff.reset();
                    ConnectionEvent::Connected {
                        client: client.clone(),
                    }
                }
                Ok(event) => ConnectionEvent::Mqtt(event),
                Err(error) => break error,
            };
            if events.send(forward).await.is_err() {
                return; // The drain task has finished: the publisher is shutting down.
            }
        };
        let delay = if let Some(what) = unreadable_incoming(&lost) {
            unreadable = Some(what);
            Duration::ZERO
        } else {
            backoff.next_delay()
        };
        let (message, credentials_refused) = describe(&lost, &broker, connected, delay);
        if events
            .send(ConnectionEvent::Lost {
                message,
                credentials_refused,
            })
            .await
            .is_err()
        {
            return;
        }
        // Requests still queued on this connection die with it; the outbox re-sends them.
        drop((client, eventloop));
        tokio::time::sleep(delay).await;
    }
}

/// What was wrong, when the connection ended on an incoming packet that did not decode
/// (rather than on something proctord sent or the network).
fn unreadable_incoming(error: &ConnectionError) -> Option<String> {
    match error {
        ConnectionError::MqttState(StateError::Deserialization(e)) => match e {
            rumqttc::Error::OutgoingPacketTooLarge { .. } => None,
            rumqttc::Error::PayloadSizeLimitExceeded(bytes) => Some(format!(
                "{bytes} bytes, over the {} KiB limit for incoming messages",
                super::options::MAX_INCOMING_PACKET_BYTES / 1024
            )),
            other => Some(format!("malformed packet: {other}")),
        },
        _ => None,
    }
}

/// Connects once with a clean session, which makes the broker drop the persistent one
/// (and the message it keeps redelivering), and disconnects.
async fn discard_session(options: &MqttOptions) -> Result<(), String> {
    let mut clean = options.clone();
    clean.set_clean_session(true);
    let (client, mut eventloop) = AsyncClient::new(clean, 4);
    let run = async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    client.try_disconnect().map_err(|e| e.to_string())?;
                }
                Ok(Event::Outgoing(Outgoing::Disconnect)) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    };
    tokio::time::timeout(DISCARD_TIMEOUT, run)
        .await
        .map_err(|_| "the broker did not answer in time".to_owned())?
}

/// A log line an operator can act on, and whether the broker refused our credentials.
fn describe(
    error: &ConnectionError,
    broker: &str,
    was_connected: bool,
    retry_in: Duration,
) -> (String, bool) {
    let retry = format!(
        "Retrying in {} s; nothing is lost meanwhile, events wait in the outbox.",
        retry_in.as_secs()
    );
    match error {
        ConnectionError::ConnectionRefused(
            code @ (ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized),
        ) => (
            format!(
                "The MQTT broker at {broker} refused proctord's login ({code:?}): check [mqtt] username and password. {retry}"
            ),
            true,
        ),
        ConnectionError::ConnectionRefused(code) => (
            format!("The MQTT broker at {broker} refused the connection ({code:?}). {retry}"),
            false,
        ),
        ConnectionError::Tls(e) => (
            format!(
                "The TLS handshake with the MQTT broker at {broker} failed ({e}): [mqtt] ca_file must hold the CA that signed the broker's certificate, and [mqtt] host must match its name. {retry}"
            ),
            false,
        ),
        ConnectionError::NetworkTimeout => (
            format!("Connecting to the MQTT broker at {broker} timed out. {retry}"),
            false,
        ),
        ConnectionError::Io(e) if !was_connected => (
            format!(
                "Cannot reach the MQTT broker at {broker} ({e}): is it running, and are [mqtt] host and port right? {retry}"
            ),
            false,
        ),
        other if was_connected => (
            format!("The connection to the MQTT broker at {broker} was lost ({other}). {retry}"),
            false,
        ),
        other => (
            format!("Connecting to the MQTT broker at {broker} failed ({other}). {retry}"),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_login_says_to_check_the_username_and_password() {
        let error = ConnectionError::ConnectionRefused(ConnectReturnCode::NotAuthorized);
        let (message, credentials_refused) =
            describe(&error, "broker:1883", false, Duration::from_secs(2));
        assert!(credentials_refused);
        assert!(
            message.contains("broker:1883") && message.contains("username and password"),
            "{message}"
        );
        assert!(message.contains("Retrying in 2 s"), "{message}");
    }

    #[test]
    fn an_unreachable_broker_says_to_check_host_and_port() {
        let error =
            ConnectionError::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let (message, credentials_refused) =
            describe(&error, "broker:1883", false, Duration::from_secs(1));
        assert!(!credentials_refused);
        assert!(message.contains("host and port"), "{message}");
    }
}
