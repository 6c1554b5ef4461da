//! The real daemon (`proctord run` as a child process) killed and restarted: a crash is
//! never charged to the candidate, and a damaged store does not keep the kiosk down.
//! Clips are composed from ../shared/media stills at test time.

#[path = "support/damage.rs"]
mod damage;
#[path = "support/kiosk.rs"]
mod kiosk;
#[path = "support/media.rs"]
mod media;

use std::path::Path;
use std::time::{Duration, Instant};

use damage::{damage, files_below};
use kiosk::{Kiosk, Settings, plays};
use media::{Encoding, compose_clip};
use nix::sys::signal::Signal;
use proctord::event::{EventKind, Phase};
use proctord::report::Report;
use proctord::store::SegmentState;

const FACE: &str = "single_face/obama.jpg";
const EMPTY_ROOM: &str = "no_person/intel_people-detection_f22.png";

/// The default thresholds (no_face after 10 s, clear after 1 s).
fn default_rules() -> String {
    "no_face_after_s = 10.0\nclear_after_s = 1.0\ncamera_lost_after_s = 2.0\n".into()
}

fn report(kiosk: &Kiosk, session: &str) -> Report {
    let json = kiosk
        .get(&format!("/api/reports/{session}"))
        .expect("the report");
    serde_json::from_value(json).expect("a report")
}

/// Waits until the session has a stored event of `kind` with `phase`.
fn wait_for_event(kiosk: &Kiosk, session: &str, kind: EventKind, phase: Phase, within: Duration) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let stored = kiosk
            .get(&format!("/api/detections/{session}"))
            .map(|v| v.to_string())
            .unwrap_or_default();
        let wanted_kind = format!("\"kind\":\"{}\"", kind.as_str());
        let wanted_phase = match phase {
            Phase::Start => "\"phase\":\"start\"",
            Phase::End => "\"phase\":\"end\"",
        };
        if stored
            .split("},{")
            .any(|e| e.contains(&wanted_kind) && e.contains(wanted_phase))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "no {} {phase:?} within {within:?}\n{}",
        kind.as_str(),
        kiosk.log()
    );
}

fn face_only_clip(dir: &Path) -> std::path::PathBuf {
    compose_clip(dir, "face", &[(FACE, 30)], Encoding::Camera)
}

