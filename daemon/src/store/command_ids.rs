//! The MQTT command ids already carried out, kept until each command expires, so that a
//! command replayed after a restart of the daemon is refused as it is within one run.
//!
//! Tree `command_ids`: key the command id, value its expiry (RFC 3339). Each admitted id
//! is flushed before the command is handed on: a crash right after must not make it
//! acceptable again. Expired ids are removed whenever one is admitted (a replay after
//! the expiry is refused as stale anyway).

use chrono::{DateTime, Utc};

use super::{Store, StoreError};

const TREE: &str = "command_ids";

impl Store {
    /// Remembers `command_id` until `expires_at`. `Ok(false)` when it was already
    /// remembered (a replay).
    pub fn admit_command_id(
        &self,
        command_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let tree = self.db.open_tree(TREE).map_err(|e| self.error(e))?;
        for entry in tree.iter() {
            let (id, expiry) = entry.map_err(|e| self.error(e))?;
            let expired = std::str::from_utf8(&expiry)
                .ok()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .is_none_or(|at| at < now);
            if expired {
                tree.remove(id).map_err(|e| self.error(e))?;
            }
        }
        let previous = tree
            .insert(command_id.as_bytes(), expires_at.to_rfc3339().as_bytes())
            .map_err(|e| self.error(e))?;
        self.flush()?;
        Ok(previous.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_admitted_once_even_after_the_store_is_reopened_until_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let expires = now + chrono::Duration::seconds(60);
        {
            let store = Store::open(dir.path()).unwrap();
            assert!(store.admit_command_id("c-1", expires, now).unwrap());
            assert!(!store.admit_command_id("c-1", expires, now).unwrap());
        }
        // sled lets go of its file lock a moment after the last handle is dropped.
        let store = (0..100)
            .find_map(|_| match Store::open(dir.path()) {
                Err(StoreError::Locked { .. }) => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                }
                other => Some(other.unwrap()),
            })
            .expect("the store stayed locked for 2 s after it was closed");
        assert!(!store.admit_command_id("c-1", expires, now).unwrap());
        // Past its expiry the id is forgotten (the command itself is refused as stale).
        let later = expires + chrono::Duration::seconds(1);
        assert!(store.admit_command_id("c-1", later, later).unwrap());
    }
}
