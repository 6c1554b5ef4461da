//! After a crash: the segment that was being written when the daemon died.
//!
//! The recorder reports only segments it closed, so the file it was writing when the
//! daemon was killed has no record. mp4mux rewrites its index about once a second, so
//! such a file usually plays up to that point: it is then synced, hashed and recorded as
//! `recovered`. A file that does not play (killed before its first index update) is kept
//! as it is, hashed and recorded as `lost`, so the report says what is missing. Files
//! are never modified or deleted here.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gstreamer as gst;
use gstreamer_pbutils as pbutils;

use super::segment::sha256_of;

/// How long one file may take to probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a cut-off segment file turned out to be.
#[derive(Clone, Debug, PartialEq)]
pub struct SalvagedSegment {
    pub path: PathBuf,
    /// Playable length; `None` when it does not play.
    pub playable_s: Option<f64>,
    pub sha256: String,
    pub bytes: u64,
}

/// Probes, syncs and hashes one cut-off segment file.
pub fn salvage_segment(path: &Path) -> std::io::Result<SalvagedSegment> {
    let file = File::open(path)?;
    file.sync_all()?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    let playable_s = playable_seconds(path);
    let (sha256, bytes) = sha256_of(&mut File::open(path)?)?;
    Ok(SalvagedSegment {
        path: path.to_path_buf(),
        playable_s,
        sha256,
        bytes,
    })
}

/// The video's playable duration, if GStreamer can play it at all.
fn playable_seconds(path: &Path) -> Option<f64> {
    gst::init().ok()?;
    let uri = gst::glib::filename_to_uri(path, None).ok()?;
    let discoverer = pbutils::Discoverer::new(gst::ClockTime::from_nseconds(
        PROBE_TIMEOUT.as_nanos() as u64,
    ))
    .ok()?;
    let info = discoverer.discover_uri(&uri).ok()?;
    if info.result() != pbutils::DiscovererResult::Ok || info.video_streams().is_empty() {
        return None;
    }
    let seconds = info.duration()?.nseconds() as f64 / 1e9;
    (seconds > 0.0).then_some(seconds)
}
