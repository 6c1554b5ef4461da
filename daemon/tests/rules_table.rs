//! Table-driven tests of the rules engine on synthetic timelines at 10 frames per second.
//!
//! Each case feeds frames (and idle ticks) to a fresh engine with the default thresholds
//! (no_face 10 s, looking_away 5 s, yaw 25°, pitch 25°, eyes_away 8 s beyond a 25° line
//! of sight, multiple_faces 1 s, objects 3 (and 60 %) of the object frames of the last 1.5 s,
//! camera_lost 2 s, clear 1 s, seat zone =
//! the whole frame) unless it says otherwise, and lists every event it must
//! produce as (kind, onset, end). An end of `None` means the event is still open.

use std::collections::BTreeMap;
use std::time::Duration;

use proctord::config::RulesConfig;
use proctord::detections::{
    BBox, DetectedObject, Detections, Face, Gaze, InferenceTimes, ObjectClass,
};
use proctord::event::{EventKind, Phase, RuleEvent};
use proctord::rules::RulesEngine;
use uuid::Uuid;

const FRAME_MS: u64 = 100;

/// What the camera sees during a span of frames.
#[derive(Clone, Debug)]
struct Scene {
    faces: Vec<Face>,
    /// `None`: object detection does not run during the span.
    objects: Option<Vec<DetectedObject>>,
    /// Object detection runs on every n-th frame of the span, starting with its first.
    objects_every: u64,
}

impl Scene {
    fn with_faces(faces: Vec<Face>) -> Self {
        Scene {
            faces,
            objects: None,
            objects_every: 1,
        }
    }
    fn facing() -> Self {
        Self::with_faces(vec![face(0.0, 0.0, 0.3)])
    }
    fn empty() -> Self {
        Self::with_faces(vec![])
    }
    fn turned(yaw_deg: f32, pitch_deg: f32) -> Self {
        Self::with_faces(vec![face(yaw_deg, pitch_deg, 0.3)])
    }
    /// A head at `yaw_deg` with the eyes at gaze (`x`, `y`).
    fn eyes(yaw_deg: f32, x: f32, y: f32) -> Self {
        let mut f = face(yaw_deg, 0.0, 0.3);
        f.gaze = Some(Gaze { x, y });
        Self::with_faces(vec![f])
    }
    fn faces(n: usize) -> Self {
        // The first face is the largest: the candidate.
        Self::with_faces(
            (0..n)
                .map(|i| face(0.0, 0.0, 0.3 - 0.05 * i as f32))
                .collect(),
        )
    }
    /// Object detection runs every `every` frames and finds `objects`.
    fn seeing(mut self, every: u64, objects: Vec<DetectedObject>) -> Self {
        self.objects = Some(objects);
        self.objects_every = every;
        self
    }
}

fn face(yaw_deg: f32, pitch_deg: f32, size: f32) -> Face {
    Face {
        score: 0.9,
        bbox: BBox {
            x0: 0.3,
            y0: 0.2,
            x1: 0.3 + size,
            y1: 0.2 + size,
        },
        keypoints: vec![],
        yaw_deg,
        pitch_deg,
        ..Default::default()
    }
}

/// A frontal face of `size` with its top-left corner at (`x0`, `y0`).
fn face_at(x0: f32, y0: f32, size: f32) -> Face {
    let mut f = face(0.0, 0.0, size);
    f.bbox = BBox {
        x0,
        y0,
        x1: x0 + size,
        y1: y0 + size,
    };
    f
}

fn object(class: ObjectClass, label: &str, score: f32) -> DetectedObject {
    DetectedObject {
        class,
        label: label.into(),
        score,
        bbox: BBox {
            x0: 0.1,
            y0: 0.6,
            x1: 0.3,
            y1: 0.9,
        },
    }
}

fn phone(score: f32) -> DetectedObject {
    object(ObjectClass::Phone, "cell phone", score)
}

fn person() -> DetectedObject {
    object(ObjectClass::Person, "person", 0.8)
}

