//! SSD MobileNet v1 (quantised, with the TFLite_Detection_PostProcess op built in):
//! preprocessing, the model, and reading its post-processed outputs.

use std::path::Path;

use super::error::InferenceError;
use super::labels::LabelMap;
use super::model::{CompileOptions, CompiledModel, ElementType};
use super::preprocess::{FitMode, Placement, Preprocessor};
use super::runtime::Runtime;
use crate::detections::{BBox, DetectedObject, ObjectClass};

/// Per-class minimum scores.
#[derive(Clone, Copy, Debug)]
pub struct ClassThresholds {
    pub phone: f32,
    pub notes: f32,
    pub device: f32,
    pub person: f32,
}

impl ClassThresholds {
    fn of(&self, class: ObjectClass) -> f32 {
        match class {
            ObjectClass::Phone => self.phone,
            ObjectClass::Notes => self.notes,
            ObjectClass::Device => self.device,
            ObjectClass::Person => self.person,
        }
    }
}

/// Output order of TFLite_Detection_PostProcess.
const BOXES: usize = 0;
const CLASSES: usize = 1;
const SCORES: usize = 2;
const COUNT: usize = 3;
/// Floats per box (ymin, xmin, ymax, xmax).
const BOX_VALUES: usize = 4;

pub struct ObjectDetector {
    model: CompiledModel,
    pre: Preprocessor,
    labels: LabelMap,
    thresholds: ClassThresholds,
    boxes: Vec<f32>,
    classes: Vec<f32>,
    scores: Vec<f32>,
}

impl ObjectDetector {
    pub fn load(
        runtime: &Runtime,
        path: &Path,
        labels: LabelMap,
        opts: CompileOptions,
        thresholds: ClassThresholds,
    ) -> Result<Self, InferenceError> {
        let model = CompiledModel::load(runtime, path, opts)?;
        let unexpected = |reason: String| InferenceError::UnexpectedModel {
            path: path.to_owned(),
            reason,
        };
        let input = model
            .inputs()
            .first()
            .ok_or_else(|| unexpected("no input".into()))?;
        let pre = Preprocessor::new(input, FitMode::Stretch).map_err(unexpected)?;
        if model.outputs().len() != 4
            || model
                .outputs()
                .iter()
                .any(|o| o.element_type != ElementType::Float32)
        {
            return Err(unexpected("expected the 4 float outputs of TFLite_Detection_PostProcess (boxes, classes, scores, count)".into()));
        }
        let capacity = model.outputs()[SCORES].element_count();
        Ok(ObjectDetector {
            model,
            pre,
            labels,
            thresholds,
            boxes: vec![0.0; capacity * BOX_VALUES],
            classes: vec![0.0; capacity],
            scores: vec![0.0; capacity],
        })
    }

    pub fn model(&self) -> &CompiledModel {
        &self.model
    }

    pub fn labels(&self) -> &LabelMap {
        &self.labels
    }

    pub fn preprocess(&mut self, rgb: &[u8], w: u32, h: u32) -> Result<Placement, InferenceError> {
        let pre = &mut self.pre;
        self.model.write_input(0, |buf| pre.run(rgb, w, h, buf))
    }

    pub fn invoke(&mut self) -> Result<(), InferenceError> {
        self.model.invoke()
    }

    /// Detects proctoring-relevant objects; boxes normalised to the frame.
    pub fn detect(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        out: &mut Vec<DetectedObject>,
    ) -> Result<(), InferenceError> {
        let placement = self.preprocess(rgb, w, h)?;
        self.invoke()?;
        let count = self
            .model
            .read_output(COUNT, |b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))?;
        // The count comes from the model; never read past what the buffers hold.
        let n = (count.max(0.0) as usize)
            .min(self.scores.len())
            .min(self.boxes.len() / BOX_VALUES);
        let (boxes, classes, scores) = (&mut self.boxes, &mut self.classes, &mut self.scores);
        self.model
            .read_output(BOXES, |b| read_floats(b, &mut boxes[..n * BOX_VALUES]))?;
        self.model
            .read_output(CLASSES, |b| read_floats(b, &mut classes[..n]))?;
        self.model
            .read_output(SCORES, |b| read_floats(b, &mut scores[..n]))?;
        out.clear();
        for i in 0..n {
            let score = self.scores[i];
            let Some((label, class)) = self.labels.lookup(self.classes[i].max(0.0) as usize) else {
                continue;
            };
            if score < self.thresholds.of(class) {
                continue;
            }
            let b = &self.boxes[i * BOX_VALUES..][..BOX_VALUES];
            let (x0, y0) = placement.to_frame(b[1], b[0]);
            let (x1, y1) = placement.to_frame(b[3], b[2]);
            out.push(DetectedObject {
                class,
                label: label.to_string(),
                score,
                bbox: BBox { x0, y0, x1, y1 }.clamped(),
            });
        }
        Ok(())
    }
}

fn read_floats(bytes: &[u8], dst: &mut [f32]) {
    for (d, c) in dst.iter_mut().zip(bytes.chunks_exact(4)) {
        *d = f32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
    }
}
