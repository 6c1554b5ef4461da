//! The demo still demonstrates: `proctord analyze`, with the demo's own config and the
//! shipped models, finds on the demo timeline (scripts/compose-demo.sh, composed here
//! from ../shared/media when missing or out of date) every event it is meant to show, at
//! its intended time (±1.5 s), and nothing else: the candidate working at the screen,
//! including a brief glance aside, is never flagged.

#[path = "support/media.rs"]
mod media;

use std::process::Command;

use media::repo;
use serde_json::Value;

/// Where `make demo` and this test find the composed clip (config/examples/demo.toml).
const CLIP: &str = "var/media/demo-timeline.mp4";
const TOLERANCE_S: f64 = 1.5;

/// (kind, start, end) in clip seconds, as scripts/compose-demo.sh lays the timeline out.
const INTENDED: [(&str, f64, f64); 4] = [
    ("looking_away", 20.0, 32.0),
    ("phone_detected", 45.0, 60.0),
    ("no_face", 60.0, 80.0),
    ("multiple_faces", 80.0, 92.0),
];

fn compose_demo_timeline() {
    let status = Command::new("scripts/compose-demo.sh")
        .current_dir(repo())
        .status()
        .expect("scripts/compose-demo.sh runs");
    assert!(
        status.success(),
        "scripts/compose-demo.sh failed to compose {CLIP}"
    );
}

fn analyze_demo_timeline() -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_proctord"))
        .current_dir(repo())
        .env("RUST_LOG", "warn")
        .args([
            "analyze",
            "--json",
            "--config",
            "config/examples/demo.toml",
            "--input",
            CLIP,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "analyze failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE_S
}

#[test]
fn the_demo_timeline_shows_every_event_kind_at_its_intended_time_and_nothing_else() {
    compose_demo_timeline();
    let summary = analyze_demo_timeline();
    let duration = summary["duration_s"].as_f64().unwrap();
    assert!(
        (duration - 114.65).abs() < 0.2,
        "the timeline lasts {duration} s"
    );

    let found: Vec<(String, f64, f64)> = summary["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["started_at_s"].as_f64().unwrap(),
                e["ended_at_s"].as_f64().unwrap(),
            )
        })
        .collect();
    for (kind, start, end) in INTENDED {
        assert!(
            found
                .iter()
                .any(|(k, s, e)| k == kind && near(*s, start) && near(*e, end)),
            "the demo no longer shows {kind} from {start} s to {end} s (±{TOLERANCE_S} s); \
             analyze found {found:?}"
        );
    }
    let unintended: Vec<_> = found
        .iter()
        .filter(|(k, s, e)| {
            !INTENDED
                .iter()
                .any(|(kind, start, end)| k == kind && near(*s, *start) && near(*e, *end))
        })
        .collect();
    assert!(
        unintended.is_empty(),
        "the demo shows events it is not meant to (a candidate at the screen flagged?): {unintended:?}"
    );
    let score = summary["integrity_score"].as_f64().unwrap();
    assert!(score > 0.0 && score < 100.0, "score {score}");
}