#[derive(Clone, Debug)]
enum Step {
    Frame(Detections),
    Idle(Duration),
    Finish(Duration),
}

fn ms(seconds: f64) -> u64 {
    (seconds * 1000.0).round() as u64
}

/// Frames every 100 ms from `from_s` to `to_s`, both included.
fn span(from_s: f64, to_s: f64, scene: Scene) -> Vec<Step> {
    (ms(from_s)..=ms(to_s))
        .step_by(FRAME_MS as usize)
        .enumerate()
        .map(|(i, at_ms)| {
            let runs_objects = (i as u64).is_multiple_of(scene.objects_every);
            Step::Frame(Detections {
                frame_seq: at_ms / FRAME_MS,
                at: Duration::from_millis(at_ms),
                faces: scene.faces.clone(),
                objects: if runs_objects {
                    scene.objects.clone()
                } else {
                    None
                },
                hands_zone: None,
                objects_at: None,
                inference_ms: InferenceTimes::default(),
            })
        })
        .collect()
}

fn idle(at_s: f64) -> Vec<Step> {
    vec![Step::Idle(Duration::from_millis(ms(at_s)))]
}

fn finish(at_s: f64) -> Vec<Step> {
    vec![Step::Finish(Duration::from_millis(ms(at_s)))]
}

/// One event as the engine reported it: its Start and End paired by id.
#[derive(Clone, Debug, PartialEq)]
struct Expected {
    kind: EventKind,
    onset_s: f64,
    end_s: Option<f64>,
}

fn ev(kind: EventKind, onset_s: f64, end_s: f64) -> Expected {
    Expected {
        kind,
        onset_s,
        end_s: Some(end_s),
    }
}

fn open(kind: EventKind, onset_s: f64) -> Expected {
    Expected {
        kind,
        onset_s,
        end_s: None,
    }
}

/// Every event the engine emitted, with the stream time of the call that emitted it.
struct Run {
    emitted: Vec<(Duration, RuleEvent)>,
}

fn run(cfg: RulesConfig, steps: impl IntoIterator<Item = Vec<Step>>) -> Run {
    let mut engine = RulesEngine::new(cfg);
    let mut emitted = Vec::new();
    for step in steps.into_iter().flatten() {
        let (at, events) = match step {
            Step::Frame(d) => (d.at, engine.on_detections(&d)),
            Step::Idle(now) => (now, engine.on_idle(now)),
            Step::Finish(at) => (at, engine.finish(at)),
        };
        emitted.extend(events.into_iter().map(|e| (at, e)));
    }
    Run { emitted }
}

impl Run {
    /// Pairs Start and End by id, checking that both halves agree, in onset order.
    fn events(&self) -> Vec<Expected> {
        let mut by_id: BTreeMap<Uuid, (Option<&RuleEvent>, Option<&RuleEvent>)> = BTreeMap::new();
        for (_, e) in &self.emitted {
            let slot = by_id.entry(e.id).or_default();
            let half = if e.phase == Phase::Start {
                &mut slot.0
            } else {
                &mut slot.1
            };
            assert!(
                half.is_none(),
                "event {} emitted its {:?} twice",
                e.id,
                e.phase
            );
            *half = Some(e);
        }
        let mut out: Vec<Expected> = by_id
            .values()
            .map(|(start, end)| {
                let start = start.expect("an End without a Start");
                assert_eq!(start.ended_at_s, None, "a Start carries no end");
                if let Some(end) = end {
                    assert_eq!(
                        (end.kind, end.started_at_s),
                        (start.kind, start.started_at_s),
                        "Start and End disagree"
                    );
                    assert!(end.ended_at_s.is_some(), "an End carries its end");
                }
                Expected {
                    kind: start.kind,
                    onset_s: round_ms(start.started_at_s),
                    end_s: end.and_then(|e| e.ended_at_s).map(round_ms),
                }
            })
            .collect();
        out.sort_by(|a, b| a.onset_s.total_cmp(&b.onset_s).then(a.kind.cmp(&b.kind)));
        out
    }

