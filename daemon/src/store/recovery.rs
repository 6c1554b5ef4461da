//! Opening a store that may be damaged (a bad sector, a torn write on a card without
//! power-loss protection): the daemon must come up, not fail five times and stay down.
//!
//! A store that cannot be opened or read through is moved aside, never deleted:
//! `<dir>` becomes `<dir>.damaged-<UTC time>` (kept for analysis: the exam evidence may
//! still be recoverable from it), and a fresh, empty store is created in `<dir>`. The
//! caller records a `store_recovered` kiosk event in the fresh store.
//!
//! What is *not* treated as damage: the store being locked by another process, a full
//! disk, a permission problem, or a schema newer than this build. Moving the store aside
//! would not help (or would hide good data from an older build), so these stay errors
//! with their own advice.

use std::any::Any;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// A damaged store that was moved aside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredStore {
    /// Where the damaged store now is.
    pub moved_to: PathBuf,
    /// Why it could not be used.
    pub cause: String,
}

impl RecoveredStore {
    /// The sentence a `store_recovered` event and the log carry.
    pub fn describe(&self) -> String {
        format!(
            "the store could not be read ({}); it was moved to {} and a fresh one was started",
            self.cause,
            self.moved_to.display()
        )
    }
}

impl Store {
    /// Opens the store in `dir` and reads every record once; if it is damaged, moves it
    /// aside (see the module documentation) and opens a fresh one. `now` names the
    /// moved directory.
    pub fn open_or_recover(
        dir: impl AsRef<Path>,
        now: DateTime<Utc>,
    ) -> Result<(Store, Option<RecoveredStore>), StoreError> {
        let dir = dir.as_ref();
        let damage = match open_and_read_through(dir) {
            Ok(store) => return Ok((store, None)),
            Err(e) if is_damage(&e) => e,
            Err(e) => return Err(e),
        };
        let moved_to = aside_path(dir, now);
        std::fs::rename(dir, &moved_to).map_err(|source| StoreError::CannotMoveAside {
            dir: dir.to_path_buf(),
            to: moved_to.clone(),
            cause: damage.to_string(),
            source,
        })?;
        let recovered = RecoveredStore {
            moved_to,
            cause: damage.to_string(),
        };
        log::error!("{}.", capitalised(&recovered.describe()));
        Ok((Store::open(dir)?, Some(recovered)))
    }

    /// Reads every record of every tree, decoding the typed ones: sled checks each
    /// page's checksum as it reads it, so damage shows here rather than mid-exam.
    pub fn read_through(&self) -> Result<(), StoreError> {
        for name in self.db.tree_names() {
            let tree = self.db.open_tree(&name).map_err(|e| self.error(e))?;
            for entry in tree.iter() {
                entry.map_err(|e| self.error(e))?;
            }
        }
        self.list_sessions()?;
        self.active_session()?;
        for session in self.list_sessions()? {
            self.events_for(session.id)?;
            self.session_health(session.id)?;
        }
        self.kiosk_events()?;
        self.all_segments()?;
        self.outbox.peek_batch(usize::MAX)?;
        Ok(())
    }
}

fn open_and_read_through(dir: &Path) -> Result<Store, StoreError> {
    // sled panics on some kinds of damage instead of returning an error.
    let opened = catch_unwind(AssertUnwindSafe(|| Store::open(dir))).map_err(|panic| {
        StoreError::Corrupt {
            dir: dir.to_path_buf(),
            detail: format!("opening it failed: {}", panic_text(&panic)),
        }
    })?;
    let store = opened?;
    let read = catch_unwind(AssertUnwindSafe(|| store.read_through())).map_err(|panic| {
        StoreError::Corrupt {
            dir: dir.to_path_buf(),
            detail: format!("reading it failed: {}", panic_text(&panic)),
        }
    })?;
    read.map(|()| store)
}

/// Damage that moving the store aside cures.
fn is_damage(e: &StoreError) -> bool {
    match e {
        StoreError::Corrupt { .. } | StoreError::Internal(_) => true,
        StoreError::Io { source, .. } => source.kind() != io::ErrorKind::PermissionDenied,
        _ => false,
    }
}

fn aside_path(dir: &Path, now: DateTime<Utc>) -> PathBuf {
    let name = dir
        .file_name()
        .map_or("store".into(), |n| n.to_string_lossy());
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let base = dir.with_file_name(format!("{name}.damaged-{stamp}"));
    // Two recoveries within a second (a crash loop) must not collide.
    (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                PathBuf::from(format!("{}-{n}", base.display()))
            }
        })
        .find(|candidate| !candidate.exists())
        .expect("some suffix is free")
}

fn panic_text(panic: &Box<dyn Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "sled panicked".into())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
}
