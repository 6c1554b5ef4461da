//! Deleting a session on request (a candidate's right to erasure, or a test centre's
//! policy): its session record, events, segment records, chain, health, final report,
//! review decisions, audit entries and the outbox items not yet published go in one
//! transaction, and what stays is one [`DeletionRecord`] (who, from where, when, why,
//! and the chain head the session had) plus one audit entry saying the same.
//!
//! # The hash chain after a deletion
//!
//! The session's own chain (its `chain_heads` entry and retired entries) goes with it:
//! `proctord verify` no longer lists the session, and every other session's chain is
//! untouched, so verify stays OK for them. The deletion record itself is linked into the
//! kiosk's own chain (owner nil, with the kiosk's events and segments) and stored in tree
//! `deletions` (key: nil owner ++ session id): removing or altering it afterwards shows
//! as tampering with the kiosk's chain, so a session cannot be made to vanish without
//! trace, and `proctord verify --session ID` on a deleted session says who deleted it.
//!
//! # What the broker gets
//!
//! Items of the session still waiting in the outbox (events, the session's start and
//! end, its report or report parts) are removed, so a reconnect never publishes the
//! session after its deletion. What the broker already had cannot be recalled: a
//! `{"session_deleted": {"session_id", "deleted_at"}}` message on `sessions` tells the
//! central office to delete its copy too (no name, no reason: those stay on the kiosk).
//! Command results (`cmd/result`) stay: they name the session's id, nothing of the
//! candidate.
//!
//! Recording and clip files are the caller's (`Control::delete_session`): it removes
//! them after this commit, so a failure to delete a file never leaves records pointing
//! at nothing.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError::{self, Abort};
use uuid::Uuid;

use super::audit::{AuditAction, AuditEntry, audit_key};
use super::chain::{self, ChainHead};
use super::keys::owner_prefix;
use super::outbox::OutboxTopic;
use super::{SegmentRecord, Store, StoreError};

/// What stays of a deleted session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeletionRecord {
    pub session_id: Uuid,
    pub deleted_at: DateTime<Utc>,
    /// The account or token that deleted it, and from where.
    pub by: String,
    pub from: String,
    pub reason: String,
    /// The session's chain head when it was deleted (not `chain`: that name is the link
    /// every chained record carries).
    pub session_chain: ChainHead,
    pub removed: Removed,
}

/// How much went.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Removed {
    pub events: usize,
    pub segments: usize,
    pub review_decisions: usize,
    pub audit_entries: usize,
    pub outbox_items: usize,
}