    /// When (stream time of the call) the Start and End of the only event of `kind` came out.
    fn emitted_at(&self, kind: EventKind) -> (Option<f64>, Option<f64>) {
        let when = |phase| {
            self.emitted
                .iter()
                .find(|(_, e)| e.kind == kind && e.phase == phase)
                .map(|(at, _)| at.as_secs_f64())
        };
        (when(Phase::Start), when(Phase::End))
    }

    fn only(&self, kind: EventKind) -> Vec<&RuleEvent> {
        self.emitted
            .iter()
            .map(|(_, e)| e)
            .filter(|e| e.kind == kind)
            .collect()
    }
}

fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

struct Case {
    name: &'static str,
    cfg: RulesConfig,
    steps: Vec<Vec<Step>>,
    expected: Vec<Expected>,
}

fn case(name: &'static str, steps: Vec<Vec<Step>>, expected: Vec<Expected>) -> Case {
    Case {
        name,
        cfg: RulesConfig::default(),
        steps,
        expected,
    }
}

use EventKind::*;

fn table() -> Vec<Case> {
    vec![
        case(
            "a candidate facing the screen produces no events",
            vec![span(0.0, 60.0, Scene::facing())],
            vec![],
        ),
        case(
            "no face for exactly no_face_after_s is not an event",
            vec![
                span(0.0, 0.9, Scene::facing()),
                span(1.0, 11.0, Scene::empty()),
                span(11.1, 15.0, Scene::facing()),
            ],
            vec![],
        ),
        case(
            "no face for one frame more than no_face_after_s is an event from its onset to the first face",
            vec![
                span(0.0, 0.9, Scene::facing()),
                span(1.0, 11.1, Scene::empty()),
                span(11.2, 15.0, Scene::facing()),
            ],
            vec![ev(NoFace, 1.0, 11.2)],
        ),
        case(
            "a face seen for one frame restarts the no_face timer",
            vec![
                span(0.0, 8.0, Scene::empty()),
                span(8.1, 8.1, Scene::facing()),
                span(8.2, 16.0, Scene::empty()),
                span(16.1, 20.0, Scene::facing()),
            ],
            vec![],
        ),
        case(
            "head turned past max_yaw_deg for more than looking_away_after_s is looking_away",
            vec![
                span(0.0, 1.9, Scene::facing()),
                span(2.0, 9.0, Scene::turned(-45.0, 0.0)),
                span(9.1, 12.0, Scene::facing()),
            ],
            vec![ev(LookingAway, 2.0, 9.1)],
        ),
        case(
            "head tilted past max_pitch_deg for more than looking_away_after_s is looking_away",
            vec![
                span(0.0, 5.1, Scene::turned(0.0, 40.0)),
                span(5.2, 8.0, Scene::facing()),
            ],
            vec![ev(LookingAway, 0.0, 5.2)],
        ),
        case(
            "head turned away for exactly looking_away_after_s is not an event",
            vec![
                span(0.0, 5.0, Scene::turned(50.0, 0.0)),
                span(5.1, 8.0, Scene::facing()),
            ],
            vec![],
        ),
        case(
            "a yaw exactly at max_yaw_deg is not looking away",
            vec![span(0.0, 20.0, Scene::turned(25.0, 25.0))],
            vec![],
        ),
        case(
            "only the largest face counts for looking away",
            vec![span(
                0.0,
                20.0,
                Scene::with_faces(vec![face(0.0, 0.0, 0.3), face(80.0, 0.0, 0.1)]),
            )],
            vec![open(MultipleFaces, 0.0)],
        ),
        case(
            "a person seen without a face is looking_away and not no_face",
            vec![
                span(0.0, 12.0, Scene::empty().seeing(3, vec![person()])),
                span(12.1, 15.0, Scene::facing()),
            ],
            vec![ev(LookingAway, 0.0, 12.1)],
        ),
        case(
            "two faces for more than multiple_faces_after_s is multiple_faces from the first frame with two",
            vec![
                span(0.0, 2.9, Scene::facing()),
                span(3.0, 4.1, Scene::faces(2)),
                span(4.2, 6.0, Scene::facing()),
            ],
            vec![ev(MultipleFaces, 3.0, 4.2)],
        ),
        case(
            "two faces for exactly multiple_faces_after_s is not an event",
            vec![
                span(0.0, 2.9, Scene::facing()),
                span(3.0, 4.0, Scene::faces(2)),
                span(4.1, 6.0, Scene::facing()),
            ],
            vec![],
        ),
        case(
            "a phone seen on object_min_hits of the window starts at its first sighting",
            vec![
                span(0.0, 1.9, Scene::facing().seeing(3, vec![])),
                span(2.0, 4.0, Scene::facing().seeing(3, vec![phone(0.7)])),
                span(4.1, 8.0, Scene::facing().seeing(3, vec![])),
            ],
            // Object detection runs at 2.0, 2.3, 2.6 (the third sighting starts the event)
            // … 3.8, then 4.1, the first run without the phone.
            vec![ev(PhoneDetected, 2.0, 4.1)],
        ),
        case(
            "a phone seen on fewer than object_min_hits of the window is not an event",
            vec![
                span(0.0, 0.1, Scene::facing().seeing(1, vec![phone(0.9)])),
                span(0.2, 0.4, Scene::facing().seeing(1, vec![])),
                span(0.5, 0.5, Scene::facing().seeing(1, vec![phone(0.9)])),
                span(0.6, 3.0, Scene::facing().seeing(1, vec![])),
            ],
            vec![],
        ),
        case(
            "frames without object detection do not push sightings out of the window",
            vec![
                span(0.0, 0.0, Scene::facing().seeing(1, vec![phone(0.8)])),
                span(0.1, 0.9, Scene::facing()),
                span(1.0, 1.0, Scene::facing().seeing(1, vec![phone(0.8)])),
                span(1.1, 1.9, Scene::facing()),
                span(2.0, 2.0, Scene::facing().seeing(1, vec![phone(0.8)])),
                span(2.1, 5.0, Scene::facing().seeing(1, vec![])),
            ],
            vec![ev(PhoneDetected, 0.0, 2.1)],
        ),
        case(
            "a phone held up for 2 s is reported on a board whose object stage runs once a second",
            vec![
                span(0.0, 3.9, Scene::facing().seeing(10, vec![])),
                span(4.0, 5.9, Scene::facing().seeing(10, vec![phone(0.7)])),
                span(6.0, 9.0, Scene::facing().seeing(10, vec![])),
            ],
            // Object frames at 4.0 and 5.0 see it: two of the two that fit in 1.5 s.
            vec![ev(PhoneDetected, 4.0, 6.0)],
        ),
        case(
            "one sighting on a slow object stage is not an event",
            vec![
                span(0.0, 3.9, Scene::facing().seeing(10, vec![])),
                span(4.0, 4.9, Scene::facing().seeing(10, vec![phone(0.9)])),
                span(5.0, 9.0, Scene::facing().seeing(10, vec![])),
            ],
            vec![],
        ),
        case(
            "a phone seen on 3 object frames spread over more than the window is not an event",
            vec![
                span(0.0, 0.0, Scene::facing().seeing(1, vec![phone(0.8)])),
                span(0.1, 0.9, Scene::facing().seeing(1, vec![])),
                span(1.0, 1.0, Scene::facing().seeing(1, vec![phone(0.8)])),
                span(1.1, 1.9, Scene::facing().seeing(1, vec![])),
                span(2.0, 2.0, Scene::facing().seeing(1, vec![phone(0.8)])),
                span(2.1, 5.0, Scene::facing().seeing(1, vec![])),
            ],
            vec![],
        ),
        case(
            "notes and a device are events of their own kinds",
            vec![
                span(
                    0.0,
                    1.0,
                    Scene::facing().seeing(
                        1,
                        vec![
                            object(ObjectClass::Notes, "book", 0.6),
                            object(ObjectClass::Device, "laptop", 0.7),
                        ],
                    ),
                ),
                span(1.1, 4.0, Scene::facing().seeing(1, vec![])),
            ],
            vec![ev(NotesDetected, 0.0, 1.1), ev(DeviceDetected, 0.0, 1.1)],
        ),
        case(
            "flapping shorter than clear_after_s keeps one event",
            vec![
                span(0.0, 12.0, Scene::empty()),
                span(12.1, 12.9, Scene::facing()),
                span(13.0, 20.0, Scene::empty()),
                span(20.1, 25.0, Scene::facing()),
            ],
            vec![ev(NoFace, 0.0, 20.1)],
        ),
        case(
            "a phone flickering out of sight for less than clear_after_s keeps one event",
            vec![
                span(0.0, 0.4, Scene::facing().seeing(1, vec![phone(0.8)])),
                span(0.5, 1.0, Scene::facing().seeing(1, vec![])),
                span(1.1, 1.5, Scene::facing().seeing(1, vec![phone(0.8)])),
                span(1.6, 4.0, Scene::facing().seeing(1, vec![])),
            ],
            vec![ev(PhoneDetected, 0.0, 1.6)],
        ),
        case(
            "clear for exactly clear_after_s ends the event at its first clear frame",
            vec![
                span(0.0, 10.1, Scene::empty()),
                span(10.2, 11.2, Scene::facing()),
                span(11.3, 30.0, Scene::empty()),
            ],
            vec![ev(NoFace, 0.0, 10.2), open(NoFace, 11.3)],
        ),
        case(
            "a camera outage is not charged as no_face and the timer restarts after it",
            vec![
                span(0.0, 6.0, Scene::empty()),
                span(9.0, 15.0, Scene::empty()),
                span(15.1, 20.0, Scene::facing()),
            ],
            vec![ev(CameraLost, 6.0, 9.0)],
        ),
        case(
            "an open no_face ends at the last frame before an outage and restarts after it",
            vec![
                span(0.0, 12.0, Scene::empty()),
                span(16.0, 30.0, Scene::empty()),
                span(30.1, 35.0, Scene::facing()),
            ],
            vec![
                ev(NoFace, 0.0, 12.0),
                ev(CameraLost, 12.0, 16.0),
                ev(NoFace, 16.0, 30.1),
            ],
        ),
        case(
            "an open looking_away does not grow through an outage noticed by on_idle",
            vec![
                span(0.0, 6.0, Scene::turned(60.0, 0.0)),
                idle(8.0),
                idle(8.5),
                span(10.0, 11.0, Scene::facing()),
            ],
            vec![ev(LookingAway, 0.0, 6.0), ev(CameraLost, 6.0, 10.0)],
        ),
        case(
            "a gap of exactly camera_lost_after_s is not a camera loss",
            vec![
                span(0.0, 5.0, Scene::facing()),
                idle(7.0),
                span(7.0, 10.0, Scene::facing()),
            ],
            vec![],
        ),
        case(
            "on_idle before the first frame counts the silence from stream start",
            vec![idle(2.0), idle(2.1), span(3.0, 5.0, Scene::facing())],
            vec![ev(CameraLost, 0.0, 3.0)],
        ),
        case(
            "a second gap while camera_lost is clearing continues the same event",
            vec![
                span(0.0, 1.0, Scene::facing()),
                span(4.0, 4.3, Scene::facing()),
                span(7.0, 9.0, Scene::facing()),
            ],
            vec![ev(CameraLost, 1.0, 7.0)],
        ),
        case(
            "open multiple_faces and phone events go on through an outage",
            vec![
                span(0.0, 3.0, Scene::faces(2).seeing(1, vec![phone(0.9)])),
                span(6.0, 8.0, Scene::faces(2).seeing(1, vec![phone(0.9)])),
                finish(8.0),
            ],
            vec![
                ev(MultipleFaces, 0.0, 8.0),
                ev(PhoneDetected, 0.0, 8.0),
                ev(CameraLost, 3.0, 6.0),
            ],
        ),
        case(
            "finish closes events that still hold at the given time",
            vec![span(0.0, 14.9, Scene::empty()), finish(15.0)],
            vec![ev(NoFace, 0.0, 15.0)],
        ),
        case(
            "finish ends a clearing event when it first cleared",
            vec![
                span(0.0, 12.0, Scene::empty()),
                span(12.1, 12.5, Scene::facing()),
                finish(12.5),
            ],
            vec![ev(NoFace, 0.0, 12.1)],
        ),
        case(
            "finish drops conditions that have not passed their threshold",
            vec![span(0.0, 9.0, Scene::empty()), finish(9.0)],
            vec![],
        ),
        case(
            "finish long after the last frame reports the silence as camera_lost",
            vec![span(0.0, 5.0, Scene::facing()), finish(60.0)],
            vec![ev(CameraLost, 5.0, 60.0)],
        ),
        case(
            "events not yet ended stay open without finish",
            vec![span(0.0, 11.0, Scene::empty())],
            vec![open(NoFace, 0.0)],
        ),
        case(
            "eyes turned well to the side while the head faces the screen are eyes_away after 8 s",
            // 10° of head yaw plus 0.6 × 30° of eye turn = 28° > 25°.
            vec![
                span(0.0, 9.0, Scene::eyes(10.0, 0.6, 0.0)),
                span(9.1, 12.0, Scene::facing()),
            ],
            vec![ev(EyesAway, 0.0, 9.1)],
        ),
        case(
            "eyes away for less than eyes_away_after_s is no event",
            vec![
                span(0.0, 7.0, Scene::eyes(10.0, 0.6, 0.0)),
                span(7.1, 12.0, Scene::facing()),
            ],
            vec![],
        ),
        case(
            "eyes dropped to the keyboard are never eyes_away",
            vec![span(0.0, 20.0, Scene::eyes(0.0, 0.0, 0.9))],
            vec![],
        ),
        case(
            "eyes that turn back against the head's turn face the screen",
            // 22° head yaw, eyes 0.4 × 30° back the other way: the line of sight is 10°.
            vec![span(0.0, 20.0, Scene::eyes(22.0, -0.4, 0.0))],
            vec![],
        ),
        Case {
            name: "with the eye rule off, eyes to the side are no event",
            cfg: RulesConfig {
                eyes_away_after_s: 0.0,
                ..RulesConfig::default()
            },
            steps: vec![span(0.0, 20.0, Scene::eyes(10.0, 0.8, 0.0))],
            expected: vec![],
        },
        Case {
            name: "a neighbour's face outside the seat zone is not a second face",
            cfg: RulesConfig {
                seat_zone: [0.2, 0.0, 0.8, 1.0],
                ..RulesConfig::default()
            },
            steps: vec![span(
                0.0,
                10.0,
                Scene::with_faces(vec![face(0.0, 0.0, 0.3), face_at(0.85, 0.3, 0.1)]),
            )],
            expected: vec![],
        },
        Case {
            name: "a far face inside the seat zone is a second face",
            cfg: RulesConfig {
                seat_zone: [0.2, 0.0, 0.8, 1.0],
                ..RulesConfig::default()
            },
            steps: vec![span(
                0.0,
                10.0,
                Scene::with_faces(vec![face(0.0, 0.0, 0.3), face_at(0.7, 0.1, 0.04)]),
            )],
            expected: vec![open(MultipleFaces, 0.0)],
        },
        Case {
            name: "the candidate outside the seat zone is no candidate: no_face",
            cfg: RulesConfig {
                seat_zone: [0.0, 0.0, 0.3, 1.0],
                ..RulesConfig::default()
            },
            steps: vec![span(0.0, 11.0, Scene::facing())],
            expected: vec![open(NoFace, 0.0)],
        },
        Case {
            name: "thresholds come from the config",
            cfg: RulesConfig {
                no_face_after_s: 2.0,
                clear_after_s: 0.0,
                ..RulesConfig::default()
            },
            steps: vec![
                span(0.0, 2.1, Scene::empty()),
                span(2.2, 3.0, Scene::facing()),
            ],
            expected: vec![ev(NoFace, 0.0, 2.2)],
        },
    ]
}

