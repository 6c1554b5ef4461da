//! The rules engine: turns a stream of analysed frames into proctoring events.
//!
//! Pure and deterministic: time comes only from the frames (`Detections::at`) and, in the
//! live pipeline, from `on_idle(now)` on the same stream clock — never from the wall
//! clock — so `analyze` on a recording and `run` on the camera give the same events for
//! the same frames. Only event ids (UUIDv7) differ between runs.
//!
//! # Conditions
//! On each frame the engine decides which conditions hold:
//! Only faces and persons whose box centre lies in `seat_zone` count (a neighbouring
//! seat in a test hall can be excluded); the candidate is the largest face there.
//! - `no_face`: no face and no `person` object in view;
//! - `looking_away`: the candidate's face is turned past `max_yaw_deg` /
//!   `max_pitch_deg`, or a `person` is in view without a face. The two are exclusive, so
//!   one absence is never charged twice. Person visibility comes from the latest frame on
//!   which object detection ran;
//! - `eyes_away`: the candidate's head is within the angles but the line of sight (head
//!   yaw plus the eyes' sideways turn) is past `max_sight_yaw_deg`, for more than
//!   `eyes_away_after_s` (0 turns the rule off). Exclusive with `looking_away`;
//! - `multiple_faces`: two faces or more;
//! - `phone_detected` / `notes_detected` / `device_detected`: the class was seen on at
//!   least `object_min_share` (and at least `object_min_hits`) of the object-detection
//!   frames of the last `object_window_s` seconds (frames with `objects: None` do not
//!   count; an object result is timed by the frame it was computed on, `objects_at`);
//! - `camera_lost`: more than `camera_lost_after_s` between two frames, or between the
//!   last frame and `on_idle(now)`.
//!
//! # State machine (one per kind, see `episode.rs`)
//! ```text
//!            holds                 held > threshold: emit Start(onset)
//!   Idle ───────────▶ Pending ─────────────────────────────────────▶ Active
//!    ▲                   │ clear: forget, no event                    │  ▲
//!    │◀──────────────────┘                                     clear  │  │ holds again:
//!    │                                                                ▼  │ same event
//!    └───────────── emit End(ended_at = first clear) ◀──────────── Clearing
//!                     once clear for ≥ clear_after_s
//! ```
//! - Thresholds are strict: a condition held for exactly `no_face_after_s` is not an
//!   event; one frame later it is. Held time is `frame time − onset`, where the onset is
//!   the first frame on which the condition held. A pending condition that clears for a
//!   single frame starts over.
//! - Object kinds have no Pending step: the window is their threshold, and the onset is
//!   the first sighting in the window. After an object event ends, a new one needs fresh
//!   sightings.
//! - `camera_lost` starts as soon as the gap is noticed; its onset is the last frame
//!   before the gap (or stream time 0 when `on_idle` finds no frame at all). It clears
//!   when frames flow again and ends after `clear_after_s` of frames; a new gap during
//!   that time continues the same event.
//!
//! # Camera outages are never charged to the candidate
//! When an outage is noticed, an open `no_face` / `looking_away` / `eyes_away` ends at the last frame
//! before the outage (or when it first cleared), and pending `no_face`, `looking_away`
//! and `multiple_faces` conditions are dropped, so their timers restart on the first
//! frame after the camera comes back. Open `multiple_faces` and object events go on
//! through an outage: ending them would charge the candidate a second time for the same
//! thing when the camera returns.
//!
//! # Time never goes backwards
//! A frame stamped earlier than the previous one is taken as arriving at the previous
//! frame's time.

mod attention;
mod episode;
mod objects;

use std::time::Duration;

use episode::Episode;
use objects::ObjectRule;
use uuid::Uuid;

use crate::config::RulesConfig;
use crate::detections::{Detections, ObjectClass};
use crate::event::{EventDetails, EventKind, RuleEvent};

/// Exported so that overlays, `detect` and `eval` use the judgement the rules use.
pub use attention::{
    Attention, attention, candidate_face, eyes_look_away, face_looks_away, in_seat_zone,
    mark_faces, person_in_seat, seat_faces,
};

