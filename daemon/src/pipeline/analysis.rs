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

use super::FrameSelector;

pub struct Analysis {
    detector: Box<dyn FrameDetector>,
    rules: RulesEngine,
    frames: FrameSelector,
}

/// What one analysed frame produced.
pub struct Analysed {
    pub detections: Detections,
    pub events: Vec<RuleEvent>,
    /// The frame came in another format and was converted to RGB for the models here.
    pub converted_to_rgb: bool,
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
        // Only now: a frame skipped above is never converted.
        let converted_to_rgb = frame.convert_to_rgb();
        let mut detections = self.detector.detect(frame, false)?;
        crate::rules::mark_faces(&mut detections.faces, self.rules.config());
        let events = self.rules.on_detections(&detections);
        Ok(Some(Analysed {
            detections,
            events,
            converted_to_rgb,
        }))
    }

    /// No frame arrived; `now` on the stream clock (drives camera_lost).
    pub fn idle(&mut self, now: Duration) -> Vec<RuleEvent> {
        self.rules.on_idle(now)
    }

    /// Every open event and the stream time it would end at if the evidence stopped at
    /// `now` (see `RulesEngine::open_event_ends`).
    pub fn open_event_ends(&self, now: Duration) -> Vec<(uuid::Uuid, Duration)> {
        self.rules.open_event_ends(now)
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
