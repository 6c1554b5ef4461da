//! A captured video frame: the unit that flows from capture to inference and recording.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// One decoded frame, always packed RGB24 (3 bytes per pixel, no row padding).
///
/// `pts` is the frame's time since the start of its source (monotonic for a camera,
/// the presentation timestamp for a file). Rules use only `pts`, never the wall clock,
/// so a recording analysed offline gives the same events as the live camera.
#[derive(Clone, Debug)]
pub struct Frame {
    pub seq: u64,
    pub pts: Duration,
    pub wall_time: DateTime<Utc>,
    pub width: u32,
    pub height: u32,
    pub data: Arc<[u8]>,
}

impl Frame {
    pub fn new_rgb(
        seq: u64,
        pts: Duration,
        wall_time: DateTime<Utc>,
        width: u32,
        height: u32,
        data: Arc<[u8]>,
    ) -> Self {
        debug_assert_eq!(data.len(), width as usize * height as usize * 3);
        Self {
            seq,
            pts,
            wall_time,
            width,
            height,
            data,
        }
    }
}
