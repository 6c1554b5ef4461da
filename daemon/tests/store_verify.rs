//! The evidence hash chain through the real binary: `proctord verify` says OK for an
//! untouched store, and names exactly the event and the segment file that were edited
//! behind proctord's back (exit 1).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::Utc;
use proctord::config::Config;
use proctord::control::Control;
use proctord::event::{EventDetails, EventKind, Phase, ProctorEvent};
use proctord::store::{SegmentRecord, Store};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const CLIPS: [&str; 2] = [
    "intel_head-pose-face-detection-male.mp4",
    "intel_asl_student.mkv",
];

fn event(session_id: Option<Uuid>, kind: EventKind, phase: Phase, at_s: f64) -> ProctorEvent {
    ProctorEvent {
        id: Uuid::now_v7(),
        session_id,
        kind,
        phase,
        started_at: Utc::now(),
        ended_at: None,
        duration_s: None,
        started_at_s: at_s,
        ended_at_s: None,
        details: EventDetails::default(),
    }
}

/// A recorded segment: a real video file under the kiosk's recordings.
fn segment(session: Uuid, recordings: &Path, clip: &str) -> SegmentRecord {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/media/video")
        .join(clip);
    let path = recordings.join(session.to_string()).join(clip);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::copy(&source, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    SegmentRecord {
        session_id: Some(session),
        path,
        started_at: Utc::now(),
        duration_s: 2.0,
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes: bytes.len() as u64,
    }
}

struct Kiosk {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Kiosk {
    fn new() -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("proctord.toml");
        std::fs::write(
            &config,
            format!(
                "[kiosk]\nstate_dir = \"{}\"\n",
                dir.path().join("state").display()
            ),
        )
        .unwrap();
        Kiosk { dir, config }
    }

    fn store_dir(&self) -> PathBuf {
        self.dir.path().join("state/store")
    }

    fn recordings(&self) -> PathBuf {
        self.dir.path().join("state/recordings")
    }

    fn verify(&self, session: Option<Uuid>) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_proctord"));
        command.arg("verify").arg("--config").arg(&self.config);
        if let Some(id) = session {
            command.args(["--session", &id.to_string()]);
        }
        command.output().unwrap()
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn an_edited_event_and_an_edited_segment_file_are_both_caught() {
    let kiosk = Kiosk::new();
    let store = Store::open(kiosk.store_dir()).unwrap();
    store
        .append_event(&event(None, EventKind::CameraLost, Phase::Start, 0.0))
        .unwrap();
    let session = store.start_session("Ada Lovelace", None, None).unwrap();
    let phone = event(
        Some(session.id),
        EventKind::PhoneDetected,
        Phase::Start,
        12.0,
    );
    store
        .append_event(&event(
            Some(session.id),
            EventKind::NoFace,
            Phase::Start,
            3.0,
        ))
        .unwrap();
    store.append_event(&phone).unwrap();
    let first = segment(session.id, &kiosk.recordings(), CLIPS[0]);
    let second = segment(session.id, &kiosk.recordings(), CLIPS[1]);
    store.add_segment(&first).unwrap();
    store.add_segment(&second).unwrap();
    store
        .append_event(&event(
            Some(session.id),
            EventKind::NoFace,
            Phase::End,
            20.0,
        ))
        .unwrap();
    store.end_session(session.id).unwrap();
    let other = store.start_session("Grace Hopper", None, None).unwrap();
    store
        .append_event(&event(
            Some(other.id),
            EventKind::LookingAway,
            Phase::Start,
            1.0,
        ))
        .unwrap();
    let head = store.chain_head(Some(session.id)).unwrap();
    assert_eq!(head.records, 5);
    // The report shows the head that verify must end on.
    let control = Control::new(store.clone(), Config::default(), vec![]).unwrap();
    let report = control.report(session.id).unwrap();
    assert_eq!(report.evidence_chain.as_ref(), Some(&head));
    assert!(proctord::report::render_html(&report).contains(&head.sha256));
    drop((control, store));

    let untouched = kiosk.verify(None);
    assert!(
        untouched.status.success(),
        "{}\n{}",
        stdout(&untouched),
        String::from_utf8_lossy(&untouched.stderr)
    );
    let report = stdout(&untouched);
    assert_eq!(
        report.lines().filter(|l| l.starts_with("OK")).count(),
        3,
        "{report}"
    );
    assert!(
        report.contains(&head.sha256),
        "the chain head is not shown: {report}"
    );
    assert!(report.contains("2 segment file(s) matched"), "{report}");

    // Behind proctord's back: the phone becomes a harmless logged event, and a few bytes
    // of the second recording change.
    {
        let db = sled::open(kiosk.store_dir()).unwrap();
        let events = db.open_tree("events").unwrap();
        let (key, value) = events
            .iter()
            .map(Result::unwrap)
            .find(|(_, v)| String::from_utf8_lossy(v).contains(&phone.id.to_string()))
            .expect("the phone event is stored");
        let edited = String::from_utf8(value.to_vec())
            .unwrap()
            .replace("phone_detected", "logged");
        events.insert(key, edited.as_bytes()).unwrap();
        db.flush().unwrap();
    }
    let mut video = std::fs::read(&second.path).unwrap();
    let middle = video.len() / 2;
    video[middle] ^= 0xff;
    std::fs::write(&second.path, video).unwrap();

    let tampered = kiosk.verify(None);
    let report = stdout(&tampered);
    assert_eq!(tampered.status.code(), Some(1), "{report}");
    let mismatch: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("MISMATCH"))
        .collect();
    assert_eq!(mismatch.len(), 1, "{report}");
    assert!(mismatch[0].contains(&session.id.to_string()), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.contains(&format!("event {}", phone.id)) && l.contains("changed")),
        "the edited event is not named: {report}"
    );
    assert!(
        report.lines().any(
            |l| l.contains(&format!("segment file {}", second.path.display()))
                && l.contains("changed")
        ),
        "the edited file is not named: {report}"
    );
    assert!(
        !report.contains(&format!("segment file {}", first.path.display())),
        "{report}"
    );

    // The other session was not touched.
    let other_only = kiosk.verify(Some(other.id));
    assert!(other_only.status.success(), "{}", stdout(&other_only));
}

