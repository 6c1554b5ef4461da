//! The daemon's clocks, injected so that time-dependent logic (rules timing, camera loss,
//! the watchdog, a wall-clock step) is tested on simulated time instead of real sleeps.
//! Modelled on moonfire-nvr's `base/clock.rs`.
//!
//! Two clocks, read once per frame at capture and nowhere else on the frame's path:
//! - the monotonic clock, which never steps: every duration and every rules timer;
//! - the wall clock (`CLOCK_REALTIME`), which NTP may step at any time (a Pi has no RTC
//!   and boots with a stale time): only to place things on the calendar.

mod wall_map;

pub use wall_map::{ClockStep, STEP_TOLERANCE, WallMap};

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// A source of time. `Send + Sync`: one instance is shared by every thread of the daemon.
pub trait Clocks: Send + Sync + 'static {
    /// The wall clock now. May jump in either direction.
    fn realtime(&self) -> DateTime<Utc>;

    /// Time on a clock that never steps, from an arbitrary origin fixed for the life of
    /// this `Clocks`.
    fn monotonic(&self) -> Duration;

    /// Waits `d` of monotonic time. Simulated clocks only advance.
    fn sleep(&self, d: Duration);

    /// Whether waiting means advancing time (simulated) rather than letting it pass: a
    /// wait that could wake early on a signal then becomes a plain `sleep`.
    fn is_simulated(&self) -> bool {
        false
    }
}

/// The system's clocks.
#[derive(Clone, Copy, Debug)]
pub struct RealClocks {
    origin: Instant,
}

impl RealClocks {
    pub fn new() -> RealClocks {
        RealClocks {
            origin: Instant::now(),
        }
    }
}

impl Default for RealClocks {
    fn default() -> Self {
        RealClocks::new()
    }
}

impl Clocks for RealClocks {
    fn realtime(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d)
    }
}

/// Clocks that move only when told: `sleep` advances both clocks at once and returns
/// immediately; `step_wall` moves the wall clock alone, as an NTP step does.
pub struct SimulatedClocks {
    state: Mutex<Simulated>,
    advanced: Condvar,
}

struct Simulated {
    boot_wall: DateTime<Utc>,
    monotonic: Duration,
    /// Sum of the wall-clock steps so far.
    wall_steps: chrono::Duration,
}

impl SimulatedClocks {
    /// Simulated time starting at `boot_wall` on the wall clock and 0 on the monotonic one.
    pub fn new(boot_wall: DateTime<Utc>) -> SimulatedClocks {
        SimulatedClocks {
            state: Mutex::new(Simulated {
                boot_wall,
                monotonic: Duration::ZERO,
                wall_steps: chrono::Duration::zero(),
            }),
            advanced: Condvar::new(),
        }
    }

    /// Steps the wall clock by `by` (negative: backwards); the monotonic clock does not move.
    pub fn step_wall(&self, by: chrono::Duration) {
        self.lock().wall_steps += by;
    }

    /// Blocks (in real time, at most `timeout`) until the monotonic clock reaches `at`;
    /// returns whether it did. For tests that wait for the simulated pipeline.
    pub fn wait_until(&self, at: Duration, timeout: Duration) -> bool {
        let guard = self.lock();
        let (guard, _) = self
            .advanced
            .wait_timeout_while(guard, timeout, |s| s.monotonic < at)
            .unwrap_or_else(|p| p.into_inner());
        guard.monotonic >= at
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Simulated> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clocks for SimulatedClocks {
    fn realtime(&self) -> DateTime<Utc> {
        let s = self.lock();
        s.boot_wall + chrono::Duration::from_std(s.monotonic).unwrap_or_default() + s.wall_steps
    }

    fn monotonic(&self) -> Duration {
        self.lock().monotonic
    }

    fn sleep(&self, d: Duration) {
        self.lock().monotonic += d;
        self.advanced.notify_all();
        // Let the other threads of the pipeline see the new time before the next step.
        std::thread::yield_now();
    }

    fn is_simulated(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_sleep_advances_both_clocks_without_waiting() {
        let boot = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .to_utc();
        let clocks = SimulatedClocks::new(boot);
        let real = Instant::now();
        clocks.sleep(Duration::from_secs(3600));
        assert!(real.elapsed() < Duration::from_secs(1));
        assert_eq!(clocks.monotonic(), Duration::from_secs(3600));
        assert_eq!(clocks.realtime(), boot + chrono::Duration::hours(1));
    }

    #[test]
    fn a_wall_step_moves_the_wall_clock_only() {
        let boot = DateTime::parse_from_rfc3339("1970-01-01T00:00:10Z")
            .unwrap()
            .to_utc();
        let clocks = SimulatedClocks::new(boot);
        clocks.sleep(Duration::from_secs(5));
        clocks.step_wall(chrono::Duration::days(20_000));
        assert_eq!(clocks.monotonic(), Duration::from_secs(5));
        assert_eq!(
            clocks.realtime(),
            boot + chrono::Duration::seconds(5) + chrono::Duration::days(20_000)
        );
    }

    #[test]
    fn the_real_monotonic_clock_never_goes_back() {
        let clocks = RealClocks::new();
        let a = clocks.monotonic();
        let b = clocks.monotonic();
        assert!(b >= a);
    }
}
