//! What one frame says about the candidate's attention: is a face there, and is it
//! turned away. Pure functions of a frame; the timing lives in the engine.

use crate::config::RulesConfig;
use crate::detections::Face;

/// What the face rules see on one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Attention {
    /// The candidate's face is there and facing the screen.
    Facing,
    /// The candidate's face is turned beyond the configured angles, or a person is in
    /// view without a detectable face (turned around, head down on the desk).
    LookingAway,
    /// Nobody is in view.
    Absent,
}

/// The candidate is the largest face: the one closest to the camera.
pub fn candidate_face(faces: &[Face]) -> Option<&Face> {
    faces
        .iter()
        .max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()))
}

/// `person_in_view` is the latest object-detection result for the `person` class; it
/// only matters when no face is found.
pub(super) fn attention(faces: &[Face], person_in_view: bool, cfg: &RulesConfig) -> Attention {
    match candidate_face(faces) {
        Some(face)
            if face.yaw_deg.abs() > cfg.max_yaw_deg || face.pitch_deg.abs() > cfg.max_pitch_deg =>
        {
            Attention::LookingAway
        }
        Some(_) => Attention::Facing,
        None if person_in_view => Attention::LookingAway,
        None => Attention::Absent,
    }
}
