//! The detector the pipeline runs: the face path (detect or track, landmarks, head pose)
//! on every analysed frame, the object passes on every Nth (a phone lying still must
//! still be seen, so the object model runs at a fixed rate, not on motion). Every
//! configured model's licence must be accepted.
//!
//! The object passes run inline (stills: `detect`, `eval`) or on their own thread
//! (`object_stage.rs`), overlapping the face path of the next frames:
//! - `ObjectsMode::Lockstep` (`analyze`): the result of an object frame joins the
//!   analysed frame just before the next object frame (it overlaps the face path of the
//!   frames between), waiting for it if need be, so the same recording always gives the
//!   same detections;
//! - `ObjectsMode::Free` (`run`): a result joins whichever analysed frame follows it,
//!   nothing ever waits, and a frame offered while the worker is busy replaces the
//!   previous offer (the object rate drops under load instead of frames queueing).

use std::time::{Duration, Instant};

use super::downscale::Downscaler;
use super::error::InferenceError;
use super::face::FaceDetector;
use super::face_mesh::FaceMesh;
use super::face_path::{FacePath, FacePathOptions};
use super::model::{CompileOptions, RanOn};
use super::object_passes::ObjectPasses;
use super::object_stage::{ObjectResult, ObjectStage};
use super::objects::ObjectDetector;
use super::preprocess::ModelInput;
use super::runtime::Runtime;
use crate::config::Config;
use crate::detections::{Detections, InferenceTimes, ObjectClass};
use crate::frame::Frame;
use crate::models::{Manifest, VerifiedModel};

/// How the object passes run relative to the face path (see the module comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectsMode {
    Inline,
    Lockstep,
    Free,
}

enum Objects {
    Off,
    Inline(Box<ObjectPasses>),
    Threaded {
        stage: ObjectStage,
        lockstep: bool,
        /// An offer whose result has not joined a frame yet.
        pending: bool,
    },
}

/// How long a wait for the object worker goes before it says so in the log (and goes on
/// waiting: see `wait_for`).
const OBJECT_RESULT_PATIENCE: Duration = Duration::from_secs(30);

