//! The daemon itself (`proctord run`, as a child process) on a clip, with a real
//! mosquitto and a subscriber standing in for the central office.

#[path = "support/media.rs"]
mod media;
#[path = "support/mosquitto.rs"]
mod mosquitto;

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use media::{Encoding, compose_clip, repo};
use mosquitto::{Mosquitto, Subscriber};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use proctord::event::ProctorEvent;
use proctord::store::Store;
use serde_json::Value;

const TOKEN: &str = "e2e-token";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An 8 s loop at 5 fps in which every kind of face event happens quickly with the
/// short thresholds of `Kiosk::new`.
fn compose_loop(dir: &Path) -> PathBuf {
    let parts = [
        ("single_face/obama.jpg", 2),
        ("no_person/intel_people-detection_f22.png", 3),
        ("multi_person/two_people.jpg", 3),
    ];
    compose_clip(dir, "loop", &parts, Encoding::Camera)
}

struct Kiosk {
    dir: tempfile::TempDir,
    clip: PathBuf,
    config: PathBuf,
    web: u16,
    child: Option<Child>,
}

impl Kiosk {
    fn new(broker_port: u16) -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let clip = compose_loop(dir.path());
        let web = free_port();
        let config = dir.path().join("proctord.toml");
        let text = format!(
            r#"
[kiosk]
site = "e2e"
kiosk_id = "k1"
state_dir = "{state}"
[runtime]
library = "{repo}/runtime/libLiteRt.so"
[models]
dir = "{repo}/models/cache"
manifest = "{repo}/models/manifest.toml"
[detection]
max_analysis_fps = 5.0
objects_every_n_frames = 5
[rules]
no_face_after_s = 1.0
multiple_faces_after_s = 0.5
looking_away_after_s = 1.0
clear_after_s = 0.5
[capture]
source = "file"
file = "{clip}"
loop_file = true
[recording]
segment_s = 2
[mqtt]
enabled = true
host = "127.0.0.1"
port = {broker_port}
keep_alive_s = 5
health_interval_s = 1
[web]
listen = "127.0.0.1:{web}"
api_token = "{TOKEN}"
"#,
            state = dir.path().join("state").display(),
            repo = repo().display(),
            clip = clip.display(),
        );
        std::fs::write(&config, text).unwrap();
        Kiosk {
            dir,
            clip,
            config,
            web,
            child: None,
        }
    }

    fn start(&mut self) {
        let log = std::fs::File::create(self.dir.path().join(format!(
            "daemon-{}.log",
            Instant::now().elapsed().as_nanos()
        )))
        .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_proctord"))
            .args(["run", "--config"])
            .arg(&self.config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self
                .get("/api/health")
                .is_some_and(|h| h["pipeline"]["inference"]["frames"].as_u64().unwrap_or(0) > 0)
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("the daemon did not start analysing frames within 30 s");
    }

    fn curl(&self, args: &[&str], path: &str) -> Option<Value> {
        let out = Command::new("curl")
            .args(["-fsS", "-m", "10"])
            .args(args)
            .arg(format!("http://127.0.0.1:{}{path}", self.web))
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        serde_json::from_slice(&out.stdout).ok()
    }

    fn get(&self, path: &str) -> Option<Value> {
        let auth = format!("Authorization: Bearer {TOKEN}");
        self.curl(&["-H", &auth], path)
    }

    fn start_session(&self, candidate: &str) -> String {
        let body = format!(r#"{{"candidate":"{candidate}"}}"#);
        let auth = format!("Authorization: Bearer {TOKEN}");
        let v = self
            .curl(
                &[
                    "-X",
                    "POST",
                    "-H",
                    &auth,
                    "-H",
                    "content-type: application/json",
                    "-d",
                    &body,
                ],
                "/api/interviews/start",
            )
            .expect("session start");
        v["session"]["id"].as_str().unwrap().to_string()
    }

    fn end_session(&self, id: &str) -> Value {
        let auth = format!("Authorization: Bearer {TOKEN}");
        self.curl(
            &["-X", "POST", "-H", &auth],
            &format!("/api/interviews/{id}/end"),
        )
        .expect("session end")
    }

    fn signal(&mut self, signal: Signal) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        kill(Pid::from_raw(child.id() as i32), signal).unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the daemon did not exit within 15 s of {signal}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn store(&self) -> Store {
        Store::open(self.dir.path().join("state/store")).expect("the store opens")
    }

    fn log(&self) -> String {
        let mut all = String::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            if entry.file_name().to_string_lossy().starts_with("daemon-") {
                all += &std::fs::read_to_string(entry.path()).unwrap_or_default();
            }
        }
        all
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = &self.clip;
    }
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
    let mut kiosk = Kiosk::new(broker.port());
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
    let mut kiosk = Kiosk::new(broker.port());
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
        let out = Command::new("gst-discoverer-1.0")
            .arg(&s.path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{} does not play: {}",
            s.path.display(),
            String::from_utf8_lossy(&out.stdout)
        );
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
