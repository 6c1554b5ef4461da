//! Proctoring events, stored per session in the order they were appended, and queued
//! for the `events` topic in the same transaction.

use sled::Transactional;
use uuid::Uuid;

use super::chain;
use super::keys::{event_key, owner_prefix};
use super::outbox::OutboxTopic;
use super::sessions::unended_session_in;
use super::{Store, StoreError};
use crate::event::ProctorEvent;

impl Store {
    /// Stores an event under its session (or with the kiosk events when it has none),
    /// linked into that owner's hash chain, and queues it for publishing, atomically;
    /// returns its sequence. An event for a session that has ended is refused
    /// ([`StoreError::SessionAlreadyEnded`]): its report is final.
    pub fn append_event(&self, event: &ProctorEvent) -> Result<u64, StoreError> {
        let json = serde_json::to_vec(event).expect("a ProctorEvent always serialises");
        let dir = self.dir.clone();
        self.write_queued(|| {
            let staged = self.outbox.stage(OutboxTopic::Events, &json)?;
            let seq = match staged.first_seq() {
                Some(seq) => seq,
                None => self.next_seq()?,
            };
            let key = event_key(event.session_id, seq);
            let (stored, head) = chain::link(event, &self.chain_head(event.session_id)?);
            (
                &self.sessions,
                &self.events,
                &self.outbox_tree,
                &self.chain_heads,
            )
                .transaction(|(sessions, events, outbox, heads)| {
                    if let Some(id) = event.session_id {
                        unended_session_in(sessions, id, &dir)?;
                    }
                    events.insert(&key, stored.as_slice())?;
                    chain::put_head(heads, event.session_id, &head)?;
                    staged.write(outbox)?;
                    Ok(())
                })
                .map_err(|e| self.transaction_error(e))?;
            Ok((seq, staged))
        })
    }

    /// A session's events in the order they were appended.
    pub fn events_for(&self, session_id: Uuid) -> Result<Vec<ProctorEvent>, StoreError> {
        self.events_of(Some(session_id))
    }

    /// The stored record of event `id` (its End when it has ended, else its Start),
    /// wherever it is; a walk of every event (for a reviewer's request, not a hot path).
    pub fn find_event(&self, id: Uuid) -> Result<Option<ProctorEvent>, StoreError> {
        let mut found: Option<ProctorEvent> = None;
        for bytes in self.events.iter().values() {
            let event: ProctorEvent = self.decode("event", &bytes.map_err(|e| self.error(e))?)?;
            if event.id == id
                && found
                    .as_ref()
                    .is_none_or(|f| f.phase != crate::event::Phase::End)
            {
                found = Some(event);
            }
        }
        Ok(found)
    }

    /// Events outside any session (camera lost before a session started, and so on).
    pub fn kiosk_events(&self) -> Result<Vec<ProctorEvent>, StoreError> {
        self.events_of(None)
    }

    fn events_of(&self, session_id: Option<Uuid>) -> Result<Vec<ProctorEvent>, StoreError> {
        self.events
            .scan_prefix(owner_prefix(session_id))
            .values()
            .map(|bytes| self.decode("event", &bytes.map_err(|e| self.error(e))?))
            .collect()
    }
}
