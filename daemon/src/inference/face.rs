//! BlazeFace face detection: preprocessing, the model, anchor decoding, weighted
//! non-maximum suppression and mapping back to frame coordinates. Head pose comes from
//! the face mesh (`face_mesh.rs`, `head_pose.rs`), not from these six keypoints.
//!
//! Works with the float `face_detection_full_range_sparse` (192×192, 2304 anchors: far
//! faces too), the float `face_detection_short_range` and the int8
//! `blazeface_128x128_quant` (128×128, 896 anchors; the int8 one has its outputs split
//! by stride into four uint8 tensors). The anchor layout follows from the input size;
//! the outputs are told apart by shape and dequantised with each tensor's own parameters.

use std::path::Path;

use super::anchors;
use super::error::InferenceError;
use super::model::{CompileOptions, CompiledModel, ElementType, Quantization, TensorInfo};
use super::preprocess::{FitMode, FrameImage, ModelInput, Preprocessor};
use super::runtime::Runtime;
use crate::detections::{BBox, Face};

const VALUES_PER_ANCHOR: usize = 16;
/// MediaPipe clips raw scores before the sigmoid.
const SCORE_CLIP: f32 = 100.0;

/// Which slice of anchors an output tensor holds, and what it holds.
#[derive(Clone, Copy, Debug)]
struct OutputSlot {
    index: usize,
    element_type: ElementType,
    quantization: Option<Quantization>,
    first_anchor: usize,
    anchors: usize,
    is_scores: bool,
}

#[derive(Clone, Copy, Debug)]
struct Candidate {
    score: f32,
    bbox: BBox,
    keypoints: [[f32; 2]; 6],
}

pub struct FaceDetector {
    model: CompiledModel,
    pre: Preprocessor,
    slots: Vec<OutputSlot>,
    anchors: Vec<[f32; 2]>,
    /// Regressor values are in pixels of the square model input.
    input_scale: f32,
    scores: Vec<f32>,
    regressors: Vec<f32>,
    candidates: Vec<Candidate>,
    cluster: Vec<usize>,
    taken: Vec<bool>,
    pub min_score: f32,
    pub nms_iou: f32,
}

impl FaceDetector {
    pub fn load(
        runtime: &Runtime,
        path: &Path,
        opts: CompileOptions,
        min_score: f32,
        nms_iou: f32,
    ) -> Result<Self, InferenceError> {
        let model = CompiledModel::load(runtime, path, opts)?;
        let unexpected = InferenceError::unexpected_model(path);
        let input = model.image_input().map_err(unexpected)?;
        let pre = Preprocessor::new(input, FitMode::Letterbox).map_err(unexpected)?;
        let (size, _) = pre.input_size();
        let anchors = anchors::for_input(size).ok_or_else(|| {
            unexpected(format!(
                "a {size}×{size} input is not a BlazeFace model (128: short range, 192: full range)"
            ))
        })?;
        let n = anchors.len();
        let slots = output_slots(model.outputs(), n).map_err(unexpected)?;
        Ok(FaceDetector {
            model,
            pre,
            slots,
            anchors,
            input_scale: size as f32,
            scores: vec![0.0; n],
            regressors: vec![0.0; n * VALUES_PER_ANCHOR],
            candidates: Vec::with_capacity(64),
            cluster: Vec::with_capacity(64),
            taken: vec![false; n],
            min_score,
            nms_iou,
        })
    }

    pub fn model(&self) -> &CompiledModel {
        &self.model
    }

    /// Copies the frame into the model's input.
    pub fn preprocess(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
    ) -> Result<super::preprocess::Placement, InferenceError> {
        let pre = &mut self.pre;
        self.model.write_input(0, |buf| pre.run(rgb, w, h, buf))
    }

    pub fn invoke(&mut self) -> Result<(), InferenceError> {
        self.model.invoke()
    }

    /// How this model takes a whole frame (for the shared smaller copy, `downscale.rs`).
    pub fn model_input(&self) -> ModelInput {
        self.pre.model_input()
    }

