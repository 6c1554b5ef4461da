//! Commands and everything else that arrives from a real mosquitto: a poison message
//! cannot stop publishing, and every command is answered on `…/cmd/result`.

#[path = "support/mosquitto.rs"]
mod mosquitto;
#[path = "support/publisher.rs"]
mod publisher;

use std::time::{Duration, Instant};

use chrono::Utc;
use mosquitto::{Mosquitto, Subscriber};
use proctord::config::MqttConfig;
use proctord::event::ProctorEvent;
use proctord::publish::{Command, CommandResult, Publisher};
use proctord::store::Store;
use publisher::{event, health, kiosk, topic, wait_for_status};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde_json::json;
use uuid::Uuid;

/// The central office's side: publishes commands (and worse).
async fn operator(port: u16) -> AsyncClient {
    let mut options = MqttOptions::new("operator", "127.0.0.1", port);
    options
        .set_keep_alive(Duration::from_secs(5))
        .set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    client
}

/// The next command the publisher hands on, within 10 s.
async fn next_command(
    commands: &mut tokio::sync::mpsc::Receiver<proctord::publish::ReceivedCommand>,
) -> proctord::publish::ReceivedCommand {
    tokio::time::timeout(Duration::from_secs(10), commands.recv())
        .await
        .expect("a command in time")
        .unwrap()
}

/// One command as the central office sends it (QoS 1, not retained).
async fn send(office: &AsyncClient, topic: &str, payload: impl Into<Vec<u8>>) {
    office
        .publish(topic, QoS::AtLeastOnce, false, payload.into())
        .await
        .unwrap();
}

