//! The analysis stage shared by the live daemon and `proctord analyze`: which frames are
//! analysed, the detector, and the rules. One implementation, so that the same frames
//! give the same events offline and live.

use std::time::Duration;

use crate::config::Config;
use crate::detections::Detections;
use crate::event::RuleEvent;
use crate::frame::Frame;
use crate::inference::{FrameDetector, InferenceError};
use crate::rules::RulesEngine;

/// Which frames are analysed under `[detection] max_analysis_fps`: `detect`, `analyze`
/// and the daemon pick the same ones.
#[derive(Clone, Debug)]
pub struct FrameSelector {
    /// Frames closer than this to the last analysed one are skipped.
    min_gap: Duration,
    last_analysed: Option<Duration>,
}

impl FrameSelector {
    pub fn new(cfg: &Config) -> FrameSelector {
        let fps = cfg.detection.max_analysis_fps;
        let min_gap = if fps > 0.0 {
            Duration::from_secs_f32(1.0 / fps)
        } else {
            Duration::ZERO
        };
        FrameSelector {
            min_gap,
            last_analysed: None,
        }
    }

    /// Whether `pts` is due for analysis. A frame a little early (less than half a frame
    /// interval of a 60 fps camera) still counts, so 30 fps input at max 10 fps analyses
    /// every third frame rather than drifting.
    pub fn is_due(&self, pts: Duration) -> bool {
        const JITTER: Duration = Duration::from_millis(8);
        match self.last_analysed {
            None => true,
            Some(last) => pts + JITTER >= last + self.min_gap,
        }
    }

    /// Takes the frame at `pts` if it is due; returns whether it was taken.
    pub fn take(&mut self, pts: Duration) -> bool {
        let due = self.is_due(pts);
        if due {
            self.last_analysed = Some(pts);
        }
        due
    }
}

pub struct Analysis {
    detector: Box<dyn FrameDetector>,
    rules: RulesEngine,
    frames: FrameSelector,
}

/// What one analysed frame produced.
pub struct Analysed {
    pub detections: Detections,
    pub events: Vec<RuleEvent>,
}

impl Analysis {
    /// `detector`: the LiteRT models (`inference::Detector`) or recorded detections
    /// (`inference::ReplayDetector`).
    pub fn new(detector: impl FrameDetector + 'static, cfg: &Config) -> Analysis {
        Analysis {
            detector: Box::new(detector),
            rules: RulesEngine::new(cfg.rules.clone()),
            frames: FrameSelector::new(cfg),
        }
    }

    pub fn detector(&self) -> &dyn FrameDetector {
        self.detector.as_ref()
    }

    /// Analyses a frame if it is due; `None` when it was skipped.
    pub fn process(&mut self, frame: &Frame) -> Result<Option<Analysed>, InferenceError> {
        if !self.frames.take(frame.pts) {
            return Ok(None);
        }
        let mut detections = self.detector.detect(frame, false)?;
        crate::rules::mark_faces(&mut detections.faces, self.rules.config());
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
