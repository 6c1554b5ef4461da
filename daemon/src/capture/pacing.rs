//! Plays timestamps back at their own speed: the demo shows a file as if it were a camera.

use std::time::{Duration, Instant};

/// How far behind schedule playback may fall before it stops trying to catch up; beyond
/// this it restarts the schedule from now, so a stall is not followed by a burst of frames.
const MAX_LAG: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct Pacer {
    /// The instant the frame with this `pts` was released.
    anchor: Option<(Instant, Duration)>,
}

impl Pacer {
    /// Sleeps until the frame with `pts` is due.
    pub fn wait_for(&mut self, pts: Duration) {
        let now = Instant::now();
        let Some((anchor_at, anchor_pts)) = self.anchor else {
            self.anchor = Some((now, pts));
            return;
        };
        let Some(offset) = pts.checked_sub(anchor_pts) else {
            self.anchor = Some((now, pts));
            return;
        };
        let due = anchor_at + offset;
        if due > now {
            std::thread::sleep(due - now);
        } else if now - due > MAX_LAG {
            self.anchor = Some((now, pts));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_released_no_earlier_than_their_timestamps_say() {
        let mut pacer = Pacer::default();
        let start = Instant::now();
        for pts_ms in [0, 50, 100, 150] {
            pacer.wait_for(Duration::from_millis(pts_ms));
        }
        assert!(start.elapsed() >= Duration::from_millis(150));
    }

    #[test]
    fn a_stall_longer_than_the_allowed_lag_is_not_caught_up_with_a_burst() {
        let mut pacer = Pacer::default();
        pacer.wait_for(Duration::ZERO);
        // Pretend the consumer stalled: the anchor lies 2 s in the past.
        pacer.anchor = Some((Instant::now() - Duration::from_secs(2), Duration::ZERO));
        pacer.wait_for(Duration::from_millis(100));
        let start = Instant::now();
        pacer.wait_for(Duration::from_millis(200));
        assert!(
            start.elapsed() >= Duration::from_millis(90),
            "the next frame is paced from the new anchor"
        );
    }
}
