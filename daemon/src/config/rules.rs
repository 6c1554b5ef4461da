use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, err};

/// `[rules]`: when a condition becomes an event. Times are seconds of frame time.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct RulesConfig {
    /// No face for more than this → `no_face`.
    pub no_face_after_s: f64,
    /// Face turned away (or a person with no frontal face) for more than this → `looking_away`.
    pub looking_away_after_s: f64,
    /// |yaw| above this counts as turned away.
    pub max_yaw_deg: f32,
    /// |pitch| above this counts as turned away.
    pub max_pitch_deg: f32,
    /// The line of sight (head yaw plus the eyes' turn within the head) beyond this
    /// counts as eyes away, when the head itself is within `max_yaw_deg`.
    pub max_sight_yaw_deg: f32,
    /// Eyes away for more than this → `eyes_away` (0 = the eye rule is off). Slower than
    /// `looking_away_after_s`: eyes wander more than heads. Vertical eye movement (to the
    /// keyboard, to notes on the desk) is never part of it.
    pub eyes_away_after_s: f64,
    /// `[x0, y0, x1, y1]`, normalised to the frame: only faces and persons whose box
    /// centre lies inside count for `multiple_faces` and for choosing the candidate.
    pub seat_zone: [f32; 4],
    /// Two or more faces held longer than this → `multiple_faces`.
    pub multiple_faces_after_s: f64,
    /// An object event starts when its class is seen, among the object-detection frames
    /// of the last `object_window_s` seconds, on at least `object_min_hits` and on at
    /// least `object_min_share` of them. In seconds, not frames, so a board whose object
    /// stage runs slower (a Pi, or under load) still reports a phone held up for 2 s:
    /// when fewer than `object_min_hits` object frames fit in the window at the stage's
    /// rate, that many do (never fewer than 2).
    pub object_window_s: f64,
    pub object_min_share: f64,
    pub object_min_hits: u32,
    /// No frames for more than this → `camera_lost` (not charged to the candidate).
    pub camera_lost_after_s: f64,
    /// A condition must be clear this long before its event ends (stops flapping).
    pub clear_after_s: f64,
}

impl Default for RulesConfig {
    fn default() -> Self {
        Self {
            no_face_after_s: 10.0,
            looking_away_after_s: 5.0,
            max_yaw_deg: 25.0,
            max_pitch_deg: 25.0,
            max_sight_yaw_deg: 25.0,
            eyes_away_after_s: 8.0,
            seat_zone: [0.0, 0.0, 1.0, 1.0],
            multiple_faces_after_s: 1.0,
            object_window_s: 1.5,
            object_min_share: 0.6,
            object_min_hits: 3,
            camera_lost_after_s: 2.0,
            clear_after_s: 1.0,
        }
    }
}

impl Validate for RulesConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        for (key, v) in [
            ("no_face_after_s", self.no_face_after_s),
            ("looking_away_after_s", self.looking_away_after_s),
            ("eyes_away_after_s", self.eyes_away_after_s),
            ("multiple_faces_after_s", self.multiple_faces_after_s),
            ("camera_lost_after_s", self.camera_lost_after_s),
            ("clear_after_s", self.clear_after_s),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                err(
                    errors,
                    path,
                    key,
                    format!("must be a number of seconds >= 0, got {v}"),
                );
            }
        }
        for (key, v) in [
            ("max_yaw_deg", self.max_yaw_deg),
            ("max_pitch_deg", self.max_pitch_deg),
            ("max_sight_yaw_deg", self.max_sight_yaw_deg),
        ] {
            if !(v > 0.0 && v < 90.0) {
                err(
                    errors,
                    path,
                    key,
                    format!("must be between 0 and 90 degrees, got {v}"),
                );
            }
        }
        let [x0, y0, x1, y1] = self.seat_zone;
        if !(self.seat_zone.iter().all(|v| (0.0..=1.0).contains(v)) && x0 < x1 && y0 < y1) {
            err(
                errors,
                path,
                "seat_zone",
                format!(
                    "must be [x0, y0, x1, y1] with 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 (fractions of the frame), got {:?}",
                    self.seat_zone
                ),
            );
        }
        if !(self.object_window_s.is_finite() && self.object_window_s > 0.0) {
            err(
                errors,
                path,
                "object_window_s",
                format!(
                    "must be a number of seconds > 0, got {}",
                    self.object_window_s
                ),
            );
        }
        if !(self.object_min_share > 0.0 && self.object_min_share <= 1.0) {
            err(
                errors,
                path,
                "object_min_share",
                format!(
                    "must be a fraction in (0, 1], got {}",
                    self.object_min_share
                ),
            );
        }
        if self.object_min_hits == 0 {
            err(errors, path, "object_min_hits", "must be at least 1");
        }
    }
}
