//! Opening a store again in the same process, right after dropping it.
//!
//! sled lets go of its file lock a moment after the last handle is dropped (its flusher
//! thread holds one), so an immediate reopen can find the store `Locked` by the very
//! process that closed it. The daemon never does this (a restart is a new process); tests
//! that reopen in-process wait for the lock here, up to 2 s.
//!
//! Use from a test file with `#[path = "support/reopen.rs"] mod reopen;`.

use std::path::Path;
use std::time::Duration;

use proctord::store::{Store, StoreError};

pub fn reopen(dir: &Path) -> Store {
    for _ in 0..100 {
        match Store::open(dir) {
            Err(StoreError::Locked { .. }) => std::thread::sleep(Duration::from_millis(20)),
            other => return other.unwrap(),
        }
    }
    panic!(
        "the store in {} stayed locked for 2 s after it was closed",
        dir.display()
    );
}
