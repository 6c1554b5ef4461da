//! Reviewers' decisions, through the one place that knows sessions and the clock.

use uuid::Uuid;

use super::{Control, ControlError, MAX_TEXT_CHARS};
use crate::store::{Accessor, AuditAction, AuditEntry, Decision, ReviewDecision};

impl Control {
    /// Confirms or dismisses an event of an ended session, with a note; the decision and
    /// its audit entry are stored together. Kiosk faults are never charged, so there is
    /// nothing to decide about them.
    pub fn review_event(
        &self,
        event_id: Uuid,
        decision: Decision,
        note: Option<&str>,
        by: &Accessor,
    ) -> Result<ReviewDecision, ControlError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > MAX_TEXT_CHARS) {
            return Err(ControlError::Invalid(format!(
                "the note is longer than {MAX_TEXT_CHARS} characters"
            )));
        }
        let store = self.store();
        let event = store
            .find_event(event_id)?
            .ok_or(ControlError::NoSuchEvent(event_id))?;
        let Some(session_id) = event.session_id else {
            return Err(ControlError::Invalid(format!(
                "event {event_id} happened outside any session: there is no candidate to decide about"
            )));
        };
        if event.kind.is_kiosk_fault() {
            return Err(ControlError::Invalid(format!(
                "event {event_id} is a kiosk fault ({}): it is never charged to the candidate, so there is nothing to review",
                event.kind.as_str()
            )));
        }
        let session = store
            .session(session_id)?
            .ok_or(ControlError::NoSuchSession(session_id))?;
        if session.ended_at.is_none() {
            return Err(ControlError::Conflict(format!(
                "session {session_id} is still running: review its events once it has ended"
            )));
        }
        let at = self.now();
        let review = ReviewDecision {
            session_id,
            event_id,
            decision,
            note: note.map(str::to_owned),
            by: by.who.clone(),
            at,
        };
        let mut subject = format!("{} event {event_id}", decision.as_str());
        if let Some(note) = note {
            subject += &format!(": {note}");
        }
        let audit = AuditEntry::new(
            by,
            AuditAction::ReviewedEvent,
            Some(session_id),
            subject,
            at,
        );
        store.add_review(&review, &audit)?;
        log::info!(
            "{} {} event {event_id} ({}) of session {session_id} from {}.",
            by.who,
            decision.as_str(),
            event.kind.as_str(),
            by.from
        );
        Ok(review)
    }
}
