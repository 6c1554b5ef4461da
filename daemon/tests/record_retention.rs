//! Retention on a directory tree laid out as the recorder writes it, with segment end
//! times as the store records them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use proctord::record::enforce_retention;

const MIB: usize = 1024 * 1024;
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

thread_local! {
    /// The recorded end of every segment `segment` wrote (what the store would hold).
    static RECORDED: RefCell<HashMap<PathBuf, DateTime<Utc>>> = RefCell::new(HashMap::new());
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

/// Writes `<root>/<session>/<name>` of `mib` MiB, recorded as ended `age` before `now()`.
fn segment(root: &Path, session: &str, name: &str, mib: usize, age: Duration) -> PathBuf {
    let path = write_file(root, session, name, mib);
    RECORDED.with(|r| {
        r.borrow_mut().insert(
            path.clone(),
            now() - chrono::Duration::from_std(age).unwrap(),
        )
    });
    path
}

fn write_file(root: &Path, session: &str, name: &str, mib: usize) -> PathBuf {
    let dir = root.join(session);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, vec![0u8; mib * MIB]).unwrap();
    path
}

fn retention(root: &Path, max_age_days: u32, max_total_mib: u64) -> Vec<PathBuf> {
    let recorded = RECORDED.with(|r| r.borrow().clone());
    enforce_retention(root, &recorded, now(), max_age_days, max_total_mib)
}

fn exists(paths: &[PathBuf]) -> Vec<bool> {
    paths.iter().map(|p| p.exists()).collect()
}

#[test]
fn beyond_the_size_budget_the_oldest_segments_go_first_across_sessions() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let files = [
        segment(
            r,
            "session-a",
            "segment-00000.mp4",
            1,
            Duration::from_secs(500),
        ),
        segment(
            r,
            "session-b",
            "segment-00000.mp4",
            1,
            Duration::from_secs(400),
        ),
        segment(
            r,
            "session-a",
            "segment-00001.mp4",
            1,
            Duration::from_secs(300),
        ),
        segment(
            r,
            "session-b",
            "segment-00001.mp4",
            1,
            Duration::from_secs(200),
        ),
        segment(
            r,
            "session-b",
            "segment-00002.mp4",
            1,
            Duration::from_secs(100),
        ),
    ];
    let removed = retention(r, 0, 3);
    assert_eq!(removed, files[..2].to_vec(), "the two oldest, oldest first");
    assert_eq!(exists(&files), [false, false, true, true, true]);
    assert!(r.join("session-a").is_dir(), "session directories stay");

    assert!(
        retention(r, 0, 3).is_empty(),
        "within budget nothing more goes"
    );
}

#[test]
fn segments_older_than_the_age_limit_go_even_within_budget() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let files = [
        segment(r, "old", "segment-00000.mp4", 1, DAY * 40),
        segment(r, "old", "segment-00001.mp4", 1, DAY * 31),
        segment(r, "recent", "segment-00000.mp4", 1, DAY * 29),
        segment(r, "recent", "segment-00001.mp4", 1, Duration::from_secs(60)),
    ];
    assert_eq!(retention(r, 30, 0), files[..2].to_vec());
    assert_eq!(exists(&files), [false, false, true, true]);
}

#[test]
fn zero_limits_keep_everything() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let files = [
        segment(r, "s", "segment-00000.mp4", 1, DAY * 400),
        segment(r, "s", "segment-00001.mp4", 1, DAY * 300),
    ];
    assert!(retention(r, 0, 0).is_empty());
    assert_eq!(exists(&files), [true, true]);
}

#[test]
fn the_segment_written_last_survives_even_a_budget_it_alone_exceeds() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let older = segment(r, "s", "segment-00000.mp4", 2, Duration::from_secs(60));
    let being_written = segment(r, "s", "segment-00001.mp4", 2, Duration::ZERO);
    assert_eq!(retention(r, 0, 1), vec![older]);
    assert!(being_written.exists());
}

#[test]
fn files_that_are_not_segments_are_neither_counted_nor_deleted() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let notes = segment(r, "s", "notes.txt", 5, DAY * 100);
    let stray = segment(r, "s", "segment-1.mp4", 5, DAY * 100);
    let files = [
        segment(r, "s", "segment-00000.mp4", 1, Duration::from_secs(20)),
        segment(r, "s", "segment-00001.mp4", 1, Duration::ZERO),
    ];
    assert!(retention(r, 30, 2).is_empty());
    assert_eq!(
        exists(&[notes, stray, files[0].clone(), files[1].clone()]),
        [true, true, true, true]
    );
}

#[test]
fn a_recordings_directory_that_does_not_exist_yet_needs_nothing_deleted() {
    assert!(retention(Path::new("/nonexistent/recordings"), 30, 1).is_empty());
}

#[test]
fn a_file_mtime_a_clock_jump_made_ancient_does_not_age_a_recent_recording() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let files = [
        segment(r, "s", "segment-00000.mp4", 1, Duration::from_secs(120)),
        segment(r, "s", "segment-00001.mp4", 1, Duration::from_secs(60)),
    ];
    // The system clock was 40 days ahead when they were written.
    for f in &files {
        File::options()
            .write(true)
            .open(f)
            .unwrap()
            .set_modified(SystemTime::now() - DAY * 40)
            .unwrap();
    }
    assert!(retention(r, 30, 0).is_empty());
    assert_eq!(exists(&files), [true, true]);
}

#[test]
fn a_segment_without_a_record_counts_as_the_newest_and_is_never_aged_out() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let old = segment(r, "s", "segment-00000.mp4", 1, DAY * 40);
    let older = segment(r, "s", "segment-00001.mp4", 1, DAY * 50);
    let unrecorded = write_file(r, "s", "segment-00002.mp4", 1);
    assert_eq!(retention(r, 30, 0), vec![older, old]);
    assert!(unrecorded.exists());
}
