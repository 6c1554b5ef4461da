use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, err};
use crate::event::EventKind;

/// One line of the published deduction table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct Deduction {
    /// Points per occurrence of the event.
    pub per_event: f64,
    /// Points per second the event lasted.
    pub per_second: f64,
    /// At most this many points for this kind in one session (0 = no cap).
    pub cap: f64,
}

impl Default for Deduction {
    fn default() -> Self {
        Self {
            per_event: 0.0,
            per_second: 0.0,
            cap: 0.0,
        }
    }
}

/// `[scoring]`: integrity score = 100 − deductions, floor 0.
/// Kiosk faults (`camera_lost`, `recording_stopped`) are never deducted.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct ScoringConfig {
    /// Per event kind (`no_face`, `looking_away`, `multiple_faces`, `phone_detected`,
    /// `notes_detected`, `device_detected`, `logged`).
    pub deductions: BTreeMap<EventKind, Deduction>,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        let d = |per_event: f64, per_second: f64, cap: f64| Deduction {
            per_event,
            per_second,
            cap,
        };
        let deductions = BTreeMap::from([
            (EventKind::NoFace, d(5.0, 0.1, 30.0)),
            (EventKind::LookingAway, d(2.0, 0.1, 20.0)),
            (EventKind::EyesAway, d(1.0, 0.05, 10.0)),
            (EventKind::MultipleFaces, d(10.0, 0.0, 30.0)),
            (EventKind::PhoneDetected, d(15.0, 0.0, 45.0)),
            (EventKind::NotesDetected, d(10.0, 0.0, 30.0)),
            (EventKind::DeviceDetected, d(10.0, 0.0, 30.0)),
            (EventKind::Logged, d(0.0, 0.0, 0.0)),
        ]);
        Self { deductions }
    }
}

impl Validate for ScoringConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        for (kind, d) in &self.deductions {
            let p = format!("{path}.deductions.{}", kind.as_str());
            if kind.is_kiosk_fault() {
                err(
                    errors,
                    &p,
                    "per_event",
                    "kiosk faults are never charged to the candidate; remove this entry",
                );
            }
            for (key, v) in [
                ("per_event", d.per_event),
                ("per_second", d.per_second),
                ("cap", d.cap),
            ] {
                if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                    err(
                        errors,
                        &p,
                        key,
                        format!("must be between 0 and 100, got {v}"),
                    );
                }
            }
        }
    }
}
