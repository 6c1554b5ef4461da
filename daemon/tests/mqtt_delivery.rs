//! End to end with a real mosquitto: every stored event reaches a subscriber, through
//! broker outages and proctord restarts.

#[path = "support/mosquitto.rs"]
mod mosquitto;
#[path = "support/publisher.rs"]
mod publisher;

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use mosquitto::{Mosquitto, Subscriber};
use proctord::event::{EventDetails, EventKind, Phase, ProctorEvent};
use proctord::publish::Publisher;
use proctord::store::{Store, StoreError};
use publisher::{health, kiosk, topic, wait_for_status};
use rumqttc::Publish;
use uuid::Uuid;

fn events_topic(kiosk_id: &str) -> String {
    topic(kiosk_id, "events")
}

fn event(session_id: Option<Uuid>) -> ProctorEvent {
    ProctorEvent {
        id: Uuid::now_v7(),
        session_id,
        kind: EventKind::NoFace,
        phase: Phase::Start,
        started_at: Utc::now(),
        ended_at: None,
        duration_s: None,
        started_at_s: 0.0,
        ended_at_s: None,
        details: EventDetails::default(),
    }
}

fn event_ids(messages: &[Publish]) -> Vec<Uuid> {
    messages
        .iter()
        .map(|m| {
            serde_json::from_slice::<ProctorEvent>(&m.payload)
                .expect("an event")
                .id
        })
        .collect()
}

/// Ids in the order they first arrived: re-sends after a reconnect are allowed.
fn first_arrivals(ids: &[Uuid]) -> Vec<Uuid> {
    let mut seen = HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

fn has_all(messages: &[Publish], wanted: &[Uuid]) -> bool {
    let got: HashSet<Uuid> = event_ids(messages).into_iter().collect();
    wanted.iter().all(|id| got.contains(id))
}

async fn wait_until_outbox_empty(store: &Store, timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !store.outbox().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} item(s) never left the outbox",
            store.outbox().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reopens a store whose previous handles are being dropped by aborted tasks.
async fn reopen(dir: &Path) -> Store {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match Store::open(dir) {
            Err(StoreError::Locked { .. }) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            result => return result.unwrap(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_receives_every_stored_event_and_the_outbox_empties() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut subscriber =
        Subscriber::connect(broker.port(), "central-office", &events_topic("k-every")).await;
    let session = store
        .start_session("Ada Lovelace", Some("MATH-101"), None)
        .unwrap();
    let mut appended: Vec<Uuid> = Vec::new();
    // Some events wait in the outbox before the publisher starts, some arrive while it runs.
    for i in 0..60 {
        let e = event(if i % 10 == 0 { None } else { Some(session.id) });
        store.append_event(&e).unwrap();
        appended.push(e.id);
    }
    let publisher = Publisher::spawn(
        &broker.mqtt_config(),
        &kiosk("k-every"),
        store.clone(),
        health(),
    )
    .unwrap();
    for _ in 0..40 {
        let e = event(Some(session.id));
        store.append_event(&e).unwrap();
        appended.push(e.id);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let received = subscriber
        .collect_until(Duration::from_secs(20), |m| has_all(m, &appended))
        .await;

    let received = event_ids(&received);
    let missing: Vec<_> = appended
        .iter()
        .filter(|id| !received.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} events never arrived: {missing:?}",
        missing.len(),
        appended.len()
    );
    assert_eq!(
        first_arrivals(&received),
        appended,
        "events arrived out of order"
    );
    wait_until_outbox_empty(&store, Duration::from_secs(10)).await;
    let status = publisher.status().borrow().clone();
    // Every event plus the session start, and nothing twice on a steady connection.
    assert_eq!(status.acknowledged, appended.len() as u64 + 1, "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_appended_while_the_broker_is_down_all_arrive_in_order_once_it_is_back() {
    let mut broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut subscriber =
        Subscriber::connect(broker.port(), "central-office", &events_topic("k-outage")).await;
    let publisher = Publisher::spawn(
        &broker.mqtt_config(),
        &kiosk("k-outage"),
        store.clone(),
        health(),
    )
    .unwrap();
    wait_for_status(&publisher, Duration::from_secs(10), |s| s.connected).await;
    let mut appended: Vec<Uuid> = Vec::new();
    let mut append = |n: usize| {
        for _ in 0..n {
            let e = event(None);
            store.append_event(&e).unwrap();
            appended.push(e.id);
        }
    };

    append(30);
    // Stop the broker while items may still be in flight, and keep appending.
    broker.stop();
    append(20);
    wait_for_status(&publisher, Duration::from_secs(10), |s| !s.connected).await;
    for _ in 0..10 {
        append(3);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !store.outbox().is_empty(),
        "nothing can have been acknowledged while the broker was down"
    );
    broker.start_again();
    append(20);

    let received = subscriber
        .collect_until(Duration::from_secs(30), |m| has_all(m, &appended))
        .await;

    let received = event_ids(&received);
    let missing: Vec<_> = appended
        .iter()
        .filter(|id| !received.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} events were lost:\n{}",
        missing.len(),
        appended.len(),
        broker.log()
    );
    assert_eq!(
        first_arrivals(&received),
        appended,
        "events arrived out of order"
    );
    wait_until_outbox_empty(&store, Duration::from_secs(10)).await;
    let status = publisher.status().borrow().clone();
    assert!(
        status.connection_failures >= 1 && status.connected,
        "{status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_survives_a_crash_and_is_delivered_after_the_store_is_reopened() {
    let mut broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut subscriber =
        Subscriber::connect(broker.port(), "central-office", &events_topic("k-crash")).await;
    broker.stop();
    let mut appended: Vec<Uuid> = Vec::new();
    {
        // A kiosk that records events while the broker is unreachable, then dies: the
        // publisher and the store go away without draining or an orderly shutdown.
        let store = Store::open(dir.path()).unwrap();
        let publisher = Publisher::spawn(
            &broker.mqtt_config(),
            &kiosk("k-crash"),
            store.clone(),
            health(),
        )
        .unwrap();
        for _ in 0..25 {
            let e = event(None);
            store.append_event(&e).unwrap();
            appended.push(e.id);
        }
        wait_for_status(&publisher, Duration::from_secs(10), |s| {
            s.connection_failures >= 1
        })
        .await;
        drop(publisher);
    }
    broker.start_again();

    let store = reopen(dir.path()).await;
    assert_eq!(store.outbox().len(), appended.len());
    let _publisher = Publisher::spawn(
        &broker.mqtt_config(),
        &kiosk("k-crash"),
        store.clone(),
        health(),
    )
    .unwrap();
    let received = subscriber
        .collect_until(Duration::from_secs(20), |m| has_all(m, &appended))
        .await;

    assert_eq!(first_arrivals(&event_ids(&received)), appended);
    wait_until_outbox_empty(&store, Duration::from_secs(10)).await;
}