#[test]
fn a_daemon_killed_during_an_open_no_face_charges_only_the_evidence_and_reports_the_gap() {
    let mut kiosk = Kiosk::new(&Settings::quick(Default::default(), None));
    // 3 s in view, 14 s without a face, then back in view.
    let clip = compose_clip(
        kiosk.path(),
        "away",
        &[(FACE, 3), (EMPTY_ROOM, 14), (FACE, 40)],
        Encoding::Camera,
    );
    let mut settings = Settings {
        rules: default_rules(),
        ..Settings::quick(clip, None)
    };
    kiosk.configure(&settings);
    kiosk.start();
    let session = kiosk.start_session("Ada Lovelace");
    wait_for_event(
        &kiosk,
        &session,
        EventKind::NoFace,
        Phase::Start,
        Duration::from_secs(40),
    );
    // no_face is open (about 10 s into the empty room); kill before the face comes back.
    std::thread::sleep(Duration::from_secs(2));
    let status = kiosk.signal(Signal::SIGKILL);
    assert!(!status.success());
    let killed = Instant::now();

    // The candidate is in view when the kiosk comes back.
    std::thread::sleep(Duration::from_secs(2));
    settings.clip = face_only_clip(kiosk.path());
    kiosk.configure(&settings);
    kiosk.start();
    let active = kiosk.get(&format!("/api/interviews/{session}")).unwrap();
    assert_eq!(active["active"], true, "{active}");
    while killed.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(500));
    }
    kiosk.end_session(&session);
    let report = report(&kiosk, &session);
    let html = kiosk.get_text(&format!("/api/reports/{session}?format=html"));
    let status = kiosk.signal(Signal::SIGTERM);
    assert!(status.success(), "{}", kiosk.log());

    // Charged: the time without a face up to the last evidence (about 12 s), never the
    // minute the kiosk needed to come back and run on.
    let no_face: Vec<_> = report
        .events
        .iter()
        .filter(|e| e.kind == EventKind::NoFace)
        .collect();
    assert_eq!(no_face.len(), 1, "{:#?}\n{}", report.events, kiosk.log());
    assert!(!no_face[0].open, "{:?}", no_face[0]);
    assert!(
        (9.5..=13.0).contains(&no_face[0].duration_s),
        "14 s without a face, killed about 12 s in, was charged as {} s\n{}",
        no_face[0].duration_s,
        kiosk.log()
    );
    let charged: f64 = report
        .deductions
        .iter()
        .filter(|l| l.kind == EventKind::NoFace)
        .map(|l| l.seconds)
        .sum();
    assert_eq!(charged, no_face[0].duration_s);
    assert!(
        report.deductions.iter().all(|l| !l.kind.is_kiosk_fault()),
        "{:?}",
        report.deductions
    );

    eprintln!(
        "no_face charged {:.1} s; daemon_down {:.1} s; {:.1} % analysed; score {:.1}",
        no_face[0].duration_s,
        report
            .events
            .iter()
            .filter(|e| e.kind == EventKind::DaemonDown)
            .map(|e| e.duration_s)
            .sum::<f64>(),
        report.evidence.analysed_share * 100.0,
        report.score
    );

    // The gap is a kiosk fault in the timeline and the evidence line.
    let down: Vec<_> = report
        .events
        .iter()
        .filter(|e| e.kind == EventKind::DaemonDown)
        .collect();
    assert_eq!(down.len(), 1, "{:#?}", report.events);
    assert!(!down[0].open);
    assert!(
        (2.0..40.0).contains(&down[0].duration_s),
        "down for {} s",
        down[0].duration_s
    );
    assert!(
        report
            .evidence
            .gaps
            .iter()
            .any(|g| g.kind == EventKind::DaemonDown),
        "{:?}",
        report.evidence
    );
    assert!(
        report.evidence.analysed_share < 1.0 && report.evidence.analysed_share > 0.3,
        "{:?}",
        report.evidence
    );
    assert!(
        html.contains("Evidence completeness") && html.contains("kiosk software down"),
        "{html}"
    );

    // The segment the kill cut off is recorded (recovered, or lost), and every segment
    // recorded as playable plays.
    let store = kiosk.store();
    let segments = store.segments_for(session.parse().unwrap()).unwrap();
    assert!(
        segments.iter().any(|s| s.state != SegmentState::Complete),
        "the cut-off segment was not recorded: {segments:#?}"
    );
    for s in segments.iter().filter(|s| s.state != SegmentState::Lost) {
        assert!(plays(&s.path), "{} does not play", s.path.display());
    }
}

#[test]
fn a_damaged_store_at_start_is_moved_aside_and_the_daemon_comes_up_with_a_store_recovered_event() {
    let mut kiosk = Kiosk::new(&Settings::quick(Default::default(), None));
    let clip = face_only_clip(kiosk.path());
    kiosk.configure(&Settings::quick(clip, None));
    kiosk.start();
    let session = kiosk.start_session("Grace Hopper");
    kiosk.end_session(&session);
    assert!(kiosk.signal(Signal::SIGTERM).success());

    // A failing card: garbage over every file of the store.
    damage(&kiosk.state_dir().join("store"));

    kiosk.start();
    let health = kiosk.get("/api/health").unwrap();
    assert!(kiosk.signal(Signal::SIGTERM).success(), "{}", kiosk.log());

    let log = kiosk.log();
    assert!(
        log.contains("could not be read") && log.contains("moved to"),
        "the log does not say what happened:\n{log}"
    );
    let aside: Vec<_> = std::fs::read_dir(kiosk.state_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("store.damaged-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the damaged store was not kept");
    assert!(!files_below(&aside[0].path()).is_empty());
    let store = kiosk.store();
    let events = store.kiosk_events().unwrap();
    assert!(
        events.iter().any(|e| e.kind == EventKind::StoreRecovered
            && e.details
                .note
                .as_deref()
                .is_some_and(|n| n.contains("moved to"))),
        "{events:?}\nhealth: {health}"
    );
    assert!(store.list_sessions().unwrap().is_empty());
}
