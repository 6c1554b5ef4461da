//! The object passes of one object-detection frame: the model over the whole frame, and
//! every `hands_zone_every_n` object frames a second pass over the hands-and-desk zone
//! (`hands_zone.rs`), merged with the first by class-aware NMS, boxes in frame
//! coordinates.

use super::downscale::Downscaled;
use super::error::InferenceError;
use super::hands_zone::hands_zone;
use super::labels::LabelMap;
use super::model::CompileOptions;
use super::nms::class_aware_nms;
use super::objects::{ClassThresholds, ObjectDetector};
use super::preprocess::{FrameImage, ModelInput};
use super::runtime::Runtime;
use crate::config::Config;
use crate::detections::{BBox, DetectedObject, Face};
use crate::frame::Frame;
use crate::models::{Manifest, VerifiedModel};

/// At most this many objects per frame after merging the passes.
const MAX_OBJECTS: usize = 50;

/// What the object passes found on one frame.
pub struct ObjectsFound {
    pub objects: Vec<DetectedObject>,
    /// The hands-and-desk zone, normalised to the frame, when that pass ran.
    pub hands_zone: Option<BBox>,
}

pub struct ObjectPasses {
    detector: ObjectDetector,
    /// Run the hands-and-desk pass every this many object frames; `None` = never.
    hands_zone_every_n: Option<u64>,
    nms_iou: f32,
    object_frames: u64,
    zone_found: Vec<DetectedObject>,
}

impl ObjectPasses {
    /// Loads `[models] objects` (and its labels), verified against the manifest and
    /// appended to `models`; `None` when object detection is off.
    pub fn from_config(
        runtime: &Runtime,
        cfg: &Config,
        manifest: &Manifest,
        opts: CompileOptions,
        models: &mut Vec<VerifiedModel>,
    ) -> Result<Option<ObjectPasses>, InferenceError> {
        let name = &cfg.models.objects;
        if name.is_empty() {
            return Ok(None);
        }
        let model = manifest.verified(&cfg.models.dir, name)?;
        let entry = manifest
            .get(name)
            .expect("verified models are in the manifest");
        let family = entry.family.ok_or_else(|| InferenceError::Manifest {
            path: cfg.models.manifest.clone(),
            reason: format!(
                "model {name} names no family (\"ssd_postprocess\" or \"yolo\"): proctord cannot tell how to decode its output"
            ),
        })?;
        let labels_name = entry.labels.clone().unwrap_or_default();
        let labels_file = manifest.verified(&cfg.models.dir, &labels_name)?;
        let labels = ObjectDetector::load_labels(&labels_file.path, family).map_err(|e| {
            InferenceError::ModelInvalid {
                path: labels_file.path.clone(),
                reason: e.to_string(),
            }
        })?;
        let d = &cfg.detection;
        let thresholds = ClassThresholds {
            phone: d.phone_score,
            notes: d.notes_score,
            device: d.device_score,
            person: d.person_score,
        };
        let detector = ObjectDetector::load(
            runtime,
            &model.path,
            family,
            labels,
            opts,
            thresholds,
            d.objects_nms_iou,
        )?;
        models.push(model);
        models.push(labels_file);
        Ok(Some(ObjectPasses {
            detector,
            hands_zone_every_n: d.hands_zone.then_some(d.hands_zone_every_n.max(1) as u64),
            nms_iou: d.objects_nms_iou,
            object_frames: 0,
            zone_found: Vec::new(),
        }))
    }

    pub fn detector(&mut self) -> &mut ObjectDetector {
        &mut self.detector
    }

    pub fn labels(&self) -> &LabelMap {
        self.detector.labels()
    }

    /// How the full-frame pass takes the frame (for the shared smaller copy).
    pub fn model_input(&self) -> ModelInput {
        self.detector.model_input()
    }

    /// Runs the full-frame pass (on `small`, the frame's shared smaller copy, when
    /// given), and the hands-and-desk pass when it is due (always on the frame itself:
    /// the zone is there to be seen at more than the whole-frame resolution), given the
    /// faces found on the same frame.
    pub fn detect(
        &mut self,
        frame: &Frame,
        small: Option<&Downscaled>,
        faces: &[Face],
    ) -> Result<ObjectsFound, InferenceError> {
        let (rgb, w, h) = (&frame.rgb()[..], frame.width, frame.height);
        let zone_due = self
            .hands_zone_every_n
            .is_some_and(|n| self.object_frames.is_multiple_of(n));
        self.object_frames += 1;
        let mut objects = Vec::new();
        let image = small.map_or(FrameImage::full(rgb, w, h), |s| s.image());
        self.detector.detect_image(image, &mut objects)?;
        if !zone_due {
            return Ok(ObjectsFound {
                objects,
                hands_zone: None,
            });
        }
        let zone = hands_zone(w, h, faces);
        self.detector
            .detect_region(rgb, w, h, zone, &mut self.zone_found)?;
        objects.append(&mut self.zone_found);
        Ok(ObjectsFound {
            objects: class_aware_nms(objects, self.nms_iou, MAX_OBJECTS),
            hands_zone: Some(zone.normalised(w, h)),
        })
    }
}
