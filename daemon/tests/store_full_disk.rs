//! A disk that fills up between a commit and its flush: the record is live, so the write
//! must not be reported as failed (a client told "507" would retry a record that exists).
//! Real sled on a real, deliberately tiny filesystem: a tmpfs the test mounts, which
//! needs root (as `make test` runs); without it the test says so and does nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Utc;
use proctord::event::{EventDetails, EventKind, Phase, ProctorEvent};
use proctord::store::Store;
use uuid::Uuid;

struct TinyDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl TinyDisk {
    fn mount(mib: u32) -> Option<TinyDisk> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(TinyDisk { path, _dir: dir })
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// Writes until the disk is full.
fn fill(dir: &Path) {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
}

fn event(session_id: Uuid) -> ProctorEvent {
    let now = Utc::now();
    ProctorEvent {
        id: Uuid::now_v7(),
        session_id: Some(session_id),
        kind: EventKind::PhoneDetected,
        phase: Phase::Start,
        started_at: now,
        ended_at: None,
        duration_s: None,
        started_at_s: 1.0,
        ended_at_s: None,
        details: EventDetails::default(),
    }
}

#[test]
fn a_committed_event_whose_flush_fails_on_a_full_disk_is_live_and_not_reported_as_failed() {
    let Some(disk) = TinyDisk::mount(8) else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let store = Store::open(disk.path.join("store")).unwrap();
    let session = store.start_session("Ada Lovelace", None, None).unwrap();
    fill(&disk.path);

    // Each event carries 64 KiB, so sled soon needs disk space it cannot get.
    let mut appended = Vec::new();
    for _ in 0..400 {
        let mut big = event(session.id);
        big.details.note = Some("x".repeat(64 * 1024));
        let stored = store.append_event(&big);
        assert!(
            stored.is_ok(),
            "after {} events a write failed although the record may be live: {stored:?}",
            appended.len()
        );
        appended.push(big);
        if store.unflushed_commits() > 0 {
            break;
        }
    }
    assert!(
        store.unflushed_commits() > 0,
        "the disk never refused a flush; the test wrote too little"
    );
    assert_eq!(
        store.events_for(session.id).unwrap(),
        appended,
        "every record is live"
    );
    let phone = appended.last().unwrap().clone();

    // sled keeps the disk error: a later commit fails, and that one is reported, with
    // what to do, because nothing of it is live.
    let refused = store.append_event(&event(session.id));
    let message = refused.expect_err("a commit sled refused").to_string();
    assert!(message.contains("free space"), "{message}");
    assert!(store.events_for(session.id).unwrap().contains(&phone));
}
