//! Everything that can go wrong while getting frames, worded so an operator knows what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("video file {} does not exist: set capture.file to an existing .mp4 or .mkv file", .path.display())]
    FileNotFound { path: PathBuf },

    #[error(
        "cannot play {}: {reason}. Use an H.264 .mp4 or .mkv file (check it with `gst-discoverer-1.0 FILE`)",
        .path.display()
    )]
    UnsupportedFile { path: PathBuf, reason: String },

    #[error("decoding {} failed after it had started: {reason}", .path.display())]
    Decode { path: PathBuf, reason: String },

    #[error("cannot read image {}: {source}. Use a readable .jpg, .png or .bmp file", .path.display())]
    Image {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },

    #[error(
        "GStreamer is unusable: {0}. Install gstreamer1.0-plugins-base, -good, -bad and gstreamer1.0-libav"
    )]
    GStreamer(String),

    #[error(
        "cannot open camera {}: {source}. Check capture.device (see `ls -l /dev/v4l/by-id/`) and that proctord may use it (group `video`)",
        .device.display()
    )]
    CameraOpen {
        device: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("camera {} cannot deliver frames as configured: {reason}", .device.display())]
    CameraFormat { device: PathBuf, reason: String },

    #[error("camera {} is disconnected or stopped sending frames: {reason}", .device.display())]
    Disconnected { device: PathBuf, reason: String },

    #[error("{described} cannot be reopened: only a camera can be reopened after it was lost")]
    NotReopenable { described: String },
}
