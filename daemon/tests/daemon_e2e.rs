//! The daemon itself (`proctord run`, as a child process) on a clip, with a real
//! mosquitto and a subscriber standing in for the central office.

#[path = "support/kiosk.rs"]
mod kiosk;
#[path = "support/media.rs"]
mod media;
#[path = "support/mosquitto.rs"]
mod mosquitto;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kiosk::{Kiosk, Settings, plays};
use media::{Encoding, compose_clip};
use mosquitto::{Mosquitto, Subscriber};
use nix::sys::signal::Signal;
use proctord::event::ProctorEvent;

/// An 8 s loop at 5 fps in which every kind of face event happens quickly with the
/// short thresholds of `Settings::quick`.
fn compose_loop(dir: &Path) -> PathBuf {
    let parts = [
        ("single_face/obama.jpg", 2),
        ("no_person/intel_people-detection_f22.png", 3),
        ("multi_person/two_people.jpg", 3),
    ];
    compose_clip(dir, "loop", &parts, Encoding::Camera)
}

/// A kiosk on the loop, publishing to the broker on `broker_port`.
fn kiosk(broker_port: u16) -> Kiosk {
    let kiosk = Kiosk::new(&Settings::quick(PathBuf::new(), Some(broker_port)));
    let clip = compose_loop(kiosk.path());
    kiosk.configure(&Settings::quick(clip, Some(broker_port)));
    kiosk
}

fn key(e: &ProctorEvent) -> String {
    format!("{}:{:?}", e.id, e.phase)
}

fn received_events(msgs: &[rumqttc::Publish]) -> Vec<ProctorEvent> {
    msgs.iter()
        .filter(|p| p.topic.ends_with("/events"))
        .filter_map(|p| serde_json::from_slice(&p.payload).ok())
        .collect()
}

