//! The analysis stage shared by the live daemon and `proctord analyze`: which frames are
//! analysed, the detector, and the rules. One implementation, so that the same frames
//! give the same events offline and live.

use std::time::Duration;

use crate::config::Config;
use crate::detections::Detections;
use crate::event::RuleEvent;
use crate::frame::Frame;
use crate::inference::{Detector, InferenceError};
use crate::rules::RulesEngine;

pub struct Analysis {
    detector: Detector,
    rules: RulesEngine,
    /// Frames closer than this to the last analysed one are skipped (max_analysis_fps).
    min_gap: Duration,
    last_analysed: Option<Duration>,
}

/// What one analysed frame produced.
pub struct Analysed {
    pub detections: Detections,
    pub events: Vec<RuleEvent>,
}

impl Analysis {
    pub fn new(detector: Detector, cfg: &Config) -> Analysis {
        let fps = cfg.detection.max_analysis_fps;
        let min_gap = if fps > 0.0 {
            Duration::from_secs_f32(1.0 / fps)
        } else {
            Duration::ZERO
        };
        Analysis {
            detector,
            rules: RulesEngine::new(cfg.rules.clone()),
            min_gap,
            last_analysed: None,
        }
    }

    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// Whether `pts` is due for analysis under max_analysis_fps. A frame a little early
    /// (less than half a frame interval of a 60 fps camera) still counts, so 30 fps input
    /// at max 10 fps analyses every third frame rather than drifting.
    pub fn is_due(&self, pts: Duration) -> bool {
        const JITTER: Duration = Duration::from_millis(8);
        match self.last_analysed {
            None => true,
            Some(last) => pts + JITTER >= last + self.min_gap,
        }
    }

    /// Analyses a frame if it is due; `None` when it was skipped.
    pub fn process(&mut self, frame: &Frame) -> Result<Option<Analysed>, InferenceError> {
        if !self.is_due(frame.pts) {
            return Ok(None);
        }
        self.last_analysed = Some(frame.pts);
        let detections = self.detector.detect(frame, false)?;
        let events = self.rules.on_detections(&detections);
        Ok(Some(Analysed { detections, events }))
    }

    /// No frame arrived; `now` on the stream clock (drives camera_lost).
    pub fn idle(&mut self, now: Duration) -> Vec<RuleEvent> {
        self.rules.on_idle(now)
    }

    /// Closes every open event at `at`.
    pub fn finish(&mut self, at: Duration) -> Vec<RuleEvent> {
        self.rules.finish(at)
    }

    /// Starts the rules afresh (a new session), keeping the loaded models.
    pub fn reset_rules(&mut self, cfg: &Config) {
        self.rules = RulesEngine::new(cfg.rules.clone());
    }
}
