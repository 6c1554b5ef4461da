//! Which session's recording is still open. The recorder lives on the capture thread and
//! closes a session's last segment only after it sees the session end (up to the
//! recorder's 5 s finish timeout later); ending a session waits for that here, so that
//! once `POST /api/interviews/{id}/end` (or the MQTT command) has answered, the
//! session's recordings list is complete.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

#[derive(Default)]
pub struct OpenRecording {
    session: Mutex<Option<Uuid>>,
    changed: Condvar,
}

impl OpenRecording {
    /// The recorder started recording `session`.
    pub fn opened(&self, session: Uuid) {
        *self.lock() = Some(session);
        self.changed.notify_all();
    }

    /// The recorder closed (or gave up) `session`'s recording: its segments are in the store.
    pub fn closed(&self, session: Uuid) {
        let mut open = self.lock();
        if *open == Some(session) {
            *open = None;
            self.changed.notify_all();
        }
    }

    /// Waits until `session`'s recording is closed, at most `timeout`. True if it is
    /// closed (or was never open: recording off, or no recorder, as in tests).
    pub fn wait_closed(&self, session: Uuid, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut open = self.lock();
        while *open == Some(session) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            open = self
                .changed
                .wait_timeout(open, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Uuid>> {
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_session_never_recorded_does_not_wait() {
        let open = OpenRecording::default();
        assert!(open.wait_closed(Uuid::now_v7(), Duration::ZERO));
    }

    #[test]
    fn ending_waits_until_the_recorder_closes_the_session() {
        let open = Arc::new(OpenRecording::default());
        let session = Uuid::now_v7();
        open.opened(session);
        let recorder = {
            let open = open.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                open.closed(session);
            })
        };
        let started = Instant::now();
        assert!(open.wait_closed(session, Duration::from_secs(10)));
        assert!(started.elapsed() >= Duration::from_millis(200));
        recorder.join().unwrap();
    }

    #[test]
    fn a_recorder_that_never_closes_is_waited_for_only_until_the_timeout() {
        let open = OpenRecording::default();
        let session = Uuid::now_v7();
        open.opened(session);
        assert!(!open.wait_closed(session, Duration::from_millis(50)));
    }

    #[test]
    fn closing_another_session_leaves_the_open_one_open() {
        let open = OpenRecording::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        open.opened(a);
        open.closed(b);
        assert!(!open.wait_closed(a, Duration::ZERO));
    }
}