    /// Detects faces in a packed RGB frame; boxes and keypoints normalised to the frame.
    pub fn detect(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        out: &mut Vec<Face>,
    ) -> Result<(), InferenceError> {
        self.detect_image(FrameImage::full(rgb, w, h), out)
    }

    /// As `detect`, reading `image`: the frame or a smaller copy standing for it.
    pub fn detect_image(
        &mut self,
        image: FrameImage<'_>,
        out: &mut Vec<Face>,
    ) -> Result<(), InferenceError> {
        let pre = &mut self.pre;
        let placement = self.model.write_input(0, |buf| pre.run_image(image, buf))?;
        self.invoke()?;
        self.read_outputs()?;
        self.decode_candidates();
        out.clear();
        self.weighted_nms(|c| {
            let (x0, y0) = placement.to_frame(c.bbox.x0, c.bbox.y0);
            let (x1, y1) = placement.to_frame(c.bbox.x1, c.bbox.y1);
            let keypoints = c
                .keypoints
                .iter()
                .map(|k| {
                    let (x, y) = placement.to_frame(k[0], k[1]);
                    [x, y]
                })
                .collect();
            out.push(Face {
                score: c.score,
                bbox: BBox { x0, y0, x1, y1 }.clamped(),
                keypoints,
                ..Face::default()
            });
        });
        Ok(())
    }

    fn read_outputs(&mut self) -> Result<(), InferenceError> {
        for si in 0..self.slots.len() {
            let slot = self.slots[si];
            let (first, per) = if slot.is_scores {
                (slot.first_anchor, 1)
            } else {
                (slot.first_anchor * VALUES_PER_ANCHOR, VALUES_PER_ANCHOR)
            };
            let dst = if slot.is_scores {
                &mut self.scores[first..first + slot.anchors]
            } else {
                &mut self.regressors[first..first + slot.anchors * per]
            };
            self.model.read_output(slot.index, |bytes| {
                dequantize(slot.element_type, slot.quantization, bytes, dst)
            })?;
        }
        Ok(())
    }

    fn decode_candidates(&mut self) {
        self.candidates.clear();
        for (i, anchor) in self.anchors.iter().enumerate() {
            let score = sigmoid(self.scores[i].clamp(-SCORE_CLIP, SCORE_CLIP));
            if score < self.min_score {
                continue;
            }
            let r = &self.regressors[i * VALUES_PER_ANCHOR..][..VALUES_PER_ANCHOR];
            let scale = self.input_scale;
            let cx = r[0] / scale + anchor[0];
            let cy = r[1] / scale + anchor[1];
            let (bw, bh) = (r[2] / scale, r[3] / scale);
            let mut keypoints = [[0f32; 2]; 6];
            for (k, kp) in keypoints.iter_mut().enumerate() {
                *kp = [
                    r[4 + 2 * k] / scale + anchor[0],
                    r[5 + 2 * k] / scale + anchor[1],
                ];
            }
            let bbox = BBox {
                x0: cx - bw / 2.0,
                y0: cy - bh / 2.0,
                x1: cx + bw / 2.0,
                y1: cy + bh / 2.0,
            };
            self.candidates.push(Candidate {
                score,
                bbox,
                keypoints,
            });
        }
        self.candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    }

