//! Keeps the store's heartbeat (`store::heartbeat`) current from the analysis thread:
//! the evidence a restarted daemon closes the previous run's open events at.

use std::time::Duration;

use uuid::Uuid;

use super::Shared;
use crate::pipeline::Analysis;
use crate::store::{Heartbeat, OpenEventEnd};

/// Written with a flush at least this often; more often would cost an fsync per frame.
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct EvidenceKeeper {
    last_frame: Option<Duration>,
    last_flush: Option<Duration>,
    warned: bool,
}

impl EvidenceKeeper {
    /// A frame was analysed at `pts`. When it produced events, the heartbeat is written
    /// before they are stored (their flush carries it), so it is never older than them.
    pub fn frame_analysed(
        &mut self,
        shared: &Shared,
        analysis: &Analysis,
        session: Option<Uuid>,
        pts: Duration,
        has_events: bool,
    ) {
        self.last_frame = Some(pts);
        if has_events {
            self.write(shared, analysis, session, false);
        }
    }

    /// Once per loop of the analysis thread: written and flushed once a second.
    pub fn tick(&mut self, shared: &Shared, analysis: &Analysis, session: Option<Uuid>) {
        let now = shared.stream_now();
        if self
            .last_flush
            .is_none_or(|at| now.saturating_sub(at) >= FLUSH_INTERVAL)
        {
            self.last_flush = Some(now);
            self.write(shared, analysis, session, true);
        }
    }

    /// Writes the heartbeat now (flushed with `flush`).
    pub fn write(
        &mut self,
        shared: &Shared,
        analysis: &Analysis,
        session: Option<Uuid>,
        flush: bool,
    ) {
        let now = shared.stream_now();
        let heartbeat = Heartbeat {
            session_id: session,
            last_frame_s: self.last_frame.map(|f| f.as_secs_f64()),
            last_frame_at: self.last_frame.map(|f| shared.wall_at(f)),
            alive_s: now.as_secs_f64(),
            alive_at: shared.wall_at(now),
            clock_ahead_ms: shared.clock_ahead().num_milliseconds(),
            open_events: analysis
                .open_event_ends(now)
                .into_iter()
                .map(|(id, ends_at)| OpenEventEnd {
                    id,
                    ends_at_s: ends_at.as_secs_f64(),
                })
                .collect(),
        };
        match shared.control.store().put_heartbeat(&heartbeat, flush) {
            Ok(()) => self.warned = false,
            Err(e) if !self.warned => {
                self.warned = true;
                log::error!(
                    "Cannot store the heartbeat: {e}. After a crash, open events would end at the last heartbeat stored."
                );
            }
            Err(_) => {}
        }
    }
}
