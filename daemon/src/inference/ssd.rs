//! SSD MobileNet v1 (quantised, with the TFLite_Detection_PostProcess op built in):
//! reading its post-processed outputs.

use super::error::InferenceError;
use super::labels::LabelMap;
use super::model::{CompiledModel, ElementType};
use super::objects::ClassThresholds;
use super::preprocess::Placement;
use crate::detections::{BBox, DetectedObject};

/// Output order of TFLite_Detection_PostProcess.
const BOXES: usize = 0;
const CLASSES: usize = 1;
const SCORES: usize = 2;
const COUNT: usize = 3;
/// Floats per box (ymin, xmin, ymax, xmax).
const BOX_VALUES: usize = 4;

/// Scratch buffers for the post-processed outputs, sized once from the model.
pub struct SsdOutputs {
    boxes: Vec<f32>,
    classes: Vec<f32>,
    scores: Vec<f32>,
}

impl SsdOutputs {
    /// Checks that `model` has the four float outputs of TFLite_Detection_PostProcess.
    pub fn for_model(model: &CompiledModel) -> Result<SsdOutputs, String> {
        if model.outputs().len() != 4
            || model
                .outputs()
                .iter()
                .any(|o| o.element_type != ElementType::Float32)
        {
            return Err("expected the 4 float outputs of TFLite_Detection_PostProcess (boxes, classes, scores, count)".into());
        }
        let capacity = model.outputs()[SCORES].element_count();
        Ok(SsdOutputs {
            boxes: vec![0.0; capacity * BOX_VALUES],
            classes: vec![0.0; capacity],
            scores: vec![0.0; capacity],
        })
    }

    /// Appends the proctoring objects of the last run, boxes normalised to the frame.
    pub fn read(
        &mut self,
        model: &mut CompiledModel,
        placement: &Placement,
        labels: &LabelMap,
        thresholds: &ClassThresholds,
        out: &mut Vec<DetectedObject>,
    ) -> Result<(), InferenceError> {
        let count = model.read_output(COUNT, |b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))?;
        // The count comes from the model; never read past what the buffers hold.
        let n = (count.max(0.0) as usize)
            .min(self.scores.len())
            .min(self.boxes.len() / BOX_VALUES);
        let (boxes, classes, scores) = (&mut self.boxes, &mut self.classes, &mut self.scores);
        model.read_output(BOXES, |b| read_floats(b, &mut boxes[..n * BOX_VALUES]))?;
        model.read_output(CLASSES, |b| read_floats(b, &mut classes[..n]))?;
        model.read_output(SCORES, |b| read_floats(b, &mut scores[..n]))?;
        for i in 0..n {
            let score = self.scores[i];
            let Some((label, class)) = labels.lookup(self.classes[i].max(0.0) as usize) else {
                continue;
            };
            if score < thresholds.of(class) {
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
