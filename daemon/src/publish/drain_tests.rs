//! The drain against scripted rumqttc events, in-process: a client made with
//! `AsyncClient::from_senders` hands every request to the test, which answers with the
//! `Event`s rumqttc would report (packet ids, PUBACKs in any order, a lost connection).
//! The store is a real sled database.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, Outgoing, Packet, PubAck, Publish, QoS, Request};
use serde_json::json;
use tokio::sync::{mpsc, watch};

use super::Drain;
use crate::config::KioskConfig;
use crate::publish::PublisherStatus;
use crate::publish::connection::ConnectionEvent;
use crate::publish::topics::Topics;
use crate::store::{OutboxTopic, Store};

const QUIET: Duration = Duration::from_millis(100);

struct Harness {
    _dir: tempfile::TempDir,
    store: Store,
    events: mpsc::Sender<ConnectionEvent>,
    status: watch::Receiver<PublisherStatus>,
    _shutdown: watch::Sender<bool>,
    _health: watch::Sender<serde_json::Value>,
}

/// One connection as the test sees it: the requests the drain made, and the packet ids
/// handed out so far (rumqttc numbers QoS 1 publishes from 1, QoS 0 gets 0).
struct Connection {
    requests: flume::Receiver<Request>,
    next_pkid: u16,
}

/// An outbox publish the drain sent, with the packet id the script gave it.
#[derive(Debug)]
struct Sent {
    pkid: u16,
    payload: Vec<u8>,
}

impl Harness {
    fn start(max_in_flight: usize) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let kiosk = KioskConfig {
            site: "s".into(),
            kiosk_id: "k".into(),
            ..KioskConfig::default()
        };
        let (status_tx, status) = watch::channel(PublisherStatus::default());
        let (health_tx, health) = watch::channel(json!({}));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (events, events_rx) = mpsc::channel(64);
        let drain = Drain {
            store: store.clone(),
            topics: Topics::new(&kiosk),
            kiosk,
            broker: "scripted".into(),
            max_in_flight,
            health,
            health_interval: Duration::from_secs(3600),
            status: status_tx,
            commands: None,
            command_expiry_s: 60,
        };
        tokio::spawn(drain.run(events_rx, shutdown_rx));
        Harness {
            _dir: dir,
            store,
            events,
            status,
            _shutdown: shutdown,
            _health: health_tx,
        }
    }

    fn enqueue(&self, payloads: &[&str]) {
        for p in payloads {
            self.store
                .outbox()
                .enqueue(OutboxTopic::Events, p.as_bytes())
                .unwrap();
        }
    }

    async fn connect(&self) -> Connection {
        let (tx, requests) = flume::bounded(256);
        self.send(ConnectionEvent::Connected {
            client: AsyncClient::from_senders(tx),
        })
        .await;
        Connection {
            requests,
            next_pkid: 1,
        }
    }

    async fn send(&self, event: ConnectionEvent) {
        self.events.send(event).await.unwrap();
    }

    async fn mqtt(&self, event: Event) {
        self.send(ConnectionEvent::Mqtt(event)).await;
    }

    async fn puback(&self, pkid: u16) {
        self.mqtt(Event::Incoming(Packet::PubAck(PubAck::new(pkid))))
            .await;
    }

    /// Takes every request made until the drain goes quiet, reports each publish back as
    /// rumqttc would (`Outgoing::Publish` with its packet id), and returns the outbox
    /// publishes (those on the `events` topic).
    async fn take_publishes(&self, connection: &mut Connection) -> Vec<Sent> {
        let mut sent = Vec::new();
        while let Ok(Ok(request)) =
            tokio::time::timeout(QUIET, connection.requests.recv_async()).await
        {
            let Request::Publish(publish) = request else {
                continue;
            };
            let pkid = if publish.qos == QoS::AtMostOnce {
                0
            } else {
                connection.next_pkid += 1;
                connection.next_pkid - 1
            };
            self.mqtt(Event::Outgoing(Outgoing::Publish(pkid))).await;
            if is_outbox(&publish) {
                sent.push(Sent {
                    pkid,
                    payload: publish.payload.to_vec(),
                });
            }
        }
        sent
    }

    async fn settle(&self) {
        tokio::time::sleep(QUIET).await;
    }

    fn waiting(&self) -> Vec<String> {
        self.store
            .outbox()
            .peek_batch(usize::MAX)
            .unwrap()
            .into_iter()
            .map(|i| String::from_utf8(i.payload).unwrap())
            .collect()
    }
}

fn is_outbox(publish: &Publish) -> bool {
    publish.topic == "proctord/s/k/events"
}

fn payloads(sent: &[Sent]) -> Vec<String> {
    sent.iter()
        .map(|s| String::from_utf8(s.payload.clone()).unwrap())
        .collect()
}

