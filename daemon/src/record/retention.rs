//! Deleting old segments so recordings never fill the disk.
//!
//! A segment's age comes from the time recorded for it in the store (when it ended, on
//! the daemon's clock), never from the file's mtime: a wall-clock jump (an NTP step, a
//! Pi booting with a stale clock) changes neither, so it cannot make a month of
//! recordings look expired. A file without a record (the one being written, or one cut
//! off by a crash and not yet recovered) counts as the newest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::segment::segment_index;

const MIB: u64 = 1024 * 1024;

struct SegmentFile {
    path: PathBuf,
    /// When it ended, as recorded; `None` for a file without a record.
    ended_at: Option<DateTime<Utc>>,
    bytes: u64,
}

/// Deletes segment files under `recordings_dir` (`<session>/segment-NNNNN.mp4`) that
/// ended more than `max_age_days` before `now`, then the oldest ones while all of them
/// together exceed `max_total_mib`. `ended_at` gives each recorded segment's end (files
/// without one are never deleted for age, and go last). A limit of 0 is no limit. The
/// newest segment is never deleted: it is probably the one being recorded. Session
/// directories are kept, even when emptied, since a recorder may be about to write into
/// one.
///
/// Returns the deleted files, oldest first, so their records can be removed from the
/// store. Files that cannot be deleted are logged and skipped.
pub fn enforce_retention(
    recordings_dir: &Path,
    ended_at: &HashMap<PathBuf, DateTime<Utc>>,
    now: DateTime<Utc>,
    max_age_days: u32,
    max_total_mib: u64,
) -> Vec<PathBuf> {
    let mut segments = list_segments(recordings_dir, ended_at);
    // Unrecorded files (`None`) sort after every recorded one.
    segments.sort_by(|a, b| {
        (a.ended_at.is_none(), a.ended_at, &a.path).cmp(&(
            b.ended_at.is_none(),
            b.ended_at,
            &b.path,
        ))
    });
    let Some(newest) = segments.pop() else {
        return Vec::new();
    };

    let too_old = |segment: &SegmentFile| {
        max_age_days > 0
            && segment
                .ended_at
                .is_some_and(|end| now - end > chrono::Duration::days(max_age_days.into()))
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

fn list_segments(
    recordings_dir: &Path,
    ended_at: &HashMap<PathBuf, DateTime<Utc>>,
) -> Vec<SegmentFile> {
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
                    ended_at: ended_at.get(&file.path()).copied(),
                    path: file.path(),
                    bytes: meta.len(),
                }),
                Ok(_) => {}
                Err(e) => log::warn!("Retention cannot read {}: {e}.", file.path().display()),
            }
        }
    }
    segments
}
