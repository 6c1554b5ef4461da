//! The last moment for which the daemon has evidence, so that after a crash every event it
//! left open is closed there and not charged until whenever it restarts.
//!
//! Tree `heartbeat`, one key `"last"`, value [`Heartbeat`] as JSON. The analysis thread
//! replaces it after each analysed frame that produced events (unflushed: the event's own
//! flush, right after, carries it to disk, so the heartbeat is never older than the last
//! stored event) and at least once a second with a flush. A crash therefore loses at most
//! the last second of evidence, which is never charged (events end earlier, not later).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Store, StoreError};

const TREE: &str = "heartbeat";
const KEY: &[u8] = b"last";

/// What one run of the daemon last saw. Stream times are that run's (seconds since it
/// started), the clock its events were stamped with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The session that was active, if any.
    pub session_id: Option<Uuid>,
    /// The last analysed frame: stream time and its place on the session's clock.
    /// `None` before that run analysed its first frame.
    pub last_frame_s: Option<f64>,
    pub last_frame_at: Option<DateTime<Utc>>,
    /// The analysis thread's last sign of life (what a kiosk fault such as camera_lost
    /// is known to have lasted until).
    pub alive_s: f64,
    pub alive_at: DateTime<Utc>,
    /// How far the session's clock was ahead of the system clock, in milliseconds: a
    /// restarted daemon resumes the session on the same clock.
    #[serde(default)]
    pub clock_ahead_ms: i64,
    /// Every event that was open, with the stream time it would end at if the evidence
    /// stopped here (when its condition first cleared, or the last frame).
    #[serde(default)]
    pub open_events: Vec<OpenEventEnd>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenEventEnd {
    pub id: Uuid,
    pub ends_at_s: f64,
}

impl Heartbeat {
    /// The stream time an open event with this id and onset ends at after a crash.
    pub fn end_of(&self, id: Uuid, started_at_s: f64, kiosk_fault: bool) -> f64 {
        let known = self.open_events.iter().find(|o| o.id == id);
        let end = match (known, kiosk_fault) {
            (Some(open), _) => open.ends_at_s,
            (None, true) => self.alive_s,
            (None, false) => self.last_frame_s.unwrap_or(started_at_s),
        };
        end.max(started_at_s)
    }

    /// Where the evidence stops: the last analysed frame, or the last sign of life.
    pub fn evidence_until(&self) -> DateTime<Utc> {
        self.last_frame_at.unwrap_or(self.alive_at)
    }
}

impl Store {
    /// Replaces the heartbeat; flushed to disk only with `flush` (see the module docs).
    pub fn put_heartbeat(&self, heartbeat: &Heartbeat, flush: bool) -> Result<(), StoreError> {
        let tree = self.db.open_tree(TREE).map_err(|e| self.error(e))?;
        let json = serde_json::to_vec(heartbeat).expect("a Heartbeat always serialises");
        tree.insert(KEY, json).map_err(|e| self.error(e))?;
        if flush { self.flush() } else { Ok(()) }
    }

    /// The heartbeat the previous run left, if any run wrote one.
    pub fn heartbeat(&self) -> Result<Option<Heartbeat>, StoreError> {
        let tree = self.db.open_tree(TREE).map_err(|e| self.error(e))?;
        tree.get(KEY)
            .map_err(|e| self.error(e))?
            .map(|bytes| self.decode("heartbeat", &bytes))
            .transpose()
    }
}