/// Turns analysed frames into Start/End events. See the module documentation.
#[derive(Clone, Debug)]
pub struct RulesEngine {
    cfg: RulesConfig,
    timing: Timing,
    /// Stream time of the latest frame.
    last_frame_at: Option<Duration>,
    /// Whether the latest object-detection run saw a person.
    person_in_view: bool,
    /// When the last object result was seen (see `Detections::objects_at`).
    previous_objects_at: Duration,
    camera_lost: Episode,
    no_face: Episode,
    looking_away: Episode,
    eyes_away: Episode,
    multiple_faces: Episode,
    objects: Vec<ObjectRule>,
}

/// The configured seconds as exact durations (rounded to the nanosecond), so that
/// "exactly 10.0 s is not more than 10 s" holds for frame times built from milliseconds.
#[derive(Clone, Copy, Debug)]
struct Timing {
    no_face_after: Duration,
    looking_away_after: Duration,
    eyes_away_after: Duration,
    multiple_faces_after: Duration,
    camera_lost_after: Duration,
    clear_after: Duration,
}

impl Timing {
    fn from_config(cfg: &RulesConfig) -> Self {
        Self {
            no_face_after: seconds(cfg.no_face_after_s),
            looking_away_after: seconds(cfg.looking_away_after_s),
            eyes_away_after: seconds(cfg.eyes_away_after_s),
            multiple_faces_after: seconds(cfg.multiple_faces_after_s),
            camera_lost_after: seconds(cfg.camera_lost_after_s),
            clear_after: seconds(cfg.clear_after_s),
        }
    }
}

fn seconds(s: f64) -> Duration {
    if s.is_finite() && s > 0.0 {
        Duration::from_nanos((s * 1e9).round() as u64)
    } else {
        Duration::ZERO
    }
}

const OBJECT_KINDS: [(EventKind, ObjectClass); 3] = [
    (EventKind::PhoneDetected, ObjectClass::Phone),
    (EventKind::NotesDetected, ObjectClass::Notes),
    (EventKind::DeviceDetected, ObjectClass::Device),
];

impl RulesEngine {
    pub fn new(cfg: RulesConfig) -> Self {
        let objects = OBJECT_KINDS
            .iter()
            .map(|&(kind, class)| {
                ObjectRule::new(
                    kind,
                    class,
                    seconds(cfg.object_window_s),
                    cfg.object_min_share,
                    cfg.object_min_hits,
                )
            })
            .collect();
        Self {
            timing: Timing::from_config(&cfg),
            cfg,
            last_frame_at: None,
            person_in_view: false,
            previous_objects_at: Duration::ZERO,
            camera_lost: Episode::new(EventKind::CameraLost),
            no_face: Episode::new(EventKind::NoFace),
            looking_away: Episode::new(EventKind::LookingAway),
            eyes_away: Episode::new(EventKind::EyesAway),
            multiple_faces: Episode::new(EventKind::MultipleFaces),
            objects,
        }
    }

    pub fn config(&self) -> &RulesConfig {
        &self.cfg
    }

    /// Feed one analysed frame; returns Start/End events that became due.
    pub fn on_detections(&mut self, d: &Detections) -> Vec<RuleEvent> {
        let mut due = Vec::new();
        let at = self.last_frame_at.map_or(d.at, |last| d.at.max(last));

        if let Some(last) = self.last_frame_at
            && at - last > self.timing.camera_lost_after
        {
            self.camera_outage(last, &mut due);
        }
        // A frame arrived, so the camera is back (the event ends after `clear_after`).
        self.camera_lost.clear_at(at);
        self.last_frame_at = Some(at);

        if let Some(objects) = &d.objects {
            self.person_in_view = attention::person_in_seat(objects, &self.cfg);
            // Never later than this frame, nor earlier than the previous one: the rules'
            // time does not go backwards.
            let seen_at = d.objects_seen_at().clamp(self.previous_objects_at, at);
            self.previous_objects_at = seen_at;
            for rule in &mut self.objects {
                due.extend(rule.observe(seen_at, objects));
            }
        }

        let attention = attention::attention(&d.faces, self.person_in_view, &self.cfg);
        let clear_after = self.timing.clear_after;
        let face_count = attention::seat_faces(&d.faces, &self.cfg).count() as u32;
        let face_rules = [
            (
                &mut self.no_face,
                attention == Attention::Absent,
                self.timing.no_face_after,
                false,
            ),
            (
                &mut self.looking_away,
                attention == Attention::LookingAway,
                self.timing.looking_away_after,
                false,
            ),
            (
                &mut self.eyes_away,
                attention == Attention::EyesAway,
                self.timing.eyes_away_after,
                false,
            ),
            (
                &mut self.multiple_faces,
                face_count >= 2,
                self.timing.multiple_faces_after,
                true,
            ),
        ];
        for (episode, holds, more_than, counts_faces) in face_rules {
            if holds {
                due.extend(episode.holds_longer_than(at, more_than, |details| {
                    if counts_faces {
                        note_face_count(details, face_count);
                    }
                }));
            } else {
                episode.clear_at(at);
                due.extend(episode.end_if_clear_for(at, clear_after));
            }
        }

        for rule in &mut self.objects {
            due.extend(rule.end_if_clear_for(at, clear_after));
        }
        due.extend(self.camera_lost.end_if_clear_for(at, clear_after));
        due
    }

