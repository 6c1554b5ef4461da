//! Deleting old segments so recordings never fill the disk.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::segment::segment_index;

const MIB: u64 = 1024 * 1024;
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

struct SegmentFile {
    path: PathBuf,
    modified: SystemTime,
    bytes: u64,
}

/// Deletes segment files under `recordings_dir` (`<session>/segment-NNNNN.mp4`) older
/// than `max_age_days`, then the oldest ones while all of them together exceed
/// `max_total_mib`. A limit of 0 is no limit. The most recently written segment is never
/// deleted: it is probably the one being recorded. Session directories are kept, even
/// when emptied, since a recorder may be about to write into one.
///
/// Returns the deleted files, oldest first, so their records can be removed from the
/// store. Files that cannot be deleted are logged and skipped.
pub fn enforce_retention(
    recordings_dir: &Path,
    max_age_days: u32,
    max_total_mib: u64,
) -> Vec<PathBuf> {
    let mut segments = list_segments(recordings_dir);
    segments.sort_by(|a, b| (a.modified, &a.path).cmp(&(b.modified, &b.path)));
    let Some(newest) = segments.pop() else {
        return Vec::new();
    };

    let too_old = |segment: &SegmentFile| {
        max_age_days > 0
            && SystemTime::now()
                .duration_since(segment.modified)
                .is_ok_and(|age| age > DAY * max_age_days)
    };
    let mut total_bytes: u64 = segments.iter().map(|s| s.bytes).sum::<u64>() + newest.bytes;
    let budget_bytes = max_total_mib.saturating_mul(MIB);
    let mut removed = Vec::new();
    for segment in segments {
        let over_budget = max_total_mib > 0 && total_bytes > budget_bytes;
        if !over_budget && !too_old(&segment) {
            // Oldest first: every later segment is younger, and the total only shrinks.
            break;
        }
        match std::fs::remove_file(&segment.path) {
            Ok(()) => {
                total_bytes -= segment.bytes;
                log::info!(
                    "Retention deleted recording segment {}.",
                    segment.path.display()
                );
                removed.push(segment.path);
            }
            Err(e) => log::warn!("Retention cannot delete {}: {e}.", segment.path.display()),
        }
    }
    removed
}

fn list_segments(recordings_dir: &Path) -> Vec<SegmentFile> {
    let Ok(sessions) = std::fs::read_dir(recordings_dir) else {
        return Vec::new();
    };
    let mut segments = Vec::new();
    for session in sessions.flatten() {
        let Ok(files) = std::fs::read_dir(session.path()) else {
            continue;
        };
        for file in files.flatten() {
            if file.file_name().to_str().and_then(segment_index).is_none() {
                continue;
            }
            match file.metadata() {
                Ok(meta) if meta.is_file() => segments.push(SegmentFile {
                    path: file.path(),
                    modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    bytes: meta.len(),
                }),
                Ok(_) => {}
                Err(e) => log::warn!("Retention cannot read {}: {e}.", file.path().display()),
            }
        }
    }
    segments
}
