use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, err};

/// `[recording]`: H.264 recording of the camera through GStreamer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct RecordingConfig {
    pub enabled: bool,
    /// GStreamer encoder element; "auto" picks the first available of
    /// nvv4l2h264enc, v4l2h264enc, vaapih264enc, x264enc, openh264enc.
    pub encoder: String,
    /// Target bitrate in kbit/s.
    pub bitrate_kbps: u32,
    /// Length of one segment file in seconds.
    pub segment_s: u32,
    /// Delete segments older than this many days (0 = keep by age forever).
    pub retention_days: u32,
    /// Delete the oldest segments when all recordings exceed this many MiB (0 = no limit).
    pub max_total_mib: u64,
    /// Stop recording (with a `recording_stopped` event) when free space falls below this.
    pub min_free_mib: u64,
}

impl Default for RecordingConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            encoder: "auto".into(),
            bitrate_kbps: 1000,
            segment_s: 60,
            retention_days: 30,
            max_total_mib: 8192,
            min_free_mib: 512,
        }
    }
}

impl Validate for RecordingConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        if self.encoder.is_empty() {
            err(
                errors,
                path,
                "encoder",
                "must be \"auto\" or a GStreamer H.264 encoder element name",
            );
        }
        if !(2..=3600).contains(&self.segment_s) {
            err(
                errors,
                path,
                "segment_s",
                format!("must be between 2 and 3600 seconds, got {}", self.segment_s),
            );
        }
        if !(100..=50_000).contains(&self.bitrate_kbps) {
            err(
                errors,
                path,
                "bitrate_kbps",
                format!("must be between 100 and 50000, got {}", self.bitrate_kbps),
            );
        }
    }
}