    /// Called by the live pipeline when no frame has arrived; `now` is on the same stream
    /// clock. Drives camera_lost.
    pub fn on_idle(&mut self, now: Duration) -> Vec<RuleEvent> {
        let mut due = Vec::new();
        // Before the first frame, the silence is counted from the source's start.
        let last = self.last_frame_at.unwrap_or(Duration::ZERO);
        if now.saturating_sub(last) > self.timing.camera_lost_after {
            self.camera_outage(last, &mut due);
        } else {
            due.extend(
                self.camera_lost
                    .end_if_clear_for(now, self.timing.clear_after),
            );
        }
        due
    }

    /// Close every open event at `at` (end of session/input): emits End for each open
    /// event. An event whose condition had already cleared ends when it cleared; a
    /// silence longer than `camera_lost_after_s` before `at` is reported as camera_lost.
    pub fn finish(&mut self, at: Duration) -> Vec<RuleEvent> {
        let at = self.last_frame_at.map_or(at, |last| at.max(last));
        let mut due = self.on_idle(at);
        due.extend(self.camera_lost.close(at));
        due.extend(self.no_face.close(at));
        due.extend(self.looking_away.close(at));
        due.extend(self.eyes_away.close(at));
        due.extend(self.multiple_faces.close(at));
        for rule in &mut self.objects {
            due.extend(rule.close(at));
        }
        self.person_in_view = false;
        due
    }

    /// Every open event with the stream time it would end at if the evidence stopped
    /// now (a crash): frame-judged events at the last frame or when their condition first
    /// cleared, `camera_lost` at `now` (the outage was known to last until then).
    pub fn open_event_ends(&self, now: Duration) -> Vec<(Uuid, Duration)> {
        let last_frame = self.last_frame_at.unwrap_or(Duration::ZERO);
        let mut ends: Vec<(Uuid, Duration)> = [
            &self.no_face,
            &self.looking_away,
            &self.eyes_away,
            &self.multiple_faces,
        ]
        .iter()
        .filter_map(|e| e.open_end(last_frame))
        .chain(self.objects.iter().filter_map(|r| r.open_end(last_frame)))
        .collect();
        ends.extend(self.camera_lost.open_end(now.max(last_frame)));
        ends
    }

    /// The camera gave no frame after `last_frame_at`: open (or continue) camera_lost and
    /// stop charging the candidate for what the camera could not see.
    fn camera_outage(&mut self, last_frame_at: Duration, due: &mut Vec<RuleEvent>) {
        if self.camera_lost.is_active() {
            self.camera_lost.seen_again();
        } else {
            due.extend(
                self.camera_lost
                    .holds_since(last_frame_at, EventDetails::default()),
            );
        }
        due.extend(self.no_face.close(last_frame_at));
        due.extend(self.looking_away.close(last_frame_at));
        due.extend(self.eyes_away.close(last_frame_at));
        self.multiple_faces.drop_pending();
        // Whoever was in view before the outage may be gone.
        self.person_in_view = false;
    }
}

fn note_face_count(details: &mut EventDetails, face_count: u32) {
    details.max_faces = Some(
        details
            .max_faces
            .map_or(face_count, |max| max.max(face_count)),
    );
}