#[tokio::test]
async fn out_of_order_pubacks_remove_exactly_the_items_they_acknowledge() {
    let h = Harness::start(32);
    h.enqueue(&["e1", "e2", "e3"]);
    let mut connection = h.connect().await;

    let sent = h.take_publishes(&mut connection).await;
    assert_eq!(payloads(&sent), ["e1", "e2", "e3"]);
    h.puback(sent[2].pkid).await;
    h.puback(sent[0].pkid).await;
    h.settle().await;

    assert_eq!(h.waiting(), ["e2"]);
    assert_eq!(h.status.borrow().acknowledged, 2);
}

#[tokio::test]
async fn duplicate_pubacks_acknowledge_nothing_more() {
    let h = Harness::start(32);
    h.enqueue(&["e1", "e2"]);
    let mut connection = h.connect().await;
    let sent = h.take_publishes(&mut connection).await;

    h.puback(sent[0].pkid).await;
    h.puback(sent[0].pkid).await;
    h.puback(sent[0].pkid).await;
    // And one for a packet id that was never used.
    h.puback(999).await;
    h.settle().await;

    assert_eq!(h.waiting(), ["e2"]);
    assert_eq!(h.status.borrow().acknowledged, 1);
}

#[tokio::test]
async fn a_connection_lost_mid_window_resends_the_unacknowledged_items_from_the_oldest() {
    let h = Harness::start(32);
    h.enqueue(&["e1", "e2", "e3", "e4"]);
    let mut first = h.connect().await;
    let sent = h.take_publishes(&mut first).await;
    assert_eq!(sent.len(), 4);
    h.puback(sent[1].pkid).await;
    h.send(ConnectionEvent::Lost {
        message: "lost".into(),
        credentials_refused: false,
    })
    .await;
    // A PUBACK that arrives after the loss belongs to the dead connection: ignored.
    h.puback(sent[0].pkid).await;
    h.settle().await;
    assert_eq!(h.waiting(), ["e1", "e3", "e4"]);

    let mut second = h.connect().await;
    let resent = h.take_publishes(&mut second).await;
    assert_eq!(payloads(&resent), ["e1", "e3", "e4"]);
    for s in &resent {
        h.puback(s.pkid).await;
    }
    h.settle().await;
    assert!(h.waiting().is_empty());
    let status = h.status.borrow().clone();
    assert_eq!((status.connections, status.connection_failures), (2, 1));
}

#[tokio::test]
async fn no_more_than_the_window_is_in_flight_and_each_ack_lets_the_next_item_go() {
    let h = Harness::start(2);
    h.enqueue(&["e1", "e2", "e3", "e4", "e5"]);
    let mut connection = h.connect().await;

    let window = h.take_publishes(&mut connection).await;
    assert_eq!(payloads(&window), ["e1", "e2"]);
    h.puback(window[1].pkid).await;
    let next = h.take_publishes(&mut connection).await;
    assert_eq!(payloads(&next), ["e3"]);
    // Items enqueued while connected follow those already queued.
    h.enqueue(&["e6"]);
    h.puback(window[0].pkid).await;
    let next = h.take_publishes(&mut connection).await;
    assert_eq!(payloads(&next), ["e4"]);
}

#[tokio::test]
async fn a_parked_publish_is_acknowledged_under_the_packet_id_it_finally_gets() {
    let h = Harness::start(32);
    h.enqueue(&["e1"]);
    let mut connection = h.connect().await;
    let sent = h.take_publishes(&mut connection).await;
    let e1 = sent[0].pkid;
    // rumqttc finds the next id still in use and parks the request behind it.
    h.enqueue(&["e2"]);
    let parked = tokio::time::timeout(Duration::from_secs(1), connection.requests.recv_async())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(parked, Request::Publish(ref p) if p.payload.as_ref() == b"e2"));
    h.mqtt(Event::Outgoing(Outgoing::AwaitAck(e1))).await;
    h.puback(e1).await;
    h.mqtt(Event::Outgoing(Outgoing::Publish(e1))).await;
    h.settle().await;
    assert_eq!(h.waiting(), ["e2"]);

    h.puback(e1).await;
    h.settle().await;
    assert!(h.waiting().is_empty());
}

#[tokio::test]
async fn a_message_on_a_topic_proctord_does_not_take_is_dropped_and_counted() {
    let h = Harness::start(32);
    let mut connection = h.connect().await;
    h.take_publishes(&mut connection).await;

    let stray = Publish::new("proctord/s/k/cmd/start", QoS::AtLeastOnce, "{}");
    h.mqtt(Event::Incoming(Packet::Publish(stray))).await;
    let other = Publish::new("elsewhere/topic", QoS::AtLeastOnce, vec![0u8; 10]);
    h.mqtt(Event::Incoming(Packet::Publish(other))).await;
    h.settle().await;

    let status = h.status.borrow().clone();
    // Commands are off in this drain, so even a command topic is not taken.
    assert_eq!(status.incoming_dropped, 2);
    assert!(status.connected);
    assert!(
        status
            .last_dropped
            .is_some_and(|d| d.contains("elsewhere/topic"))
    );
}