/// Every stored event of the session, in store order, arrived (duplicates allowed), and
/// the first arrival of each came in that same order.
fn assert_delivered_in_order(stored: &[ProctorEvent], received: &[ProctorEvent], log: &str) {
    let mut seen = HashSet::new();
    let first_arrivals: Vec<String> = received
        .iter()
        .map(key)
        .filter(|k| seen.insert(k.clone()))
        .collect();
    let stored_keys: Vec<String> = stored.iter().map(key).collect();
    for k in &stored_keys {
        assert!(
            seen.contains(k),
            "stored event {k} never reached the subscriber\nreceived: {first_arrivals:?}\nlog:\n{log}"
        );
    }
    let received_stored: Vec<&String> = first_arrivals
        .iter()
        .filter(|k| stored_keys.contains(k))
        .collect();
    let stored_refs: Vec<&String> = stored_keys.iter().collect();
    assert_eq!(received_stored, stored_refs, "events arrived out of order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_the_store_holds_reaches_the_office_even_across_a_broker_outage() {
    let mut broker = Mosquitto::start();
    let mut office = Subscriber::connect(broker.port(), "office", "proctord/e2e/k1/#").await;
    let mut kiosk = kiosk(broker.port());
    tokio::task::block_in_place(|| kiosk.start());
    let session = tokio::task::block_in_place(|| kiosk.start_session("Ada Lovelace"));
    let mut received = office
        .collect_until(Duration::from_secs(6), |_| false)
        .await;

    // The office's broker goes away for a while; the kiosk keeps proctoring.
    broker.stop();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let stored_during_outage = kiosk.store_events_len(&session);
    broker.start_again();
    received.extend(
        office
            .collect_until(Duration::from_secs(8), |_| false)
            .await,
    );

    let report = tokio::task::block_in_place(|| kiosk.end_session(&session));
    assert!(
        report["summary"]["score"].as_f64().unwrap() < 100.0,
        "{report}"
    );
    // Events still open when the session ended are closed right after it; wait until
    // the office has everything the kiosk stored (bounded).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        received.extend(
            office
                .collect_until(Duration::from_secs(1), |_| false)
                .await,
        );
        let stored = tokio::task::block_in_place(|| kiosk.store_events_len(&session));
        let mut seen = HashSet::new();
        let distinct = received_events(&received)
            .iter()
            .filter(|e| seen.insert(key(e)))
            .count();
        let has_report = received.iter().any(|p| p.topic.ends_with("/reports"));
        if (distinct >= stored && has_report) || Instant::now() > deadline {
            break;
        }
    }
    let status = tokio::task::block_in_place(|| kiosk.signal(Signal::SIGTERM));
    assert!(status.success(), "SIGTERM exit: {status}\n{}", kiosk.log());

    let store = kiosk.store();
    let stored = store.events_for(session.parse().unwrap()).unwrap();
    let kinds: HashSet<&str> = stored.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains("no_face") && kinds.contains("multiple_faces"),
        "kinds {kinds:?}\n{}",
        kiosk.log()
    );
    assert!(stored_during_outage > 0);
    assert_delivered_in_order(&stored, &received_events(&received), &kiosk.log());
    assert!(
        received.iter().any(|p| p.topic.ends_with("/sessions")),
        "no session message"
    );
    assert!(
        received.iter().any(|p| p.topic.ends_with("/reports")),
        "no report message"
    );
    // (Kiosk events closed during shutdown may still wait in the outbox for the next start.)
    // Finished segments of the session are recorded with their hashes.
    assert!(
        !store
            .segments_for(session.parse().unwrap())
            .unwrap()
            .is_empty(),
        "no recording segments"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_daemon_loses_no_acknowledged_event_and_its_segments_play() {
    let broker = Mosquitto::start();
    let mut office =
        Subscriber::connect(broker.port(), "office-kill", "proctord/e2e/k1/events").await;
    let mut kiosk = kiosk(broker.port());
    tokio::task::block_in_place(|| kiosk.start());
    let session = tokio::task::block_in_place(|| kiosk.start_session("Grace Hopper"));
    let before_kill = office
        .collect_until(Duration::from_secs(9), |_| false)
        .await;
    let status = tokio::task::block_in_place(|| kiosk.signal(Signal::SIGKILL));
    assert!(!status.success());

    // Everything the office saw was acknowledged by the store before it was published.
    let store = kiosk.store();
    let stored: HashSet<String> = store
        .events_for(session.parse().unwrap())
        .unwrap()
        .iter()
        .map(key)
        .collect();
    let seen = received_events(&before_kill);
    assert!(
        !seen.is_empty(),
        "no event before the kill\n{}",
        kiosk.log()
    );
    for e in &seen {
        assert!(
            stored.contains(&key(e)),
            "event {} was published but is not in the store after the crash",
            key(e)
        );
    }
    // Every finished segment plays.
    let segments = store.segments_for(session.parse().unwrap()).unwrap();
    assert!(
        !segments.is_empty(),
        "no finished segment before the kill\n{}",
        kiosk.log()
    );
    for s in &segments {
        assert!(plays(&s.path), "{} does not play", s.path.display());
    }
    drop(store);

    // The restarted daemon opens the store, the session is still running, and ends cleanly.
    tokio::task::block_in_place(|| kiosk.start());
    let active =
        tokio::task::block_in_place(|| kiosk.get(&format!("/api/interviews/{session}"))).unwrap();
    assert_eq!(active["active"], true, "{active}");
    let report = tokio::task::block_in_place(|| kiosk.end_session(&session));
    assert_eq!(report["session"]["id"], session.as_str());
    let status = tokio::task::block_in_place(|| kiosk.signal(Signal::SIGTERM));
    assert!(status.success(), "{}", kiosk.log());
}

impl Kiosk {
    fn store_events_len(&self, session: &str) -> usize {
        self.get(&format!("/api/detections/{session}"))
            .and_then(|v| {
                v["events"]
                    .as_array()
                    .map(|a| a.len())
                    .or_else(|| v.as_array().map(|a| a.len()))
            })
            .unwrap_or(0)
    }
}