pub struct Detector {
    face: FacePath,
    objects: Objects,
    object_classes: Vec<ObjectClass>,
    objects_every_n_frames: u64,
    analysed: u64,
    models: Vec<VerifiedModel>,
    /// How the object model takes a whole frame (known here once it runs on its thread).
    object_input: Option<ModelInput>,
    /// The shared smaller copy for frames where several whole-frame models run.
    downscale: Downscaler,
    /// The whole-frame models due on this frame (reused).
    due_inputs: Vec<ModelInput>,
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
        // The face models are small (a few ms): more threads than this gain little and
        // take cores from the object stage running beside them.
        let face_opts = CompileOptions {
            threads: cfg.runtime.face_threads,
            ..opts
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
                face_opts,
                cfg.detection.face_score,
                cfg.detection.face_nms_iou,
            )?);
            models.push(m);
        }
        let mesh_model = manifest.verified(&cfg.models.dir, &cfg.models.landmarks)?;
        let mesh = FaceMesh::load(runtime, &mesh_model.path, face_opts)?;
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
        let passes = ObjectPasses::from_config(runtime, cfg, &manifest, opts, &mut models)?;
        let object_classes = passes
            .as_ref()
            .map_or_else(Vec::new, |p| p.labels().classes());
        let object_input = passes.as_ref().map(|p| p.model_input());
        Ok(Detector {
            face,
            objects: passes.map_or(Objects::Off, |p| Objects::Inline(Box::new(p))),
            object_classes,
            objects_every_n_frames: cfg.detection.objects_every_n_frames.max(1) as u64,
            analysed: 0,
            models,
            object_input,
            downscale: Downscaler::new(),
            due_inputs: Vec::new(),
        })
    }

    /// Models in use, with their verified sha256, for reports.
    pub fn models(&self) -> &[VerifiedModel] {
        &self.models
    }

    /// The proctoring classes the object model can report (empty without one).
    pub fn object_classes(&self) -> Vec<ObjectClass> {
        self.object_classes.clone()
    }

    /// Runs the object passes inline or on their own thread (see the module comment).
    /// Call before the first frame.
    pub fn set_objects_mode(&mut self, mode: ObjectsMode) -> std::io::Result<()> {
        let passes = match std::mem::replace(&mut self.objects, Objects::Off) {
            Objects::Off => return Ok(()),
            Objects::Inline(p) => p,
            Objects::Threaded { .. } => {
                return Err(std::io::Error::other(
                    "the object stage already runs on its own thread",
                ));
            }
        };
        self.objects = match mode {
            ObjectsMode::Inline => Objects::Inline(passes),
            ObjectsMode::Lockstep | ObjectsMode::Free => Objects::Threaded {
                stage: ObjectStage::spawn(*passes)?,
                lockstep: mode == ObjectsMode::Lockstep,
                pending: false,
            },
        };
        Ok(())
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

    /// The object detector, when the object passes run inline.
    pub fn object_detector(&mut self) -> Option<&mut ObjectDetector> {
        match &mut self.objects {
            Objects::Inline(p) => Some(p.detector()),
            _ => None,
        }
    }

    /// Runs the face model, and the object model when it is due (or `objects_now`).
    pub fn detect(
        &mut self,
        frame: &Frame,
        objects_now: bool,
    ) -> Result<Detections, InferenceError> {
        let start = Instant::now();
        let n = self.objects_every_n_frames;
        let due = objects_now || self.analysed.is_multiple_of(n);
        // One smaller copy of the frame when several whole-frame models read it.
        self.due_inputs.clear();
        if self.face.detector_due() {
            self.due_inputs.extend(self.face.detector_inputs());
        }
        if due && let Some(input) = self.object_input {
            self.due_inputs.push(input);
        }
        let small =
            self.downscale
                .for_models(frame.rgb(), frame.width, frame.height, &self.due_inputs);
        let mut faces = Vec::new();
        let face_run = self.face.detect_with(
            frame.rgb(),
            frame.width,
            frame.height,
            small.as_ref(),
            &mut faces,
        )?;
        let face_ms = start.elapsed().as_secs_f32() * 1000.0;
        // The frame just before the next object frame (lockstep's join point).
        let joins = (self.analysed + 1).is_multiple_of(n);
        self.analysed += 1;
        let mut found: Option<ObjectResult> = None;
        match &mut self.objects {
            Objects::Off => {}
            Objects::Inline(passes) if due => {
                let t = Instant::now();
                let f = passes.detect(frame, small.as_ref(), &faces)?;
                found = Some(ObjectResult {
                    frame_seq: frame.seq,
                    at: frame.pts,
                    objects: f.objects,
                    hands_zone: f.hands_zone,
                    ms: t.elapsed().as_secs_f32() * 1000.0,
                });
            }
            Objects::Inline(_) => {}
            Objects::Threaded {
                stage,
                lockstep: true,
                pending,
            } => {
                if *pending && (joins || due) {
                    // Deterministic: the previous object frame's result joins here,
                    // however long it took.
                    found = Some(wait_for(stage, None)?);
                    *pending = false;
                }
                if due {
                    stage.offer(frame, small.as_ref(), &faces);
                    *pending = true;
                }
            }
            Objects::Threaded {
                stage,
                lockstep: false,
                ..
            } => {
                found = stage.try_take().transpose()?;
                if due {
                    stage.offer(frame, small.as_ref(), &faces);
                }
            }
        }
        if objects_now && let Objects::Threaded { stage, pending, .. } = &mut self.objects {
            // A still: its own objects, now.
            found = Some(wait_for(stage, Some(frame.seq))?);
            *pending = false;
        }
        let objects_ms = found.as_ref().map(|f| f.ms);
        let objects_at = found.as_ref().map(|f| f.at).filter(|at| *at != frame.pts);
        let hands_zone = found.as_ref().and_then(|f| f.hands_zone);
        let objects = found.map(|f| f.objects);
        Ok(Detections {
            frame_seq: frame.seq,
            at: frame.pts,
            faces,
            objects,
            hands_zone,
            objects_at,
            inference_ms: InferenceTimes {
                face_ms,
                face_detector_ran: face_run.detector_ran,
                objects_ms,
                total_ms: start.elapsed().as_secs_f32() * 1000.0,
            },
        })
    }
}

/// The next result of the object stage (the one for frame `seq` when given, older ones
/// dropped). A slow worker is waited for: on a starved machine an invoke can take longer
/// than any fixed limit (`analyze` once failed after 30 s at load 7 on 2 cores), and
/// giving up would lose the analysis, not the hang; only a worker whose thread has ended
/// is an error, as no result can come from it.
fn wait_for(stage: &ObjectStage, seq: Option<u64>) -> Result<ObjectResult, InferenceError> {
    let mut waited = Duration::ZERO;
    loop {
        match stage.take(OBJECT_RESULT_PATIENCE) {
            Ok(result) => {
                let result = result?;
                if seq.is_none_or(|seq| result.frame_seq == seq) {
                    return Ok(result);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                waited += OBJECT_RESULT_PATIENCE;
                log::warn!(
                    "The object model has not answered for {} s (the machine is overloaded, or the model is stuck); still waiting.",
                    waited.as_secs()
                );
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(InferenceError::ObjectStage {
                    reason: "its thread ended without an answer".into(),
                });
            }
        }
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
