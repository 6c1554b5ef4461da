//! Refuses a command whose `command_id` was already received while it is still valid.
//! A replay after its expiry is refused as stale anyway, so ids are forgotten then.
//! This in-memory guard is the cheap, bounded first gate within one run; the store's
//! `command_ids` tree then refuses a replay that arrives after a restart.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::command::{CommandError, ReceivedCommand};

/// Valid command ids remembered at most; beyond that new commands are refused as busy
/// rather than letting an old id be forgotten early (and replayable).
const MAX_REMEMBERED: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct ReplayGuard {
    /// Command id → when it expires.
    seen: HashMap<String, DateTime<Utc>>,
}

impl ReplayGuard {
    /// Accepts `command` once; refuses the same id again until it expires.
    pub(crate) fn admit(
        &mut self,
        command: &ReceivedCommand,
        now: DateTime<Utc>,
    ) -> Result<(), CommandError> {
        if self.seen.contains_key(&command.command_id) {
            return Err(CommandError::Replayed(command.command_id.clone()));
        }
        if self.seen.len() >= MAX_REMEMBERED {
            self.seen.retain(|_, expires_at| *expires_at >= now);
            if self.seen.len() >= MAX_REMEMBERED {
                return Err(CommandError::Busy);
            }
        }
        self.seen
            .insert(command.command_id.clone(), command.expires_at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::Command;

    fn command(id: &str, expires_at: DateTime<Utc>) -> ReceivedCommand {
        ReceivedCommand {
            command_id: id.into(),
            issued_at: expires_at - chrono::Duration::seconds(60),
            expires_at,
            command: Command::EndSession {
                session_id: uuid::Uuid::nil(),
            },
        }
    }

    #[test]
    fn the_same_command_id_is_admitted_once() {
        let now = Utc::now();
        let mut guard = ReplayGuard::default();
        let first = command("c-1", now + chrono::Duration::seconds(60));
        assert_eq!(guard.admit(&first, now), Ok(()));
        assert_eq!(
            guard.admit(&first, now),
            Err(CommandError::Replayed("c-1".into()))
        );
        assert_eq!(guard.admit(&command("c-2", first.expires_at), now), Ok(()));
    }

    #[test]
    fn expired_ids_make_room_when_the_memory_is_full() {
        let now = Utc::now();
        let mut guard = ReplayGuard::default();
        for i in 0..MAX_REMEMBERED {
            let expired = command(&format!("old-{i}"), now - chrono::Duration::seconds(1));
            guard
                .admit(&expired, now - chrono::Duration::seconds(2))
                .unwrap();
        }
        assert_eq!(
            guard.admit(&command("new", now + chrono::Duration::seconds(60)), now),
            Ok(())
        );
        assert_eq!(guard.seen.len(), 1);
    }
}
