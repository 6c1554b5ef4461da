//! The analysis stage (frame selection, per-face verdicts, rules) on recorded detections,
//! without LiteRT: the same frames in give the same events out as on the kiosk.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use proctord::config::Config;
use proctord::detections::{BBox, Detections, Face, InferenceTimes};
use proctord::event::{EventKind, Phase};
use proctord::frame::Frame;
use proctord::inference::ReplayDetector;
use proctord::pipeline::Analysis;

fn face(yaw_deg: f32) -> Face {
    Face {
        score: 0.9,
        bbox: BBox {
            x0: 0.35,
            y0: 0.2,
            x1: 0.65,
            y1: 0.6,
        },
        yaw_deg,
        mesh_score: Some(0.99),
        ..Face::default()
    }
}

fn recorded(yaws: &[f32]) -> Vec<Detections> {
    yaws.iter()
        .map(|&yaw| Detections {
            frame_seq: 0,
            at: Duration::ZERO,
            faces: vec![face(yaw)],
            objects: None,
            hands_zone: None,
            objects_at: None,
            inference_ms: InferenceTimes::default(),
        })
        .collect()
}

fn frame(seq: u64, fps: u64) -> Frame {
    Frame::new_rgb(
        seq,
        Duration::from_millis(seq * 1000 / fps),
        Utc::now(),
        4,
        4,
        Arc::from(vec![0u8; 4 * 4 * 3]),
    )
}

#[test]
fn a_head_turned_for_seven_seconds_of_a_30_fps_camera_is_one_looking_away_event() {
    let cfg = Config::default();
    // 10 analysed frames per second: 6 s facing, 7 s turned 40°, 4 s facing again.
    let mut yaws = vec![0.0; 60];
    yaws.extend(vec![40.0; 70]);
    yaws.extend(vec![0.0; 40]);
    let mut analysis = Analysis::new(ReplayDetector::new(recorded(&yaws)), &cfg);
    let mut events = Vec::new();
    let mut analysed = 0;
    for seq in 0..(17 * 30) {
        if let Some(a) = analysis.process(&frame(seq, 30)).unwrap() {
            analysed += 1;
            // The per-face verdict is filled in with the configured thresholds.
            assert_eq!(
                a.detections.faces[0].looking_away,
                a.detections.faces[0].yaw_deg > 25.0
            );
            events.extend(a.events);
        }
    }
    assert_eq!(
        analysed, 170,
        "max_analysis_fps = 10 takes every third frame"
    );
    let starts: Vec<_> = events.iter().filter(|e| e.phase == Phase::Start).collect();
    assert_eq!(starts.len(), 1, "{events:?}");
    assert_eq!(starts[0].kind, EventKind::LookingAway);
    assert!((starts[0].started_at_s - 6.0).abs() < 0.05, "{events:?}");
    let end = events.iter().find(|e| e.phase == Phase::End).unwrap();
    assert!((end.ended_at_s.unwrap() - 13.0).abs() < 0.05, "{events:?}");
}

#[test]
fn a_head_turned_for_four_seconds_is_no_event() {
    let cfg = Config::default();
    let mut yaws = vec![0.0; 20];
    yaws.extend(vec![40.0; 40]);
    yaws.extend(vec![0.0; 40]);
    let mut analysis = Analysis::new(ReplayDetector::new(recorded(&yaws)), &cfg);
    let mut events = Vec::new();
    for seq in 0..(10 * 10) {
        if let Some(a) = analysis.process(&frame(seq, 10)).unwrap() {
            events.extend(a.events);
        }
    }
    assert!(events.is_empty(), "{events:?}");
}
