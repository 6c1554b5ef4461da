//! Recording: every frame of a session encoded to H.264 in mp4 segment files, through
//! GStreamer, with each finished segment reported (path, start, duration, SHA-256, size)
//! so the store can keep the evidence chain.
//!
//! # On-disk layout
//!
//! ```text
//! <state_dir>/recordings/<session-id>/segment-00000.mp4
//!                                     segment-00001.mp4 ...
//! ```
//! Segments are `recording.segment_s` long (cut at the next keyframe, which the encoder
//! is asked for at each boundary). A session resumed after a restart continues the
//! numbering after its last existing file.
//!
//! # Invariants
//!
//! - A segment is reported only after it was closed, synced to disk (with its directory
//!   entry) and hashed; the hash is of the file exactly as it stays on disk.
//! - The file being written survives a crash or power cut up to its last index update
//!   (about a second before): mp4mux reserves and periodically rewrites its index. Such
//!   a file is never reported by this module; the daemon's crash recovery records it on
//!   the next start ([`salvage_segment`]: recovered if it plays, lost if not).
//! - The camera thread never blocks on recording: frames beyond a short queue are
//!   dropped and counted.
//! - Below `recording.min_free_mib` of free space recording stops (reported once as
//!   [`RecordError::DiskFull`]) after closing the current segment; detection goes on.
//!
//! # When files may be deleted
//!
//! Only by [`enforce_retention`]: beyond `recording.retention_days` of age (by the
//! segment's recorded end, not the file's mtime), or oldest
//! first beyond `recording.max_total_mib` in total. The most recently written segment is
//! never deleted. The caller then removes the deleted files' records from the store.

mod bus;
mod disk_space;
mod encoder;
mod error;
mod frame_rate;
mod pipeline;
mod recorder;
mod retention;
mod salvage;
mod segment;

pub use disk_space::free_space_mib;
pub use encoder::{AUTO_ENCODER_ORDER, available_h264_encoders, choose_encoder};
pub use error::RecordError;
pub use recorder::Recorder;
pub use retention::enforce_retention;
pub use salvage::{SalvagedSegment, salvage_segment};
pub use segment::{
    SEGMENT_FILE_PATTERN, SegmentFinished, next_segment_index, segment_index, sha256_of,
};

use std::path::{Path, PathBuf};

use crate::config::RecordingConfig;

/// Where recordings live under `[kiosk] state_dir`.
pub fn recordings_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("recordings")
}
