//! The seam between the analysis stage and the models: what one analysed frame needs
//! from a detector, whatever runs behind it. `Detector` (LiteRT models) implements it for
//! the daemon; `ReplayDetector` replays recorded detections so the pipeline and the rules
//! are tested without LiteRT (as Frigate's `DetectionApi` separates its detectors).

use std::path::{Path, PathBuf};

use super::error::InferenceError;
use super::model::RanOn;
use crate::detections::{Detections, ObjectClass};
use crate::frame::Frame;
use crate::models::VerifiedModel;

pub trait FrameDetector: Send {
    /// Faces on every call; objects when due by the detector's cadence, or now when
    /// `objects_now` (stills).
    fn detect(&mut self, frame: &Frame, objects_now: bool) -> Result<Detections, InferenceError>;
    /// Forgets what earlier frames showed, so the next frame is judged on its own.
    fn forget_tracks(&mut self);
    /// Models in use with their verified sha256, for reports.
    fn models(&self) -> &[VerifiedModel];
    /// The proctoring classes the object model can report.
    fn object_classes(&self) -> Vec<ObjectClass>;
    fn ran_on(&self) -> RanOn;
}

/// Recorded detections, one `Detections` JSON object per line (what the analysis stage
/// saw on each analysed frame), handed out in order; each is re-stamped with the frame it
/// is given, so the replay follows the frames' own times.
pub struct ReplayDetector {
    recorded: std::vec::IntoIter<Detections>,
    source: PathBuf,
}

impl ReplayDetector {
    pub fn new(recorded: Vec<Detections>) -> ReplayDetector {
        ReplayDetector {
            recorded: recorded.into_iter(),
            source: PathBuf::from("(in memory)"),
        }
    }

    pub fn load(path: &Path) -> Result<ReplayDetector, InferenceError> {
        let invalid = |reason: String| InferenceError::ModelInvalid {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| invalid(e.to_string()))?;
        let recorded = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| invalid(format!("line {}: {e}", i + 1)))
            })
            .collect::<Result<Vec<Detections>, _>>()?;
        Ok(ReplayDetector {
            recorded: recorded.into_iter(),
            source: path.to_owned(),
        })
    }
}

impl FrameDetector for ReplayDetector {
    fn detect(&mut self, frame: &Frame, _objects_now: bool) -> Result<Detections, InferenceError> {
        let mut d = self
            .recorded
            .next()
            .ok_or_else(|| InferenceError::ModelInvalid {
                path: self.source.clone(),
                reason: format!("no recorded detections left for frame {}", frame.seq),
            })?;
        d.frame_seq = frame.seq;
        d.at = frame.pts;
        Ok(d)
    }

    fn forget_tracks(&mut self) {}

    fn models(&self) -> &[VerifiedModel] {
        &[]
    }

    fn object_classes(&self) -> Vec<ObjectClass> {
        vec![
            ObjectClass::Phone,
            ObjectClass::Notes,
            ObjectClass::Device,
            ObjectClass::Person,
        ]
    }

    fn ran_on(&self) -> RanOn {
        RanOn::Cpu
    }
}
