//! Login sessions behind the status page's cookie: a random token the browser keeps
//! (HttpOnly, so page scripts never see it) and the kiosk knows by its hash. A session
//! ends at logout, or after `idle` without a request; the kiosk keeps them in memory,
//! so a restart logs everyone out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::config::WebRole;

/// Logins kept at most (a kiosk has a handful of proctors); the least recently used
/// goes first.
const MAX_SESSIONS: usize = 256;

type TokenHash = [u8; 32];

#[derive(Clone, Debug)]
pub struct LoginSession {
    pub user: String,
    pub role: WebRole,
    /// Turns `true` when the session ends, so that open streams end with it.
    pub ended: watch::Receiver<bool>,
}

struct Entry {
    session: LoginSession,
    last_seen: Instant,
    end: watch::Sender<bool>,
}

pub struct LoginSessions {
    idle: Duration,
    entries: Mutex<HashMap<TokenHash, Entry>>,
}

impl LoginSessions {
    pub fn new(idle: Duration) -> LoginSessions {
        LoginSessions {
            idle,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }

    /// Opens a session and returns the token for the cookie.
    pub fn open(&self, user: &str, role: WebRole) -> String {
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let token = hex::encode(secret);
        let now = Instant::now();
        let (end, ended) = watch::channel(false);
        let mut entries = self.lock();
        entries.retain(|_, e| now.duration_since(e.last_seen) < self.idle);
        if entries.len() >= MAX_SESSIONS
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.last_seen)
                .map(|(k, _)| *k)
            && let Some(entry) = entries.remove(&oldest)
        {
            entry.end.send_replace(true);
        }
        entries.insert(
            hash(&token),
            Entry {
                session: LoginSession {
                    user: user.to_string(),
                    role,
                    ended,
                },
                last_seen: now,
                end,
            },
        );
        token
    }

    /// The live session of `token`, which counts as a request for the idle timeout.
    pub fn touch(&self, token: &str) -> Option<LoginSession> {
        let now = Instant::now();
        let key = hash(token);
        let mut entries = self.lock();
        let entry = entries.get_mut(&key)?;
        if now.duration_since(entry.last_seen) >= self.idle {
            if let Some(entry) = entries.remove(&key) {
                entry.end.send_replace(true);
            }
            return None;
        }
        entry.last_seen = now;
        Some(entry.session.clone())
    }

    /// Ends `token`'s session; returns its user when there was one.
    pub fn close(&self, token: &str) -> Option<String> {
        let entry = self.lock().remove(&hash(token))?;
        entry.end.send_replace(true);
        Some(entry.session.user)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Looked up by hash, so that the map's comparisons say nothing about the token.
fn hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_its_token_until_it_is_closed() {
        let sessions = LoginSessions::new(Duration::from_secs(60));
        let token = sessions.open("ana", WebRole::Proctor);
        assert_eq!(token.len(), 64);
        let session = sessions.touch(&token).unwrap();
        assert_eq!(
            (session.user.as_str(), session.role),
            ("ana", WebRole::Proctor)
        );
        assert!(sessions.touch("0".repeat(64).as_str()).is_none());
        assert_eq!(sessions.close(&token).as_deref(), Some("ana"));
        assert!(sessions.touch(&token).is_none());
        assert!(*session.ended.borrow(), "open streams were not told");
    }

    #[test]
    fn a_session_left_idle_expires_and_one_in_use_does_not() {
        let sessions = LoginSessions::new(Duration::from_millis(80));
        let idle = sessions.open("ana", WebRole::Proctor);
        let busy = sessions.open("bob", WebRole::Reviewer);
        for _ in 0..4 {
            std::thread::sleep(Duration::from_millis(30));
            assert!(sessions.touch(&busy).is_some());
        }
        assert!(sessions.touch(&idle).is_none());
    }
}
