//! Exam sessions: one active at a time; every start and end is queued for `sessions`.

use chrono::Utc;
use sled::Transactional;
use sled::transaction::ConflictableTransactionError::Abort;
use uuid::Uuid;

use super::outbox::OutboxTopic;
use super::{Store, StoreError};
use crate::session::Session;

const ACTIVE_KEY: &[u8] = b"active";

impl Store {
    /// Starts a session now. Fails with [`StoreError::SessionAlreadyActive`] while
    /// another one is active: a kiosk seats one candidate at a time.
    pub fn start_session(
        &self,
        candidate: &str,
        exam_id: Option<&str>,
        notes: Option<&str>,
    ) -> Result<Session, StoreError> {
        let session = Session {
            id: Uuid::now_v7(),
            candidate: candidate.to_owned(),
            exam_id: exam_id.map(str::to_owned),
            notes: notes.map(str::to_owned),
            started_at: Utc::now(),
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

    /// Ends a session now; it stops being the active one.
    pub fn end_session(&self, id: Uuid) -> Result<Session, StoreError> {
        let now = Utc::now();
        self.write_queued(|| {
            // Every writer of sessions holds the order lock, so what is read here is
            // still current when the transaction below commits.
            let mut session = self.session(id)?.ok_or(StoreError::SessionNotFound(id))?;
            if session.ended_at.is_some() {
                return Err(StoreError::SessionAlreadyEnded(id));
            }
            session.ended_at = Some(now);
            let json = serde_json::to_vec(&session).expect("a Session always serialises");
            let staged = self.outbox.stage(OutboxTopic::Sessions, &json)?;
            (&self.sessions, &self.active_session, &self.outbox_tree)
                .transaction(|(sessions, active, outbox)| {
                    sessions.insert(id.as_bytes(), json.as_slice())?;
                    if active
                        .get(ACTIVE_KEY)?
                        .is_some_and(|current| current.as_ref() == id.as_bytes())
                    {
                        active.remove(ACTIVE_KEY)?;
                    }
                    staged.write(outbox)?;
                    Ok::<_, sled::transaction::ConflictableTransactionError<StoreError>>(())
                })
                .map_err(|e| self.transaction_error(e))?;
            Ok((session, staged))
        })
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
