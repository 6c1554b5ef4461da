//! Deleting a session on request: the store's records in one transaction (see
//! `store::deletion`), then the files (recording segments and cached clips).

use std::path::Path;

use uuid::Uuid;

use super::{Control, ControlError, MAX_TEXT_CHARS};
use crate::store::{Accessor, DeletionRecord, DeletionRequest, StoreError};

/// What a deletion did.
#[derive(Clone, Debug)]
pub struct DeletionOutcome {
    pub record: DeletionRecord,
    /// Files that could not be deleted (logged with their paths): delete them by hand.
    pub files_left: usize,
}

impl Control {
    /// Deletes an ended session with everything of it; `reason` says why (a request
    /// reference, a policy) and stays in the audit log with who deleted it.
    pub fn delete_session(
        &self,
        id: Uuid,
        reason: &str,
        by: &Accessor,
    ) -> Result<DeletionOutcome, ControlError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_TEXT_CHARS {
            return Err(ControlError::Invalid(format!(
                "say why the session is deleted (reason: 1 to {MAX_TEXT_CHARS} characters, e.g. the request's reference)"
            )));
        }
        if self.active().is_some_and(|s| s.id == id) {
            return Err(ControlError::Conflict(format!(
                "session {id} is still running: end it first, then delete it"
            )));
        }
        let request = DeletionRequest {
            by: by.who.clone(),
            role: by.role.clone(),
            via: by.via.clone(),
            from: by.from.clone(),
            reason: reason.to_owned(),
            at: self.now(),
        };
        let (record, files) = self
            .store()
            .delete_session(id, &request)
            .map_err(|e| match e {
                StoreError::SessionNotFound(id) => ControlError::NoSuchSession(id),
                other => other.into(),
            })?;
        let state_dir = &self.config().kiosk.state_dir;
        let mut files_left = 0;
        for file in &files {
            files_left += usize::from(!remove(file, false));
        }
        let recordings = crate::record::recordings_dir(state_dir).join(id.to_string());
        files_left += usize::from(!remove(&recordings, true));
        files_left += usize::from(!remove(&crate::clips::session_dir(state_dir, id), true));
        log::info!(
            "{} deleted session {id} from {} ({}): {} event record(s), {} segment(s), {} unpublished outbox item(s).",
            by.who,
            by.from,
            reason,
            record.removed.events,
            record.removed.segments,
            record.removed.outbox_items
        );
        Ok(DeletionOutcome { record, files_left })
    }
}

/// Deletes a file or a directory tree; `true` when it is gone (or was never there).
fn remove(path: &Path, dir: bool) -> bool {
    let result = if dir {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match result {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => {
            log::error!(
                "A deleted session's file {} could not be removed: {e}. Delete it by hand.",
                path.display()
            );
            false
        }
    }
}