#[test]
fn a_deleted_event_is_caught_but_a_segment_removed_by_retention_is_not_a_mismatch() {
    let kiosk = Kiosk::new();
    let store = Store::open(kiosk.store_dir()).unwrap();
    let session = store.start_session("Ada Lovelace", None, None).unwrap();
    let first = segment(session.id, &kiosk.recordings(), CLIPS[0]);
    store.add_segment(&first).unwrap();
    let deleted = event(
        Some(session.id),
        EventKind::MultipleFaces,
        Phase::Start,
        4.0,
    );
    store.append_event(&deleted).unwrap();
    store
        .append_event(&event(
            Some(session.id),
            EventKind::MultipleFaces,
            Phase::End,
            9.0,
        ))
        .unwrap();
    // Retention deletes the file, then the record.
    std::fs::remove_file(&first.path).unwrap();
    store.remove_segment(Some(session.id), &first.path).unwrap();
    drop(store);

    let retained = kiosk.verify(Some(session.id));
    assert!(retained.status.success(), "{}", stdout(&retained));
    assert!(
        stdout(&retained).contains("1 retired by retention"),
        "{}",
        stdout(&retained)
    );

    {
        let db = sled::open(kiosk.store_dir()).unwrap();
        let events = db.open_tree("events").unwrap();
        let key = events
            .iter()
            .map(Result::unwrap)
            .find(|(_, v)| String::from_utf8_lossy(v).contains(&deleted.id.to_string()))
            .unwrap()
            .0;
        events.remove(key).unwrap();
        db.flush().unwrap();
    }
    let tampered = kiosk.verify(Some(session.id));
    assert_eq!(tampered.status.code(), Some(1), "{}", stdout(&tampered));
    assert!(
        stdout(&tampered).contains("chain position 1 is empty"),
        "{}",
        stdout(&tampered)
    );
}

#[test]
fn verify_names_an_unknown_session_and_exits_with_failure() {
    let kiosk = Kiosk::new();
    drop(Store::open(kiosk.store_dir()).unwrap());
    let unknown = Uuid::now_v7();
    let output = kiosk.verify(Some(unknown));
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains(&unknown.to_string()));
}
