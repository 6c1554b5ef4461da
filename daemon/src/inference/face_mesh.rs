//! FaceMesh V2 (`face_landmarks_detector.tflite` from MediaPipe's face landmarker
//! bundle): 478 landmarks (468 mesh points and 10 iris points) and a face-presence
//! score for one face region.
//!
//! The presence score confirms a detection (a hand or a coat the detector took for a
//! face scores low here) and tells the tracker when it has lost the face.

use std::path::Path;

use super::error::InferenceError;
use super::face_roi::{FaceRoi, warp_into};
use super::model::{CompileOptions, CompiledModel, ElementType};
use super::runtime::Runtime;

/// Landmarks per face: 468 mesh points and 5 per iris.
pub const LANDMARKS: usize = 478;
/// Outer and inner eye corners (the subject's right eye is on the image's left).
pub const RIGHT_EYE_OUTER: usize = 33;
pub const RIGHT_EYE_INNER: usize = 133;
pub const LEFT_EYE_INNER: usize = 362;
pub const LEFT_EYE_OUTER: usize = 263;
pub const RIGHT_IRIS: usize = 468;
pub const LEFT_IRIS: usize = 473;

/// One face's landmarks: in frame pixels, and in the upright model input (for measures
/// that must not depend on the head's roll, such as gaze).
#[derive(Clone, Debug)]
pub struct Landmarks {
    pub frame_px: Vec<[f32; 2]>,
    pub upright_px: Vec<[f32; 2]>,
    /// Face presence, 0..1.
    pub presence: f32,
}

pub struct FaceMesh {
    model: CompiledModel,
    input_size: usize,
    landmarks_output: usize,
    presence_output: usize,
    raw: Vec<f32>,
    /// The last run's landmarks, overwritten by the next run (one or two runs a frame:
    /// no allocation per face).
    landmarks: Landmarks,
}

impl FaceMesh {
    pub fn load(
        runtime: &Runtime,
        path: &Path,
        opts: CompileOptions,
    ) -> Result<FaceMesh, InferenceError> {
        let model = CompiledModel::load(runtime, path, opts)?;
        let unexpected = InferenceError::unexpected_model(path);
        let input = model.image_input().map_err(unexpected)?;
        let input_size = match input.dims.as_slice() {
            [1, h, w, 3] if h == w && input.element_type == ElementType::Float32 => *h as usize,
            d => {
                return Err(unexpected(format!(
                    "input {d:?} {:?} is not a float [1, N, N, 3] image",
                    input.element_type
                )));
            }
        };
        let find = |count: usize| {
            model
                .outputs()
                .iter()
                .position(|t| t.element_count() == count && t.element_type == ElementType::Float32)
        };
        let landmarks_output = find(LANDMARKS * 3).ok_or_else(|| {
            unexpected(format!(
                "no float output with {} values ({LANDMARKS} landmarks × x, y, z): is this FaceMesh V2 (face_landmarks_detector.tflite)?",
                LANDMARKS * 3
            ))
        })?;
        let presence_output =
            find(1).ok_or_else(|| unexpected("no face-presence output [1,1,1,1]".into()))?;
        Ok(FaceMesh {
            model,
            input_size,
            landmarks_output,
            presence_output,
            raw: vec![0.0; LANDMARKS * 3],
            landmarks: Landmarks {
                frame_px: vec![[0.0; 2]; LANDMARKS],
                upright_px: vec![[0.0; 2]; LANDMARKS],
                presence: 0.0,
            },
        })
    }

    pub fn model(&self) -> &CompiledModel {
        &self.model
    }

    /// The side of the square model input the face region is warped into.
    pub fn input_size(&self) -> usize {
        self.input_size
    }

    /// Runs the model on whatever its input holds: the invoke alone, the peer the
    /// benchmarks measure `run`'s own work against.
    pub fn invoke(&mut self) -> Result<(), InferenceError> {
        self.model.invoke()
    }

    /// Runs the mesh on one face region of a packed RGB frame; the landmarks are valid
    /// until the next run.
    pub fn run(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        roi: &FaceRoi,
    ) -> Result<&Landmarks, InferenceError> {
        let n = self.input_size;
        self.model.write_input(0, |buf| {
            // SAFETY-free reinterpretation: the input is float32, checked at load, and
            // LiteRT's host buffers are allocated with at least 4-byte alignment.
            let floats: &mut [f32] = bytemuck_f32(buf);
            warp_into(rgb, w, h, roi, n, floats);
        })?;
        self.model.invoke()?;
        let raw = &mut self.raw;
        self.model.read_output(self.landmarks_output, |b| {
            for (d, c) in raw.iter_mut().zip(b.chunks_exact(4)) {
                *d = f32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
            }
        })?;
        let logit = self.model.read_output(self.presence_output, |b| {
            f32::from_ne_bytes([b[0], b[1], b[2], b[3]])
        })?;
        let lm = &mut self.landmarks;
        for ((p, up), fp) in self
            .raw
            .chunks_exact(3)
            .zip(lm.upright_px.iter_mut())
            .zip(lm.frame_px.iter_mut())
        {
            *up = [p[0], p[1]];
            *fp = roi.to_frame(p[0], p[1], n as f32);
        }
        lm.presence = 1.0 / (1.0 + (-logit).exp());
        Ok(lm)
    }
}

/// Views a byte buffer as f32s. Panics if it is misaligned, which LiteRT's buffers never are.
fn bytemuck_f32(buf: &mut [u8]) -> &mut [f32] {
    // SAFETY: f32 has no invalid bit patterns; `align_to_mut` only yields the aligned middle,
    // and we check that it is the whole buffer.
    let (head, floats, tail) = unsafe { buf.align_to_mut::<f32>() };
    assert!(
        head.is_empty() && tail.is_empty(),
        "LiteRT input buffer is not 4-byte aligned"
    );
    floats
}
