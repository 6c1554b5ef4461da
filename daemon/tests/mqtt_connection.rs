//! The publisher's connection with a real mosquitto: status and last will, refused
//! credentials, TLS and health (commands: mqtt_commands.rs).

#[path = "support/mosquitto.rs"]
mod mosquitto;
#[path = "support/publisher.rs"]
mod publisher;

use std::time::Duration;

use mosquitto::{BrokerOptions, Mosquitto, Subscriber, generate_unrelated_ca};
use proctord::config::MqttConfig;
use proctord::publish::Publisher;
use proctord::store::Store;
use publisher::{SITE, event, health, kiosk, topic, wait_for_status};
use serde_json::{Value, json};
use tokio::sync::watch;
use uuid::Uuid;

/// The retained status as a newly connecting client sees it.
async fn retained_status(broker: &Mosquitto, kiosk_id: &str) -> Value {
    let mut fresh = Subscriber::connect(
        broker.port(),
        &format!("dashboard-{}", Uuid::now_v7()),
        &topic(kiosk_id, "status"),
    )
    .await;
    let message = fresh
        .next(Duration::from_secs(5))
        .await
        .expect("a retained status");
    assert!(message.retain, "the status is not retained");
    serde_json::from_slice(&message.payload).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_is_a_retained_online_while_connected() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut watcher =
        Subscriber::connect(broker.port(), "watcher", &topic("k-online", "status")).await;
    let _publisher = Publisher::spawn(
        &broker.mqtt_config(),
        &kiosk("k-online"),
        Store::open(dir.path()).unwrap(),
        health(),
    )
    .unwrap();
    watcher
        .next(Duration::from_secs(10))
        .await
        .expect("an online status");

    let status = retained_status(&broker, "k-online").await;

    assert_eq!(status["status"], "online");
    assert_eq!(
        (status["site"].as_str(), status["kiosk_id"].as_str()),
        (Some(SITE), Some("k-online"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_will_leaves_a_retained_offline_status_when_the_publisher_dies() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut watcher =
        Subscriber::connect(broker.port(), "watcher", &topic("k-will", "status")).await;
    let publisher = Publisher::spawn(
        &broker.mqtt_config(),
        &kiosk("k-will"),
        Store::open(dir.path()).unwrap(),
        health(),
    )
    .unwrap();
    let online = watcher
        .next(Duration::from_secs(10))
        .await
        .expect("an online status");
    assert_eq!(
        serde_json::from_slice::<Value>(&online.payload).unwrap()["status"],
        "online"
    );

    // Dropping stops the tasks at once: the socket closes without an MQTT DISCONNECT.
    drop(publisher);

    let will = watcher
        .next(Duration::from_secs(10))
        .await
        .expect("the last will");
    let will: Value = serde_json::from_slice(&will.payload).unwrap();
    assert_eq!(
        (will["status"].as_str(), will["reason"].as_str()),
        (Some("offline"), Some("connection_lost"))
    );
    assert_eq!(
        retained_status(&broker, "k-will").await["status"],
        "offline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orderly_shutdown_leaves_a_retained_offline_status_and_no_last_will() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut watcher =
        Subscriber::connect(broker.port(), "watcher", &topic("k-bye", "status")).await;
    let publisher = Publisher::spawn(
        &broker.mqtt_config(),
        &kiosk("k-bye"),
        Store::open(dir.path()).unwrap(),
        health(),
    )
    .unwrap();
    watcher
        .next(Duration::from_secs(10))
        .await
        .expect("an online status");

    tokio::time::timeout(Duration::from_secs(10), publisher.shutdown())
        .await
        .expect("shutdown finished in time");

    let offline = watcher
        .next(Duration::from_secs(5))
        .await
        .expect("an offline status");
    assert_eq!(
        serde_json::from_slice::<Value>(&offline.payload).unwrap()["reason"],
        "shutdown"
    );
    assert!(
        watcher.next(Duration::from_secs(1)).await.is_none(),
        "the last will was published after a clean disconnect"
    );
    assert_eq!(
        retained_status(&broker, "k-bye").await["reason"],
        "shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_reported_clearly_and_nothing_leaves_the_outbox() {
    let broker = Mosquitto::start_with(BrokerOptions {
        user: Some(("kiosk".into(), "right".into())),
        tls: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for _ in 0..5 {
        store.append_event(&event()).unwrap();
    }
    let cfg = MqttConfig {
        username: "kiosk".into(),
        password: "wrong".into(),
        ..broker.mqtt_config()
    };

    let publisher = Publisher::spawn(&cfg, &kiosk("k-pw"), store.clone(), health()).unwrap();
    let status = wait_for_status(&publisher, Duration::from_secs(10), |s| {
        s.connection_failures >= 2
    })
    .await;

    let error = status.last_error.unwrap();
    assert!(
        error.contains("refused proctord's login") && error.contains("username and password"),
        "{error}"
    );
    assert_eq!(
        (status.connected, status.published, status.acknowledged),
        (false, 0, 0)
    );
    assert_eq!(store.outbox().len(), 5);

    // The same publisher set-up with the right password delivers everything.
    drop(publisher);
    let cfg = MqttConfig {
        password: "right".into(),
        ..cfg
    };
    let publisher = Publisher::spawn(&cfg, &kiosk("k-pw"), store.clone(), health()).unwrap();
    wait_for_status(&publisher, Duration::from_secs(10), |s| s.acknowledged == 5).await;
    assert!(store.outbox().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_broker_is_verified_against_the_ca_file() {
    let broker = Mosquitto::start_with(BrokerOptions {
        user: None,
        tls: true,
    });
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    store.append_event(&event()).unwrap();

    let wrong_ca = generate_unrelated_ca(dir.path());
    let cfg = MqttConfig {
        tls: true,
        ca_file: wrong_ca,
        ..broker.mqtt_config()
    };
    let publisher = Publisher::spawn(&cfg, &kiosk("k-tls"), store.clone(), health()).unwrap();
    let status = wait_for_status(&publisher, Duration::from_secs(10), |s| {
        s.connection_failures >= 1
    })
    .await;
    let error = status.last_error.unwrap();
    assert!(
        error.contains("TLS") && error.contains("ca_file"),
        "{error}"
    );
    assert_eq!(store.outbox().len(), 1);
    drop(publisher);

    let cfg = MqttConfig {
        ca_file: broker.ca_file(),
        ..cfg
    };
    let publisher = Publisher::spawn(&cfg, &kiosk("k-tls"), store.clone(), health()).unwrap();
    wait_for_status(&publisher, Duration::from_secs(10), |s| s.acknowledged == 1).await;
    assert!(store.outbox().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_snapshots_are_published_periodically() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut watcher =
        Subscriber::connect(broker.port(), "watcher", &topic("k-health", "health")).await;
    let (health_tx, health_rx) = watch::channel(json!({ "fps": 15 }));
    let _publisher = Publisher::spawn(
        &broker.mqtt_config(),
        &kiosk("k-health"),
        Store::open(dir.path()).unwrap(),
        health_rx,
    )
    .unwrap();

    let first = watcher
        .next(Duration::from_secs(10))
        .await
        .expect("a health message");
    assert_eq!(
        serde_json::from_slice::<Value>(&first.payload).unwrap(),
        json!({ "fps": 15 })
    );
    health_tx.send(json!({ "fps": 3 })).unwrap();
    // health_interval_s = 1 in the test configuration.
    let received = watcher
        .collect_until(Duration::from_secs(5), |m| {
            m.last()
                .is_some_and(|p| p.payload.as_ref() == br#"{"fps":3}"#)
        })
        .await;
    let last = received
        .last()
        .map(|p| serde_json::from_slice::<Value>(&p.payload).unwrap());
    assert_eq!(last, Some(json!({ "fps": 3 })));
}