#[test]
fn every_case_in_the_table_produces_exactly_its_expected_events() {
    let mut failures = Vec::new();
    for case in table() {
        let got = run(case.cfg.clone(), case.steps).events();
        if got != case.expected {
            failures.push(format!(
                "{}:\n    expected {:?}\n    got      {:?}",
                case.name, case.expected, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn start_is_emitted_on_the_frame_that_passes_the_threshold_and_end_once_clear_for_clear_after_s() {
    let run = run(
        RulesConfig::default(),
        vec![
            span(0.0, 0.9, Scene::facing()),
            span(1.0, 11.1, Scene::empty()),
            span(11.2, 15.0, Scene::facing()),
        ],
    );
    assert_eq!(run.emitted_at(NoFace), (Some(11.1), Some(12.2)));
}

#[test]
fn camera_lost_starts_on_the_idle_tick_that_passes_camera_lost_after_s() {
    let run = run(
        RulesConfig::default(),
        vec![
            span(0.0, 5.0, Scene::facing()),
            idle(6.0),
            idle(7.0),
            idle(7.1),
            idle(9.0),
        ],
    );
    assert_eq!(run.emitted_at(CameraLost), (Some(7.1), None));
    assert_eq!(run.events(), vec![open(CameraLost, 5.0)]);
}

#[test]
fn start_and_end_of_one_event_share_a_uuid_v7_and_events_have_distinct_ids() {
    let run = run(
        RulesConfig::default(),
        vec![
            span(0.0, 12.0, Scene::empty()),
            span(12.1, 14.0, Scene::facing()),
            span(14.1, 26.0, Scene::empty()),
            finish(26.0),
        ],
    );
    let no_face = run.only(NoFace);
    assert_eq!(no_face.len(), 4, "two events, each with a Start and an End");
    assert_eq!(no_face[0].id, no_face[1].id);
    assert_eq!(no_face[2].id, no_face[3].id);
    assert_ne!(no_face[0].id, no_face[2].id);
    assert_eq!(no_face[0].id.get_version_num(), 7);
}

#[test]
fn multiple_faces_reports_the_most_faces_seen() {
    let run = run(
        RulesConfig::default(),
        vec![
            span(0.0, 1.5, Scene::faces(2)),
            span(1.6, 2.0, Scene::faces(4)),
            span(2.1, 3.0, Scene::faces(2)),
            finish(3.0),
        ],
    );
    let events = run.only(MultipleFaces);
    assert_eq!(
        events[0].details.max_faces,
        Some(2),
        "the Start knows what was seen up to then"
    );
    assert_eq!(
        events[1].details.max_faces,
        Some(4),
        "the End knows the whole event"
    );
}

#[test]
fn object_events_report_the_model_label_and_best_score() {
    let run = run(
        RulesConfig::default(),
        vec![
            span(0.0, 0.0, Scene::facing().seeing(1, vec![phone(0.5)])),
            span(
                0.1,
                0.1,
                Scene::facing().seeing(1, vec![phone(0.9), phone(0.6)]),
            ),
            span(0.2, 0.3, Scene::facing().seeing(1, vec![phone(0.7)])),
            finish(0.3),
        ],
    );
    let events = run.only(PhoneDetected);
    assert_eq!(events.len(), 2);
    for e in events {
        assert_eq!(e.details.label.as_deref(), Some("cell phone"));
        assert_eq!(e.details.best_score, Some(0.9));
    }
}

#[test]
fn the_same_frames_give_the_same_events_whatever_the_idle_ticks_in_between() {
    let frames = || {
        vec![
            span(0.0, 12.0, Scene::empty()),
            span(12.1, 15.0, Scene::facing()),
            finish(15.0),
        ]
    };
    let mut with_idle = frames();
    with_idle.insert(1, idle(12.05));
    assert_eq!(
        run(RulesConfig::default(), frames()).events(),
        run(RulesConfig::default(), with_idle).events()
    );
}
