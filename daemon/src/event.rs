//! Proctoring events: what rules, the kiosk itself and the API produce, and what the
//! store keeps, the outbox publishes and reports list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    NoFace,
    LookingAway,
    /// The head faces the screen but the eyes look well to the side (a slower rule).
    EyesAway,
    MultipleFaces,
    PhoneDetected,
    NotesDetected,
    DeviceDetected,
    /// No frames from the camera: a kiosk failure, never charged to the candidate.
    CameraLost,
    /// Recording stopped (disk full, encoder error): kiosk health, not charged.
    RecordingStopped,
    /// proctord itself was not running (a crash, a watchdog kill, a power cut, a restart):
    /// from the last analysed frame before it went down to the first one after. A kiosk
    /// failure, never charged to the candidate.
    DaemonDown,
    /// The store could not be read at start and was moved aside; proctord began a fresh
    /// one. A kiosk failure, never charged.
    StoreRecovered,
    /// Logged through `POST /api/detections/log` (e.g. by a proctor or the exam client).
    Logged,
}

impl EventKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::NoFace => "no_face",
            EventKind::LookingAway => "looking_away",
            EventKind::EyesAway => "eyes_away",
            EventKind::MultipleFaces => "multiple_faces",
            EventKind::PhoneDetected => "phone_detected",
            EventKind::NotesDetected => "notes_detected",
            EventKind::DeviceDetected => "device_detected",
            EventKind::CameraLost => "camera_lost",
            EventKind::RecordingStopped => "recording_stopped",
            EventKind::DaemonDown => "daemon_down",
            EventKind::StoreRecovered => "store_recovered",
            EventKind::Logged => "logged",
        }
    }

    /// Kiosk-health kinds are reported but never deducted from the candidate's score.
    pub fn is_kiosk_fault(&self) -> bool {
        matches!(
            self,
            EventKind::CameraLost
                | EventKind::RecordingStopped
                | EventKind::DaemonDown
                | EventKind::StoreRecovered
        )
    }
}

/// Start is emitted when a condition has lasted past its threshold; End when it clears.
/// Both carry the same event `id`; consumers de-duplicate on `(id, phase)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Start,
    End,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_faces: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_score: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An event as produced by the pure rules engine, in stream time (seconds since the
/// start of the frame source). The pipeline turns it into a `ProctorEvent`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleEvent {
    pub id: Uuid,
    pub kind: EventKind,
    pub phase: Phase,
    /// Onset of the condition (not the moment the threshold passed).
    pub started_at_s: f64,
    /// Set on `Phase::End`.
    pub ended_at_s: Option<f64>,
    pub details: EventDetails,
}

/// A stored and published event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProctorEvent {
    pub id: Uuid,
    /// `None` for kiosk events outside any exam session.
    pub session_id: Option<Uuid>,
    pub kind: EventKind,
    pub phase: Phase,
    pub started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// Stream-relative onset in seconds (as in `analyze`), kept for exact reports.
    pub started_at_s: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at_s: Option<f64>,
    pub details: EventDetails,
}

impl ProctorEvent {
    /// Places a rule event on the wall clock, given the wall time at stream time 0.
    pub fn from_rule(
        ev: &RuleEvent,
        session_id: Option<Uuid>,
        stream_epoch: DateTime<Utc>,
    ) -> Self {
        let at = |s: f64| stream_epoch + chrono::Duration::microseconds((s * 1e6).round() as i64);
        ProctorEvent {
            id: ev.id,
            session_id,
            kind: ev.kind,
            phase: ev.phase,
            started_at: at(ev.started_at_s),
            ended_at: ev.ended_at_s.map(at),
            duration_s: ev.ended_at_s.map(|e| (e - ev.started_at_s).max(0.0)),
            started_at_s: ev.started_at_s,
            ended_at_s: ev.ended_at_s,
            details: ev.details.clone(),
        }
    }
}
