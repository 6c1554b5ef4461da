use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, err};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Accelerator {
    #[default]
    Cpu,
    Gpu,
    /// GPU when the runtime finds one, otherwise CPU.
    Auto,
}

/// What to do when `accelerator = "gpu"` and no GPU adapter exists.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum GpuFallback {
    /// Log a warning and run on the CPU.
    #[default]
    Cpu,
    /// Refuse to start.
    Fail,
}

/// `[runtime]`: the LiteRT runtime library and how it runs the models.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct RuntimeConfig {
    /// Path of libLiteRt.so (pinned version, sha256-checked at start).
    pub library: PathBuf,
    /// Check the library's sha256 against the pinned one at start.
    pub verify_sha256: bool,
    pub accelerator: Accelerator,
    pub gpu_fallback: GpuFallback,
    /// XNNPACK CPU threads of the object model.
    pub threads: u32,
    /// XNNPACK CPU threads of each face model (detector and landmarks). They run beside
    /// the object stage's thread; `face_threads + threads` at most the cores keeps the
    /// two stages from oversubscribing them.
    pub face_threads: u32,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            library: PathBuf::from("runtime/libLiteRt.so"),
            verify_sha256: true,
            accelerator: Accelerator::Cpu,
            gpu_fallback: GpuFallback::Cpu,
            threads: 2,
            face_threads: 1,
        }
    }
}

impl Validate for RuntimeConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        for (key, threads) in [
            ("threads", self.threads),
            ("face_threads", self.face_threads),
        ] {
            if threads == 0 || threads > 64 {
                err(
                    errors,
                    path,
                    key,
                    format!("must be between 1 and 64, got {threads}"),
                );
            }
        }
    }
}

/// `[models]`: which models from the manifest (models/manifest.toml) to run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ModelsConfig {
    /// Directory holding the fetched model files (`make models`, i.e. models/fetch.py).
    pub dir: PathBuf,
    /// Manifest listing every model with its sha256.
    pub manifest: PathBuf,
    /// Manifest name of the face detector.
    pub face: String,
    /// A second face detector whose detections are merged with `face`'s ("" = none),
    /// e.g. the short-range model, which finds some close, strongly turned faces the
    /// full-range one misses. Off by default: on the labelled set it changed no verdict
    /// (the landmark model does not confirm those faces either).
    pub face_short_range: String,
    /// Manifest name of the face-landmark model (FaceMesh V2): confirms faces, tracks
    /// them, and gives head pose and gaze.
    pub landmarks: String,
    /// Manifest name of the canonical 3D face the head pose is solved against.
    pub face_geometry: String,
    /// Manifest name of the object detector; empty disables object detection.
    pub objects: String,
    /// Licences (SPDX ids, as the manifest's `licence`) the deployment accepts; a
    /// configured model whose licence is not listed is refused at start.
    pub accepted_licences: Vec<String>,
}

/// Licences accepted when the config lists none: permissive ones only, so that a
/// copyleft model (the AGPL-3.0 Ultralytics weights) runs only where a config names it.
pub const PERMISSIVE_LICENCES: [&str; 4] = ["Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause"];

impl Default for ModelsConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("models/cache"),
            manifest: PathBuf::from("models/manifest.toml"),
            face: "face_detection_full_range_sparse".into(),
            face_short_range: String::new(),
            landmarks: "face_landmarks_detector".into(),
            face_geometry: "canonical_face_model".into(),
            objects: "ssd_mobilenet_v1_quant".into(),
            accepted_licences: PERMISSIVE_LICENCES.map(String::from).to_vec(),
        }
    }
}

impl Validate for ModelsConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        for (key, value) in [
            ("face", &self.face),
            ("landmarks", &self.landmarks),
            ("face_geometry", &self.face_geometry),
        ] {
            if value.is_empty() {
                err(errors, path, key, "must name a model from the manifest");
            }
        }
        if self.accepted_licences.is_empty() {
            err(
                errors,
                path,
                "accepted_licences",
                "must list at least one licence (e.g. \"Apache-2.0\"); every model's licence is in models/manifest.toml",
            );
        }
    }
}

