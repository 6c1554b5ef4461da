//! The nominal frame rate declared to the encoder.
//!
//! Frames carry their own timestamps, but encoders need a rate in their caps for rate
//! control (openh264enc and the hardware encoders refuse a variable rate of 0/1). The
//! rate is taken from the first two frames and snapped to a usual camera rate, since one
//! interval carries the camera's jitter.

use std::time::Duration;

const USUAL_RATES: [u32; 12] = [1, 2, 5, 10, 12, 15, 20, 24, 25, 30, 50, 60];
/// Declared when there is only one frame to go by.
pub const DEFAULT_FPS: u32 = 15;

/// The usual rate nearest to one frame every `interval`.
pub fn nominal_fps(interval: Duration) -> u32 {
    if interval.is_zero() {
        return DEFAULT_FPS;
    }
    let measured = 1.0 / interval.as_secs_f64();
    // Nearest by ratio: 33 ms is 30 fps, not 25.
    USUAL_RATES
        .into_iter()
        .min_by(|a, b| {
            let distance = |rate: u32| (measured / f64::from(rate)).ln().abs();
            distance(*a).total_cmp(&distance(*b))
        })
        .unwrap_or(DEFAULT_FPS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_intervals_give_their_rate() {
        assert_eq!(nominal_fps(Duration::from_millis(100)), 10);
        assert_eq!(nominal_fps(Duration::from_secs_f64(1.0 / 15.0)), 15);
        assert_eq!(nominal_fps(Duration::from_secs_f64(1.0 / 30.0)), 30);
    }

    #[test]
    fn a_jittery_interval_snaps_to_the_usual_rate_nearby() {
        assert_eq!(nominal_fps(Duration::from_millis(71)), 15);
        assert_eq!(nominal_fps(Duration::from_millis(36)), 30);
        assert_eq!(nominal_fps(Duration::from_millis(29)), 30);
    }

    #[test]
    fn rates_beyond_the_usual_ones_are_clamped_to_them() {
        assert_eq!(nominal_fps(Duration::from_millis(1)), 60);
        assert_eq!(nominal_fps(Duration::from_secs(5)), 1);
        assert_eq!(nominal_fps(Duration::ZERO), DEFAULT_FPS);
    }
}
