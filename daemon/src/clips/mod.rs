//! Event clips: an MP4 of one event, cut from the session's recording segments without
//! re-encoding, cached on disk.
//!
//! # On-disk layout
//!
//! ```text
//! <state_dir>/clips/<session-id>/<event-id>-b<before ms>-a<after ms>.mp4
//! ```
//!
//! # Invariants
//!
//! - A clip file is complete once it has its name: it is written under a temporary name
//!   in the same directory and renamed, so a crash or two requests at once never leave a
//!   half-written clip to be served.
//! - Clips are derived data: the segments are the evidence (and in the hash chain), a
//!   clip can always be cut again from them.
//!
//! # When clips are deleted
//!
//! - With their session, on a deletion request (`Control::delete_session`).
//! - By retention, as segments are: when retention deletes a segment of a session, every
//!   cached clip of that session goes too ([`forget_session`]), so no clip outlives the
//!   recording it was cut from; a later request cuts again from what is left.

mod cut;

pub use cut::{ClipError, cut_clip};

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::{SegmentRecord, SegmentState};

/// The longest clip cut, in seconds: a clip is for looking at one event; the segments
/// hold the rest.
pub const MAX_CLIP_S: f64 = 600.0;

/// The most a reviewer may ask for before and after an event, in seconds.
pub const MAX_MARGIN_S: f64 = 60.0;

pub fn clips_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("clips")
}

pub fn session_dir(state_dir: &Path, session: Uuid) -> PathBuf {
    clips_dir(state_dir).join(session.to_string())
}

/// Where the clip of `event` with these margins is cached.
pub fn clip_path(
    state_dir: &Path,
    session: Uuid,
    event: Uuid,
    before_s: f64,
    after_s: f64,
) -> PathBuf {
    let ms = |s: f64| (s * 1000.0).round() as u64;
    session_dir(state_dir, session).join(format!("{event}-b{}-a{}.mp4", ms(before_s), ms(after_s)))
}

/// Deletes every cached clip of a session (retention removed one of its segments).
pub fn forget_session(state_dir: &Path, session: Uuid) {
    match std::fs::remove_dir_all(session_dir(state_dir, session)) {
        Ok(()) => log::info!("Retention deleted the cached clips of session {session}."),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => log::warn!("Cannot delete the cached clips of session {session}: {e}."),
    }
}

/// The segments that hold some of `from..to` and play, oldest first.
pub fn segments_covering(
    segments: &[SegmentRecord],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<SegmentRecord> {
    let mut covering: Vec<SegmentRecord> = segments
        .iter()
        .filter(|s| s.state != SegmentState::Lost)
        .filter(|s| {
            let end = s.started_at + chrono::Duration::milliseconds((s.duration_s * 1000.0) as i64);
            s.started_at < to && end > from
        })
        .cloned()
        .collect();
    covering.sort_by_key(|s| s.started_at);
    covering
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start_s: i64, duration_s: f64, state: SegmentState) -> SegmentRecord {
        SegmentRecord {
            session_id: None,
            path: PathBuf::from(format!("segment-{start_s}.mp4")),
            started_at: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(start_s),
            duration_s,
            sha256: String::new(),
            bytes: 0,
            state,
        }
    }

    #[test]
    fn only_playable_segments_that_overlap_the_window_are_cut_from() {
        let t = |s: i64| DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(s);
        let segments = vec![
            segment(120, 60.0, SegmentState::Complete),
            segment(0, 60.0, SegmentState::Complete),
            segment(60, 60.0, SegmentState::Lost),
            segment(180, 30.0, SegmentState::Recovered),
        ];
        let names = |v: Vec<SegmentRecord>| {
            v.into_iter()
                .map(|s| s.path.display().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(segments_covering(&segments, t(50), t(190))),
            ["segment-0.mp4", "segment-120.mp4", "segment-180.mp4"]
        );
        assert!(segments_covering(&segments, t(300), t(310)).is_empty());
        // Touching the window's edge is not overlapping it.
        assert!(segments_covering(&segments, t(210), t(220)).is_empty());
    }
}
