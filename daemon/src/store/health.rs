//! The kiosk's health over each session (camera fps, dropped frames, outages), kept so
//! that a report made after the session still shows what the kiosk went through.

use uuid::Uuid;

use super::{Store, StoreError};
use crate::session::SessionHealth;

const TREE: &str = "session_health";

impl Store {
    /// Replaces the health summary of `session_id` (written at least when the session
    /// ends; the pipeline may also write it periodically). Flushed before returning.
    pub fn put_session_health(
        &self,
        session_id: Uuid,
        health: &SessionHealth,
    ) -> Result<(), StoreError> {
        let tree = self
            .db
            .open_tree(TREE)
            .map_err(|e| StoreError::from_sled(&self.dir, e))?;
        let json = serde_json::to_vec(health).expect("SessionHealth always serialises");
        tree.insert(session_id.as_bytes(), json)
            .map_err(|e| StoreError::from_sled(&self.dir, e))?;
        self.flush()
    }

    /// The stored health summary, or the default (nothing known) when none was written.
    pub fn session_health(&self, session_id: Uuid) -> Result<SessionHealth, StoreError> {
        let tree = self
            .db
            .open_tree(TREE)
            .map_err(|e| StoreError::from_sled(&self.dir, e))?;
        match tree
            .get(session_id.as_bytes())
            .map_err(|e| StoreError::from_sled(&self.dir, e))?
        {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::undecodable(&self.dir, "session health", e)),
            None => Ok(SessionHealth::default()),
        }
    }
}
