//! `proctord analyze` on a clip composed at test time from the real stills in
//! ../shared/media: the events a proctor would expect, at the right times (±1 s).

#[path = "support/media.rs"]
mod media;

use std::path::Path;
use std::process::Command;

use media::{Encoding, compose_clip, repo};
use serde_json::Value;

fn analyze(clip: &Path, extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_proctord"))
        .current_dir(repo())
        .env("RUST_LOG", "warn")
        .args(["analyze", "--json", "--input"])
        .arg(clip)
        .args(extra)
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

#[test]
fn a_composed_exam_gives_exactly_the_expected_events_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let clip = compose_clip(
        dir.path(),
        "scenario",
        &[
            ("single_face/obama.jpg", 12), //  0–12 the candidate at the screen
            ("no_person/intel_people-detection_f22.png", 14), // 12–26 empty seat
            ("looking_away/intel_head-pose-female_f14.png", 7), // 26–33 turned away
            ("multi_person/two_people.jpg", 6), // 33–39 someone else joins, both facing the camera
            ("book_notes/skimage_page.png", 8), // 39–47 notes on the desk, nobody there
            ("no_person/coco_000000000643_desk_monitor.jpg", 6), // 47–53 a monitor and books, nobody there
        ],
        Encoding::Lossless,
    );
    let pdf = dir.path().join("report.pdf");
    let summary = analyze(
        &clip,
        &[
            "--candidate",
            "Grace Hopper",
            "--report-pdf",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(
        (summary["duration_s"].as_f64().unwrap() - 53.0).abs() < 0.5,
        "{summary}"
    );

    let expected = [
        ("no_face", 12.0, 26.0),
        // Ends when the two facing faces appear (the old keypoint heuristic called the
        // larger of them turned and kept this event open until 39 s).
        ("looking_away", 26.0, 33.0),
        ("multiple_faces", 33.0, 39.0),
        ("no_face", 39.0, 53.0),
        ("notes_detected", 39.0, 53.0),
        ("device_detected", 47.0, 53.0),
    ];
    let events = summary["events"].as_array().unwrap();
    let found: Vec<(String, f64, f64)> = events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["started_at_s"].as_f64().unwrap(),
                e["ended_at_s"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found.len(), expected.len(), "events: {found:?}");
    for (kind, start, end) in expected {
        assert!(
            found
                .iter()
                .any(|(k, s, e)| k == kind && (s - start).abs() <= 1.0 && (e - end).abs() <= 1.0),
            "no {kind} from {start} to {end} (±1 s) in {found:?}"
        );
    }
    // Camera faults are not in it, and the score is below 100 by the published table.
    let score = summary["integrity_score"].as_f64().unwrap();
    assert!(score < 100.0 && score > 0.0, "{score}");
    assert_eq!(summary["focus_lost_count"], 3);

    // The PDF report reads back with the candidate, the score and each kind.
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Grace Hopper"), "{text}");
    assert!(
        text.contains(&format!("{score:.1}")),
        "score {score:.1} not in the PDF"
    );
}

#[test]
fn the_same_recording_gives_the_same_events_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let clip = compose_clip(
        dir.path(),
        "short",
        &[
            ("single_face/grace_hopper.bmp", 3),
            ("no_person/tfexamples_table.jpg", 12),
        ],
        Encoding::Lossless,
    );
    let first = analyze(&clip, &[]);
    let second = analyze(&clip, &[]);
    assert_eq!(first, second);
    let kinds: Vec<&str> = first["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"no_face"), "{first}");
}
