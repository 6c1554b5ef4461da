//! Reviewers' decisions on a session's events: `confirmed` (the candidate is charged as
//! the detector said) or `dismissed` (a false alarm: not charged), each with a note, who
//! decided and when.
//!
//! Tree `reviews`: key = session (16 bytes) ++ event id (16 bytes) ++ sequence (u64
//! big-endian); value = [`ReviewDecision`] as JSON. Every decision is kept; the latest
//! for an event is the one in force, the earlier ones show how the review went. They
//! are removed only with their session (deletion on request).
//!
//! Decisions are judgements about the evidence, not evidence: they are kept outside the
//! hash chain (so a review does not move the chain head the report states), and each
//! one is also written to the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit::{AuditAction, AuditEntry};
use super::keys::owner_prefix;
use super::{Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Confirmed,
    Dismissed,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Confirmed => "confirmed",
            Decision::Dismissed => "dismissed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewDecision {
    pub session_id: Uuid,
    pub event_id: Uuid,
    pub decision: Decision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The reviewer's account or token name.
    pub by: String,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Stores a decision and its audit entry together, flushed before returning. The
    /// caller has checked that the event belongs to the session.
    pub fn add_review(
        &self,
        decision: &ReviewDecision,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        debug_assert_eq!(audit.action, AuditAction::ReviewedEvent);
        let _order = self.outbox.order();
        let mut key = Vec::with_capacity(40);
        key.extend_from_slice(&owner_prefix(Some(decision.session_id)));
        key.extend_from_slice(decision.event_id.as_bytes());
        key.extend_from_slice(&self.next_seq()?.to_be_bytes());
        let json = serde_json::to_vec(decision).expect("a review decision always serialises");
        self.reviews.insert(key, json).map_err(|e| self.error(e))?;
        self.append_audit(audit)?;
        self.flush()
    }

    /// Every decision on a session's events, in the order they were made.
    pub fn reviews_for(&self, session_id: Uuid) -> Result<Vec<ReviewDecision>, StoreError> {
        let mut decisions = self
            .reviews
            .scan_prefix(owner_prefix(Some(session_id)))
            .map(|entry| {
                let (key, bytes) = entry.map_err(|e| self.error(e))?;
                let seq = key
                    .get(32..)
                    .and_then(|k| <[u8; 8]>::try_from(k).ok())
                    .map_or(0, u64::from_be_bytes);
                Ok((
                    seq,
                    self.decode::<ReviewDecision>("review decision", &bytes)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        decisions.sort_by_key(|(seq, _)| *seq);
        Ok(decisions.into_iter().map(|(_, d)| d).collect())
    }
}
