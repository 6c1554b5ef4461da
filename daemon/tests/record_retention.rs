//! Retention on a directory tree laid out as the recorder writes it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use proctord::record::enforce_retention;

const MIB: usize = 1024 * 1024;
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Writes `<root>/<session>/<name>` of `mib` MiB, last modified `age` ago.
fn segment(root: &Path, session: &str, name: &str, mib: usize, age: Duration) -> PathBuf {
    let dir = root.join(session);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, vec![0u8; mib * MIB]).unwrap();
    File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
    path
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
    let removed = enforce_retention(r, 0, 3);
    assert_eq!(removed, files[..2].to_vec(), "the two oldest, oldest first");
    assert_eq!(exists(&files), [false, false, true, true, true]);
    assert!(r.join("session-a").is_dir(), "session directories stay");

    assert!(
        enforce_retention(r, 0, 3).is_empty(),
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
    assert_eq!(enforce_retention(r, 30, 0), files[..2].to_vec());
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
    assert!(enforce_retention(r, 0, 0).is_empty());
    assert_eq!(exists(&files), [true, true]);
}

#[test]
fn the_segment_written_last_survives_even_a_budget_it_alone_exceeds() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let older = segment(r, "s", "segment-00000.mp4", 2, Duration::from_secs(60));
    let being_written = segment(r, "s", "segment-00001.mp4", 2, Duration::ZERO);
    assert_eq!(enforce_retention(r, 0, 1), vec![older]);
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
    assert!(enforce_retention(r, 30, 2).is_empty());
    assert_eq!(
        exists(&[notes, stray, files[0].clone(), files[1].clone()]),
        [true, true, true, true]
    );
}

#[test]
fn a_recordings_directory_that_does_not_exist_yet_needs_nothing_deleted() {
    assert!(enforce_retention(Path::new("/nonexistent/recordings"), 30, 1).is_empty());
}
