//! The kiosk's durable state: sessions, events, recording segments and the MQTT outbox,
//! in one sled database under `[kiosk] state_dir`.
//!
//! # On-disk layout
//!
//! All integers in keys are big-endian so that byte order is numeric order. A session
//! id is stored as its 16 raw bytes; ids are UUIDv7, so sessions sort by start time.
//! "Owner" below is a session id, or the nil UUID for the kiosk's own records (events
//! and segments outside any session).
//!
//! | tree             | key                                   | value                          |
//! |------------------|---------------------------------------|--------------------------------|
//! | `meta`           | `"schema_version"`                    | u32 big-endian                 |
//! | `sessions`       | session id (16 bytes)                 | [`Session`] as JSON            |
//! | `active_session` | `"active"`                            | session id (16 bytes)          |
//! | `events`         | owner (16 bytes) ++ seq (u64)         | [`ProctorEvent`] as JSON, with its `chain` link |
//! | `segments`       | owner (16 bytes) ++ file path bytes   | [`SegmentRecord`] as JSON, with its `chain` link |
//! | `chain_heads`    | owner (16 bytes)                      | [`ChainHead`] as JSON          |
//! | `chain_retired`  | owner (16 bytes) ++ chain index (u64) | [`chain::Retired`] as JSON     |
//! | `outbox`         | seq (u64)                             | see [`outbox`]                 |
//! | `session_health` | session id (16 bytes)                 | [`SessionHealth`] as JSON      |
//! | `reports`        | session id (16 bytes)                 | the final report as JSON       |
//! | `heartbeat`      | `"last"`                              | see [`heartbeat`]              |
//! | `reviews`        | session ++ event id ++ seq (u64)      | [`ReviewDecision`] as JSON, see [`review`] |
//! | `audit`          | owner (16 bytes) ++ seq (u64)         | [`AuditEntry`] as JSON, see [`audit`] |
//! | `deletions`      | nil owner ++ session id               | [`DeletionRecord`] as JSON, chained into the kiosk's chain, see [`deletion`] |
//!
//! Sequences come from sled's `generate_id`: monotonic across restarts and crashes,
//! with gaps. An event and its outbox item share one sequence (the event takes its own
//! when publishing is off), so a session's events read back in the order they were
//! appended. Sequences are allocated and committed under the outbox's order lock, so
//! they become visible in increasing order (see [`outbox`]).
//!
//! # Invariants
//!
//! - A write that returned `Ok` has been committed, and flushed to disk before
//!   returning. If the commit succeeded but the flush failed (a full disk), the record
//!   is live (every reader sees it, the outbox publishes it), so the write still returns
//!   `Ok`: answering "failed" would make the caller retry a record that exists. Such a
//!   write is logged and counted ([`Store::unflushed_commits`], in the health snapshot);
//!   sled then refuses later commits, which do fail, until proctord restarts.
//! - A record and the outbox item announcing it are written in one transaction: an
//!   event or a session change is never stored without being queued for the broker,
//!   nor queued without being stored.
//! - At most one session is active (`active_session` holds at most one id) and the
//!   active session has no `ended_at`.
//! - A session ends in one transaction with its final report: the session record, its
//!   `reports` record and the two outbox items (`sessions`, `reports`) are written
//!   together, so a crash can never leave an ended session without its report.
//! - No event is added to a session that has ended.
//! - An event or segment that names a session names one that exists.
//! - Every event and segment record is linked into its owner's hash chain (see
//!   [`chain`]), and `chain_heads` names the last link.
//! - The schema version is written when the store is created; a store with a newer
//!   version than this build understands is refused rather than misread.
//!
//! # When data may be deleted
//!
//! - An outbox item: only by [`Outbox::ack`], after the broker's PUBACK.
//! - A segment record: by [`Store::remove_segment`] (which keeps its hash in
//!   `chain_retired`), after recording's retention has deleted the file (a record never points at a file that retention still keeps
//!   unrecorded, and a crash between the two leaves a record for a missing file, which
//!   retention removes on its next pass).
//! - Sessions and events: never by proctord on its own; they are the exam's evidence.
//!   Only a deletion on request ([`Store::delete_session`], a reviewer through the API)
//!   removes an ended session with everything of it, leaving a [`DeletionRecord`] and
//!   an audit entry. Wiping a kiosk means deleting the whole `state_dir` while
//!   proctord is stopped.
//! - Audit entries and review decisions: only with their session's deletion.

pub mod audit;
pub mod chain;
mod command_ids;
pub mod deletion;
mod error;
mod events;
mod health;
pub mod heartbeat;
mod keys;
pub mod outbox;
mod recovery;
pub mod report_parts;
pub mod review;
mod segments;
mod sessions;
pub mod verify;

