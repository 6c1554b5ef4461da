//! One clock for the daemon: stream time (monotonic, since the daemon started) placed on
//! the calendar through a single mapping, so that an event, the session it belongs to and
//! its recording agree however the system's wall clock jumps.
//!
//! - Every frame carries both readings, taken once at capture; the analysis stage feeds
//!   them to [`WallMap::observe`], which notices a step of the wall clock (the two clocks
//!   disagreeing by more than [`STEP_TOLERANCE`] between two readings).
//! - While a session runs, the mapping does not move: offsets and durations inside the
//!   session stay exact, and the step is reported in the session's health.
//! - Between sessions the mapping follows the system clock again, so the next session is
//!   placed on the corrected calendar.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A disagreement between the clocks larger than this is a step, not drift or slewing
/// (NTP slews at most 0.5 ms per second).
pub const STEP_TOLERANCE: Duration = Duration::from_secs(1);

/// A wall-clock step seen during a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClockStep {
    /// When, on the session's clock.
    pub at: DateTime<Utc>,
    /// How far the system clock jumped (negative: backwards), in seconds.
    pub step_s: f64,
}

#[derive(Clone, Debug)]
pub struct WallMap {
    /// Wall time at stream time 0.
    epoch: DateTime<Utc>,
    /// The previous reading (stream time, system wall clock).
    last: Option<(Duration, DateTime<Utc>)>,
}

impl WallMap {
    /// The mapping that places `stream_now` at `wall_now`.
    pub fn new(stream_now: Duration, wall_now: DateTime<Utc>) -> WallMap {
        WallMap {
            epoch: wall_now - chrono_duration(stream_now),
            last: None,
        }
    }

    /// Stream time on the calendar.
    pub fn at(&self, stream: Duration) -> DateTime<Utc> {
        self.epoch + chrono_duration(stream)
    }

    /// Stream time in seconds (as events store it) on the calendar.
    pub fn at_s(&self, stream_s: f64) -> DateTime<Utc> {
        self.epoch + chrono::Duration::microseconds((stream_s * 1e6).round() as i64)
    }

    /// How far this mapping is ahead of the system clock (`wall` read at `stream`).
    pub fn ahead_of(&self, stream: Duration, wall: DateTime<Utc>) -> chrono::Duration {
        self.at(stream) - wall
    }

    /// Shifts the mapping by `by` (a restarted daemon resuming a session's clock).
    pub fn shift(&mut self, by: chrono::Duration) {
        self.epoch += by;
    }

    /// Takes one reading of both clocks. Returns the step when the wall clock jumped since
    /// the previous reading. With `follow` (no session running) the mapping then adopts
    /// the system clock; without, it keeps its own.
    pub fn observe(
        &mut self,
        stream: Duration,
        wall: DateTime<Utc>,
        follow: bool,
    ) -> Option<ClockStep> {
        let step = self.last.and_then(|(last_stream, last_wall)| {
            let disagreement =
                (wall - last_wall) - chrono_duration(stream.saturating_sub(last_stream));
            (disagreement.abs() > chrono_duration(STEP_TOLERANCE)).then_some(disagreement)
        });
        self.last = Some((stream, wall));
        let reported = step.map(|by| ClockStep {
            at: self.at(stream),
            step_s: by.num_milliseconds() as f64 / 1000.0,
        });
        if follow && self.ahead_of(stream, wall).abs() > chrono_duration(STEP_TOLERANCE) {
            self.epoch = wall - chrono_duration(stream);
        }
        reported
    }
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn a_session_keeps_its_clock_through_a_step_and_the_step_is_reported() {
        let mut map = WallMap::new(Duration::ZERO, t("2026-12-01T09:00:00Z"));
        assert_eq!(
            map.observe(Duration::from_secs(1), t("2026-12-01T09:00:01Z"), false),
            None
        );
        let step = map
            .observe(Duration::from_secs(2), t("2026-12-01T10:00:02Z"), false)
            .expect("a one-hour jump is a step");
        assert_eq!(step.step_s, 3600.0);
        assert_eq!(step.at, t("2026-12-01T09:00:02Z"));
        assert_eq!(map.at(Duration::from_secs(10)), t("2026-12-01T09:00:10Z"));
    }

    #[test]
    fn between_sessions_the_mapping_follows_the_system_clock() {
        let mut map = WallMap::new(Duration::ZERO, t("1970-01-01T00:00:00Z"));
        map.observe(Duration::from_secs(1), t("1970-01-01T00:00:01Z"), true);
        let step = map.observe(Duration::from_secs(2), t("2026-12-01T09:00:00Z"), true);
        assert!(step.is_some());
        assert_eq!(map.at(Duration::from_secs(3)), t("2026-12-01T09:00:01Z"));
    }

    #[test]
    fn slewing_is_not_a_step() {
        let mut map = WallMap::new(Duration::ZERO, t("2026-12-01T09:00:00Z"));
        for s in 1..100u64 {
            // 0.5 ms/s, the most NTP slews.
            let wall = t("2026-12-01T09:00:00Z")
                + chrono::Duration::milliseconds((s * 1000 + s / 2) as i64);
            assert_eq!(map.observe(Duration::from_secs(s), wall, false), None);
        }
    }
}
