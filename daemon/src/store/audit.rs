//! The audit log: every view or download of a candidate's report, recording or clip,
//! every review decision and every deletion, with who, from where and when.
//!
//! Tree `audit`: key = owner (16 bytes: the session, or the nil UUID for entries about no
//! session that still exists, such as deletions) ++ sequence (u64 big-endian, sled's
//! `generate_id`); value = [`AuditEntry`] as JSON. Entries are only appended; a session's
//! entries go only when the session is deleted on request (see `deletion`), and the
//! deletion leaves its own entry under the nil owner.
//!
//! The audit log is not part of the evidence hash chain: it records who looked at the
//! evidence, not the evidence, and appending to it must not move a session's chain head
//! (which its report states).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::keys::owner_prefix;
use super::{Store, StoreError};

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    ViewedReport,
    DownloadedReport,
    ListedRecordings,
    DownloadedRecording,
    DownloadedClip,
    ViewedAuditLog,
    ReviewedEvent,
    DeletedSession,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::ViewedReport => "viewed_report",
            AuditAction::DownloadedReport => "downloaded_report",
            AuditAction::ListedRecordings => "listed_recordings",
            AuditAction::DownloadedRecording => "downloaded_recording",
            AuditAction::DownloadedClip => "downloaded_clip",
            AuditAction::ViewedAuditLog => "viewed_audit_log",
            AuditAction::ReviewedEvent => "reviewed_event",
            AuditAction::DeletedSession => "deleted_session",
        }
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The account or token name.
    pub who: String,
    /// `proctor` or `reviewer`.
    pub role: String,
    /// `login` or `token`.
    pub via: String,
    /// The client's address.
    pub from: String,
    pub action: AuditAction,
    /// The session concerned (a deleted session's id stays here, nothing else of it).
    pub session_id: Option<Uuid>,
    /// What exactly: the report's format, a recording or event id, a decision.
    pub subject: String,
}

/// Who did something, as the audit log names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accessor {
    pub who: String,
    pub role: String,
    pub via: String,
    pub from: String,
}

impl AuditEntry {
    pub fn new(
        by: &Accessor,
        action: AuditAction,
        session_id: Option<Uuid>,
        subject: impl Into<String>,
        at: DateTime<Utc>,
    ) -> AuditEntry {
        AuditEntry {
            at,
            who: by.who.clone(),
            role: by.role.clone(),
            via: by.via.clone(),
            from: by.from.clone(),
            action,
            session_id,
            subject: subject.into(),
        }
    }
}

impl Store {
    /// Appends an entry, flushed before returning: a download is served only once it is
    /// on record.
    pub fn record_access(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let _order = self.outbox.order();
        self.append_audit(entry)?;
        self.flush()
    }

    /// Appends without the order lock or a flush (the caller holds one and flushes).
    pub(super) fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let json = serde_json::to_vec(entry).expect("an audit entry always serialises");
        self.audit
            .insert(audit_key(entry_owner(entry), self.next_seq()?), json)
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// A session's entries, oldest first.
    pub fn audit_for(&self, session_id: Uuid) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit
            .scan_prefix(owner_prefix(Some(session_id)))
            .values()
            .map(|bytes| self.decode("audit entry", &bytes.map_err(|e| self.error(e))?))
            .collect()
    }

    /// The newest `limit` entries of the whole log, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let mut entries = self
            .audit
            .iter()
            .map(|entry| {
                let (key, bytes) = entry.map_err(|e| self.error(e))?;
                let seq = key
                    .get(16..)
                    .and_then(|k| <[u8; 8]>::try_from(k).ok())
                    .map_or(0, u64::from_be_bytes);
                Ok((seq, self.decode::<AuditEntry>("audit entry", &bytes)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Keys sort by owner first; sequences give the order entries were written in.
        entries.sort_by_key(|e| std::cmp::Reverse(e.0));
        Ok(entries.into_iter().take(limit).map(|(_, e)| e).collect())
    }
}

/// Deletions are filed under the nil owner: their session is gone.
fn entry_owner(entry: &AuditEntry) -> Option<Uuid> {
    match entry.action {
        AuditAction::DeletedSession => None,
        _ => entry.session_id,
    }
}

pub(super) fn audit_key(owner: Option<Uuid>, seq: u64) -> [u8; 24] {
    super::keys::event_key(owner, seq)
}
