//! What one frame says about the candidate's attention: is a face there, and is it
//! turned away. Pure functions of a frame; the timing lives in the engine. `proctord
//! eval` and `detect` call the same functions, so the figures they print are the
//! daemon's own judgement.

use serde::Serialize;

use crate::config::RulesConfig;
use crate::detections::{BBox, DetectedObject, Face, ObjectClass};

/// What the face rules see on one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    /// The candidate's face is there and facing the screen.
    Facing,
    /// The candidate's face is turned beyond the configured angles, or a person is in
    /// view without a detectable face (turned around, head down on the desk).
    LookingAway,
    /// The head faces the screen but the line of sight (head yaw plus the eyes' turn)
    /// is beyond `max_sight_yaw_deg`; only when the eye rule is on.
    EyesAway,
    /// Nobody is in view.
    Absent,
}

impl Attention {
    pub fn as_str(&self) -> &'static str {
        match self {
            Attention::Facing => "facing",
            Attention::LookingAway => "looking away",
            Attention::EyesAway => "eyes away",
            Attention::Absent => "absent",
        }
    }
}

/// Whether a box belongs to the seat: its centre lies inside `[rules] seat_zone`. The
/// centre rather than overlap, so that a neighbour leaning into the edge of the picture
/// does not count while a far face behind the candidate, inside the zone, does.
pub fn in_seat_zone(b: &BBox, cfg: &RulesConfig) -> bool {
    let [x0, y0, x1, y1] = cfg.seat_zone;
    let (cx, cy) = ((b.x0 + b.x1) / 2.0, (b.y0 + b.y1) / 2.0);
    (x0..=x1).contains(&cx) && (y0..=y1).contains(&cy)
}

/// The faces the rules count: those inside the seat zone.
pub fn seat_faces<'a>(faces: &'a [Face], cfg: &'a RulesConfig) -> impl Iterator<Item = &'a Face> {
    faces.iter().filter(|f| in_seat_zone(&f.bbox, cfg))
}

/// Whether object detection saw a person inside the seat zone.
pub fn person_in_seat(objects: &[DetectedObject], cfg: &RulesConfig) -> bool {
    objects
        .iter()
        .any(|o| o.class == ObjectClass::Person && in_seat_zone(&o.bbox, cfg))
}

/// The candidate is the largest face in the seat zone: the one closest to the camera.
pub fn candidate_face<'a>(faces: &'a [Face], cfg: &'a RulesConfig) -> Option<&'a Face> {
    seat_faces(faces, cfg).max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()))
}

/// The per-face verdict: the head is turned past `max_yaw_deg` / `max_pitch_deg`
/// (angles relative to the line of sight from the camera, see `inference::head_pose`),
/// or it is a face without landmarks (`Face::pose_unknown`: in profile or covered), which
/// is judged like a person in view without a detectable face.
pub fn face_looks_away(face: &Face, cfg: &RulesConfig) -> bool {
    face.pose_unknown
        || face.yaw_deg.abs() > cfg.max_yaw_deg
        || face.pitch_deg.abs() > cfg.max_pitch_deg
}

/// Whether the eyes look away while the head does not: the line of sight (head yaw plus
/// the eyes' sideways turn) beyond `max_sight_yaw_deg`. Always false with the eye rule
/// off (`eyes_away_after_s = 0`) or without iris landmarks.
pub fn eyes_look_away(face: &Face, cfg: &RulesConfig) -> bool {
    cfg.eyes_away_after_s > 0.0
        && face
            .gaze
            .is_some_and(|g| (face.yaw_deg + g.eye_yaw_deg()).abs() > cfg.max_sight_yaw_deg)
}

/// Writes the per-face verdict (head or, with the eye rule on, eyes away) into each
/// face, for `detect --json`, the live view and stored detections: the same functions
/// the rules apply to the candidate.
pub fn mark_faces(faces: &mut [Face], cfg: &RulesConfig) {
    for f in faces {
        f.looking_away = face_looks_away(f, cfg) || eyes_look_away(f, cfg);
    }
}

/// `person_in_view` is the latest object-detection result for the `person` class in the
/// seat zone; it only matters when no face is found.
pub fn attention(faces: &[Face], person_in_view: bool, cfg: &RulesConfig) -> Attention {
    match candidate_face(faces, cfg) {
        Some(face) if face_looks_away(face, cfg) => Attention::LookingAway,
        Some(face) if eyes_look_away(face, cfg) => Attention::EyesAway,
        Some(_) => Attention::Facing,
        None if person_in_view => Attention::LookingAway,
        None => Attention::Absent,
    }
}
