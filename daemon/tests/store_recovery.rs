//! A store damaged on disk (a bad sector, a torn write) at start: moved aside, never
//! deleted, and a fresh store opens, so the kiosk comes back up. Real sled on disk.

#[path = "support/damage.rs"]
mod damage;

use std::path::Path;

use chrono::Utc;
use damage::{damage, files_below};
use proctord::store::{Store, StoreError};

/// A store with a finished session in it, closed again.
fn store_with_a_session(dir: &Path) {
    let store = Store::open(dir).unwrap();
    let session = store.start_session("Ada Lovelace", None, None).unwrap();
    store.end_session(session.id).unwrap();
}

fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_below(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            (rel, std::fs::read(&p).unwrap())
        })
        .collect()
}

#[test]
fn a_damaged_store_is_moved_aside_intact_and_a_fresh_one_opens() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("store");
    store_with_a_session(&dir);
    damage(&dir);
    let damaged = files_under(&dir);
    assert!(
        Store::open(&dir).and_then(|s| s.read_through()).is_err(),
        "the damage was not noticed; the test damages the wrong bytes"
    );

    let (store, recovered) = Store::open_or_recover(&dir, Utc::now()).unwrap();

    let recovered = recovered.expect("the damage was noticed");
    assert!(
        recovered.moved_to.starts_with(root.path())
            && recovered
                .moved_to
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("store.damaged-"),
        "{recovered:?}"
    );
    assert_eq!(
        files_under(&recovered.moved_to),
        damaged,
        "the damaged store was not kept byte for byte"
    );
    assert!(
        store.list_sessions().unwrap().is_empty(),
        "the new store is fresh"
    );
    let session = store.start_session("Grace Hopper", None, None).unwrap();
    assert_eq!(store.active_session().unwrap().unwrap().id, session.id);
    assert!(
        recovered.describe().contains("moved to"),
        "{}",
        recovered.describe()
    );
}

#[test]
fn a_healthy_store_opens_as_it_is() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("store");
    store_with_a_session(&dir);
    let (store, recovered) = Store::open_or_recover(&dir, Utc::now()).unwrap();
    assert_eq!(recovered, None);
    assert_eq!(store.list_sessions().unwrap().len(), 1);
    assert_eq!(
        std::fs::read_dir(root.path()).unwrap().count(),
        1,
        "nothing moved"
    );
}

#[test]
fn a_store_held_by_another_process_is_an_error_not_a_recovery() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("store");
    let _running = Store::open(&dir).unwrap();
    let result = Store::open_or_recover(&dir, Utc::now());
    assert!(
        matches!(result, Err(StoreError::Locked { .. })),
        "{:?}",
        result.err()
    );
    assert_eq!(
        std::fs::read_dir(root.path()).unwrap().count(),
        1,
        "nothing moved"
    );
}