/// Who asks for a deletion, and why.
#[derive(Clone, Debug)]
pub struct DeletionRequest {
    pub by: String,
    pub role: String,
    pub via: String,
    pub from: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

const SESSION_HEALTH_TREE: &str = "session_health";

impl Store {
    /// Deletes an ended session (an active one is refused: end it first) and returns
    /// what stays, with the segment files whose records went (for the caller to delete).
    pub fn delete_session(
        &self,
        id: Uuid,
        request: &DeletionRequest,
    ) -> Result<(DeletionRecord, Vec<PathBuf>), StoreError> {
        let session_health = self
            .db
            .open_tree(SESSION_HEALTH_TREE)
            .map_err(|e| self.error(e))?;
        let prefix = owner_prefix(Some(id));
        let (record, files, outbox_items) = self.write_queued(|| {
            let session = self.session(id)?.ok_or(StoreError::SessionNotFound(id))?;
            if session.ended_at.is_none() {
                return Err(StoreError::SessionStillActive(id));
            }
            let keys_of = |tree: &sled::Tree| -> Result<Vec<sled::IVec>, StoreError> {
                tree.scan_prefix(prefix)
                    .keys()
                    .map(|k| k.map_err(|e| self.error(e)))
                    .collect()
            };
            let events = keys_of(&self.events)?;
            let segments = self.segments_for(id)?;
            let segment_keys = keys_of(&self.segments)?;
            let retired = keys_of(&self.chain_retired)?;
            let reviews = keys_of(&self.reviews)?;
            let audit = keys_of(&self.audit)?;
            let outbox_items = self.outbox.items_naming(id)?;
            let record = DeletionRecord {
                session_id: id,
                deleted_at: request.at,
                by: request.by.clone(),
                from: request.from.clone(),
                reason: request.reason.clone(),
                session_chain: self.chain_head(Some(id))?,
                removed: Removed {
                    events: events.len(),
                    segments: segment_keys.len(),
                    review_decisions: reviews.len(),
                    audit_entries: audit.len(),
                    outbox_items: outbox_items.len(),
                },
            };
            let (stored, kiosk_head) = chain::link(&record, &self.chain_head(None)?);
            let notice = serde_json::to_vec(&serde_json::json!({
                "session_deleted": { "session_id": id, "deleted_at": request.at }
            }))
            .expect("a notice serialises");
            let staged = self.outbox.stage(OutboxTopic::Sessions, &notice)?;
            let entry = AuditEntry {
                at: request.at,
                who: request.by.clone(),
                role: request.role.clone(),
                via: request.via.clone(),
                from: request.from.clone(),
                action: AuditAction::DeletedSession,
                session_id: Some(id),
                subject: format!("reason: {}", request.reason),
            };
            let entry_json = serde_json::to_vec(&entry).expect("an audit entry serialises");
            let entry_key = audit_key(None, self.next_seq()?);
            let mut deletion_key = owner_prefix(None).to_vec();
            deletion_key.extend_from_slice(id.as_bytes());
            (
                &self.sessions,
                &self.active_session,
                &self.events,
                &self.segments,
                &self.chain_heads,
                &self.chain_retired,
                &self.outbox_tree,
                &self.reports,
                &session_health,
                &self.reviews,
                &self.audit,
                &self.deletions,
            )
                .transaction(
                    |(
                        sessions,
                        active,
                        events_tx,
                        segments_tx,
                        heads,
                        retired_tx,
                        outbox,
                        reports,
                        health,
                        reviews_tx,
                        audit_tx,
                        deletions,
                    )| {
                        if active
                            .get(super::sessions::ACTIVE_KEY)?
                            .is_some_and(|current| current.as_ref() == id.as_bytes())
                        {
                            return Err(Abort(StoreError::SessionStillActive(id)));
                        }
                        sessions.remove(id.as_bytes())?;
                        for (tree, keys) in [
                            (events_tx, &events),
                            (segments_tx, &segment_keys),
                            (retired_tx, &retired),
                            (reviews_tx, &reviews),
                            (audit_tx, &audit),
                        ] {
                            for key in keys {
                                tree.remove(&key[..])?;
                            }
                        }
                        for seq in &outbox_items {
                            outbox.remove(&super::keys::seq_key(*seq))?;
                        }
                        heads.remove(&prefix)?;
                        chain::put_head(heads, None, &kiosk_head)?;
                        reports.remove(id.as_bytes())?;
                        health.remove(id.as_bytes())?;
                        deletions.insert(deletion_key.as_slice(), stored.as_slice())?;
                        audit_tx.insert(&entry_key, entry_json.as_slice())?;
                        staged.write(outbox)?;
                        Ok::<_, ConflictableTransactionError<StoreError>>(())
                    },
                )
                .map_err(|e| self.transaction_error(e))?;
            let files: Vec<PathBuf> = segments
                .into_iter()
                .map(|s: SegmentRecord| s.path)
                .collect();
            Ok(((record, files, outbox_items.len()), staged))
        })?;
        self.outbox.forget(outbox_items);
        Ok((record, files))
    }

    /// What stays of a deleted session; `None` if it was never deleted.
    pub fn deletion_of(&self, id: Uuid) -> Result<Option<DeletionRecord>, StoreError> {
        let mut key = owner_prefix(None).to_vec();
        key.extend_from_slice(id.as_bytes());
        match self.deletions.get(key).map_err(|e| self.error(e))? {
            Some(bytes) => self.decode("deletion record", &bytes).map(Some),
            None => Ok(None),
        }
    }
}
