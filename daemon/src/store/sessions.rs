//! Exam sessions: one active at a time; every start and end is queued for `sessions`,
//! and an end for `reports` with the session's final report, in the same transaction.

use std::path::Path;

use chrono::{DateTime, Utc};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError::{self, Abort};
use sled::transaction::TransactionalTree;
use uuid::Uuid;

use super::outbox::OutboxTopic;
use super::{Store, StoreError};
use crate::event::ProctorEvent;
use crate::session::Session;

pub(super) const ACTIVE_KEY: &[u8] = b"active";

/// What is stored with a session's end (see [`Store::end_session_with`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EndOfSession {
    /// The final report, kept in the `reports` tree and queued for the `reports` topic
    /// (in parts when it is larger than a message may be).
    pub report: Option<Vec<u8>>,
}

impl Store {
    /// Starts a session now. Fails with [`StoreError::SessionAlreadyActive`] while
    /// another one is active: a kiosk seats one candidate at a time.
    pub fn start_session(
        &self,
        candidate: &str,
        exam_id: Option<&str>,
        notes: Option<&str>,
    ) -> Result<Session, StoreError> {
        self.start_session_at(candidate, exam_id, notes, Utc::now())
    }

    /// Starts a session at `at` (the daemon's one clock, see `clock::WallMap`).
    pub fn start_session_at(
        &self,
        candidate: &str,
        exam_id: Option<&str>,
        notes: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Session, StoreError> {
        let session = Session {
            id: Uuid::now_v7(),
            candidate: candidate.to_owned(),
            exam_id: exam_id.map(str::to_owned),
            notes: notes.map(str::to_owned),
            started_at: at,
            ended_at: None,
        };
        let json = serde_json::to_vec(&session).expect("a Session always serialises");
        let dir = self.dir.clone();
        self.write_queued(|| {
            let staged = self.outbox.stage(OutboxTopic::Sessions, &json)?;
            (&self.sessions, &self.active_session, &self.outbox_tree)
                .transaction(|(sessions, active, outbox)| {
                    if let Some(current) = active.get(ACTIVE_KEY)? {
                        let active = Uuid::from_slice(&current).map_err(|e| {
                            Abort(StoreError::undecodable(&dir, "active session", e))
                        })?;
                        return Err(Abort(StoreError::SessionAlreadyActive { active }));
                    }
                    sessions.insert(session.id.as_bytes(), json.as_slice())?;
                    active.insert(ACTIVE_KEY, session.id.as_bytes())?;
                    staged.write(outbox)?;
                    Ok(())
                })
                .map_err(|e| self.transaction_error(e))?;
            Ok((session, staged))
        })
    }

    /// Ends a session now without a report (tools and tests; the daemon ends sessions
    /// through [`Store::end_session_with`]).
    pub fn end_session(&self, id: Uuid) -> Result<Session, StoreError> {
        self.end_session_with(id, Utc::now(), |_, _| Ok(EndOfSession::default()))
            .map(|(session, _)| session)
    }

    /// Ends a session at `at` together with what `finish` makes of it (its final report),
    /// in one transaction: the ended session, the report record and their outbox items
    /// are stored together or not at all. `finish` sees the ended session and every event
    /// stored for it; no event can be added in between (appends hold the same order lock).
    pub fn end_session_with(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        finish: impl FnOnce(&Session, &[ProctorEvent]) -> Result<EndOfSession, StoreError>,
    ) -> Result<(Session, EndOfSession), StoreError> {
        let dir = self.dir.clone();
        self.write_queued(|| {
            // Every writer of sessions and events holds the order lock, so what is read
            // here is still current when the transaction below commits.
            let mut session = self.session(id)?.ok_or(StoreError::SessionNotFound(id))?;
            if session.ended_at.is_some() {
                return Err(StoreError::SessionAlreadyEnded(id));
            }
            session.ended_at = Some(at.max(session.started_at));
            let events = self.events_for(id)?;
            let end = finish(&session, &events)?;
            let json = serde_json::to_vec(&session).expect("a Session always serialises");
            let mut staged = self.outbox.stage(OutboxTopic::Sessions, &json)?;
            if let Some(report) = &end.report {
                staged = staged.and(self.outbox.stage(OutboxTopic::Reports, report)?);
            }
            (
                &self.sessions,
                &self.active_session,
                &self.outbox_tree,
                &self.reports,
            )
                .transaction(|(sessions, active, outbox, reports)| {
                    unended_session_in(sessions, id, &dir)?;
                    sessions.insert(id.as_bytes(), json.as_slice())?;
                    if active
                        .get(ACTIVE_KEY)?
                        .is_some_and(|current| current.as_ref() == id.as_bytes())
                    {
                        active.remove(ACTIVE_KEY)?;
                    }
                    if let Some(report) = &end.report {
                        reports.insert(id.as_bytes(), report.as_slice())?;
                    }
                    staged.write(outbox)?;
                    Ok(())
                })
                .map_err(|e| self.transaction_error(e))?;
            Ok(((session, end), staged))
        })
    }

    /// The final report stored when the session ended, as JSON.
    pub fn final_report(&self, id: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .reports
            .get(id.as_bytes())
            .map_err(|e| self.error(e))?
            .map(|bytes| bytes.to_vec()))
    }

    /// The session in progress, if any.
    pub fn active_session(&self) -> Result<Option<Session>, StoreError> {
        let Some(id) = self
            .active_session
            .get(ACTIVE_KEY)
            .map_err(|e| self.error(e))?
        else {
            return Ok(None);
        };
        let id = Uuid::from_slice(&id)
            .map_err(|e| StoreError::undecodable(&self.dir, "active session", e))?;
        self.session(id)
    }

    pub fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        match self
            .sessions
            .get(id.as_bytes())
            .map_err(|e| self.error(e))?
        {
            Some(bytes) => self.decode("session", &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Every session, oldest first.
    pub fn list_sessions(&self) -> Result<Vec<Session>, StoreError> {
        self.sessions
            .iter()
            .values()
            .map(|bytes| self.decode("session", &bytes.map_err(|e| self.error(e))?))
            .collect()
    }
}

/// Inside a transaction: the session `id`, which must exist and not have ended.
pub(super) fn unended_session_in(
    sessions: &TransactionalTree,
    id: Uuid,
    dir: &Path,
) -> Result<Session, ConflictableTransactionError<StoreError>> {
    let bytes = sessions
        .get(id.as_bytes())?
        .ok_or(Abort(StoreError::SessionNotFound(id)))?;
    let session: Session = serde_json::from_slice(&bytes)
        .map_err(|e| Abort(StoreError::undecodable(dir, "session", e)))?;
    if session.ended_at.is_some() {
        return Err(Abort(StoreError::SessionAlreadyEnded(id)));
    }
    Ok(session)
}