pub use audit::{Accessor, AuditAction, AuditEntry};
pub use chain::ChainHead;
pub use deletion::{DeletionRecord, DeletionRequest};
pub use error::StoreError;
pub use heartbeat::{Heartbeat, OpenEventEnd};
pub use outbox::{DEFAULT_MAX_MESSAGE_BYTES, MAX_PAYLOAD_BYTES, Outbox, OutboxItem, OutboxTopic};
pub use recovery::RecoveredStore;
pub use review::{Decision, ReviewDecision};
pub use segments::{SegmentRecord, SegmentState};
pub use sessions::EndOfSession;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use sled::transaction::TransactionError;

#[cfg(doc)]
use crate::{
    event::ProctorEvent,
    session::{Session, SessionHealth},
};

/// The schema this build writes and understands.
pub const SCHEMA_VERSION: u32 = 1;

const SCHEMA_VERSION_KEY: &[u8] = b"schema_version";

/// A handle on the open store; cheap to clone (all clones share one database).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    sessions: sled::Tree,
    active_session: sled::Tree,
    events: sled::Tree,
    segments: sled::Tree,
    chain_heads: sled::Tree,
    chain_retired: sled::Tree,
    outbox_tree: sled::Tree,
    reports: sled::Tree,
    reviews: sled::Tree,
    audit: sled::Tree,
    deletions: sled::Tree,
    outbox: Outbox,
    dir: Arc<PathBuf>,
    unflushed_commits: Arc<AtomicU64>,
}

impl Store {
    /// Opens the store in `dir`, creating it if needed. Fails if another process has it
    /// open or if it was written by a newer proctord.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::from_io(dir.clone(), e))?;
        let db = sled::Config::new()
            .path(&dir)
            .open()
            .map_err(|e| StoreError::from_sled(&dir, e))?;
        let tree = |name: &str| {
            db.open_tree(name)
                .map_err(|e| StoreError::from_sled(&dir, e))
        };
        let meta = tree("meta")?;
        check_schema(&db, &meta, &dir)?;
        let (sessions, active_session, events, segments, outbox_tree, reports) = (
            tree("sessions")?,
            tree("active_session")?,
            tree("events")?,
            tree("segments")?,
            tree("outbox")?,
            tree("reports")?,
        );
        let (chain_heads, chain_retired) = (tree("chain_heads")?, tree("chain_retired")?);
        let (reviews, audit, deletions) = (tree("reviews")?, tree("audit")?, tree("deletions")?);
        let dir = Arc::new(dir);
        Ok(Store {
            outbox: Outbox::new(db.clone(), outbox_tree.clone(), dir.clone()),
            sessions,
            active_session,
            events,
            segments,
            chain_heads,
            chain_retired,
            outbox_tree,
            reports,
            reviews,
            audit,
            deletions,
            db,
            dir,
            unflushed_commits: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The directory the store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What is still to be published.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Writes committed since this store was opened whose flush failed (see the
    /// invariants): the kiosk's health shows it, an operator checks the disk.
    pub fn unflushed_commits(&self) -> u64 {
        self.unflushed_commits.load(Relaxed)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(|e| self.error(e))
    }

    /// Flushes after a committed transaction: a failure is logged and counted, not
    /// returned, because the record is already live.
    fn flush_committed(&self, what: &str) {
        if let Err(e) = self.flush() {
            self.unflushed_commits.fetch_add(1, Relaxed);
            log::error!(
                "The {what} is stored, but writing it to disk failed: {e}. It stays live and is written with the next flush; check the disk."
            );
        }
    }

    fn next_seq(&self) -> Result<u64, StoreError> {
        self.db.generate_id().map_err(|e| self.error(e))
    }

    /// A write that queues outbox items: `write` stages them (with
    /// [`Outbox::stage`]) and commits its transaction while the order lock is held;
    /// then the store is flushed and the publisher woken.
    fn write_queued<T>(
        &self,
        write: impl FnOnce() -> Result<(T, outbox::Staged), StoreError>,
    ) -> Result<T, StoreError> {
        let order = self.outbox.order();
        let (written, staged) = write()?;
        self.outbox.committed(&staged);
        drop(order);
        self.flush_committed("record");
        self.outbox.wake();
        Ok(written)
    }

    fn error(&self, e: sled::Error) -> StoreError {
        StoreError::from_sled(&self.dir, e)
    }

    fn transaction_error(&self, e: TransactionError<StoreError>) -> StoreError {
        match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => self.error(e),
        }
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        bytes: &[u8],
    ) -> Result<T, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::undecodable(&self.dir, what, e))
    }
}

fn check_schema(db: &sled::Db, meta: &sled::Tree, dir: &Path) -> Result<(), StoreError> {
    let sled_error = |e| StoreError::from_sled(dir, e);
    match meta.get(SCHEMA_VERSION_KEY).map_err(sled_error)? {
        Some(bytes) => {
            let found = <[u8; 4]>::try_from(bytes.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| StoreError::undecodable(dir, "schema version", "not 4 bytes"))?;
            if found > SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew {
                    dir: dir.to_path_buf(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            Ok(())
        }
        None => {
            meta.insert(SCHEMA_VERSION_KEY, &SCHEMA_VERSION.to_be_bytes())
                .map_err(sled_error)?;
            db.flush().map(drop).map_err(sled_error)
        }
    }
}
