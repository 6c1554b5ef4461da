use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, err};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum CaptureSource {
    /// A V4L2 camera (`device`).
    #[default]
    V4l2,
    /// A video file played at its own frame rate (`file`), for the demo and tests.
    File,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum PixelFormatPref {
    /// MJPEG when the camera offers it at the size and rate, else YUYV.
    #[default]
    Auto,
    Mjpeg,
    Yuyv,
}

/// `[capture]`: where frames come from.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CaptureConfig {
    pub source: CaptureSource,
    /// V4L2 device path, e.g. /dev/video0 or /dev/v4l/by-id/usb-...-video-index0.
    pub device: PathBuf,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub format: PixelFormatPref,
    /// Video file for `source = "file"`.
    pub file: PathBuf,
    /// Start the file again at its end (demo).
    pub loop_file: bool,
    /// Seconds between attempts to reopen an unplugged camera.
    pub reconnect_interval_s: f64,
    /// The camera's horizontal field of view in degrees (its datasheet says; most USB
    /// webcams are 60–78°). Head pose is measured relative to the line of sight from
    /// the camera, which needs the focal length this gives.
    pub horizontal_fov_deg: f32,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        Self {
            source: CaptureSource::V4l2,
            device: PathBuf::from("/dev/video0"),
            width: 640,
            height: 480,
            fps: 15,
            format: PixelFormatPref::Auto,
            file: PathBuf::new(),
            loop_file: false,
            reconnect_interval_s: 2.0,
            horizontal_fov_deg: 70.0,
        }
    }
}

impl Validate for CaptureConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        if !(self.horizontal_fov_deg >= 20.0 && self.horizontal_fov_deg <= 170.0) {
            err(
                errors,
                path,
                "horizontal_fov_deg",
                format!(
                    "must be between 20 and 170 degrees, got {}",
                    self.horizontal_fov_deg
                ),
            );
        }
        if !(64..=4096).contains(&self.width) {
            err(
                errors,
                path,
                "width",
                format!("must be between 64 and 4096, got {}", self.width),
            );
        }
        if !(64..=4096).contains(&self.height) {
            err(
                errors,
                path,
                "height",
                format!("must be between 64 and 4096, got {}", self.height),
            );
        }
        if !(1..=120).contains(&self.fps) {
            err(
                errors,
                path,
                "fps",
                format!("must be between 1 and 120, got {}", self.fps),
            );
        }
        if self.source == CaptureSource::File && self.file.as_os_str().is_empty() {
            err(
                errors,
                path,
                "file",
                "must name a video file when source = \"file\"",
            );
        }
        if !(self.reconnect_interval_s.is_finite() && self.reconnect_interval_s > 0.0) {
            err(
                errors,
                path,
                "reconnect_interval_s",
                "must be a positive number of seconds",
            );
        }
    }
}
