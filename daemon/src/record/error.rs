//! What can stop a recording, worded so an operator knows what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(
        "no H.264 encoder is installed; install gstreamer1.0-plugins-ugly (x264enc) or gstreamer1.0-plugins-bad (openh264enc), or set recording.enabled = false"
    )]
    NoEncoder,

    #[error(
        "recording.encoder = \"{name}\" is not installed here; installed H.264 encoders: {}. Set recording.encoder = \"auto\" or one of them",
        list_or_none(.available)
    )]
    EncoderMissing {
        name: String,
        available: Vec<String>,
    },

    #[error("cannot create recording directory {}: {source}", .path.display())]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "GStreamer cannot build the recording pipeline: {0}. Install gstreamer1.0-plugins-base, -good and -bad"
    )]
    GStreamer(String),

    #[error("recording failed: {0}")]
    Pipeline(String),

    #[error(
        "recording stopped: only {free_mib} MiB free on {}, below recording.min_free_mib = {min_free_mib}; free space or let retention delete old segments",
        .path.display()
    )]
    DiskFull {
        path: PathBuf,
        free_mib: u64,
        min_free_mib: u64,
    },

    #[error(
        "the recording did not close its last segment within {waited_s} s; that segment may lack its final index"
    )]
    FinishTimeout { waited_s: u64 },
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
