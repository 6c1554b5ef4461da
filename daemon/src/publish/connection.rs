//! The connection task: owns rumqttc's event loop, polls it without ever cancelling a
//! poll (rumqttc's poll is not cancel-safe while it writes), reconnects with back-off
//! and forwards everything that happens to the drain task, in order.
//!
//! Each connection attempt gets a fresh `AsyncClient` and `EventLoop`. Requests made on
//! a dead connection therefore die with it instead of being replayed into the next one,
//! which keeps the drain task's packet-id bookkeeping exact; what was not acknowledged
//! is re-sent from the outbox.

use std::time::Duration;

use rumqttc::{AsyncClient, ConnectReturnCode, ConnectionError, Event, MqttOptions, Packet};
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
}

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
    loop {
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
        let delay = backoff.next_delay();
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
