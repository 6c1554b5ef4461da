//! Exam sessions: one candidate sitting one exam at one kiosk.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::ClockStep;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Session {
    pub id: Uuid,
    pub candidate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exam_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
}

impl Session {
    pub fn duration_s(&self) -> Option<f64> {
        self.ended_at
            .map(|e| (e - self.started_at).num_milliseconds() as f64 / 1000.0)
    }
}

/// The kiosk's health over a session, for the report: a candidate is never charged for
/// the kiosk's own failures, and the report shows them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionHealth {
    pub camera_fps: f32,
    pub frames_captured: u64,
    pub frames_analysed: u64,
    /// Frames the inference stage skipped because a newer one was waiting.
    pub dropped_frames: u64,
    pub camera_outages: u32,
    pub camera_outage_s: f64,
    pub mean_inference_ms: f32,
    /// Steps of the system's wall clock during the session (an NTP correction after
    /// boot). The session's own times stay on one clock and are not affected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clock_steps: Vec<ClockStep>,
}