    /// MediaPipe's weighted NMS: each cluster of overlapping candidates becomes one face
    /// whose box and keypoints are the score-weighted mean of the cluster (steadier than
    /// keeping only the best box, which jitters frame to frame).
    fn weighted_nms(&mut self, mut emit: impl FnMut(&Candidate)) {
        let mut remaining = self.candidates.len();
        let n = self.candidates.len();
        let taken = &mut self.taken;
        taken[..n].fill(false);
        while remaining > 0 {
            let Some(lead) = (0..n).find(|&i| !taken[i]) else {
                break;
            };
            self.cluster.clear();
            let lead_box = self.candidates[lead].bbox;
            for (i, c) in self.candidates.iter().enumerate().skip(lead) {
                if !taken[i] && lead_box.iou(&c.bbox) > self.nms_iou {
                    self.cluster.push(i);
                }
            }
            if self.cluster.is_empty() {
                self.cluster.push(lead);
            }
            let mut total = 0.0;
            let mut acc = Candidate {
                score: self.candidates[lead].score,
                bbox: BBox::default(),
                keypoints: [[0.0; 2]; 6],
            };
            for &i in &self.cluster {
                taken[i] = true;
                remaining -= 1;
                let c = &self.candidates[i];
                total += c.score;
                acc.bbox.x0 += c.bbox.x0 * c.score;
                acc.bbox.y0 += c.bbox.y0 * c.score;
                acc.bbox.x1 += c.bbox.x1 * c.score;
                acc.bbox.y1 += c.bbox.y1 * c.score;
                for k in 0..6 {
                    acc.keypoints[k][0] += c.keypoints[k][0] * c.score;
                    acc.keypoints[k][1] += c.keypoints[k][1] * c.score;
                }
            }
            acc.bbox = BBox {
                x0: acc.bbox.x0 / total,
                y0: acc.bbox.y0 / total,
                x1: acc.bbox.x1 / total,
                y1: acc.bbox.y1 / total,
            };
            for kp in acc.keypoints.iter_mut() {
                kp[0] /= total;
                kp[1] /= total;
            }
            emit(&acc);
        }
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Reads a tensor's elements as f32, dequantising with its own parameters.
pub(crate) fn dequantize(
    element_type: ElementType,
    quantization: Option<Quantization>,
    bytes: &[u8],
    dst: &mut [f32],
) {
    match element_type {
        ElementType::Float32 => {
            for (d, c) in dst.iter_mut().zip(bytes.chunks_exact(4)) {
                *d = f32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
            }
        }
        ElementType::UInt8 | ElementType::Int8 => {
            let q = quantization.unwrap_or(Quantization {
                scale: 1.0,
                zero_point: 0,
            });
            let zp = q.zero_point as f32;
            let signed = element_type == ElementType::Int8;
            for (d, &b) in dst.iter_mut().zip(bytes) {
                let v = if signed { b as i8 as f32 } else { b as f32 };
                *d = q.scale * (v - zp);
            }
        }
        _ => dst.fill(0.0),
    }
}

/// Finds the score and regressor outputs by shape. Outputs split by stride come in
/// anchor order (the 512 stride-8 anchors before the 384 stride-16 ones).
fn output_slots(outputs: &[TensorInfo], num_anchors: usize) -> Result<Vec<OutputSlot>, String> {
    let mut scores: Vec<(usize, usize)> = Vec::new();
    let mut regs: Vec<(usize, usize)> = Vec::new();
    for (i, t) in outputs.iter().enumerate() {
        match t.dims.as_slice() {
            [1, n, 1] => scores.push((i, *n as usize)),
            [1, n, 16] => regs.push((i, *n as usize)),
            other => {
                return Err(format!(
                    "output {i} has shape {other:?}; expected [1, N, 1] scores and [1, N, 16] regressors"
                ));
            }
        }
    }
    let order = |v: &mut Vec<(usize, usize)>| v.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    order(&mut scores);
    order(&mut regs);
    let total = |v: &Vec<(usize, usize)>| v.iter().map(|x| x.1).sum::<usize>();
    if total(&scores) != num_anchors || total(&regs) != num_anchors {
        return Err(format!(
            "outputs cover {} score and {} regressor anchors; this input size has {num_anchors}",
            total(&scores),
            total(&regs)
        ));
    }
    let mut slots = Vec::new();
    for (list, is_scores) in [(scores, true), (regs, false)] {
        let mut first = 0;
        for (index, n) in list {
            let t = &outputs[index];
            slots.push(OutputSlot {
                index,
                element_type: t.element_type,
                quantization: t.quantization,
                first_anchor: first,
                anchors: n,
                is_scores,
            });
            first += n;
        }
    }
    Ok(slots)
}
