//! The detector the pipeline runs: the face path (detect or track, landmarks, head pose)
//! on every analysed frame, the object passes on every Nth (a phone lying still must
//! still be seen, so the object model runs at a fixed rate, not on motion). Every
//! configured model's licence must be accepted.

use std::time::Instant;

use super::error::InferenceError;
use super::face::FaceDetector;
use super::face_mesh::FaceMesh;
use super::face_path::{FacePath, FacePathOptions};
use super::model::{CompileOptions, RanOn};
use super::object_passes::ObjectPasses;
use super::objects::ObjectDetector;
use super::runtime::Runtime;
use crate::config::Config;
use crate::detections::{Detections, InferenceTimes, ObjectClass};
use crate::frame::Frame;
use crate::models::{Manifest, VerifiedModel};

pub struct Detector {
    face: FacePath,
    objects: Option<ObjectPasses>,
    objects_every_n_frames: u64,
    analysed: u64,
    models: Vec<VerifiedModel>,
}

impl Detector {
    /// Loads the runtime and the configured models, verifying each against the manifest.
    pub fn from_config(cfg: &Config) -> Result<Detector, InferenceError> {
        let runtime = Runtime::load(&cfg.runtime.library, cfg.runtime.verify_sha256)?;
        Detector::with_runtime(&runtime, cfg)
    }

    pub fn with_runtime(runtime: &Runtime, cfg: &Config) -> Result<Detector, InferenceError> {
        let manifest = Manifest::load(&cfg.models.manifest)?;
        let opts = CompileOptions {
            accelerator: cfg.runtime.accelerator,
            gpu_fallback: cfg.runtime.gpu_fallback,
            threads: cfg.runtime.threads,
        };
        for name in manifest.configured(&cfg.models) {
            manifest.check_licence(&name, &cfg.models.accepted_licences)?;
        }
        let mut models = Vec::new();
        let mut face_detectors = Vec::new();
        for name in [&cfg.models.face, &cfg.models.face_short_range] {
            if name.is_empty() {
                continue;
            }
            let m = manifest.verified(&cfg.models.dir, name)?;
            face_detectors.push(FaceDetector::load(
                runtime,
                &m.path,
                opts,
                cfg.detection.face_score,
                cfg.detection.face_nms_iou,
            )?);
            models.push(m);
        }
        let mesh_model = manifest.verified(&cfg.models.dir, &cfg.models.landmarks)?;
        let mesh = FaceMesh::load(runtime, &mesh_model.path, opts)?;
        models.push(mesh_model);
        let geometry = manifest.verified(&cfg.models.dir, &cfg.models.face_geometry)?;
        let face = FacePath::new(
            face_detectors,
            mesh,
            &geometry.path,
            FacePathOptions {
                min_presence: cfg.detection.face_presence,
                unconfirmed_min_score: cfg.detection.face_unconfirmed_score,
                redetect_every: cfg.detection.face_detect_every_n_frames,
                horizontal_fov_deg: cfg.capture.horizontal_fov_deg,
            },
        )?;
        models.push(geometry);
        let objects = ObjectPasses::from_config(runtime, cfg, &manifest, opts, &mut models)?;
        Ok(Detector {
            face,
            objects,
            objects_every_n_frames: cfg.detection.objects_every_n_frames.max(1) as u64,
            analysed: 0,
            models,
        })
    }

    /// Models in use, with their verified sha256, for reports.
    pub fn models(&self) -> &[VerifiedModel] {
        &self.models
    }

    /// The proctoring classes the object model can report (empty without one).
    pub fn object_classes(&self) -> Vec<ObjectClass> {
        self.objects
            .as_ref()
            .map_or_else(Vec::new, |o| o.labels().classes())
    }

    /// Forgets what the previous frame showed, so the next frame is judged on its own
    /// (stills in `eval`, a new source).
    pub fn forget_tracks(&mut self) {
        self.face.forget_tracks();
    }

    /// Which hardware runs the face model (the object model follows the same setting).
    pub fn ran_on(&self) -> RanOn {
        self.face.detector_model().ran_on()
    }

    pub fn object_detector(&mut self) -> Option<&mut ObjectDetector> {
        self.objects.as_mut().map(ObjectPasses::detector)
    }

    /// Runs the face model, and the object model when it is due (or `objects_now`).
    pub fn detect(
        &mut self,
        frame: &Frame,
        objects_now: bool,
    ) -> Result<Detections, InferenceError> {
        let start = Instant::now();
        let mut faces = Vec::new();
        let face_run = self
            .face
            .detect(&frame.data, frame.width, frame.height, &mut faces)?;
        let face_ms = start.elapsed().as_secs_f32() * 1000.0;
        let due = objects_now || self.analysed.is_multiple_of(self.objects_every_n_frames);
        self.analysed += 1;
        let mut objects_ms = None;
        let mut hands_zone = None;
        let objects = match (&mut self.objects, due) {
            (Some(passes), true) => {
                let t = Instant::now();
                let found = passes.detect(frame, &faces)?;
                objects_ms = Some(t.elapsed().as_secs_f32() * 1000.0);
                hands_zone = found.hands_zone;
                Some(found.objects)
            }
            _ => None,
        };
        Ok(Detections {
            frame_seq: frame.seq,
            at: frame.pts,
            faces,
            objects,
            hands_zone,
            inference_ms: InferenceTimes {
                face_ms,
                face_detector_ran: face_run.detector_ran,
                objects_ms,
                total_ms: start.elapsed().as_secs_f32() * 1000.0,
            },
        })
    }
}

impl super::FrameDetector for Detector {
    fn detect(&mut self, frame: &Frame, objects_now: bool) -> Result<Detections, InferenceError> {
        Detector::detect(self, frame, objects_now)
    }
    fn forget_tracks(&mut self) {
        Detector::forget_tracks(self)
    }
    fn models(&self) -> &[VerifiedModel] {
        Detector::models(self)
    }
    fn object_classes(&self) -> Vec<ObjectClass> {
        Detector::object_classes(self)
    }
    fn ran_on(&self) -> RanOn {
        Detector::ran_on(self)
    }
}
