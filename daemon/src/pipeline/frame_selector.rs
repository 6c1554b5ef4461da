//! Which frames are analysed under `[detection] max_analysis_fps`: `detect`, `analyze`
//! and the daemon pick the same ones.
//!
//! Frames are taken on a schedule (one every `1 / max_analysis_fps` of stream time), not
//! at least that long after the last one taken: a 15 fps camera at max 10 fps then gives
//! 10 analysed frames a second (two of every three), where a minimum gap gave only 7.5
//! (every second frame, as no two frames 67 ms apart pass a 100 ms gap).

use std::time::Duration;

use crate::config::Config;

#[derive(Clone, Debug)]
pub struct FrameSelector {
    interval: Duration,
    /// Stream time from which the next frame is due; `None` before the first frame.
    next_due: Option<Duration>,
}

/// A frame a little early (less than half a frame interval of a 60 fps camera) still
/// counts, so 30 fps input at max 10 fps analyses every third frame rather than drifting.
const JITTER: Duration = Duration::from_millis(8);

impl FrameSelector {
    pub fn new(cfg: &Config) -> FrameSelector {
        FrameSelector::at_most(cfg.detection.max_analysis_fps)
    }

    /// At most `fps` frames per second of stream time; 0 takes every frame.
    pub fn at_most(fps: f32) -> FrameSelector {
        let interval = if fps > 0.0 {
            Duration::from_secs_f32(1.0 / fps)
        } else {
            Duration::ZERO
        };
        FrameSelector {
            interval,
            next_due: None,
        }
    }

    /// Whether `pts` is due for analysis.
    pub fn is_due(&self, pts: Duration) -> bool {
        self.next_due.is_none_or(|due| pts + JITTER >= due)
    }

    /// Takes the frame at `pts` if it is due; returns whether it was taken.
    pub fn take(&mut self, pts: Duration) -> bool {
        if !self.is_due(pts) {
            return false;
        }
        let on_schedule = self.next_due.map(|due| due + self.interval);
        // Behind by more than a whole interval (the first frame, a camera outage, a
        // stall): the schedule restarts from this frame instead of catching up with a
        // burst of frames.
        self.next_due = Some(match on_schedule {
            Some(next) if next > pts => next,
            _ => pts + self.interval,
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many of `seconds` of frames at `camera_fps` (plus `jitter_ms(i)` on frame i)
    /// are taken at `max_fps`.
    fn taken(camera_fps: f64, max_fps: f32, seconds: f64, jitter_ms: impl Fn(u64) -> f64) -> usize {
        let mut selector = FrameSelector::at_most(max_fps);
        let frames = (camera_fps * seconds) as u64;
        (0..frames)
            .filter(|&i| {
                let at = i as f64 / camera_fps + jitter_ms(i) / 1000.0;
                selector.take(Duration::from_secs_f64(at))
            })
            .count()
    }

    #[test]
    fn a_15_fps_camera_is_analysed_at_the_10_fps_asked_for() {
        assert_eq!(taken(15.0, 10.0, 10.0, |_| 0.0), 100);
    }

    #[test]
    fn a_30_fps_camera_gives_every_third_frame() {
        let mut selector = FrameSelector::at_most(10.0);
        let picked: Vec<u64> = (0..30)
            .filter(|&i| selector.take(Duration::from_secs_f64(i as f64 / 30.0)))
            .collect();
        assert_eq!(picked, (0..30).step_by(3).collect::<Vec<_>>());
    }

    #[test]
    fn a_camera_at_the_limit_with_jittery_timestamps_loses_no_frame() {
        // 10 fps, each frame up to 5 ms early or late.
        let jitter = |i: u64| [0.0, 5.0, -5.0, 3.0, -2.0][i as usize % 5];
        assert_eq!(taken(10.0, 10.0, 10.0, jitter), 100);
    }

    #[test]
    fn the_rate_never_exceeds_the_limit() {
        for camera_fps in [10.0, 12.0, 15.0, 24.0, 25.0, 30.0, 60.0] {
            let n = taken(camera_fps, 10.0, 20.0, |_| 0.0);
            assert!(
                (195..=200).contains(&n),
                "{camera_fps} fps camera: {n} frames in 20 s"
            );
        }
        assert_eq!(
            taken(5.0, 10.0, 20.0, |_| 0.0),
            100,
            "a slower camera: every frame"
        );
    }

    #[test]
    fn after_an_outage_the_schedule_restarts_without_a_burst() {
        let mut selector = FrameSelector::at_most(10.0);
        let ms = |m: u64| Duration::from_millis(m);
        assert!(selector.take(ms(0)));
        assert!(selector.take(ms(100)));
        // The camera is gone for 5 s, then sends 15 fps again.
        assert!(selector.take(ms(5_000)));
        assert!(
            !selector.take(ms(5_067)),
            "a second frame 67 ms after the first"
        );
        assert!(selector.take(ms(5_133)));
    }

    #[test]
    fn zero_takes_every_frame() {
        assert_eq!(taken(30.0, 0.0, 2.0, |_| 0.0), 60);
    }
}