fn start(command_id: &str, issued_at: chrono::DateTime<Utc>, candidate: &str) -> String {
    json!({
        "action": "start",
        "command_id": command_id,
        "issued_at": issued_at,
        "candidate": candidate,
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_does_not_stop_publishing() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let cfg = MqttConfig {
        accept_commands: true,
        ..broker.mqtt_config()
    };
    let mut events =
        Subscriber::connect(broker.port(), "office", &topic("k-poison", "events")).await;
    let publisher = Publisher::spawn(&cfg, &kiosk("k-poison"), store.clone(), health()).unwrap();
    wait_for_status(&publisher, Duration::from_secs(10), |s| {
        s.subscribed_to_commands
    })
    .await;

    // 100 kB on a command topic: more than the client reads, and redelivered by the
    // broker from the persistent session until it is acknowledged.
    let office = operator(broker.port()).await;
    office
        .publish(
            topic("k-poison", "cmd/x"),
            QoS::AtLeastOnce,
            false,
            vec![b'x'; 100_000],
        )
        .await
        .unwrap();
    let poisoned_at = Instant::now();
    wait_for_status(&publisher, Duration::from_secs(10), |s| {
        s.incoming_dropped >= 1
    })
    .await;
    let appended: Vec<ProctorEvent> = (0..5).map(|_| event()).collect();
    for e in &appended {
        store.append_event(e).unwrap();
    }

    let received = events
        .collect_until(Duration::from_secs(15), |m| m.len() >= appended.len())
        .await;
    let resumed_after = poisoned_at.elapsed();
    eprintln!("publishing resumed {resumed_after:?} after the poison message");
    let ids: Vec<Uuid> = received
        .iter()
        .map(|m| {
            serde_json::from_slice::<ProctorEvent>(&m.payload)
                .unwrap()
                .id
        })
        .collect();
    assert_eq!(ids, appended.iter().map(|e| e.id).collect::<Vec<_>>());
    assert!(
        resumed_after < Duration::from_secs(10),
        "publishing resumed after {resumed_after:?}"
    );
    wait_for_status(&publisher, Duration::from_secs(10), |s| s.connected).await;

    // No reconnect loop: the connection stays up and the message is not seen again.
    let settled = publisher.status().borrow().clone();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let later = publisher.status().borrow().clone();
    assert!(later.connected, "{later:?}");
    assert_eq!(later.connections, settled.connections, "{later:?}");
    assert_eq!(later.incoming_dropped, 1, "{later:?}");
    assert!(
        later
            .last_dropped
            .as_deref()
            .is_some_and(|d| d.contains("100")),
        "{later:?}"
    );
    // Commands still work on the fresh session.
    let mut publisher = publisher;
    let mut commands = publisher.take_commands().unwrap();
    office
        .publish(
            topic("k-poison", "cmd/session"),
            QoS::AtLeastOnce,
            false,
            start("after", Utc::now(), "Ada"),
        )
        .await
        .unwrap();
    let command = tokio::time::timeout(Duration::from_secs(10), commands.recv())
        .await
        .expect("a command after the poison message")
        .unwrap();
    assert_eq!(command.command_id, "after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_is_answered_and_stale_replayed_retained_or_malformed_ones_are_refused() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let office = operator(broker.port()).await;
    let command_topic = topic("k-cmd", "cmd/session");
    // A retained command would otherwise start a session on every reconnect.
    office
        .publish(
            &command_topic,
            QoS::AtLeastOnce,
            true,
            start("retained", Utc::now(), "Retained Replay"),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut results = Subscriber::connect(
        broker.port(),
        "office-results",
        &topic("k-cmd", "cmd/result"),
    )
    .await;

    let cfg = MqttConfig {
        accept_commands: true,
        ..broker.mqtt_config()
    };
    let mut publisher = Publisher::spawn(&cfg, &kiosk("k-cmd"), store.clone(), health()).unwrap();
    let mut commands = publisher.take_commands().expect("a command channel");
    wait_for_status(&publisher, Duration::from_secs(10), |s| {
        s.subscribed_to_commands
    })
    .await;
    let stale = Utc::now() - chrono::Duration::seconds(61);
    let refused: Vec<Vec<u8>> = vec![
        b"\xff\x00 not json".to_vec(),
        br#"{"action":"format_disk","command_id":"bad-action","issued_at":"2026-01-01T00:00:00Z"}"#
            .to_vec(),
        start("empty-name", Utc::now(), " ").into_bytes(),
        start("stale", stale, "Ada").into_bytes(),
    ];
    for payload in refused {
        send(&office, &command_topic, payload).await;
    }
    let valid = start("valid", Utc::now(), "Ada Lovelace");
    for _ in 0..2 {
        send(&office, &command_topic, valid.clone()).await;
    }

    let command = next_command(&mut commands).await;
    assert_eq!(command.command_id, "valid");
    assert_eq!(
        command.command,
        Command::StartSession {
            candidate: "Ada Lovelace".into(),
            exam_id: None,
            notes: None
        }
    );
    // The daemon answers a command it carried out; here the test plays the daemon.
    let session = Uuid::now_v7();
    Publisher::answer(
        &store,
        &CommandResult::done("valid".into(), "started".into(), session),
    );

    let answers: Vec<CommandResult> = results
        .collect_until(Duration::from_secs(10), |m| m.len() >= 7)
        .await
        .iter()
        .map(|m| serde_json::from_slice(&m.payload).unwrap())
        .collect();
    let mut summary: Vec<(Option<&str>, bool)> = answers
        .iter()
        .map(|a| (a.command_id.as_deref(), a.accepted))
        .collect();
    // The replay's refusal and the test's own answer race each other.
    summary[5..].sort();
    assert_eq!(
        summary,
        [
            (Some("retained"), false),
            (None, false),
            (Some("bad-action"), false),
            (Some("empty-name"), false),
            (Some("stale"), false),
            (Some("valid"), false), // the replay
            (Some("valid"), true),
        ]
    );
    let detail = |id: &str, accepted: bool| {
        answers
            .iter()
            .find(|a| a.command_id.as_deref() == Some(id) && a.accepted == accepted)
            .unwrap()
    };
    assert!(detail("retained", false).detail.contains("retain"));
    assert!(detail("stale", false).detail.contains("expired"));
    assert!(detail("valid", false).detail.contains("already received"));
    assert_eq!(detail("valid", true).session_id, Some(session));
    let status = publisher.status().borrow().clone();
    assert_eq!((status.commands_accepted, status.commands_rejected), (1, 6));
    assert!(
        commands.try_recv().is_err(),
        "a refused command was handed on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_replayed_after_the_daemon_restarted_is_refused() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let office = operator(broker.port()).await;
    let command_topic = topic("k-restart", "cmd/session");
    let cfg = MqttConfig {
        accept_commands: true,
        ..broker.mqtt_config()
    };
    let valid = start("once", Utc::now(), "Ada Lovelace");

    // The first run carries the command out.
    let mut first = Publisher::spawn(&cfg, &kiosk("k-restart"), store.clone(), health()).unwrap();
    let mut commands = first.take_commands().unwrap();
    wait_for_status(&first, Duration::from_secs(10), |s| {
        s.subscribed_to_commands
    })
    .await;
    send(&office, &command_topic, valid.clone()).await;
    let command = next_command(&mut commands).await;
    assert_eq!(command.command_id, "once");
    first.shutdown().await;

    // A new run (nothing in memory) gets the same command again within its expiry.
    let mut second = Publisher::spawn(&cfg, &kiosk("k-restart"), store.clone(), health()).unwrap();
    let mut commands = second.take_commands().unwrap();
    wait_for_status(&second, Duration::from_secs(10), |s| {
        s.subscribed_to_commands
    })
    .await;
    let mut results = Subscriber::connect(
        broker.port(),
        "office-results",
        &topic("k-restart", "cmd/result"),
    )
    .await;
    send(&office, &command_topic, valid).await;
    let answers = results
        .collect_until(Duration::from_secs(10), |m| !m.is_empty())
        .await;
    let answer: CommandResult = serde_json::from_slice(&answers[0].payload).unwrap();
    assert_eq!(answer.command_id.as_deref(), Some("once"));
    assert!(!answer.accepted, "{answer:?}");
    assert!(answer.detail.contains("already received"), "{answer:?}");
    assert!(commands.try_recv().is_err(), "the replay was carried out");
    second.shutdown().await;
}