/// `[detection]`: thresholds and rates of the detectors.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct DetectionConfig {
    /// Minimum face score (0..1).
    pub face_score: f32,
    /// IoU above which overlapping face candidates are merged.
    pub face_nms_iou: f32,
    /// Minimum face-presence score of the landmark model (0..1): a detection it scores
    /// lower is not a face, a tracked face that drops lower is lost.
    pub face_presence: f32,
    /// A detection the landmark model cannot confirm still counts as a face, without head
    /// pose and judged looking away, when the detector's score is at least this (0..1;
    /// 1 = never): a head in profile or behind a hand scores low on presence, while the
    /// hands, coats and clutter the detector mistakes for faces score far below this.
    pub face_unconfirmed_score: f32,
    /// While faces are tracked from frame to frame, run the face detector anyway every
    /// this many analysed frames to find faces that just came into view (1 = every frame).
    pub face_detect_every_n_frames: u32,
    /// Minimum score per proctoring class (0..1).
    pub phone_score: f32,
    pub notes_score: f32,
    pub device_score: f32,
    pub person_score: f32,
    /// Run object detection on every Nth analysed frame (1 = every frame).
    pub objects_every_n_frames: u32,
    /// Same-label object boxes overlapping more than this IoU are merged (YOLO's
    /// host-side NMS, and the merge of the full-frame and hands-and-desk passes).
    pub objects_nms_iou: f32,
    /// A second object pass over the candidate's hands and desk (below and around the
    /// face, or the lower part of the frame without one), magnified to the model input.
    pub hands_zone: bool,
    /// Run the hands-and-desk pass on every Nth object-detection frame.
    pub hands_zone_every_n: u32,
    /// Analyse at most this many frames per second (0 = as many as inference keeps up with).
    pub max_analysis_fps: f32,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        Self {
            face_score: 0.5,
            face_nms_iou: 0.3,
            face_presence: 0.5,
            face_unconfirmed_score: 0.8,
            face_detect_every_n_frames: 5,
            phone_score: 0.4,
            notes_score: 0.4,
            device_score: 0.5,
            person_score: 0.5,
            objects_every_n_frames: 3,
            objects_nms_iou: 0.5,
            hands_zone: false,
            hands_zone_every_n: 1,
            max_analysis_fps: 10.0,
        }
    }
}

impl Validate for DetectionConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        for (key, v) in [
            ("face_score", self.face_score),
            ("face_nms_iou", self.face_nms_iou),
            ("face_presence", self.face_presence),
            ("face_unconfirmed_score", self.face_unconfirmed_score),
            ("phone_score", self.phone_score),
            ("notes_score", self.notes_score),
            ("device_score", self.device_score),
            ("person_score", self.person_score),
            ("objects_nms_iou", self.objects_nms_iou),
        ] {
            if !(0.0..=1.0).contains(&v) {
                err(
                    errors,
                    path,
                    key,
                    format!("must be between 0 and 1, got {v}"),
                );
            }
        }
        if self.face_detect_every_n_frames == 0 {
            err(
                errors,
                path,
                "face_detect_every_n_frames",
                "must be at least 1",
            );
        }
        if self.objects_every_n_frames == 0 {
            err(errors, path, "objects_every_n_frames", "must be at least 1");
        }
        if self.hands_zone_every_n == 0 {
            err(
                errors,
                path,
                "hands_zone_every_n",
                "must be at least 1 (set hands_zone = false to turn the pass off)",
            );
        }
        if !(self.max_analysis_fps >= 0.0 && self.max_analysis_fps <= 120.0) {
            err(
                errors,
                path,
                "max_analysis_fps",
                "must be between 0 and 120",
            );
        }
    }
}
